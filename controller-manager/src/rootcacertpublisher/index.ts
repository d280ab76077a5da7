// root-ca-cert-publisher (k8s pkg/controller/certificates/rootcacertpublisher): every active
// namespace gets ConfigMap kube-root-ca.crt holding the cluster CA bundle, recreated if deleted
// and put back if edited.
import type { ConfigMap, Namespace } from '@mkube/shared/api';
import { isAlreadyExists, isNotFound } from '@mkube/shared/apierrors';
import type { KubeClient } from '@mkube/shared/client';
import type { Logger } from '@mkube/shared/log';
import { type Controller, runQueue, WorkQueue } from '../controller.js';
import { RESOURCES, type SharedInformer } from '../informers/index.js';

export const ROOT_CA_CONFIGMAP = 'kube-root-ca.crt';
export const DESCRIPTION =
  'Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters.';

export class RootCACertPublisher implements Controller {
  readonly name = 'root-ca-certificate-publisher-controller';
  readonly queue = new WorkQueue('root_ca_cert_publisher');

  constructor(
    readonly client: KubeClient,
    readonly namespaces: SharedInformer<Namespace>,
    readonly configMaps: SharedInformer<ConfigMap>,
    readonly rootCA: string,
    readonly log: Logger,
  ) {
    const nsName = (n: Namespace) => n.metadata?.name && this.queue.add(n.metadata.name);
    namespaces.addEventHandler({ onAdd: nsName, onUpdate: (_o, n) => nsName(n) });
    const cm = (c: ConfigMap) => {
      if (c.metadata?.name === ROOT_CA_CONFIGMAP && c.metadata.namespace) this.queue.add(c.metadata.namespace);
    };
    configMaps.addEventHandler({ onUpdate: (_o, c) => cm(c), onDelete: cm });
  }

  run(signal: AbortSignal): Promise<void> {
    return runQueue(this.queue, 4, (ns) => this.sync(ns), this.log, signal);
  }

  async sync(ns: string): Promise<void> {
    const namespace = this.namespaces.store.get(ns);
    if (!namespace || namespace.status?.phase === 'Terminating' || namespace.metadata?.deletionTimestamp) return;
    const cms = this.client.resource<ConfigMap>({ ...RESOURCES.configmaps, namespace: ns });
    const cur = this.configMaps.store.get(`${ns}/${ROOT_CA_CONFIGMAP}`);
    const data = { 'ca.crt': this.rootCA };
    const annotations = { 'kubernetes.io/description': DESCRIPTION };
    try {
      if (!cur) {
        await cms.create({
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: ROOT_CA_CONFIGMAP, namespace: ns, annotations },
          data,
        });
        return;
      }
      const same =
        cur.data?.['ca.crt'] === this.rootCA &&
        Object.keys(cur.data ?? {}).length === 1 &&
        cur.metadata?.annotations?.['kubernetes.io/description'] === DESCRIPTION;
      if (same) return;
      await cms.update({
        ...cur,
        metadata: { ...cur.metadata, annotations: { ...cur.metadata?.annotations, ...annotations } },
        data,
      });
    } catch (err) {
      // Created meanwhile, or the namespace went away: the watch brings the next step.
      if (isAlreadyExists(err) || isNotFound(err)) return;
      throw err;
    }
  }
}
