// Node selector terms against a node (component-helpers scheduling/corev1/nodeaffinity): label
// requirements (In, NotIn, Exists, DoesNotExist, Gt, Lt) through labels.Requirement, as upstream, and
// the one field a node can be selected by, metadata.name. A term that does not parse matches
// nothing, as upstream's lazy-error selector skips it; an empty term matches nothing. The scheduler,
// the PV binder and the kubelet's mount check all ask this one question.
import type { Node, NodeSelector, NodeSelectorRequirement, NodeSelectorTerm } from '../api/core.js';
import { type LabelOperator, LabelsSelector, newLabelRequirement } from './labels.js';

const LABEL_OPERATORS: Readonly<Record<string, LabelOperator>> = {
  In: 'in',
  NotIn: 'notin',
  Exists: 'exists',
  DoesNotExist: '!',
  Gt: 'gt',
  Lt: 'lt',
};

/**
 * NodeSelectorRequirementsAsSelector: the term's label requirements as a labels.Selector, or
 * undefined when one does not parse (an unknown operator, values labels.NewRequirement refuses).
 * Built once per term object: the scheduler matches the same pod's term against every node.
 */
const compiled = new WeakMap<NodeSelectorTerm, LabelsSelector | undefined>();
function labelSelectorOf(term: NodeSelectorTerm): LabelsSelector | undefined {
  if (compiled.has(term)) return compiled.get(term);
  let selector: LabelsSelector | undefined;
  try {
    selector = LabelsSelector.of(
      (term.matchExpressions ?? []).map((r) => {
        const op = LABEL_OPERATORS[r.operator];
        if (!op) throw new Error(`unknown operator ${r.operator}`);
        return newLabelRequirement(r.key, op, r.values ?? []);
      }),
    );
  } catch {
    selector = undefined;
  }
  compiled.set(term, selector);
  return selector;
}

/** One field requirement: metadata.name with In or NotIn and exactly one value. */
function fieldRequirement(r: NodeSelectorRequirement): ((name: string) => boolean) | undefined {
  const values = r.values ?? [];
  if (r.key !== 'metadata.name' || values.length !== 1) return undefined;
  if (r.operator === 'In') return (n) => n === values[0];
  if (r.operator === 'NotIn') return (n) => n !== values[0];
  return undefined;
}

/** One term: its label and field requirements, ANDed. */
export function nodeSelectorTermMatches(term: NodeSelectorTerm, node: Node): boolean {
  const exprs = term.matchExpressions ?? [];
  const fields = term.matchFields ?? [];
  if (exprs.length === 0 && fields.length === 0) return false;
  const name = node.metadata?.name ?? '';
  if (exprs.length > 0 && !labelSelectorOf(term)?.matches(node.metadata?.labels ?? {})) return false;
  for (const r of fields) {
    const m = fieldRequirement(r);
    if (!m?.(name)) return false;
  }
  return true;
}

/** MatchNodeSelectorTerms: the terms are ORed. */
export function matchNodeSelectorTerms(selector: NodeSelector, node: Node): boolean {
  return (selector.nodeSelectorTerms ?? []).some((t) => nodeSelectorTermMatches(t, node));
}
