// shouldIgnoreNodeUpdate (daemon_controller.go): a node's heartbeats rewrite its conditions'
// timestamps every few seconds; only a change in which conditions are True, or in anything else
// about the node, can change where daemon pods belong.
import type { Node, NodeCondition } from '@mkube/shared/api';
import { canonicalJson } from '@mkube/shared/controller';

/** nodeInSameCondition: the same set of condition types with status True. */
export function nodeInSameCondition(old: readonly NodeCondition[] = [], cur: readonly NodeCondition[] = []): boolean {
  const trueTypes = (cs: readonly NodeCondition[]) =>
    cs
      .filter((c) => c.status === 'True')
      .map((c) => c.type)
      .sort();
  return canonicalJson(trueTypes(old)) === canonicalJson(trueTypes(cur));
}

export function shouldIgnoreNodeUpdate(old: Node, cur: Node): boolean {
  if (!nodeInSameCondition(old.status?.conditions, cur.status?.conditions)) return false;
  // managedFields move with every status write too (mkube keeps them; the comparison must not see them).
  const strip = (n: Node) => ({
    ...n,
    metadata: { ...n.metadata, resourceVersion: undefined, managedFields: undefined },
    status: { ...n.status, conditions: undefined },
  });
  return canonicalJson(strip(old)) === canonicalJson(strip(cur));
}
