// ServiceAccount admission (plugin/pkg/admission/serviceaccount): a pod runs as
// spec.serviceAccountName, "default" when unset, and that account must exist. Mirror pods (static
// pods of a kubelet) may not name one and are not checked.
import type { KubeObject, Pod } from '@mkube/shared/api';
import { newForbidden } from '@mkube/shared/apierrors';
import type { AdmissionPlugin } from '../types.js';

const MIRROR = 'kubernetes.io/config.mirror';

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
      if (pod.metadata.annotations?.[MIRROR] || !pod.spec) return;
      pod.spec.serviceAccountName ||= 'default';
    },
    async validate(a) {
      if (!isPodCreate(a)) return;
      const pod = a.object as Pod;
      if (pod.metadata.annotations?.[MIRROR]) {
        if (pod.spec?.serviceAccountName && pod.spec.serviceAccountName !== 'default') {
          throw newForbidden(
            { group: '', resource: 'pods' },
            a.name,
            'a mirror pod may not reference service accounts',
          );
        }
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
