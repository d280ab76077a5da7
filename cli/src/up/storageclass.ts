// The local cluster's default StorageClass, as kind and minikube ship one named `standard`: claims
// that name no class get it (DefaultStorageClass admission) and the controller-manager's host-path
// provisioner (`--enable-hostpath-provisioner`) makes their volumes as directories under
// /tmp/hostpath_pv, which every process kubelet on this machine can reach. WaitForFirstConsumer, as
// kind's: the scheduler picks the node first and names it on the claim. Created once; a class the
// user changed or deleted the default annotation from is left alone.
import type { StorageClass } from '@mkube/shared/api';
import { HOST_PATH_PROVISIONER, IS_DEFAULT_STORAGE_CLASS_ANNOTATION } from '@mkube/shared/api';
import { isAlreadyExists } from '@mkube/shared/apierrors';
import type { KubeClient } from '@mkube/shared/client';

export const DEFAULT_STORAGE_CLASS = 'standard';

export function defaultStorageClass(): StorageClass {
  return {
    apiVersion: 'storage.k8s.io/v1',
    kind: 'StorageClass',
    metadata: { name: DEFAULT_STORAGE_CLASS, annotations: { [IS_DEFAULT_STORAGE_CLASS_ANNOTATION]: 'true' } },
    provisioner: HOST_PATH_PROVISIONER,
    reclaimPolicy: 'Delete',
    volumeBindingMode: 'WaitForFirstConsumer',
  };
}

/** Creates the `standard` class when missing; returns whether it was created. */
export async function ensureDefaultStorageClass(admin: KubeClient): Promise<boolean> {
  try {
    await admin
      .resource<StorageClass>({ group: 'storage.k8s.io', version: 'v1', resource: 'storageclasses' })
      .create(defaultStorageClass());
    return true;
  } catch (e) {
    if (isAlreadyExists(e)) return false;
    throw e;
  }
}
