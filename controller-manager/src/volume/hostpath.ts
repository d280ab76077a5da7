// The in-tree host-path volume plugin as the binder uses it (pkg/volume/hostpath): a provisioner,
// on only with --enable-hostpath-provisioner, that makes /tmp/hostpath_pv/<uuid> on the
// controller-manager's own host (for development and single-node clusters: it cannot work across
// nodes), and a deleter that removes a host-path volume's directory, refusing anything outside
// /tmp. It cannot recycle: upstream's recycler runs a pod, which mkube does not.
import { randomUUID } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import type { PersistentVolume, PersistentVolumeClaim, PersistentVolumeReclaimPolicy } from '@mkube/shared/api';
import { HOST_PATH_PROVISIONER } from '@mkube/shared/api';

/** Upstream's basePath under /tmp. */
export const HOST_PATH_PROVISIONER_ROOT = '/tmp/hostpath_pv';
/** util.VolumeDynamicallyCreatedByKey and the value this plugin writes there. */
const CREATED_BY = 'kubernetes.io/createdby';
const DELETABLE = /\/tmp\/.+/;

export interface ProvisionOptions {
  readonly pvName: string;
  readonly claim: PersistentVolumeClaim;
  readonly reclaimPolicy: PersistentVolumeReclaimPolicy;
}

export class HostPathPlugin {
  readonly name = HOST_PATH_PROVISIONER;
  /** A host path is bind-mounted as it is: no mount options. */
  readonly supportsMountOption = false;

  constructor(readonly provisioningEnabled: boolean) {}

  /** NewProvisioner's refusal, or undefined when it may provision. */
  provisionerError(): string | undefined {
    return this.provisioningEnabled ? undefined : `provisioning in volume plugin "${this.name}" is disabled`;
  }

  /** Provision: the directory, and the volume object for it (the binder adds the binding). */
  async provision(o: ProvisionOptions): Promise<PersistentVolume> {
    if (o.claim.spec?.volumeMode === 'Block')
      throw new Error(`${this.name} does not support block volume provisioning`);
    const path = `${HOST_PATH_PROVISIONER_ROOT}/${randomUUID()}`;
    const accessModes = o.claim.spec?.accessModes?.length ? o.claim.spec.accessModes : ['ReadWriteOnce' as const];
    const capacity = o.claim.spec?.resources?.requests?.storage;
    await mkdir(path, { recursive: true, mode: 0o750 });
    return {
      apiVersion: 'v1',
      kind: 'PersistentVolume',
      metadata: { name: o.pvName, annotations: { [CREATED_BY]: 'hostpath-dynamic-provisioner' } },
      spec: {
        persistentVolumeReclaimPolicy: o.reclaimPolicy,
        accessModes: [...accessModes],
        capacity: capacity === undefined ? {} : { storage: capacity },
        hostPath: { path },
      },
    };
  }

  /** Whether this plugin deletes the volume (FindDeletablePluginBySpec). */
  canDelete(v: PersistentVolume): boolean {
    return v.spec?.hostPath !== undefined;
  }

  async delete(v: PersistentVolume): Promise<void> {
    const path = v.spec?.hostPath?.path ?? '';
    if (!DELETABLE.test(path)) throw new Error(`host_path deleter only supports /tmp/.+ but received provided ${path}`);
    await rm(path, { recursive: true, force: true });
  }
}
