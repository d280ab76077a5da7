// The Node authorizer's graph (plugin/pkg/auth/authorizer/node/graph.go), reduced to what mkube
// serves: pod → node by spec.nodeName, and secret/configmap/pvc/serviceaccount → pod by reference.
// A node may reach an object only through a pod bound to it.
import type { Pod } from '@mkube/shared/api';

export type RefKind = 'secrets' | 'configmaps' | 'persistentvolumeclaims' | 'serviceaccounts';

function refsOf(pod: Pod): [RefKind, string][] {
  const out: [RefKind, string][] = [];
  const spec = pod.spec;
  if (!spec) return out;
  out.push(['serviceaccounts', spec.serviceAccountName || 'default']);
  for (const s of spec.imagePullSecrets ?? []) if (s.name) out.push(['secrets', s.name]);
  for (const v of spec.volumes ?? []) {
    if (v.secret?.secretName) out.push(['secrets', v.secret.secretName]);
    if (v.configMap?.name) out.push(['configmaps', v.configMap.name]);
    if (v.persistentVolumeClaim?.claimName) out.push(['persistentvolumeclaims', v.persistentVolumeClaim.claimName]);
    for (const src of v.projected?.sources ?? []) {
      if (src.secret?.name) out.push(['secrets', src.secret.name]);
      if (src.configMap?.name) out.push(['configmaps', src.configMap.name]);
    }
  }
  for (const c of [...(spec.initContainers ?? []), ...(spec.containers ?? [])]) {
    for (const e of c.env ?? []) {
      if (e.valueFrom?.secretKeyRef?.name) out.push(['secrets', e.valueFrom.secretKeyRef.name]);
      if (e.valueFrom?.configMapKeyRef?.name) out.push(['configmaps', e.valueFrom.configMapKeyRef.name]);
    }
    type EnvFrom = { secretRef?: { name?: string }; configMapRef?: { name?: string } };
    for (const f of (c as { envFrom?: EnvFrom[] }).envFrom ?? []) {
      if (f.secretRef?.name) out.push(['secrets', f.secretRef.name]);
      if (f.configMapRef?.name) out.push(['configmaps', f.configMapRef.name]);
    }
  }
  return out;
}

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
      ...refsOf(pod).map(([k, n]) => NodeGraph.key(k, ns, n)),
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
