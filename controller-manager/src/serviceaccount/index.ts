// serviceaccount-controller (k8s pkg/controller/serviceaccount/serviceaccounts_controller.go): every
// active namespace has ServiceAccount "default", created with the namespace and again if deleted,
// so pods (ServiceAccount admission) and `kubectl create token default` find it.
import type { Namespace, ServiceAccount } from '@mkube/shared/api';
import { isAlreadyExists, isForbidden, isNotFound } from '@mkube/shared/apierrors';
import type { KubeClient } from '@mkube/shared/client';
import type { Logger } from '@mkube/shared/log';
import { type Controller, runQueue, WorkQueue } from '../controller.js';
import { RESOURCES, type SharedInformer } from '../informers/index.js';

/** The accounts every namespace gets (upstream's DefaultServiceAccountsControllerOptions). */
export const DEFAULT_SERVICE_ACCOUNTS = ['default'] as const;

export class ServiceAccountsController implements Controller {
  readonly name = 'serviceaccount-controller';
  readonly queue = new WorkQueue('serviceaccount');

  constructor(
    readonly client: KubeClient,
    readonly namespaces: SharedInformer<Namespace>,
    readonly serviceAccounts: SharedInformer<ServiceAccount>,
    readonly log: Logger,
  ) {
    const ns = (n: Namespace) => n.metadata?.name && this.queue.add(n.metadata.name);
    namespaces.addEventHandler({ onAdd: ns, onUpdate: (_o, n) => ns(n) });
    serviceAccounts.addEventHandler({
      onDelete: (sa) => {
        if (
          sa.metadata?.namespace &&
          (DEFAULT_SERVICE_ACCOUNTS as readonly string[]).includes(sa.metadata.name ?? '')
        ) {
          this.queue.add(sa.metadata.namespace);
        }
      },
    });
  }

  run(signal: AbortSignal): Promise<void> {
    return runQueue(this.queue, 4, (ns) => this.sync(ns), this.log, signal);
  }

  async sync(ns: string): Promise<void> {
    const namespace = this.namespaces.store.get(ns);
    if (!namespace || (namespace.status?.phase && namespace.status.phase !== 'Active')) return;
    if (namespace.metadata?.deletionTimestamp) return;
    const accounts = this.client.resource<ServiceAccount>({ ...RESOURCES.serviceaccounts, namespace: ns });
    for (const name of DEFAULT_SERVICE_ACCOUNTS) {
      if (this.serviceAccounts.store.get(`${ns}/${name}`)) continue;
      try {
        await accounts.create({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace: ns } });
      } catch (err) {
        // Created meanwhile, or the namespace is going away (Forbidden: it is being terminated).
        if (isAlreadyExists(err) || isNotFound(err) || isForbidden(err)) continue;
        throw err;
      }
    }
  }
}
