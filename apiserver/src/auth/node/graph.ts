// The Node authorizer's graph (plugin/pkg/auth/authorizer/node/graph.go), reduced to what mkube
// serves: pod → node by spec.nodeName, and secret/configmap/pvc/serviceaccount → pod by reference.
// A node may reach an object only through a pod bound to it.
import { type Pod, type PodRefKind, podReferences } from '@mkube/shared/api';

export type RefKind = PodRefKind;

/** object key (`kind/ns/name`) → node → number of pods on that node referencing it. */
export class NodeGraph {
  private readonly edges = new Map<string, Map<string, number>>();
  private readonly podNode = new Map<string, { node: string; keys: string[] }>();

  private static key(kind: string, ns: string, name: string): string {
    return `${kind}/${ns}/${name}`;
  }

  setPod(pod: Pod): void {
    this.deletePod(pod);
    const node = pod.spec?.nodeName;
    if (!node) return;
    const ns = pod.metadata.namespace ?? '';
    const keys = [
      NodeGraph.key('pods', ns, pod.metadata.name ?? ''),
      ...podReferences(pod).map(([k, n]) => NodeGraph.key(k, ns, n)),
    ];
    for (const k of keys) {
      const m = this.edges.get(k) ?? new Map<string, number>();
      m.set(node, (m.get(node) ?? 0) + 1);
      this.edges.set(k, m);
    }
    this.podNode.set(`${ns}/${pod.metadata.name}`, { node, keys });
  }

  deletePod(pod: Pod): void {
    const id = `${pod.metadata.namespace ?? ''}/${pod.metadata.name}`;
    const prev = this.podNode.get(id);
    if (!prev) return;
    for (const k of prev.keys) {
      const m = this.edges.get(k);
      const n = (m?.get(prev.node) ?? 0) - 1;
      if (!m) continue;
      if (n > 0) m.set(prev.node, n);
      else m.delete(prev.node);
      if (m.size === 0) this.edges.delete(k);
    }
    this.podNode.delete(id);
  }

  /** Whether a pod bound to `node` references (or is) the object. */
  related(node: string, kind: RefKind | 'pods', namespace: string, name: string): boolean {
    return this.edges.get(NodeGraph.key(kind, namespace, name))?.has(node) ?? false;
  }
}
