// NodeRestriction (plugin/pkg/admission/noderestriction, facts §7): a kubelet may modify only its
// own Node (no restricted labels, no taint changes), only mirror pods bound to it, the status of
// its own pods, its own Lease and CSINode, and of a claim only the status fields volume expansion
// reports.

import { isDeepStrictEqual } from 'node:util';
import { type KubeObject, MIRROR_POD_ANNOTATION, type Node, type Pod, type TokenRequest } from '@mkube/shared/api';
import { type GroupResource, newForbidden, newNotFound } from '@mkube/shared/apierrors';
import type { Authorizer } from '@mkube/shared/auth';
import { DEFAULT_FEATURE_GATE } from '@mkube/shared/featuregate';
import { nodeNameOf } from '../../auth/node/index.js';
import type { AdmissionAttributes, AdmissionPlugin } from '../types.js';
import { admitPodCertificateRequest, type PodCertificateRequestLookups } from './noderestriction-pcr.js';
import { admitPVC } from './noderestriction-pvc.js';

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

/** What the token check reads: the pod a token is bound to, and the authorizer for other audiences. */
export interface NodeRestrictionDeps extends Partial<PodCertificateRequestLookups> {
  readonly getPod?: (namespace: string, name: string) => Promise<Pod | undefined>;
  readonly authorizer?: Authorizer;
}

/**
 * A node's TokenRequest must be bound to a pod (by name and uid) scheduled on that node, and, as
 * ServiceAccountNodeAudienceRestriction (default on since 1.33), ask only for audiences the pod's
 * projected token volumes name — or ones RBAC lets the node `request-serviceaccounts-token-audience`.
 */
async function admitServiceAccountToken(
  a: AdmissionAttributes,
  node: string,
  gr: GroupResource,
  deps: NodeRestrictionDeps,
): Promise<void> {
  if (a.operation !== 'CREATE') return;
  const tr = a.object as TokenRequest | undefined;
  const ref = tr?.spec?.boundObjectRef;
  if (ref?.apiVersion !== 'v1' || ref.kind !== 'Pod' || !ref.name) {
    throw newForbidden(gr, a.name, 'node requested token not bound to a pod');
  }
  if (!ref.uid) throw newForbidden(gr, a.name, 'node requested token with a pod binding without a uid');
  const pod = await deps.getPod?.(a.namespace, ref.name);
  if (!pod) throw newNotFound({ group: '', resource: 'pods' }, ref.name);
  if (ref.uid !== pod.metadata.uid) {
    throw newForbidden(
      gr,
      a.name,
      `the UID in the bound object reference (${ref.uid}) does not match the UID in record. The object might have been deleted and then recreated`,
    );
  }
  if (pod.spec?.nodeName !== node) {
    throw newForbidden(gr, a.name, 'node requested token bound to a pod scheduled on a different node');
  }
  const inPod = new Set<string>();
  for (const v of pod.spec?.volumes ?? []) {
    for (const src of v.projected?.sources ?? []) {
      if (src.serviceAccountToken) inPod.add(src.serviceAccountToken.audience ?? '');
    }
  }
  for (const audience of tr!.spec.audiences ?? []) {
    if (inPod.has(audience)) continue;
    const allowed = await deps.authorizer?.authorize({
      user: a.user,
      verb: 'request-serviceaccounts-token-audience',
      isResourceRequest: true,
      path: '',
      namespace: a.namespace,
      apiGroup: '',
      apiVersion: '',
      resource: audience,
      subresource: '',
      name: a.name,
    });
    if (allowed?.decision !== 'Allow') {
      throw newForbidden(
        gr,
        a.name,
        `audience ${JSON.stringify(audience)} not found in pod spec volume, ${a.user.username} is not authorized to request tokens for this audience`,
      );
    }
  }
}

export function nodeRestrictionPlugin(deps: NodeRestrictionDeps = {}): AdmissionPlugin {
  return {
    name: 'NodeRestriction',
    // Upstream's handler: CREATE, UPDATE and DELETE (a node's exec or proxy is RBAC's and the Node authorizer's).
    handles: (op) => op !== 'CONNECT',
    // Upstream's plugin is a mutating one: the claim check must see the object as the node sent it.
    async admit(a: AdmissionAttributes) {
      if (a.group !== '' || a.resource !== 'persistentvolumeclaims' || !a.user.groups.includes('system:nodes')) return;
      const node = nodeNameOf(a.user);
      const gr: GroupResource = { group: a.group, resource: a.resource };
      if (!node) throw newForbidden(gr, a.name, `could not determine node from user "${a.user.username}"`);
      admitPVC(a, node, gr);
    },
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
        if (a.operation === 'CREATE' && a.subresource === 'eviction') {
          if ((a.oldObject as Pod | undefined)?.spec?.nodeName !== node)
            throw newForbidden(gr, a.name, `node ${node} can only evict pods with spec.nodeName set to itself`);
          return;
        }
        if (a.operation === 'CREATE' && !a.subresource) {
          const pod = a.object as Pod;
          if (!pod.metadata.annotations?.[MIRROR_POD_ANNOTATION])
            throw newForbidden(
              gr,
              a.name,
              `pod does not have "${MIRROR_POD_ANNOTATION}" annotation, node "${node}" can only create mirror pods`,
            );
          if (pod.spec?.nodeName !== node)
            throw newForbidden(gr, a.name, `node "${node}" can only create pods with spec.nodeName set to itself`);
          const refs = pod.spec?.volumes?.some(
            (v) => v.secret || v.configMap || v.persistentVolumeClaim || v.projected,
          );
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
      if (a.group === '' && a.resource === 'serviceaccounts' && a.subresource === 'token') {
        await admitServiceAccountToken(a, node, gr, deps);
        return;
      }
      if (a.group === 'certificates.k8s.io' && a.resource === 'podcertificaterequests') {
        await admitPodCertificateRequest(a, node, gr, { ...deps, gates: deps.gates ?? DEFAULT_FEATURE_GATE });
        return;
      }
      if (a.group === 'storage.k8s.io' && a.resource === 'csinodes') {
        // A create is checked by the object's name: its URL names none.
        const name = a.operation === 'CREATE' ? (a.object as KubeObject | undefined)?.metadata?.name : a.name;
        if (name !== node) {
          throw newForbidden(gr, a.name, 'can only access CSINode with the same name as the requesting node');
        }
        return;
      }
      if (a.group === 'coordination.k8s.io' && a.resource === 'leases') {
        if (a.namespace !== 'kube-node-lease' || a.name !== node) {
          throw newForbidden(gr, a.name, 'can only access node lease with the same name as the requesting node');
        }
      }
    },
  };
}

export const nodeRestriction: AdmissionPlugin = nodeRestrictionPlugin();
