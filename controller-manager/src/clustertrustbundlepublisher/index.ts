// kube-apiserver-serving-clustertrustbundle-publisher-controller (k8s
// pkg/controller/certificates/clustertrustbundlepublisher): the CA that verifies the kube-apiserver
// is published as the one ClusterTrustBundle of signer kubernetes.io/kube-apiserver-serving, named
// after a hash of its content; an edited copy is put back and every other bundle of that signer goes.
import { createHash } from 'node:crypto';
import type { APIResourceList, ClusterTrustBundle } from '@mkube/shared/api';
import { isNotFound } from '@mkube/shared/apierrors';
import type { KubeClient, ResourceRef } from '@mkube/shared/client';
import type { Logger } from '@mkube/shared/log';
import { errorSummary } from '@mkube/shared/workqueue';
import { type Controller, runQueue, WorkQueue } from '../controller.js';
import type { SharedInformer } from '../informers/index.js';

export const CONTROLLER_NAME = 'kube-apiserver-serving-clustertrustbundle-publisher-controller';
export const KUBE_APISERVER_SERVING_SIGNER = 'kubernetes.io/kube-apiserver-serving';

const GROUP = 'certificates.k8s.io';
const RESOURCE = 'clustertrustbundles';
/** Upstream's preference: the beta API first, the alpha one only where beta is not served. */
const VERSIONS = ['v1beta1', 'v1alpha1'] as const;

/**
 * `<signer with / as :>:` and the hex of sha256's first 12 bytes: a new CA gets a new name, so the
 * old bundle can stay until the new one is published.
 */
export function bundleName(signerName: string, caBundle: string): string {
  const hash = createHash('sha256').update(caBundle).digest().subarray(0, 12).toString('hex');
  return `${signerName.replaceAll('/', ':')}:${hash}`;
}

/**
 * Where the apiserver serves ClusterTrustBundles, found by discovery; undefined when it serves none
 * (a group version it does not know is a 404). Any other failure is thrown: the controller cannot
 * tell whether to start.
 */
export async function discoverClusterTrustBundles(client: KubeClient): Promise<ResourceRef | undefined> {
  for (const version of VERSIONS) {
    let list: APIResourceList;
    try {
      list = await client.request<APIResourceList>('GET', `/apis/${GROUP}/${version}`);
    } catch (e) {
      if (isNotFound(e)) continue;
      throw new Error(`discovery failed for ClusterTrustBundle: ${(e as Error).message}`, { cause: e });
    }
    if (list.resources?.some((r) => r.name === RESOURCE)) return { group: GROUP, version, resource: RESOURCE };
  }
  return undefined;
}

export class ClusterTrustBundlePublisher implements Controller {
  readonly name = CONTROLLER_NAME;
  readonly queue = new WorkQueue('ca_cert_publisher_cluster_trust_bundles');

  /**
   * `bundles` must list only `signerName`'s bundles (a `spec.signerName` field selector): whatever
   * it holds besides the published one is deleted.
   */
  constructor(
    readonly client: KubeClient,
    readonly ref: ResourceRef,
    readonly bundles: SharedInformer<ClusterTrustBundle>,
    readonly signerName: string,
    readonly caBundle: string,
    readonly log: Logger,
  ) {
    // One signer, one desired state: every change is a reason to look at all of it again.
    const enqueue = () => this.queue.add(signerName);
    bundles.addEventHandler({ onAdd: enqueue, onUpdate: enqueue, onDelete: enqueue });
  }

  run(signal: AbortSignal): Promise<void> {
    this.queue.add(this.signerName);
    return runQueue(this.queue, 1, () => this.sync(), this.log, signal);
  }

  async sync(): Promise<void> {
    const api = this.client.resource<ClusterTrustBundle>(this.ref);
    const name = bundleName(this.signerName, this.caBundle);
    const cur = this.bundles.store.get(name);
    if (!cur) {
      await api.create({
        apiVersion: `${this.ref.group}/${this.ref.version}`,
        kind: 'ClusterTrustBundle',
        metadata: { name },
        spec: { signerName: this.signerName, trustBundle: this.caBundle },
      });
    } else if (cur.spec?.trustBundle !== this.caBundle) {
      await api.update({ ...cur, spec: { ...cur.spec, trustBundle: this.caBundle } });
    }
    // Every stale bundle is tried even when one fails; the last failure retries the whole sync.
    let failure: unknown;
    for (const b of this.bundles.store.list()) {
      const other = b.metadata?.name;
      if (!other || other === name) continue;
      try {
        await api.delete(other);
      } catch (e) {
        if (isNotFound(e)) continue;
        this.log.error({ bundleName: other, err: errorSummary(e) }, 'failed to remove a cluster trust bundle');
        failure = e;
      }
    }
    if (failure !== undefined) throw failure;
  }
}
