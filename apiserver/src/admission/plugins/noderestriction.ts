// NodeRestriction (plugin/pkg/admission/noderestriction, facts §7): a kubelet may modify only its
// own Node (no restricted labels, no taint changes), only mirror pods bound to it, the status of
// its own pods, and its own Lease.

import { isDeepStrictEqual } from 'node:util';
import type { KubeObject, Node, Pod } from '@mkube/shared/api';
import { type GroupResource, newForbidden } from '@mkube/shared/apierrors';
import { nodeNameOf } from '../../auth/node/index.js';
import type { AdmissionAttributes, AdmissionPlugin } from '../types.js';

const MIRROR = 'kubernetes.io/config.mirror';
const KUBELET_LABELS = new Set([
  'kubernetes.io/hostname',
  'kubernetes.io/arch',
  'kubernetes.io/os',
  'beta.kubernetes.io/arch',
  'beta.kubernetes.io/os',
  'beta.kubernetes.io/instance-type',
  'node.kubernetes.io/instance-type',
  'failure-domain.beta.kubernetes.io/region',
  'failure-domain.beta.kubernetes.io/zone',
  'topology.kubernetes.io/region',
  'topology.kubernetes.io/zone',
]);

function domainOf(key: string): string {
  const i = key.indexOf('/');
  return i < 0 ? '' : key.slice(0, i);
}

const under = (domain: string, root: string) => domain === root || domain.endsWith(`.${root}`);

/** Labels a node may not set or change (upstream getLabelsForbiddenToSet). */
export function isRestrictedLabel(key: string): boolean {
  const d = domainOf(key);
  if (under(d, 'node-restriction.kubernetes.io')) return true;
  if (!(under(d, 'kubernetes.io') || under(d, 'k8s.io'))) return false;
  if (KUBELET_LABELS.has(key) || under(d, 'kubelet.kubernetes.io') || under(d, 'node.kubernetes.io')) return false;
  return true;
}

function changedLabels(next: KubeObject, old: KubeObject | undefined): string[] {
  const a = next.metadata.labels ?? {};
  const b = old?.metadata.labels ?? {};
  return [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((k) => a[k] !== b[k]).sort();
}

export const nodeRestriction: AdmissionPlugin = {
  name: 'NodeRestriction',
  handles: () => true,
  async validate(a: AdmissionAttributes) {
    if (!a.user.groups.includes('system:nodes')) return;
    const node = nodeNameOf(a.user);
    const gr: GroupResource = { group: a.group, resource: a.resource };
    if (!node) throw newForbidden(gr, a.name, `could not determine node from user "${a.user.username}"`);
    if (a.group === '' && a.resource === 'nodes') {
      if (a.name !== node) throw newForbidden(gr, a.name, `node "${node}" is not allowed to modify node "${a.name}"`);
      if (a.operation === 'DELETE')
        throw newForbidden(gr, a.name, `node "${node}" is not allowed to delete node "${a.name}"`);
      const next = a.object as Node;
      const forbidden = changedLabels(next, a.oldObject).filter(isRestrictedLabel);
      if (forbidden.length) {
        const verb = a.operation === 'CREATE' ? 'set the following labels' : 'modify labels';
        throw newForbidden(gr, a.name, `node "${node}" is not allowed to ${verb}: ${forbidden.join(', ')}`);
      }
      if (
        a.operation === 'UPDATE' &&
        !a.subresource &&
        !isDeepStrictEqual((a.oldObject as Node).spec?.taints ?? [], next.spec?.taints ?? [])
      ) {
        throw newForbidden(gr, a.name, `node "${node}" is not allowed to modify taints`);
      }
      return;
    }
    if (a.group === '' && a.resource === 'pods') {
      if (a.operation === 'CREATE' && !a.subresource) {
        const pod = a.object as Pod;
        if (!pod.metadata.annotations?.[MIRROR])
          throw newForbidden(
            gr,
            a.name,
            `pod does not have "${MIRROR}" annotation, node "${node}" can only create mirror pods`,
          );
        if (pod.spec?.nodeName !== node)
          throw newForbidden(gr, a.name, `node "${node}" can only create pods with spec.nodeName set to itself`);
        const refs = pod.spec?.volumes?.some((v) => v.secret || v.configMap || v.persistentVolumeClaim || v.projected);
        if (refs || (pod.spec?.serviceAccountName && pod.spec.serviceAccountName !== 'default')) {
          throw newForbidden(
            gr,
            a.name,
            `node "${node}" can not create pods that reference secrets, configmaps, service accounts or persistent volume claims`,
          );
        }
        return;
      }
      const bound = (a.oldObject as Pod | undefined)?.spec?.nodeName;
      if (a.operation === 'DELETE' || (a.operation === 'UPDATE' && a.subresource === 'status')) {
        if (bound !== node)
          throw newForbidden(
            gr,
            a.name,
            `node "${node}" can only ${a.operation === 'DELETE' ? 'delete' : 'update status of'} pods with spec.nodeName set to itself`,
          );
        if (a.operation === 'UPDATE' && changedLabels(a.object!, a.oldObject).length)
          throw newForbidden(gr, a.name, `node "${node}" cannot update labels through pod status`);
        return;
      }
      throw newForbidden(gr, a.name, `node "${node}" can only create and delete mirror pods`);
    }
    if (a.group === 'coordination.k8s.io' && a.resource === 'leases') {
      if (a.namespace !== 'kube-node-lease' || a.name !== node) {
        throw newForbidden(gr, a.name, 'can only access node lease with the same name as the requesting node');
      }
    }
  },
};
