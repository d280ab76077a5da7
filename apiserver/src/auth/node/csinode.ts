// The Node authorizer's CSINode rule (node_authorizer.go authorizeCSINode): a kubelet publishes
// the drivers registered on its node in the CSINode named after it, and touches no other. A create
// names no object in its URL, so NodeRestriction checks its name at admission.
import type { Attributes, AuthorizationResult } from '@mkube/shared/auth';

const VERBS = ['get', 'create', 'update', 'patch', 'delete'];

export function authorizeCSINode(node: string, a: Attributes): AuthorizationResult {
  if (!VERBS.includes(a.verb)) {
    return { decision: 'NoOpinion', reason: 'can only get, create, update, patch, or delete a CSINode' };
  }
  if (a.subresource) return { decision: 'NoOpinion', reason: 'cannot authorize CSINode subresources' };
  if (a.verb !== 'create' && a.name !== node) {
    return { decision: 'NoOpinion', reason: 'can only access CSINode with the same name as the requesting node' };
  }
  return { decision: 'Allow', reason: '' };
}
