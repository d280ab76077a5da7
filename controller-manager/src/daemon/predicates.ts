// Which nodes a DaemonSet's pod belongs on (daemon_controller.go NodeShouldRunDaemonPod): the pod
// it would create, with its node name set and the daemon tolerations added, checked against the
// node's name, the template's node selector and required node affinity, and the node's taints.
// A node whose NoSchedule taint is untolerated gets no new pod, but a pod already there stays unless
// a NoExecute taint is untolerated too, as the kubelet and taint eviction would leave it.
import type { DaemonSet, Node, NodeSelectorRequirement, NodeSelectorTerm, Pod } from '@mkube/shared/api';
import { findUntoleratedTaint } from '@mkube/shared/api';
import { type LabelOperator, LabelsSelector, newLabelRequirement } from '@mkube/shared/selectors';
import { addOrUpdateDaemonPodTolerations } from './util.js';

/** NewPod: the pod the DaemonSet would run on `nodeName`, before revision labels and affinity. */
export function newPod(ds: DaemonSet, nodeName: string): Pod {
  const t = ds.spec?.template;
  return {
    metadata: { ...t?.metadata, namespace: ds.metadata.namespace },
    spec: addOrUpdateDaemonPodTolerations({ ...(t?.spec ?? { containers: [] }), nodeName }),
  };
}

export interface ShouldRun {
  /** A daemon pod should be created on the node if there is none. */
  readonly shouldRun: boolean;
  /** A daemon pod already there may stay. */
  readonly shouldContinueRunning: boolean;
}

export function nodeShouldRunDaemonPod(node: Node, ds: DaemonSet): ShouldRun {
  const name = node.metadata.name ?? '';
  const templateNode = ds.spec?.template?.spec?.nodeName;
  if (templateNode && templateNode !== name) return { shouldRun: false, shouldContinueRunning: false };
  const pod = newPod(ds, name);
  if (!requiredNodeAffinityMatches(pod, node)) return { shouldRun: false, shouldContinueRunning: false };
  const taints = node.spec?.taints;
  const tolerations = pod.spec?.tolerations;
  if (findUntoleratedTaint(taints, tolerations, (t) => t.effect === 'NoExecute' || t.effect === 'NoSchedule')) {
    const evicting = findUntoleratedTaint(taints, tolerations, (t) => t.effect === 'NoExecute');
    return { shouldRun: false, shouldContinueRunning: evicting === undefined };
  }
  return { shouldRun: true, shouldContinueRunning: true };
}

const OPERATORS: Readonly<Record<string, LabelOperator>> = {
  In: 'in',
  NotIn: 'notin',
  Exists: 'exists',
  DoesNotExist: '!',
  Gt: 'gt',
  Lt: 'lt',
};

/**
 * One node selector term (component-helpers nodeaffinity): label requirements ANDed with
 * metadata.name field requirements (In/NotIn, one value). A term that does not parse matches
 * nothing, as upstream's lazily-erroring selector; so does an empty term.
 */
export function termMatches(term: NodeSelectorTerm, node: Node): boolean {
  const exprs = term.matchExpressions ?? [];
  const fields = term.matchFields ?? [];
  if (exprs.length === 0 && fields.length === 0) return false;
  if (exprs.length > 0) {
    let selector: LabelsSelector;
    try {
      selector = LabelsSelector.of(exprs.map(labelRequirement));
    } catch {
      return false;
    }
    if (!selector.matches(node.metadata.labels ?? {})) return false;
  }
  return fields.every((r) => fieldMatches(r, node.metadata.name ?? ''));
}

function labelRequirement(r: NodeSelectorRequirement) {
  const op = OPERATORS[r.operator];
  if (!op) throw new Error(`${r.operator} is not a valid node selector operator`);
  return newLabelRequirement(r.key, op, r.values ?? []);
}

function fieldMatches(r: NodeSelectorRequirement, name: string): boolean {
  const values = r.values ?? [];
  if (r.key !== 'metadata.name' || values.length !== 1) return false;
  if (r.operator === 'In') return name === values[0];
  if (r.operator === 'NotIn') return name !== values[0];
  return false;
}

/** nodeaffinity.GetRequiredNodeAffinity(pod).Match(node): spec.nodeSelector, then the required terms (ORed). */
export function requiredNodeAffinityMatches(pod: Pod, node: Node): boolean {
  const labels = node.metadata.labels ?? {};
  for (const [k, v] of Object.entries(pod.spec?.nodeSelector ?? {})) if (labels[k] !== v) return false;
  const required = pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
  if (!required) return true;
  return (required.nodeSelectorTerms ?? []).some((t) => termMatches(t, node));
}
