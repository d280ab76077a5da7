// The Node authorizer's graph (plugin/pkg/auth/authorizer/node/graph.go), reduced to what mkube
// serves. Edges point toward nodes:
//   pod → node (spec.nodeName); secret/configmap/pvc/serviceaccount → pod (by reference);
//   pv → pvc (the PV's spec.claimRef); secret → pv (the secrets its source names for the kubelet);
//   volumeattachment → node (spec.nodeName).
// A node reaches an object only through a pod bound to it; edges into other nodes are not followed.
import {
  type PersistentVolume,
  type Pod,
  type PodRefKind,
  podReferences,
  type VolumeAttachment,
} from '@mkube/shared/api';
import { kubeletVisiblePVSecrets } from './pvsecrets.js';

export type RefKind = PodRefKind | 'pods' | 'persistentvolumes' | 'volumeattachments';

const key = (kind: string, ns: string, name: string) => `${kind}/${ns}/${name}`;

interface PVVertex {
  readonly claim: string;
  readonly secrets: readonly string[];
}

export class NodeGraph {
  /** object key (`kind/ns/name`) → node → number of pods on that node referencing it. */
  private readonly podEdges = new Map<string, Map<string, number>>();
  private readonly podNode = new Map<string, { node: string; keys: string[] }>();
  /** PV name → its claim's key and its secrets' keys; only PVs with a claimRef are vertices. */
  private readonly pvs = new Map<string, PVVertex>();
  /** secret key → the PVs naming it. */
  private readonly secretPVs = new Map<string, Set<string>>();
  /** VolumeAttachment name → the node its spec names (only those that name one are vertices). */
  private readonly attachments = new Map<string, string>();

  setPod(pod: Pod): void {
    this.deletePod(pod);
    const node = pod.spec?.nodeName;
    if (!node) return;
    const ns = pod.metadata.namespace ?? '';
    const keys = [key('pods', ns, pod.metadata.name ?? ''), ...podReferences(pod).map(([k, n]) => key(k, ns, n))];
    for (const k of new Set(keys)) {
      const m = this.podEdges.get(k) ?? new Map<string, number>();
      m.set(node, (m.get(node) ?? 0) + 1);
      this.podEdges.set(k, m);
    }
    this.podNode.set(`${ns}/${pod.metadata.name}`, { node, keys: [...new Set(keys)] });
  }

  deletePod(pod: Pod): void {
    const id = `${pod.metadata.namespace ?? ''}/${pod.metadata.name}`;
    const prev = this.podNode.get(id);
    if (!prev) return;
    for (const k of prev.keys) {
      const m = this.podEdges.get(k);
      if (!m) continue;
      const n = (m.get(prev.node) ?? 0) - 1;
      if (n > 0) m.set(prev.node, n);
      else m.delete(prev.node);
      if (m.size === 0) this.podEdges.delete(k);
    }
    this.podNode.delete(id);
  }

  /** AddPV: its edges are rebuilt from the object; a PV without a claimRef leaves the graph. */
  setPV(pv: PersistentVolume): void {
    this.deletePV(pv);
    const ref = pv.spec?.claimRef;
    if (!ref) return;
    const name = pv.metadata.name ?? '';
    const secrets = kubeletVisiblePVSecrets(pv).map(([ns, s]) => key('secrets', ns, s));
    this.pvs.set(name, { claim: key('persistentvolumeclaims', ref.namespace ?? '', ref.name ?? ''), secrets });
    for (const s of secrets) {
      const set = this.secretPVs.get(s) ?? new Set<string>();
      set.add(name);
      this.secretPVs.set(s, set);
    }
  }

  deletePV(pv: PersistentVolume): void {
    const name = pv.metadata.name ?? '';
    const prev = this.pvs.get(name);
    if (!prev) return;
    for (const s of prev.secrets) {
      const set = this.secretPVs.get(s);
      set?.delete(name);
      if (set?.size === 0) this.secretPVs.delete(s);
    }
    this.pvs.delete(name);
  }

  /** AddVolumeAttachment: an edge straight to the node spec.nodeName names (immutable, so set once). */
  setVolumeAttachment(va: VolumeAttachment): void {
    const name = va.metadata.name ?? '';
    const node = va.spec?.nodeName;
    if (node) this.attachments.set(name, node);
    else this.attachments.delete(name);
  }

  deleteVolumeAttachment(va: VolumeAttachment): void {
    this.attachments.delete(va.metadata.name ?? '');
  }

  /** Whether a path object → … → `node` exists (PVs and attachments are cluster-scoped: namespace ''). */
  related(node: string, kind: RefKind, namespace: string, name: string): boolean {
    if (kind === 'persistentvolumes') return this.pvRelated(node, name);
    if (kind === 'volumeattachments') return this.attachments.get(name) === node;
    const k = key(kind, namespace, name);
    if (this.podEdges.get(k)?.has(node)) return true;
    if (kind !== 'secrets') return false;
    for (const pv of this.secretPVs.get(k) ?? []) if (this.pvRelated(node, pv)) return true;
    return false;
  }

  private pvRelated(node: string, pv: string): boolean {
    const v = this.pvs.get(pv);
    return v !== undefined && (this.podEdges.get(v.claim)?.has(node) ?? false);
  }
}
