// The Node authorizer's graph-checked decisions (node_authorizer.go authorizeGet,
// authorizeStatusUpdate, authorizeReadNamespacedObject), with upstream's reasons.
import type { Attributes, AuthorizationResult } from '@mkube/shared/auth';
import type { NodeGraph, RefKind } from './graph.js';

const allow: AuthorizationResult = { decision: 'Allow', reason: '' };
const noOpinion = (reason: string): AuthorizationResult => ({ decision: 'NoOpinion', reason });

/** A path from the named object to the node, or upstream's refusal. */
export function authorizeRelated(graph: NodeGraph, node: string, kind: RefKind, a: Attributes): AuthorizationResult {
  if (!a.name) return noOpinion('No Object name found');
  if (graph.related(node, kind, a.namespace, a.name)) return allow;
  return noOpinion(`no relationship found between node '${node}' and this object`);
}

/** `get` of one related object, no subresource (persistentvolumes, persistentvolumeclaims, volumeattachments). */
export function authorizeGet(graph: NodeGraph, node: string, kind: RefKind, a: Attributes): AuthorizationResult {
  if (a.verb !== 'get') return noOpinion('can only get individual resources of this type');
  if (a.subresource) return noOpinion('cannot get subresource');
  return authorizeRelated(graph, node, kind, a);
}

/** update/patch of a related object's status (persistentvolumeclaims/status; NodeRestriction limits the fields). */
export function authorizeStatusUpdate(
  graph: NodeGraph,
  node: string,
  kind: RefKind,
  a: Attributes,
): AuthorizationResult {
  if (a.verb !== 'update' && a.verb !== 'patch') return noOpinion('can only get/update/patch this type');
  if (a.subresource !== 'status') return noOpinion('can only update status subresource');
  return authorizeRelated(graph, node, kind, a);
}
