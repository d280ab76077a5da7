// NamespaceLifecycle admission: no new content in a namespace that does not exist or is being
// deleted, and the system namespaces may not be deleted.
import type { Namespace } from '@mkube/shared/api';
import { newForbidden, newNotFound, StatusError } from '@mkube/shared/apierrors';
import type { GenericRegistry } from '../registry/generic.js';

export const IMMORTAL_NAMESPACES: ReadonlySet<string> = new Set([
  'default',
  'kube-system',
  'kube-public',
  'kube-node-lease',
]);

/** A cache of namespaces kept by a watch (the plugin's namespace lister). */
export interface NamespaceLister {
  hasSynced(): boolean;
  get(namespace: string, name: string): Namespace | undefined;
}

/**
 * As upstream's plugin: the namespace comes from the lister, and only a miss (a namespace created
 * an instant ago, not yet seen by the watch) costs a live read of the store.
 */
export async function admitNamespacedCreate(
  namespaces: GenericRegistry,
  namespace: string,
  lister?: NamespaceLister,
): Promise<void> {
  let ns: Namespace | undefined = lister?.hasSynced() ? lister.get('', namespace) : undefined;
  try {
    ns ??= (await namespaces.get('', namespace)) as Namespace;
  } catch (e) {
    if (e instanceof StatusError && e.reason === 'NotFound')
      throw newNotFound({ group: '', resource: 'namespaces' }, namespace);
    throw e;
  }
  if (ns.status?.phase === 'Terminating' || ns.metadata.deletionTimestamp) {
    throw newForbidden(
      { group: '', resource: '' },
      '',
      `unable to create new content in namespace ${namespace} because it is being terminated`,
    );
  }
}

export function admitNamespaceDelete(name: string): void {
  if (IMMORTAL_NAMESPACES.has(name)) {
    throw newForbidden({ group: '', resource: 'namespaces' }, name, 'this namespace may not be deleted');
  }
}
