// Node selector terms against a node (component-helpers scheduling/corev1/nodeaffinity): label
// requirements (In, NotIn, Exists, DoesNotExist, Gt, Lt) and the one field a node can be selected by,
// metadata.name. A term that does not parse matches nothing, as upstream's lazy-error selector
// ignores it; an empty term matches nothing.
import type { Node } from '@mkube/shared/api';
import type { NodeSelectorRequirement, NodeSelectorTerm, Pod } from '../api/index.js';

const INT = /^[+-]?\d+$/;

/** One label requirement; undefined when it does not parse (bad operator or values). */
function labelRequirement(r: NodeSelectorRequirement): ((labels: Record<string, string>) => boolean) | undefined {
  const values = r.values ?? [];
  switch (r.operator) {
    case 'In':
    case 'NotIn': {
      if (values.length === 0) return undefined;
      const set = new Set(values);
      return r.operator === 'In'
        ? (l) => r.key in l && set.has(l[r.key]!)
        : (l) => !(r.key in l) || !set.has(l[r.key]!);
    }
    case 'Exists':
    case 'DoesNotExist':
      if (values.length > 0) return undefined;
      return r.operator === 'Exists' ? (l) => r.key in l : (l) => !(r.key in l);
    case 'Gt':
    case 'Lt': {
      if (values.length !== 1 || !INT.test(values[0]!)) return undefined;
      const bound = BigInt(values[0]!);
      return (l) => {
        const v = l[r.key];
        if (v === undefined || !INT.test(v)) return false;
        return r.operator === 'Gt' ? BigInt(v) > bound : BigInt(v) < bound;
      };
    }
    default:
      return undefined;
  }
}

/** One field requirement: metadata.name with In or NotIn and exactly one value. */
function fieldRequirement(r: NodeSelectorRequirement): ((name: string) => boolean) | undefined {
  const values = r.values ?? [];
  if (r.key !== 'metadata.name' || values.length !== 1) return undefined;
  if (r.operator === 'In') return (n) => n === values[0];
  if (r.operator === 'NotIn') return (n) => n !== values[0];
  return undefined;
}

export function termMatches(term: NodeSelectorTerm, node: Node): boolean {
  const exprs = term.matchExpressions ?? [];
  const fields = term.matchFields ?? [];
  if (exprs.length === 0 && fields.length === 0) return false;
  const labels = node.metadata?.labels ?? {};
  const name = node.metadata?.name ?? '';
  for (const r of exprs) {
    const m = labelRequirement(r);
    if (!m?.(labels)) return false;
  }
  for (const r of fields) {
    const m = fieldRequirement(r);
    if (!m?.(name)) return false;
  }
  return true;
}

/** nodeaffinity.GetRequiredNodeAffinity(pod).Match(node): spec.nodeSelector and the required terms. */
export function requiredNodeAffinityMatches(pod: Pod, node: Node): boolean {
  const labels = node.metadata?.labels ?? {};
  for (const [k, v] of Object.entries(pod.spec?.nodeSelector ?? {})) if (labels[k] !== v) return false;
  const required = pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
  if (!required) return true;
  return (required.nodeSelectorTerms ?? []).some((t) => termMatches(t, node));
}
