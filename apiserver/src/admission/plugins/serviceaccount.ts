// ServiceAccount admission (plugin/pkg/admission/serviceaccount): a pod runs as
// spec.serviceAccountName, "default" when unset, and that account must exist. Unless the pod or its
// account turns automountServiceAccountToken off, the pod gets upstream's `kube-api-access-<5>`
// projected volume (a bound token of 3607 s, the cluster CA from kube-root-ca.crt, its namespace)
// mounted read-only at /var/run/secrets/kubernetes.io/serviceaccount in every container that has
// nothing there. Mirror pods (static pods of a kubelet) may not name one and are not checked.
import { randomInt } from 'node:crypto';
import {
  type KubeObject,
  MIRROR_POD_ANNOTATION,
  type Pod,
  podReferences,
  type ServiceAccount,
  type Volume,
} from '@mkube/shared/api';
import { newForbidden } from '@mkube/shared/apierrors';
import type { AdmissionPlugin } from '../types.js';

export const TOKEN_MOUNT_PATH = '/var/run/secrets/kubernetes.io/serviceaccount';
/** utilrand.String's alphabet: no vowels, no confusable characters. */
const ALPHANUMS = 'bcdfghjklmnpqrstvwxz2456789';

function apiAccessVolume(): Volume {
  let suffix = '';
  for (let i = 0; i < 5; i++) suffix += ALPHANUMS[randomInt(ALPHANUMS.length)];
  return {
    name: `kube-api-access-${suffix}`,
    projected: {
      defaultMode: 0o644,
      sources: [
        { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
        { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
        {
          downwardAPI: {
            items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }],
          },
        },
      ],
    },
  };
}

/** What a mirror pod may not name (upstream's checks, in its order): it runs without an account or secrets. */
function mirrorPodProblem(pod: Pod): string | undefined {
  if (pod.spec?.serviceAccountName) return 'a mirror pod may not reference service accounts';
  if (podReferences(pod).some(([kind]) => kind === 'secrets')) return 'a mirror pod may not reference secrets';
  if (pod.spec?.volumes?.some((v) => v.projected?.sources?.some((src) => src.serviceAccountToken))) {
    return 'a mirror pod may not use ServiceAccountToken volume projections';
  }
  return undefined;
}

export function serviceAccountAdmission(
  get: (namespace: string, name: string) => Promise<KubeObject | undefined>,
): AdmissionPlugin {
  const isPodCreate = (a: { group: string; resource: string; subresource: string }) =>
    a.group === '' && a.resource === 'pods' && !a.subresource;
  return {
    name: 'ServiceAccount',
    handles: (op) => op === 'CREATE',
    async admit(a) {
      if (!isPodCreate(a)) return;
      const pod = a.object as Pod;
      if (pod.metadata.annotations?.[MIRROR_POD_ANNOTATION] || !pod.spec) return;
      pod.spec.serviceAccountName ||= 'default';
      const sa = (await get(a.namespace, pod.spec.serviceAccountName)) as ServiceAccount | undefined;
      // A pod naming no pull secrets gets its account's (upstream's ServiceAccount admission).
      if (!pod.spec.imagePullSecrets?.length && sa?.imagePullSecrets?.length) {
        pod.spec.imagePullSecrets = sa.imagePullSecrets.map((r) => ({ name: r.name ?? '' }));
      }
      const automount = pod.spec.automountServiceAccountToken ?? sa?.automountServiceAccountToken ?? true;
      if (!automount) return;
      const containers = [...(pod.spec.initContainers ?? []), ...pod.spec.containers];
      const needs = containers.filter((c) => !c.volumeMounts?.some((m) => m.mountPath === TOKEN_MOUNT_PATH));
      if (needs.length === 0) return;
      const volume = apiAccessVolume();
      pod.spec.volumes = [...(pod.spec.volumes ?? []), volume];
      for (const c of needs) {
        c.volumeMounts = [
          ...(c.volumeMounts ?? []),
          { name: volume.name, readOnly: true, mountPath: TOKEN_MOUNT_PATH },
        ];
      }
    },
    async validate(a) {
      if (!isPodCreate(a)) return;
      const pod = a.object as Pod;
      if (pod.metadata.annotations?.[MIRROR_POD_ANNOTATION]) {
        const refused = mirrorPodProblem(pod);
        if (refused) throw newForbidden({ group: '', resource: 'pods' }, a.name, refused);
        return;
      }
      const sa = pod.spec?.serviceAccountName || 'default';
      if (!(await get(a.namespace, sa))) {
        throw newForbidden(
          { group: '', resource: 'pods' },
          a.name,
          `error looking up service account ${a.namespace}/${sa}: serviceaccount "${sa}" not found`,
        );
      }
    },
  };
}
