// Every resource mkube serves, as data: discovery, OpenAPI, Table printers and the registry are all
// built from this one list. Verbs, short names and categories are what kube-apiserver 1.33 reports.
// What one apiserver serves is the part of it that --runtime-config and --feature-gates enable
// (an APICatalog); the functions at the end look in the whole list.
import type { Feature } from '@mkube/shared/featuregate';

export interface SubresourceDef {
  /** `status`, `log`, … (served as `<resource>/<name>`). */
  name: string;
  kind: string;
  /** The response kind's group/version when it differs from the parent's. */
  group?: string;
  version?: string;
  verbs: string[];
}

export interface ResourceDef {
  group: string;
  version: string;
  /** Plural, lower case: the URL segment. */
  resource: string;
  kind: string;
  listKind: string;
  singular: string;
  namespaced: boolean;
  shortNames: string[];
  categories: string[];
  /** Verbs as discovery lists them (sorted, as kube-apiserver does). */
  verbs: string[];
  subresources: SubresourceDef[];
  /** Sent as a Warning header on every request to the resource (v1 Endpoints since 1.33). */
  deprecationWarning?: string;
  /** Served only while this feature gate is on (and --runtime-config enables its version). */
  featureGate?: Feature;
}

/** The verbs of a fully stored resource (genericregistry.Store with every interface). */
const CRUD = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];
const CREATE_ONLY = ['create'];
const STATUS_VERBS = ['get', 'patch', 'update'];

interface Spec {
  group: string;
  version: string;
  resource: string;
  kind: string;
  namespaced: boolean;
  verbs?: string[];
  shortNames?: string[];
  categories?: string[];
  subresources?: SubresourceDef[];
  deprecationWarning?: string;
  featureGate?: Feature;
}

function def(s: Spec): ResourceDef {
  return {
    group: s.group,
    version: s.version,
    resource: s.resource,
    kind: s.kind,
    listKind: `${s.kind}List`,
    singular: s.kind.toLowerCase(),
    namespaced: s.namespaced,
    shortNames: s.shortNames ?? [],
    categories: s.categories ?? [],
    verbs: s.verbs ?? CRUD,
    subresources: s.subresources ?? [],
    ...(s.deprecationWarning ? { deprecationWarning: s.deprecationWarning } : {}),
    ...(s.featureGate ? { featureGate: s.featureGate } : {}),
  };
}

const core = (s: Omit<Spec, 'group' | 'version'>): ResourceDef => def({ group: '', version: 'v1', ...s });

const status = (kind: string): SubresourceDef => ({ name: 'status', kind, verbs: STATUS_VERBS });

/** The /scale subresource: an autoscaling/v1 Scale view of the parent's replicas. */
const scale = (): SubresourceDef => ({
  name: 'scale',
  kind: 'Scale',
  group: 'autoscaling',
  version: 'v1',
  verbs: STATUS_VERBS,
});

/** A review API: create-only, never stored (served by authn/authz in a later issue). */
const review = (group: string, resource: string, kind: string, namespaced: boolean): ResourceDef =>
  def({ group, version: 'v1', resource, kind, namespaced, verbs: CREATE_ONLY });

export const RESOURCES: readonly ResourceDef[] = Object.freeze([
  core({
    resource: 'namespaces',
    kind: 'Namespace',
    namespaced: false,
    // Namespaces have no deletecollection (pkg/registry/core/namespace/storage).
    verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
    shortNames: ['ns'],
    subresources: [{ name: 'finalize', kind: 'Namespace', verbs: ['update'] }, status('Namespace')],
  }),
  core({ resource: 'secrets', kind: 'Secret', namespaced: true }),
  core({ resource: 'configmaps', kind: 'ConfigMap', namespaced: true, shortNames: ['cm'] }),
  core({
    resource: 'persistentvolumes',
    kind: 'PersistentVolume',
    namespaced: false,
    shortNames: ['pv'],
    subresources: [status('PersistentVolume')],
  }),
  core({
    resource: 'persistentvolumeclaims',
    kind: 'PersistentVolumeClaim',
    namespaced: true,
    shortNames: ['pvc'],
    subresources: [status('PersistentVolumeClaim')],
  }),
  core({
    resource: 'serviceaccounts',
    kind: 'ServiceAccount',
    namespaced: true,
    shortNames: ['sa'],
    subresources: [
      { name: 'token', kind: 'TokenRequest', group: 'authentication.k8s.io', version: 'v1', verbs: CREATE_ONLY },
    ],
  }),
  core({
    resource: 'nodes',
    kind: 'Node',
    namespaced: false,
    shortNames: ['no'],
    subresources: [
      { name: 'proxy', kind: 'NodeProxyOptions', verbs: ['create', 'delete', 'get', 'patch', 'update'] },
      status('Node'),
    ],
  }),
  core({
    resource: 'pods',
    kind: 'Pod',
    namespaced: true,
    shortNames: ['po'],
    categories: ['all'],
    subresources: [
      { name: 'attach', kind: 'PodAttachOptions', verbs: ['create', 'get'] },
      { name: 'binding', kind: 'Binding', verbs: CREATE_ONLY },
      { name: 'ephemeralcontainers', kind: 'Pod', verbs: STATUS_VERBS },
      { name: 'eviction', kind: 'Eviction', group: 'policy', version: 'v1', verbs: CREATE_ONLY },
      { name: 'exec', kind: 'PodExecOptions', verbs: ['create', 'get'] },
      { name: 'log', kind: 'Pod', verbs: ['get'] },
      { name: 'portforward', kind: 'PodPortForwardOptions', verbs: ['create', 'get'] },
      status('Pod'),
    ],
  }),
  // Deprecated in 1.7 for pods/binding, still served: not stored, a create places the pod it names
  // (registry/core/binding.ts).
  core({ resource: 'bindings', kind: 'Binding', namespaced: true, verbs: CREATE_ONLY }),
  core({ resource: 'events', kind: 'Event', namespaced: true, shortNames: ['ev'] }),
  core({
    resource: 'services',
    kind: 'Service',
    namespaced: true,
    shortNames: ['svc'],
    categories: ['all'],
    subresources: [status('Service')],
  }),
  core({
    resource: 'endpoints',
    kind: 'Endpoints',
    namespaced: true,
    shortNames: ['ep'],
    deprecationWarning: 'v1 Endpoints is deprecated in v1.33+; use discovery.k8s.io/v1 EndpointSlice',
  }),
  // Namespace resource policy: LimitRanger admission applies LimitRanges to pods, ResourceQuota
  // admission charges writes against quotas, whose usage the resourcequota controller writes to /status.
  core({ resource: 'limitranges', kind: 'LimitRange', namespaced: true, shortNames: ['limits'] }),
  // Templates stored on their own; no controller reads them (upstream neither, beyond the API).
  core({ resource: 'podtemplates', kind: 'PodTemplate', namespaced: true }),
  // The ReplicaSet's predecessor, with a map selector: the controller-manager's replicationcontroller
  // controller runs the replicaset controller over it.
  core({
    resource: 'replicationcontrollers',
    kind: 'ReplicationController',
    namespaced: true,
    shortNames: ['rc'],
    categories: ['all'],
    subresources: [scale(), status('ReplicationController')],
  }),
  core({
    resource: 'resourcequotas',
    kind: 'ResourceQuota',
    namespaced: true,
    shortNames: ['quota'],
    subresources: [status('ResourceQuota')],
  }),
  // Not stored: each read probes the components (registry/core/componentstatus.ts).
  core({
    resource: 'componentstatuses',
    kind: 'ComponentStatus',
    namespaced: false,
    verbs: ['get', 'list'],
    shortNames: ['cs'],
    deprecationWarning: 'v1 ComponentStatus is deprecated in v1.19+',
  }),
  // The aggregator's own group, which kube-apiserver lists before every other.
  def({
    group: 'apiregistration.k8s.io',
    version: 'v1',
    resource: 'apiservices',
    kind: 'APIService',
    namespaced: false,
    categories: ['api-extensions'],
    subresources: [status('APIService')],
  }),
  // apps/v1: the workload controllers' objects (controller-manager's replicaset, deployment, daemonset
  // and statefulset controllers). /scale speaks autoscaling/v1 Scale, as kube-apiserver's does.
  def({ group: 'apps', version: 'v1', resource: 'controllerrevisions', kind: 'ControllerRevision', namespaced: true }),
  def({
    group: 'apps',
    version: 'v1',
    resource: 'daemonsets',
    kind: 'DaemonSet',
    namespaced: true,
    shortNames: ['ds'],
    categories: ['all'],
    subresources: [status('DaemonSet')],
  }),
  def({
    group: 'apps',
    version: 'v1',
    resource: 'deployments',
    kind: 'Deployment',
    namespaced: true,
    shortNames: ['deploy'],
    categories: ['all'],
    subresources: [scale(), status('Deployment')],
  }),
  def({
    group: 'apps',
    version: 'v1',
    resource: 'replicasets',
    kind: 'ReplicaSet',
    namespaced: true,
    shortNames: ['rs'],
    categories: ['all'],
    subresources: [scale(), status('ReplicaSet')],
  }),
  def({
    group: 'apps',
    version: 'v1',
    resource: 'statefulsets',
    kind: 'StatefulSet',
    namespaced: true,
    shortNames: ['sts'],
    categories: ['all'],
    subresources: [scale(), status('StatefulSet')],
  }),
  // autoscaling: HorizontalPodAutoscalers (the controller-manager's podautoscaler), stored as v2 and
  // also served as v1 (registry/autoscaling/v1conversion.ts); v2 is the preferred version.
  def({
    group: 'autoscaling',
    version: 'v2',
    resource: 'horizontalpodautoscalers',
    kind: 'HorizontalPodAutoscaler',
    namespaced: true,
    shortNames: ['hpa'],
    categories: ['all'],
    subresources: [status('HorizontalPodAutoscaler')],
  }),
  def({
    group: 'autoscaling',
    version: 'v1',
    resource: 'horizontalpodautoscalers',
    kind: 'HorizontalPodAutoscaler',
    namespaced: true,
    shortNames: ['hpa'],
    categories: ['all'],
    subresources: [status('HorizontalPodAutoscaler')],
  }),
  // batch/v1: Jobs run pods to completion, CronJobs create Jobs (the job and cronjob controllers).
  def({
    group: 'batch',
    version: 'v1',
    resource: 'cronjobs',
    kind: 'CronJob',
    namespaced: true,
    shortNames: ['cj'],
    categories: ['all'],
    subresources: [status('CronJob')],
  }),
  def({
    group: 'batch',
    version: 'v1',
    resource: 'jobs',
    kind: 'Job',
    namespaced: true,
    categories: ['all'],
    subresources: [status('Job')],
  }),
  def({ group: 'coordination.k8s.io', version: 'v1', resource: 'leases', kind: 'Lease', namespaced: true }),
  def({
    group: 'discovery.k8s.io',
    version: 'v1',
    resource: 'endpointslices',
    kind: 'EndpointSlice',
    namespaced: true,
  }),
  def({
    group: 'certificates.k8s.io',
    version: 'v1',
    resource: 'certificatesigningrequests',
    kind: 'CertificateSigningRequest',
    namespaced: false,
    shortNames: ['csr'],
    subresources: [
      { name: 'approval', kind: 'CertificateSigningRequest', verbs: STATUS_VERBS },
      status('CertificateSigningRequest'),
    ],
  }),
  // Beta in 1.33 and off by default: needs --feature-gates=ClusterTrustBundle=true and
  // --runtime-config=certificates.k8s.io/v1beta1/clustertrustbundles=true, as upstream.
  def({
    group: 'certificates.k8s.io',
    version: 'v1beta1',
    resource: 'clustertrustbundles',
    kind: 'ClusterTrustBundle',
    namespaced: false,
    featureGate: 'ClusterTrustBundle',
  }),
  // Beta in 1.35 and off by default: needs --feature-gates=PodCertificateRequest=true and
  // --runtime-config=certificates.k8s.io/v1beta1(/podcertificaterequests)=true. No short names, no
  // categories; /status is where signers write.
  def({
    group: 'certificates.k8s.io',
    version: 'v1beta1',
    resource: 'podcertificaterequests',
    kind: 'PodCertificateRequest',
    namespaced: true,
    subresources: [status('PodCertificateRequest')],
    featureGate: 'PodCertificateRequest',
  }),
  // networking.k8s.io/v1: NetworkPolicies (no status in 1.33), Ingresses (status by the ingress
  // controller) and the IngressClasses that name those controllers.
  def({
    group: 'networking.k8s.io',
    version: 'v1',
    resource: 'networkpolicies',
    kind: 'NetworkPolicy',
    namespaced: true,
    shortNames: ['netpol'],
  }),
  def({
    group: 'networking.k8s.io',
    version: 'v1',
    resource: 'ingresses',
    kind: 'Ingress',
    namespaced: true,
    shortNames: ['ing'],
    subresources: [status('Ingress')],
  }),
  def({
    group: 'networking.k8s.io',
    version: 'v1',
    resource: 'ingressclasses',
    kind: 'IngressClass',
    namespaced: false,
  }),
  // The ranges Service cluster IPs come from (the apiserver keeps the default one, `kubernetes`; the
  // service-cidr-controller writes the others' status) and one IPAddress per address handed out.
  def({
    group: 'networking.k8s.io',
    version: 'v1',
    resource: 'servicecidrs',
    kind: 'ServiceCIDR',
    namespaced: false,
    subresources: [status('ServiceCIDR')],
  }),
  def({
    group: 'networking.k8s.io',
    version: 'v1',
    resource: 'ipaddresses',
    kind: 'IPAddress',
    namespaced: false,
  }),
  def({
    group: 'policy',
    version: 'v1',
    resource: 'poddisruptionbudgets',
    kind: 'PodDisruptionBudget',
    namespaced: true,
    shortNames: ['pdb'],
    subresources: [status('PodDisruptionBudget')],
  }),
  // API Priority and Fairness configuration: no short names, no categories; /status carries a
  // FlowSchema's Dangling condition.
  def({
    group: 'flowcontrol.apiserver.k8s.io',
    version: 'v1',
    resource: 'flowschemas',
    kind: 'FlowSchema',
    namespaced: false,
    subresources: [status('FlowSchema')],
  }),
  def({
    group: 'flowcontrol.apiserver.k8s.io',
    version: 'v1',
    resource: 'prioritylevelconfigurations',
    kind: 'PriorityLevelConfiguration',
    namespaced: false,
    subresources: [status('PriorityLevelConfiguration')],
  }),
  def({ group: 'rbac.authorization.k8s.io', version: 'v1', resource: 'roles', kind: 'Role', namespaced: true }),
  def({
    group: 'rbac.authorization.k8s.io',
    version: 'v1',
    resource: 'clusterroles',
    kind: 'ClusterRole',
    namespaced: false,
  }),
  def({
    group: 'rbac.authorization.k8s.io',
    version: 'v1',
    resource: 'rolebindings',
    kind: 'RoleBinding',
    namespaced: true,
  }),
  def({
    group: 'rbac.authorization.k8s.io',
    version: 'v1',
    resource: 'clusterrolebindings',
    kind: 'ClusterRoleBinding',
    namespaced: false,
  }),
  def({
    group: 'admissionregistration.k8s.io',
    version: 'v1',
    resource: 'mutatingwebhookconfigurations',
    kind: 'MutatingWebhookConfiguration',
    namespaced: false,
    categories: ['api-extensions'],
  }),
  def({
    group: 'admissionregistration.k8s.io',
    version: 'v1',
    resource: 'validatingwebhookconfigurations',
    kind: 'ValidatingWebhookConfiguration',
    namespaced: false,
    categories: ['api-extensions'],
  }),
  def({
    group: 'admissionregistration.k8s.io',
    version: 'v1',
    resource: 'validatingadmissionpolicies',
    kind: 'ValidatingAdmissionPolicy',
    namespaced: false,
    categories: ['api-extensions'],
    subresources: [status('ValidatingAdmissionPolicy')],
  }),
  def({
    group: 'admissionregistration.k8s.io',
    version: 'v1',
    resource: 'validatingadmissionpolicybindings',
    kind: 'ValidatingAdmissionPolicyBinding',
    namespaced: false,
    categories: ['api-extensions'],
  }),
  // storage.k8s.io/v1: StorageClasses name who provisions a claim's volume (the persistentvolume-binder).
  def({
    group: 'storage.k8s.io',
    version: 'v1',
    resource: 'storageclasses',
    kind: 'StorageClass',
    namespaced: false,
    shortNames: ['sc'],
  }),
  // The CSI objects, none with short names: what an attach asks for and its outcome (status by the
  // external attacher), each node's registered drivers (its kubelet's), and each driver's traits.
  def({
    group: 'storage.k8s.io',
    version: 'v1',
    resource: 'volumeattachments',
    kind: 'VolumeAttachment',
    namespaced: false,
    subresources: [status('VolumeAttachment')],
  }),
  def({ group: 'storage.k8s.io', version: 'v1', resource: 'csinodes', kind: 'CSINode', namespaced: false }),
  def({ group: 'storage.k8s.io', version: 'v1', resource: 'csidrivers', kind: 'CSIDriver', namespaced: false }),
  // What a driver's external-provisioner reports a class has room for, per topology segment.
  def({
    group: 'storage.k8s.io',
    version: 'v1',
    resource: 'csistoragecapacities',
    kind: 'CSIStorageCapacity',
    namespaced: true,
  }),
  def({
    group: 'scheduling.k8s.io',
    version: 'v1',
    resource: 'priorityclasses',
    kind: 'PriorityClass',
    namespaced: false,
    shortNames: ['pc'],
  }),
  // node.k8s.io/v1: RuntimeClasses name a container-runtime handler; RuntimeClass admission and the
  // kubelet read them. No short names, no categories.
  def({ group: 'node.k8s.io', version: 'v1', resource: 'runtimeclasses', kind: 'RuntimeClass', namespaced: false }),
  review('authentication.k8s.io', 'tokenreviews', 'TokenReview', false),
  review('authentication.k8s.io', 'selfsubjectreviews', 'SelfSubjectReview', false),
  review('authorization.k8s.io', 'localsubjectaccessreviews', 'LocalSubjectAccessReview', true),
  review('authorization.k8s.io', 'selfsubjectaccessreviews', 'SelfSubjectAccessReview', false),
  review('authorization.k8s.io', 'selfsubjectrulesreviews', 'SelfSubjectRulesReview', false),
  review('authorization.k8s.io', 'subjectaccessreviews', 'SubjectAccessReview', false),
]);

const byGVR = new Map(RESOURCES.map((d) => [`${d.group}/${d.version}/${d.resource}`, d]));
const byGVK = new Map(RESOURCES.map((d) => [`${groupVersion(d)}/${d.kind}`, d]));

/** `v1` for the core group, `<group>/<version>` otherwise. */
export function groupVersion(d: Pick<ResourceDef, 'group' | 'version'>): string {
  return d.group ? `${d.group}/${d.version}` : d.version;
}

export function findResource(group: string, version: string, resource: string): ResourceDef | undefined {
  return byGVR.get(`${group}/${version}/${resource}`);
}

export function findByKind(apiVersion: string, kind: string): ResourceDef | undefined {
  return byGVK.get(`${apiVersion}/${kind}`);
}

const versionPattern = /^v(\d+)(?:(alpha|beta)(\d+))?$/;

/**
 * Kubernetes' version order (CompareKubeAwareVersionStrings): GA before beta before alpha, higher
 * numbers first; a version that is not of that form sorts last.
 */
export function compareKubeVersions(a: string, b: string): number {
  const rank = (v: string): [number, number, number] => {
    const m = versionPattern.exec(v);
    if (!m) return [0, 0, 0];
    const level = m[2] === undefined ? 3 : m[2] === 'beta' ? 2 : 1;
    return [level, Number(m[1]), m[3] === undefined ? 0 : Number(m[3])];
  };
  const [x, y] = [rank(a), rank(b)];
  for (let i = 0; i < 3; i++) if (x[i] !== y[i]) return y[i]! - x[i]!;
  return a < b ? -1 : a > b ? 1 : 0;
}

export interface GroupVersions {
  readonly group: string;
  /** Preferred first. */
  readonly versions: readonly string[];
}

/** The resources one apiserver serves, and the groups and versions discovery lists for them. */
export class APICatalog {
  readonly #byGVR: ReadonlyMap<string, ResourceDef>;
  /** Groups (core excluded) in catalog order. */
  readonly groups: readonly GroupVersions[];

  constructor(readonly resources: readonly ResourceDef[]) {
    this.#byGVR = new Map(resources.map((d) => [`${d.group}/${d.version}/${d.resource}`, d]));
    const versions = new Map<string, string[]>();
    for (const d of resources) {
      if (!d.group) continue;
      const vs = versions.get(d.group) ?? [];
      if (!vs.includes(d.version)) vs.push(d.version);
      versions.set(d.group, vs);
    }
    this.groups = [...versions].map(([group, vs]) => ({ group, versions: vs.sort(compareKubeVersions) }));
  }

  find(group: string, version: string, resource: string): ResourceDef | undefined {
    return this.#byGVR.get(`${group}/${version}/${resource}`);
  }

  /** The resources of one group version (empty when it is not served). */
  resourcesOf(group: string, version: string): ResourceDef[] {
    return this.resources.filter((d) => d.group === group && d.version === version);
  }

  group(name: string): GroupVersions | undefined {
    return this.groups.find((g) => g.group === name);
  }

  /** Every served group version: core first, then each group's versions, preferred first. */
  groupVersions(): { group: string; version: string }[] {
    return [
      ...(this.resources.some((d) => d.group === '') ? [{ group: '', version: 'v1' }] : []),
      ...this.groups.flatMap((g) => g.versions.map((version) => ({ group: g.group, version }))),
    ];
  }
}

/** Only the GA resources and those whose gates are on by default: an apiserver with no --runtime-config. */
export const DEFAULT_CATALOG = new APICatalog(
  RESOURCES.filter((d) => /^v\d+$/.test(d.version) && d.featureGate === undefined),
);
