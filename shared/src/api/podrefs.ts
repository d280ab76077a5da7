// The objects a pod refers to by name (podutil.VisitPodSecretNames / VisitPodConfigmapNames and the
// Node authorizer's graph): its service account, pull secrets, volume sources (a generic ephemeral
// volume's claim included) and env sources, in every container, ephemeral ones included.
import type { Pod } from './core.js';
import { volumeClaim } from './podclaims.js';

export type PodRefKind = 'secrets' | 'configmaps' | 'persistentvolumeclaims' | 'serviceaccounts';

export function podReferences(pod: Pod): [PodRefKind, string][] {
  const out: [PodRefKind, string][] = [];
  const spec = pod.spec;
  if (!spec) return out;
  out.push(['serviceaccounts', spec.serviceAccountName || 'default']);
  for (const s of spec.imagePullSecrets ?? []) if (s.name) out.push(['secrets', s.name]);
  for (const v of spec.volumes ?? []) {
    if (v.secret?.secretName) out.push(['secrets', v.secret.secretName]);
    if (v.configMap?.name) out.push(['configmaps', v.configMap.name]);
    const claim = volumeClaim(pod, v)?.name;
    if (claim) out.push(['persistentvolumeclaims', claim]);
    for (const src of v.projected?.sources ?? []) {
      if (src.secret?.name) out.push(['secrets', src.secret.name]);
      if (src.configMap?.name) out.push(['configmaps', src.configMap.name]);
    }
  }
  for (const c of [...(spec.initContainers ?? []), ...(spec.containers ?? []), ...(spec.ephemeralContainers ?? [])]) {
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
