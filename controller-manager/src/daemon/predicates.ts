// Which nodes a DaemonSet's pod belongs on (daemon_controller.go NodeShouldRunDaemonPod): the pod
// it would create, with its node name set and the daemon tolerations added, checked against the
// node's name, the template's node selector and required node affinity, and the node's taints.
// A node whose NoSchedule taint is untolerated gets no new pod, but a pod already there stays unless
// a NoExecute taint is untolerated too, as the kubelet and taint eviction would leave it.
import type { DaemonSet, Node, Pod } from '@mkube/shared/api';
import { findUntoleratedTaint } from '@mkube/shared/api';
import { matchNodeSelectorTerms } from '@mkube/shared/selectors';
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

/** nodeaffinity.GetRequiredNodeAffinity(pod).Match(node): spec.nodeSelector, then the required terms (ORed). */
export function requiredNodeAffinityMatches(pod: Pod, node: Node): boolean {
  const labels = node.metadata.labels ?? {};
  for (const [k, v] of Object.entries(pod.spec?.nodeSelector ?? {})) if (labels[k] !== v) return false;
  const required = pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
  if (!required) return true;
  return matchNodeSelectorTerms(required, node);
}
