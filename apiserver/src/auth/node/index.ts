// The Node authorizer (plugin/pkg/auth/authorizer/node, facts §7): a kubelet (user system:node:<n>
// in group system:nodes) reads only what pods bound to it need, the attachments to it, its own
// Node, Lease and CSINode, and otherwise what the static system:node rules allow. Anything it does
// not decide is NoOpinion.
import type { PersistentVolume, Pod, PodCertificateRequest, PolicyRule, VolumeAttachment } from '@mkube/shared/api';
import type { Attributes, AuthorizationResult, Authorizer } from '@mkube/shared/auth';
import { NODE_USER_PREFIX as NODE_PREFIX, NODES_GROUP } from '@mkube/shared/certificates';
import { DEFAULT_FEATURE_GATE, type FeatureGate } from '@mkube/shared/featuregate';
import type { Informer } from '../../informers/index.js';
import { NODE_CLUSTER_TRUST_BUNDLE_RULE } from '../bootstrappolicy/policy.js';
import { ruleAllows } from '../rbac/rules.js';
import { authorizeCSINode } from './csinode.js';
import { NodeGraph } from './graph.js';
import { authorizeGet, authorizeRelated, authorizeStatusUpdate } from './graphchecks.js';

export { NODES_GROUP } from '@mkube/shared/certificates';

/** The node a user is, or undefined (not a node, or a node user with no name). */
export function nodeNameOf(user: { username: string; groups: readonly string[] }): string | undefined {
  if (!user.groups.includes(NODES_GROUP) || !user.username.startsWith(NODE_PREFIX)) return undefined;
  return user.username.slice(NODE_PREFIX.length) || undefined;
}

/** The static system:node rules (bootstrappolicy NodeRules), for what the graph does not cover. */
export const NODE_RULES: readonly PolicyRule[] = [
  { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch'] },
  { apiGroups: [''], resources: ['services', 'endpoints'], verbs: ['get', 'list', 'watch'] },
  { apiGroups: ['', 'events.k8s.io'], resources: ['events'], verbs: ['create', 'update', 'patch'] },
  {
    apiGroups: ['certificates.k8s.io'],
    resources: ['certificatesigningrequests'],
    verbs: ['create', 'get', 'list', 'watch'],
  },
  { apiGroups: ['authentication.k8s.io'], resources: ['tokenreviews'], verbs: ['create'] },
  {
    apiGroups: ['authorization.k8s.io'],
    resources: ['subjectaccessreviews', 'localsubjectaccessreviews'],
    verbs: ['create'],
  },
  // Which drivers need an attach, pod info or tokens: the kubelet's CSI plugin watches them all.
  { apiGroups: ['storage.k8s.io'], resources: ['csidrivers'], verbs: ['get', 'list', 'watch'] },
  // The kubelet resolves a pod's runtimeClassName to its handler before starting the pod.
  { apiGroups: ['node.k8s.io'], resources: ['runtimeclasses'], verbs: ['get', 'list', 'watch'] },
];

const allow = (reason = ''): AuthorizationResult => ({ decision: 'Allow', reason });
const noOpinion = (reason = ''): AuthorizationResult => ({ decision: 'NoOpinion', reason });

/** Whether a request's field selector has the term `spec.nodeName=<node>` (of those that parsed). */
function selectsNode(a: Attributes, node: string): boolean {
  return (a.fieldSelector?.requirements ?? []).some(
    (r) => r.field === 'spec.nodeName' && r.operator === '=' && r.value === node,
  );
}

export class NodeAuthorizer implements Authorizer {
  private readonly graph = new NodeGraph();
  readonly #rules: readonly PolicyRule[];
  /** With the PodCertificateRequest gate: the requests, each tied to the node its spec names. */
  readonly #pcrs: Informer<PodCertificateRequest> | undefined;

  constructor(pods: Informer<Pod>, gates: FeatureGate = DEFAULT_FEATURE_GATE, pcrs?: Informer<PodCertificateRequest>) {
    this.#pcrs = gates.enabled('PodCertificateRequest') ? pcrs : undefined;
    this.#rules = gates.enabled('ClusterTrustBundle') ? [...NODE_RULES, NODE_CLUSTER_TRUST_BUNDLE_RULE] : NODE_RULES;
    pods.addHandlers({
      onAdd: (p) => this.graph.setPod(p),
      onUpdate: (p) => this.graph.setPod(p),
      onDelete: (p) => this.graph.deletePod(p),
    });
  }

  /** PersistentVolumes join the graph: pv → pvc by claimRef, secret → pv by what the source names. */
  addPersistentVolumes(pvs: Informer<PersistentVolume>): void {
    pvs.addHandlers({
      onAdd: (pv) => this.graph.setPV(pv),
      onUpdate: (pv) => this.graph.setPV(pv),
      onDelete: (pv) => this.graph.deletePV(pv),
    });
  }

  /** VolumeAttachments join the graph: an attachment → the node its spec names. */
  addVolumeAttachments(vas: Informer<VolumeAttachment>): void {
    vas.addHandlers({
      onAdd: (va) => this.graph.setVolumeAttachment(va),
      onUpdate: (va) => this.graph.setVolumeAttachment(va),
      onDelete: (va) => this.graph.deleteVolumeAttachment(va),
    });
  }

  async authorize(a: Attributes): Promise<AuthorizationResult> {
    const node = nodeNameOf(a.user);
    if (!node) return noOpinion();
    if (!a.isResourceRequest) return this.rules(a);
    const noRelation = noOpinion(`no relationship found between node '${node}' and this object`);
    const core = a.apiGroup === '';
    if (core && (a.resource === 'secrets' || a.resource === 'configmaps')) {
      if (!['get', 'list', 'watch'].includes(a.verb)) return noOpinion('can only read resources of this type');
      if (a.subresource) return noOpinion('cannot read subresource');
      if (!a.namespace) return noOpinion('can only read namespaced object of this type');
      return authorizeRelated(this.graph, node, a.resource, a);
    }
    if (core && a.resource === 'persistentvolumeclaims') {
      return a.subresource === 'status'
        ? authorizeStatusUpdate(this.graph, node, 'persistentvolumeclaims', a)
        : authorizeGet(this.graph, node, 'persistentvolumeclaims', a);
    }
    if (core && a.resource === 'persistentvolumes') return authorizeGet(this.graph, node, 'persistentvolumes', a);
    const storage = a.apiGroup === 'storage.k8s.io';
    if (storage && a.resource === 'volumeattachments') {
      return authorizeGet(this.graph, node, 'volumeattachments', a);
    }
    if (storage && a.resource === 'csinodes') return authorizeCSINode(node, a);
    if (core && a.resource === 'serviceaccounts') {
      // The kubelet reads the account of a pod it runs for its UID (a podCertificate request names it).
      if (this.#pcrs && a.verb === 'get' && !a.subresource && a.name) {
        return this.graph.related(node, 'serviceaccounts', a.namespace, a.name) ? allow() : noRelation;
      }
      if (a.subresource !== 'token' || a.verb !== 'create')
        return noOpinion('can only create tokens for individual service accounts');
      return this.graph.related(node, 'serviceaccounts', a.namespace, a.name) ? allow() : noRelation;
    }
    if (a.apiGroup === 'coordination.k8s.io' && a.resource === 'leases') {
      if (!['get', 'create', 'update', 'patch', 'delete'].includes(a.verb) || a.subresource) {
        return noOpinion('can only get, create, update, patch, or delete a node lease');
      }
      if (a.namespace !== 'kube-node-lease')
        return noOpinion('can only access leases in the "kube-node-lease" system namespace');
      // A create names no object in its URL: NodeRestriction checks the name at admission.
      if (a.verb !== 'create' && a.name !== node) {
        return noOpinion('can only access node lease with the same name as the requesting node');
      }
      return allow();
    }
    if (core && a.resource === 'nodes') {
      if (a.subresource === 'status') return ['update', 'patch'].includes(a.verb) ? allow() : noOpinion();
      if (a.subresource) return noOpinion();
      // NodeRestriction limits writes to the node's own object.
      if (['create', 'update', 'patch'].includes(a.verb)) return allow();
      // A list or watch with a metadata.name field selector names its object (RequestInfo), as upstream.
      if (['get', 'list', 'watch'].includes(a.verb)) {
        if (a.name === node) return allow();
        return noOpinion(
          a.name
            ? `node '${node}' cannot read '${a.name}', only its own Node object`
            : `node '${node}' cannot read all nodes, only its own Node object`,
        );
      }
      return noOpinion();
    }
    if (core && a.resource === 'pods') {
      if (a.subresource === 'status') return ['update', 'patch'].includes(a.verb) ? allow() : noOpinion();
      if (a.subresource === 'eviction') return a.verb === 'create' ? allow() : noOpinion();
      if (a.subresource) return noOpinion();
      // Mirror pods: NodeRestriction limits what a node may create and delete.
      if (a.verb === 'create' || a.verb === 'delete') return allow();
      if (a.verb === 'get') return this.graph.related(node, 'pods', a.namespace, a.name) ? allow() : noRelation;
      if (a.verb === 'list' || a.verb === 'watch') {
        // AuthorizeNodeWithSelectors (default on since 1.32): its own pods by spec.nodeName, or one related pod.
        if (selectsNode(a, node)) return allow();
        if (a.name) return this.graph.related(node, 'pods', a.namespace, a.name) ? allow() : noRelation;
        return noOpinion('can only list/watch pods with spec.nodeName field selector');
      }
      return noOpinion();
    }
    if (this.#pcrs && a.apiGroup === 'certificates.k8s.io' && a.resource === 'podcertificaterequests') {
      return this.podCertificateRequest(a, node, noRelation);
    }
    return this.rules(a);
  }

  /**
   * Any create (NodeRestriction checks what it names), a get of one naming this node in
   * spec.nodeName, a list or watch selecting spec.nodeName=<self>; never /status.
   */
  private podCertificateRequest(a: Attributes, node: string, noRelation: AuthorizationResult): AuthorizationResult {
    if (a.subresource) return noOpinion();
    if (a.verb === 'create') return allow();
    if (a.verb === 'get') {
      return this.#pcrs?.get(a.namespace, a.name)?.spec?.nodeName === node ? allow() : noRelation;
    }
    if (a.verb === 'list' || a.verb === 'watch') {
      if (selectsNode(a, node)) return allow();
      return noOpinion('can only list/watch podcertificaterequests with nodeName field selector');
    }
    return noOpinion();
  }

  private rules(a: Attributes): AuthorizationResult {
    return this.#rules.some((r) => ruleAllows(a, r)) ? allow() : noOpinion();
  }
}
