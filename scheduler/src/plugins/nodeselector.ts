// A pod's required node affinity against a node (component-helpers scheduling/corev1/nodeaffinity);
// one term's matching is shared with the PV binder and the kubelet (@mkube/shared/selectors).
import type { Node } from '@mkube/shared/api';
import { matchNodeSelectorTerms, nodeSelectorTermMatches } from '@mkube/shared/selectors';
import type { Pod } from '../api/index.js';

export { nodeSelectorTermMatches as termMatches };

/** nodeaffinity.GetRequiredNodeAffinity(pod).Match(node): spec.nodeSelector and the required terms. */
export function requiredNodeAffinityMatches(pod: Pod, node: Node): boolean {
  const labels = node.metadata?.labels ?? {};
  for (const [k, v] of Object.entries(pod.spec?.nodeSelector ?? {})) if (labels[k] !== v) return false;
  const required = pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
  if (!required) return true;
  return matchNodeSelectorTerms(required, node);
}
