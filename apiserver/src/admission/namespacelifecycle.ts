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

export async function admitNamespacedCreate(namespaces: GenericRegistry, namespace: string): Promise<void> {
  let ns: Namespace;
  try {
    ns = (await namespaces.get('', namespace)) as Namespace;
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
