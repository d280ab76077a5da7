// Whether a node can reach a volume (component-helpers storage/volume CheckNodeAffinity): the PV's
// required node affinity against the node's labels only. Upstream builds a Node that has nothing but
// the labels, so a metadata.name field requirement never matches here.
import type { PersistentVolume } from '../api/index.js';
import { matchNodeSelectorTerms } from '../selectors/index.js';

/** CheckNodeAffinity's refusal, undefined when the node may use the volume. */
export function checkVolumeNodeAffinity(
  pv: PersistentVolume,
  nodeLabels: Readonly<Record<string, string>>,
): string | undefined {
  const required = pv.spec?.nodeAffinity?.required;
  if (!required) return undefined;
  const node = { apiVersion: 'v1', kind: 'Node', metadata: { name: '', labels: { ...nodeLabels } } };
  return matchNodeSelectorTerms(required, node) ? undefined : 'no matching NodeSelectorTerms';
}

export function volumeNodeAffinityMatches(pv: PersistentVolume, nodeLabels: Readonly<Record<string, string>>): boolean {
  return checkVolumeNodeAffinity(pv, nodeLabels) === undefined;
}
