// The default ClusterRoles and ClusterRoleBindings kube-apiserver creates (bootstrappolicy/policy.go
// and controller_policy.go) that matter to mkube, plus kubeadm's TLS-bootstrap bindings. Data only.
import {
  AUTHENTICATION_INFO,
  type ClusterRole,
  type ClusterRoleBinding,
  type PolicyRule,
  type Role,
  type RoleBinding,
  type Subject,
} from '@mkube/shared/api';
import type { Feature, FeatureGate } from '@mkube/shared/featuregate';

const RBAC = 'rbac.authorization.k8s.io';
const LABELS = { 'kubernetes.io/bootstrapping': 'rbac-defaults' };
const AUTOUPDATE = { 'rbac.authorization.kubernetes.io/autoupdate': 'true' };

const role = (name: string, rules: PolicyRule[], labels: Record<string, string> = {}): ClusterRole => ({
  apiVersion: `${RBAC}/v1`,
  kind: 'ClusterRole',
  metadata: { name, labels: { ...LABELS, ...labels }, annotations: { ...AUTOUPDATE } },
  rules,
});

/** The label a ClusterRole carries to be gathered into `admin`, `edit` or `view`. */
export const aggregateTo = (target: 'admin' | 'edit' | 'view'): string => `${RBAC}/aggregate-to-${target}`;
const TRUE = 'true';

/**
 * An aggregated ClusterRole: no rules of its own (the clusterrole-aggregation controller fills them
 * with those of every ClusterRole labelled `aggregate-to-<name>`), itself labelled `labels`.
 */
const aggregated = (name: 'admin' | 'edit' | 'view', labels: Record<string, string> = {}): ClusterRole => ({
  apiVersion: `${RBAC}/v1`,
  kind: 'ClusterRole',
  metadata: { name, labels: { ...LABELS, ...labels }, annotations: { ...AUTOUPDATE } },
  aggregationRule: { clusterRoleSelectors: [{ matchLabels: { [aggregateTo(name)]: TRUE } }] },
});

// Verb sets of upstream's policy.go, sorted as its rule builder stores them.
const READ = ['get', 'list', 'watch'];
const WRITE = ['create', 'delete', 'deletecollection', 'patch', 'update'];
const READ_WRITE = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

const group = (name: string): Subject => ({ kind: 'Group', apiGroup: RBAC, name });
const user = (name: string): Subject => ({ kind: 'User', apiGroup: RBAC, name });
const serviceAccount = (name: string): Subject => ({ kind: 'ServiceAccount', name, namespace: 'kube-system' });

export const KCM_USER = 'system:kube-controller-manager';
export const SCHEDULER_USER = 'system:kube-scheduler';
const EVENTS_RULE: PolicyRule = {
  apiGroups: ['', 'events.k8s.io'],
  resources: ['events'],
  verbs: ['create', 'patch', 'update'],
};

/**
 * A controller's binding as upstream makes it: its ServiceAccount in kube-system, which the
 * controller-manager acts as with --use-service-account-credentials (kubeadm's setting, and mkube
 * up's). Without that flag the controller-manager's own user holds none of these roles, as upstream:
 * bind them to it by hand.
 */
const controllerSubjects = (controller: string): Subject[] => [serviceAccount(controller)];

/**
 * The controller-manager's user, which mkube's policy before f3943a5 added to every binding built
 * with controllerSubjects. The reconciler adds subjects and never removes them (as upstream's, which
 * left the system:nodes group in an upgraded cluster's system:node binding when 1.8 dropped it), so
 * it says where this one is still found instead of taking it out.
 */
export const RETIRED_CONTROLLER_SUBJECT: Subject = user(KCM_USER);

const binding = (name: string, roleName: string, subjects: Subject[], kubeadm = false): ClusterRoleBinding => ({
  apiVersion: `${RBAC}/v1`,
  kind: 'ClusterRoleBinding',
  metadata: { name, ...(kubeadm ? {} : { labels: { ...LABELS } }), annotations: { ...AUTOUPDATE } },
  roleRef: { apiGroup: RBAC, kind: 'ClusterRole', name: roleName },
  subjects,
});

const CSR = 'certificates.k8s.io';
export const NODECLIENT = 'system:certificates.k8s.io:certificatesigningrequests:nodeclient';
export const SELFNODECLIENT = 'system:certificates.k8s.io:certificatesigningrequests:selfnodeclient';
export const KUBELET_SERVING_APPROVER = 'system:certificates.k8s.io:kubelet-serving-approver';

export const DEFAULT_CLUSTER_ROLES: readonly ClusterRole[] = [
  role('cluster-admin', [
    { apiGroups: ['*'], resources: ['*'], verbs: ['*'] },
    { nonResourceURLs: ['*'], verbs: ['*'] },
  ]),
  // The user-facing roles (policy.go): admin ⊇ edit ⊇ view by aggregation — `edit` is labelled to
  // join `admin`, `view` to join `edit` — with the rules in the system:aggregate-to-* roles.
  aggregated('admin'),
  aggregated('edit', { [aggregateTo('admin')]: TRUE }),
  aggregated('view', { [aggregateTo('edit')]: TRUE }),
  role(
    'system:aggregate-to-admin',
    [
      { apiGroups: ['authorization.k8s.io'], resources: ['localsubjectaccessreviews'], verbs: ['create'] },
      { apiGroups: [RBAC], resources: ['rolebindings', 'roles'], verbs: READ_WRITE },
    ],
    { [aggregateTo('admin')]: TRUE },
  ),
  role(
    'system:aggregate-to-edit',
    [
      // Reading the escalating resources.
      {
        apiGroups: [''],
        resources: ['pods/attach', 'pods/exec', 'pods/portforward', 'pods/proxy', 'secrets', 'services/proxy'],
        verbs: READ,
      },
      { apiGroups: [''], resources: ['serviceaccounts'], verbs: ['impersonate'] },
      {
        apiGroups: [''],
        resources: ['pods', 'pods/attach', 'pods/exec', 'pods/portforward', 'pods/proxy'],
        verbs: WRITE,
      },
      { apiGroups: [''], resources: ['pods/eviction'], verbs: ['create'] },
      {
        apiGroups: [''],
        resources: [
          'configmaps',
          'events',
          'persistentvolumeclaims',
          'replicationcontrollers',
          'replicationcontrollers/scale',
          'secrets',
          'serviceaccounts',
          'services',
          'services/proxy',
        ],
        verbs: WRITE,
      },
      { apiGroups: [''], resources: ['serviceaccounts/token'], verbs: ['create'] },
      {
        apiGroups: ['apps'],
        resources: [
          'daemonsets',
          'deployments',
          'deployments/rollback',
          'deployments/scale',
          'replicasets',
          'replicasets/scale',
          'statefulsets',
          'statefulsets/scale',
        ],
        verbs: WRITE,
      },
      { apiGroups: ['autoscaling'], resources: ['horizontalpodautoscalers'], verbs: WRITE },
      { apiGroups: ['batch'], resources: ['cronjobs', 'jobs'], verbs: WRITE },
      {
        apiGroups: ['extensions'],
        resources: [
          'daemonsets',
          'deployments',
          'deployments/rollback',
          'deployments/scale',
          'ingresses',
          'networkpolicies',
          'replicasets',
          'replicasets/scale',
          'replicationcontrollers/scale',
        ],
        verbs: WRITE,
      },
      { apiGroups: ['policy'], resources: ['poddisruptionbudgets'], verbs: WRITE },
      { apiGroups: ['networking.k8s.io'], resources: ['ingresses', 'networkpolicies'], verbs: WRITE },
      { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: READ_WRITE },
    ],
    { [aggregateTo('edit')]: TRUE },
  ),
  role(
    'system:aggregate-to-view',
    [
      {
        apiGroups: [''],
        resources: [
          'configmaps',
          'endpoints',
          'persistentvolumeclaims',
          'persistentvolumeclaims/status',
          'pods',
          'replicationcontrollers',
          'replicationcontrollers/scale',
          'serviceaccounts',
          'services',
          'services/status',
        ],
        verbs: READ,
      },
      {
        apiGroups: [''],
        resources: [
          'bindings',
          'events',
          'limitranges',
          'namespaces/status',
          'pods/log',
          'pods/status',
          'replicationcontrollers/status',
          'resourcequotas',
          'resourcequotas/status',
        ],
        verbs: READ,
      },
      // Reading namespaces at namespace scope: reading *this* namespace.
      { apiGroups: [''], resources: ['namespaces'], verbs: READ },
      { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: READ },
      {
        apiGroups: ['apps'],
        resources: [
          'controllerrevisions',
          'daemonsets',
          'daemonsets/status',
          'deployments',
          'deployments/scale',
          'deployments/status',
          'replicasets',
          'replicasets/scale',
          'replicasets/status',
          'statefulsets',
          'statefulsets/scale',
          'statefulsets/status',
        ],
        verbs: READ,
      },
      {
        apiGroups: ['autoscaling'],
        resources: ['horizontalpodautoscalers', 'horizontalpodautoscalers/status'],
        verbs: READ,
      },
      { apiGroups: ['batch'], resources: ['cronjobs', 'cronjobs/status', 'jobs', 'jobs/status'], verbs: READ },
      {
        apiGroups: ['extensions'],
        resources: [
          'daemonsets',
          'daemonsets/status',
          'deployments',
          'deployments/scale',
          'deployments/status',
          'ingresses',
          'ingresses/status',
          'networkpolicies',
          'replicasets',
          'replicasets/scale',
          'replicasets/status',
          'replicationcontrollers/scale',
        ],
        verbs: READ,
      },
      { apiGroups: ['policy'], resources: ['poddisruptionbudgets', 'poddisruptionbudgets/status'], verbs: READ },
      {
        apiGroups: ['networking.k8s.io'],
        resources: ['ingresses', 'ingresses/status', 'networkpolicies'],
        verbs: READ,
      },
    ],
    { [aggregateTo('view')]: TRUE },
  ),
  role('system:monitoring', [
    {
      nonResourceURLs: [
        '/healthz',
        '/healthz/*',
        '/livez',
        '/livez/*',
        '/metrics',
        '/metrics/slis',
        '/readyz',
        '/readyz/*',
      ],
      verbs: ['get'],
    },
  ]),
  role('system:discovery', [
    {
      nonResourceURLs: [
        '/api',
        '/api/*',
        '/apis',
        '/apis/*',
        '/healthz',
        '/livez',
        '/openapi',
        '/openapi/*',
        '/readyz',
        '/version',
        '/version/',
      ],
      verbs: ['get'],
    },
  ]),
  role('system:public-info-viewer', [
    { nonResourceURLs: ['/healthz', '/livez', '/readyz', '/version', '/version/'], verbs: ['get'] },
  ]),
  // ServiceAccountIssuerDiscovery's documents; bound to all service accounts, not to anonymous.
  role('system:service-account-issuer-discovery', [
    {
      nonResourceURLs: [
        '/.well-known/openid-configuration',
        '/.well-known/openid-configuration/',
        '/openid/v1/jwks',
        '/openid/v1/jwks/',
      ],
      verbs: ['get'],
    },
  ]),
  role('system:basic-user', [
    {
      apiGroups: ['authorization.k8s.io'],
      resources: ['selfsubjectaccessreviews', 'selfsubjectrulesreviews'],
      verbs: ['create'],
    },
    { apiGroups: ['authentication.k8s.io'], resources: ['selfsubjectreviews'], verbs: ['create'] },
  ]),
  role('system:node-bootstrapper', [
    { apiGroups: [CSR], resources: ['certificatesigningrequests'], verbs: ['create', 'get', 'list', 'watch'] },
  ]),
  role('system:auth-delegator', [
    { apiGroups: ['authentication.k8s.io'], resources: ['tokenreviews'], verbs: ['create'] },
    { apiGroups: ['authorization.k8s.io'], resources: ['subjectaccessreviews'], verbs: ['create'] },
  ]),
  // NodeRules() in upstream's order, resources and verbs sorted as its rule builder stores them
  // (testdata/cluster-roles.yaml). Bound to no one: the Node authorizer applies these itself.
  // runtimeclasses last: the kubelet reads a pod's RuntimeClass before it starts the pod.
  role('system:node', [
    { apiGroups: ['authentication.k8s.io'], resources: ['tokenreviews'], verbs: ['create'] },
    {
      apiGroups: ['authorization.k8s.io'],
      resources: ['localsubjectaccessreviews', 'subjectaccessreviews'],
      verbs: ['create'],
    },
    { apiGroups: [''], resources: ['services'], verbs: READ },
    { apiGroups: [''], resources: ['nodes'], verbs: ['create', 'get', 'list', 'watch'] },
    { apiGroups: [''], resources: ['nodes/status'], verbs: ['patch', 'update'] },
    { apiGroups: [''], resources: ['nodes'], verbs: ['patch', 'update'] },
    { apiGroups: [''], resources: ['events'], verbs: ['create', 'patch', 'update'] },
    { apiGroups: [''], resources: ['pods'], verbs: READ },
    { apiGroups: [''], resources: ['pods'], verbs: ['create', 'delete'] },
    { apiGroups: [''], resources: ['pods/status'], verbs: ['patch', 'update'] },
    { apiGroups: [''], resources: ['pods/eviction'], verbs: ['create'] },
    { apiGroups: [''], resources: ['configmaps', 'secrets'], verbs: READ },
    { apiGroups: [''], resources: ['persistentvolumeclaims', 'persistentvolumes'], verbs: ['get'] },
    { apiGroups: [''], resources: ['endpoints'], verbs: ['get'] },
    { apiGroups: [CSR], resources: ['certificatesigningrequests'], verbs: ['create', 'get', 'list', 'watch'] },
    {
      apiGroups: ['coordination.k8s.io'],
      resources: ['leases'],
      verbs: ['create', 'delete', 'get', 'patch', 'update'],
    },
    { apiGroups: ['storage.k8s.io'], resources: ['volumeattachments'], verbs: ['get'] },
    { apiGroups: [''], resources: ['serviceaccounts/token'], verbs: ['create'] },
    { apiGroups: [''], resources: ['persistentvolumeclaims/status'], verbs: ['get', 'patch', 'update'] },
    { apiGroups: ['storage.k8s.io'], resources: ['csidrivers'], verbs: READ },
    { apiGroups: ['storage.k8s.io'], resources: ['csinodes'], verbs: ['create', 'delete', 'get', 'patch', 'update'] },
    { apiGroups: ['node.k8s.io'], resources: ['runtimeclasses'], verbs: READ },
  ]),
  role('system:node-proxier', [
    { apiGroups: [''], resources: ['services', 'endpoints'], verbs: ['list', 'watch'] },
    { apiGroups: [''], resources: ['nodes'], verbs: ['get', 'list', 'watch'] },
    { apiGroups: ['', 'events.k8s.io'], resources: ['events'], verbs: ['create', 'patch', 'update'] },
    { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: ['list', 'watch'] },
  ]),
  role('system:kubelet-api-admin', [
    { apiGroups: [''], resources: ['nodes'], verbs: ['get', 'list', 'watch', 'proxy'] },
    { apiGroups: [''], resources: ['nodes/log', 'nodes/metrics', 'nodes/proxy', 'nodes/stats'], verbs: ['*'] },
  ]),
  role('system:kube-controller-manager', [
    { apiGroups: ['', 'events.k8s.io'], resources: ['events'], verbs: ['create', 'patch', 'update'] },
    { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['create'] },
    {
      apiGroups: ['coordination.k8s.io'],
      resources: ['leases'],
      resourceNames: ['kube-controller-manager'],
      verbs: ['get', 'update'],
    },
    { apiGroups: [''], resources: ['secrets', 'serviceaccounts'], verbs: ['create'] },
    { apiGroups: [''], resources: ['secrets'], verbs: ['delete'] },
    { apiGroups: [''], resources: ['configmaps', 'namespaces', 'secrets', 'serviceaccounts'], verbs: ['get'] },
    { apiGroups: [''], resources: ['secrets', 'serviceaccounts'], verbs: ['update'] },
    { apiGroups: ['authentication.k8s.io'], resources: ['tokenreviews'], verbs: ['create'] },
    { apiGroups: ['authorization.k8s.io'], resources: ['subjectaccessreviews'], verbs: ['create'] },
    { apiGroups: ['*'], resources: ['*'], verbs: ['list', 'watch'] },
    { apiGroups: [''], resources: ['serviceaccounts/token'], verbs: ['create'] },
  ]),
  // The scheduler's identity (kubeadm's scheduler.conf): what it watches to place pods, the bindings
  // that place them, the pods/status writes that say why one cannot be, and its leader lease.
  role('system:kube-scheduler', [
    EVENTS_RULE,
    { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['create'] },
    {
      apiGroups: ['coordination.k8s.io'],
      resources: ['leases'],
      resourceNames: ['kube-scheduler'],
      verbs: ['get', 'update'],
    },
    { apiGroups: [''], resources: ['nodes'], verbs: READ },
    { apiGroups: [''], resources: ['pods'], verbs: ['delete', 'get', 'list', 'watch'] },
    { apiGroups: [''], resources: ['bindings', 'pods/binding'], verbs: ['create'] },
    { apiGroups: [''], resources: ['pods/status'], verbs: ['patch', 'update'] },
    { apiGroups: [''], resources: ['replicationcontrollers', 'services'], verbs: READ },
    { apiGroups: ['apps', 'extensions'], resources: ['replicasets'], verbs: READ },
    { apiGroups: ['apps'], resources: ['statefulsets'], verbs: READ },
    { apiGroups: ['policy'], resources: ['poddisruptionbudgets'], verbs: READ },
    { apiGroups: [''], resources: ['persistentvolumeclaims', 'persistentvolumes'], verbs: READ },
    { apiGroups: ['authentication.k8s.io'], resources: ['tokenreviews'], verbs: ['create'] },
    { apiGroups: ['authorization.k8s.io'], resources: ['subjectaccessreviews'], verbs: ['create'] },
    { apiGroups: ['storage.k8s.io'], resources: ['csinodes'], verbs: READ },
    { apiGroups: [''], resources: ['namespaces'], verbs: READ },
    { apiGroups: ['storage.k8s.io'], resources: ['csidrivers'], verbs: READ },
    { apiGroups: ['storage.k8s.io'], resources: ['csistoragecapacities'], verbs: READ },
  ]),
  // The volume binding the scheduler does for pods with unbound claims (bound to it too).
  role('system:volume-scheduler', [
    { apiGroups: [''], resources: ['persistentvolumes'], verbs: ['get', 'list', 'patch', 'update', 'watch'] },
    { apiGroups: ['storage.k8s.io'], resources: ['storageclasses'], verbs: READ },
    { apiGroups: [''], resources: ['persistentvolumeclaims'], verbs: ['get', 'list', 'patch', 'update', 'watch'] },
  ]),
  role('system:controller:certificate-controller', [
    { apiGroups: [CSR], resources: ['certificatesigningrequests'], verbs: ['delete', 'get', 'list', 'watch'] },
    {
      apiGroups: [CSR],
      resources: ['certificatesigningrequests/approval', 'certificatesigningrequests/status'],
      verbs: ['update'],
    },
    {
      apiGroups: [CSR],
      resources: ['signers'],
      resourceNames: ['kubernetes.io/kube-apiserver-client-kubelet', 'kubernetes.io/legacy-unknown'],
      verbs: ['approve'],
    },
    {
      apiGroups: [CSR],
      resources: ['signers'],
      resourceNames: [
        'kubernetes.io/kube-apiserver-client',
        'kubernetes.io/kube-apiserver-client-kubelet',
        'kubernetes.io/kubelet-serving',
        'kubernetes.io/legacy-unknown',
      ],
      verbs: ['sign'],
    },
    { apiGroups: ['authentication.k8s.io'], resources: ['tokenreviews'], verbs: ['create'] },
    { apiGroups: ['authorization.k8s.io'], resources: ['subjectaccessreviews'], verbs: ['create'] },
    { apiGroups: ['', 'events.k8s.io'], resources: ['events'], verbs: ['create', 'patch', 'update'] },
  ]),
  role('system:controller:daemon-set-controller', [
    { apiGroups: ['apps', 'extensions'], resources: ['daemonsets'], verbs: READ },
    { apiGroups: ['apps', 'extensions'], resources: ['daemonsets/status'], verbs: ['update'] },
    { apiGroups: ['apps', 'extensions'], resources: ['daemonsets/finalizers'], verbs: ['update'] },
    { apiGroups: [''], resources: ['nodes'], verbs: ['list', 'watch'] },
    { apiGroups: [''], resources: ['pods'], verbs: ['create', 'delete', 'list', 'patch', 'watch'] },
    { apiGroups: [''], resources: ['pods/binding'], verbs: ['create'] },
    {
      apiGroups: ['apps'],
      resources: ['controllerrevisions'],
      verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
    },
    EVENTS_RULE,
  ]),
  role('system:controller:statefulset-controller', [
    { apiGroups: [''], resources: ['pods'], verbs: ['list', 'watch'] },
    { apiGroups: ['apps'], resources: ['statefulsets'], verbs: READ },
    { apiGroups: ['apps'], resources: ['statefulsets/status'], verbs: ['update'] },
    { apiGroups: ['apps'], resources: ['statefulsets/finalizers'], verbs: ['update'] },
    { apiGroups: [''], resources: ['pods'], verbs: ['create', 'delete', 'get', 'patch', 'update'] },
    {
      apiGroups: ['apps'],
      resources: ['controllerrevisions'],
      verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
    },
    { apiGroups: [''], resources: ['persistentvolumeclaims'], verbs: ['create', 'get', 'list', 'watch'] },
    { apiGroups: [''], resources: ['persistentvolumeclaims'], verbs: ['delete', 'update'] },
    { apiGroups: [''], resources: ['pods/finalizers'], verbs: ['update'] },
    EVENTS_RULE,
  ]),
  // controller_policy.go's volume controllers: the binder also runs upstream's recycler pods and
  // watches their events, and reads services for the portworx plugin (rules kept as upstream's).
  role('system:controller:persistent-volume-binder', [
    {
      apiGroups: [''],
      resources: ['persistentvolumes'],
      verbs: ['create', 'delete', 'get', 'list', 'update', 'watch'],
    },
    { apiGroups: [''], resources: ['persistentvolumes/status'], verbs: ['update'] },
    { apiGroups: [''], resources: ['persistentvolumeclaims'], verbs: ['get', 'list', 'update', 'watch'] },
    { apiGroups: [''], resources: ['persistentvolumeclaims/status'], verbs: ['update'] },
    { apiGroups: [''], resources: ['pods'], verbs: ['create', 'delete', 'get', 'list', 'watch'] },
    { apiGroups: ['storage.k8s.io'], resources: ['storageclasses'], verbs: READ },
    { apiGroups: [''], resources: ['nodes'], verbs: ['list', 'watch'] },
    EVENTS_RULE,
    { apiGroups: [''], resources: ['events'], verbs: ['watch'] },
    { apiGroups: [''], resources: ['services'], verbs: ['get'] },
  ]),
  role('system:controller:pvc-protection-controller', [
    { apiGroups: [''], resources: ['persistentvolumeclaims'], verbs: ['get', 'list', 'update', 'watch'] },
    { apiGroups: [''], resources: ['pods'], verbs: READ },
    EVENTS_RULE,
  ]),
  role('system:controller:pv-protection-controller', [
    { apiGroups: [''], resources: ['persistentvolumes'], verbs: ['get', 'list', 'update', 'watch'] },
    EVENTS_RULE,
  ]),
  // pods/finalizers: the claims it makes carry blockOwnerDeletion on their pod, which
  // OwnerReferencesPermissionEnforcement lets only those who may update the pod's finalizers set.
  role('system:controller:ephemeral-volume-controller', [
    { apiGroups: [''], resources: ['pods'], verbs: READ },
    { apiGroups: [''], resources: ['pods/finalizers'], verbs: ['update'] },
    { apiGroups: [''], resources: ['persistentvolumeclaims'], verbs: ['create', 'get', 'list', 'watch'] },
    EVENTS_RULE,
  ]),
  // controller_policy.go's: the deployment controller writes ReplicaSets only (and pods' labels, an
  // "update" upstream keeps for kubernetes#36897); the replicaset controller writes pods.
  role('system:controller:deployment-controller', [
    { apiGroups: ['apps', 'extensions'], resources: ['deployments'], verbs: ['get', 'list', 'update', 'watch'] },
    { apiGroups: ['apps', 'extensions'], resources: ['deployments/status'], verbs: ['update'] },
    { apiGroups: ['apps', 'extensions'], resources: ['deployments/finalizers'], verbs: ['update'] },
    {
      apiGroups: ['apps', 'extensions'],
      resources: ['replicasets'],
      verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
    },
    { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'update', 'watch'] },
    EVENTS_RULE,
  ]),
  role('system:controller:replicaset-controller', [
    { apiGroups: ['apps', 'extensions'], resources: ['replicasets'], verbs: ['get', 'list', 'update', 'watch'] },
    { apiGroups: ['apps', 'extensions'], resources: ['replicasets/status'], verbs: ['update'] },
    { apiGroups: ['apps', 'extensions'], resources: ['replicasets/finalizers'], verbs: ['update'] },
    { apiGroups: [''], resources: ['pods'], verbs: ['create', 'delete', 'list', 'patch', 'watch'] },
    EVENTS_RULE,
  ]),
  // The replicaset controller's rules over RCs ("1.0 controllers needed get, update").
  role('system:controller:replication-controller', [
    { apiGroups: [''], resources: ['replicationcontrollers'], verbs: ['get', 'list', 'update', 'watch'] },
    { apiGroups: [''], resources: ['replicationcontrollers/status'], verbs: ['update'] },
    { apiGroups: [''], resources: ['replicationcontrollers/finalizers'], verbs: ['update'] },
    { apiGroups: [''], resources: ['pods'], verbs: ['create', 'delete', 'list', 'patch', 'watch'] },
    EVENTS_RULE,
  ]),
  role('system:controller:disruption-controller', [
    { apiGroups: ['apps', 'extensions'], resources: ['deployments'], verbs: READ },
    { apiGroups: ['apps', 'extensions'], resources: ['replicasets'], verbs: READ },
    { apiGroups: [''], resources: ['replicationcontrollers'], verbs: READ },
    { apiGroups: ['policy'], resources: ['poddisruptionbudgets'], verbs: READ },
    { apiGroups: ['apps'], resources: ['statefulsets'], verbs: READ },
    { apiGroups: ['policy'], resources: ['poddisruptionbudgets/status'], verbs: ['update'] },
    { apiGroups: ['*'], resources: ['*/scale'], verbs: ['get'] },
    EVENTS_RULE,
    { apiGroups: [''], resources: ['pods/status'], verbs: ['patch', 'update'] },
  ]),
  role('system:controller:node-controller', [
    { apiGroups: [''], resources: ['nodes'], verbs: ['delete', 'get', 'list', 'patch', 'update'] },
    { apiGroups: [''], resources: ['nodes/status'], verbs: ['patch', 'update'] },
    { apiGroups: [''], resources: ['pods/status'], verbs: ['patch', 'update'] },
    { apiGroups: [''], resources: ['pods'], verbs: ['delete', 'list'] },
    EVENTS_RULE,
  ]),
  role('system:controller:taint-eviction-controller', [
    { apiGroups: [''], resources: ['pods/status'], verbs: ['patch', 'update'] },
    { apiGroups: [''], resources: ['pods'], verbs: ['delete', 'get', 'list'] },
    EVENTS_RULE,
  ]),
  role('system:controller:namespace-controller', [
    { apiGroups: [''], resources: ['namespaces'], verbs: ['delete', 'get', 'list', 'watch'] },
    { apiGroups: [''], resources: ['namespaces/finalize', 'namespaces/status'], verbs: ['update'] },
    { apiGroups: ['*'], resources: ['*'], verbs: ['delete', 'deletecollection', 'get', 'list'] },
  ]),
  role('system:controller:generic-garbage-collector', [
    { apiGroups: ['*'], resources: ['*'], verbs: ['delete', 'get', 'list', 'patch', 'update', 'watch'] },
    EVENTS_RULE,
  ]),
  role('system:controller:legacy-service-account-token-cleaner', [
    {
      apiGroups: [''],
      resources: ['configmaps'],
      resourceNames: ['kube-apiserver-legacy-service-account-token-tracking'],
      verbs: ['get'],
    },
    { apiGroups: [''], resources: ['secrets'], verbs: ['delete', 'patch'] },
  ]),
  role('system:controller:pod-garbage-collector', [
    { apiGroups: [''], resources: ['pods'], verbs: ['delete', 'list', 'watch'] },
    { apiGroups: [''], resources: ['nodes'], verbs: ['get', 'list', 'watch'] },
    { apiGroups: [''], resources: ['pods/status'], verbs: ['patch'] },
  ]),
  role('system:controller:service-account-controller', [
    { apiGroups: [''], resources: ['serviceaccounts'], verbs: ['create'] },
    EVENTS_RULE,
  ]),
  // The service-cidr-controller (MultiCIDRServiceAllocator): ServiceCIDR finalizers and Ready, from IPAddresses.
  role('system:controller:service-cidrs-controller', [
    {
      apiGroups: ['networking.k8s.io'],
      resources: ['servicecidrs'],
      verbs: ['get', 'list', 'patch', 'update', 'watch'],
    },
    { apiGroups: ['networking.k8s.io'], resources: ['servicecidrs/finalizers'], verbs: ['patch', 'update'] },
    { apiGroups: ['networking.k8s.io'], resources: ['servicecidrs/status'], verbs: ['patch', 'update'] },
    { apiGroups: ['networking.k8s.io'], resources: ['ipaddresses'], verbs: ['get', 'list', 'watch'] },
    EVENTS_RULE,
  ]),
  role('system:controller:clusterrole-aggregation-controller', [
    { apiGroups: [RBAC], resources: ['clusterroles'], verbs: ['escalate', 'get', 'list', 'patch', 'update', 'watch'] },
  ]),
  role('system:controller:root-ca-cert-publisher', [
    { apiGroups: [''], resources: ['configmaps'], verbs: ['create', 'update'] },
    EVENTS_RULE,
  ]),
  role('system:controller:job-controller', [
    { apiGroups: ['batch'], resources: ['jobs'], verbs: ['get', 'list', 'patch', 'update', 'watch'] },
    { apiGroups: ['batch'], resources: ['jobs/status'], verbs: ['update'] },
    { apiGroups: ['batch'], resources: ['jobs/finalizers'], verbs: ['update'] },
    { apiGroups: [''], resources: ['pods'], verbs: ['create', 'delete', 'list', 'patch', 'watch'] },
    EVENTS_RULE,
  ]),
  role('system:controller:cronjob-controller', [
    { apiGroups: ['batch'], resources: ['cronjobs'], verbs: ['get', 'list', 'update', 'watch'] },
    {
      apiGroups: ['batch'],
      resources: ['jobs'],
      verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
    },
    { apiGroups: ['batch'], resources: ['cronjobs/status'], verbs: ['update'] },
    { apiGroups: ['batch'], resources: ['cronjobs/finalizers'], verbs: ['update'] },
    { apiGroups: [''], resources: ['pods'], verbs: ['delete', 'list', 'watch'] },
    EVENTS_RULE,
  ]),
  role('system:controller:ttl-after-finished-controller', [
    { apiGroups: ['batch'], resources: ['jobs'], verbs: ['delete', 'get', 'list', 'watch'] },
    EVENTS_RULE,
  ]),
  // It counts whatever a quota may name, so it reads everything.
  role('system:controller:resourcequota-controller', [
    { apiGroups: ['*'], resources: ['*'], verbs: ['list', 'watch'] },
    { apiGroups: [''], resources: ['resourcequotas/status'], verbs: ['update'] },
    EVENTS_RULE,
  ]),
  // It reads and writes any resource's /scale, and reads the metrics APIs through the aggregator.
  role('system:controller:horizontal-pod-autoscaler', [
    { apiGroups: ['autoscaling'], resources: ['horizontalpodautoscalers'], verbs: READ },
    { apiGroups: ['autoscaling'], resources: ['horizontalpodautoscalers/status'], verbs: ['update'] },
    { apiGroups: ['*'], resources: ['*/scale'], verbs: ['get', 'update'] },
    { apiGroups: [''], resources: ['pods'], verbs: ['list'] },
    { apiGroups: ['metrics.k8s.io'], resources: ['pods'], verbs: ['list'] },
    { apiGroups: ['custom.metrics.k8s.io'], resources: ['*'], verbs: ['get', 'list'] },
    { apiGroups: ['external.metrics.k8s.io'], resources: ['*'], verbs: ['get', 'list'] },
    EVENTS_RULE,
  ]),
  // mkube's, beyond upstream: approving kubelet serving certificates (kubernetes#73356). The approver
  // reads the requesting Node's addresses, from the apiserver when its cache has not seen the Node yet
  // (the kubelet registers it just before asking): `get` on nodes, which no upstream controller role
  // bound to certificate-controller grants.
  role(KUBELET_SERVING_APPROVER, [
    { apiGroups: [CSR], resources: ['signers'], resourceNames: ['kubernetes.io/kubelet-serving'], verbs: ['approve'] },
    { apiGroups: [''], resources: ['nodes'], verbs: ['get'] },
  ]),
  role(NODECLIENT, [{ apiGroups: [CSR], resources: ['certificatesigningrequests/nodeclient'], verbs: ['create'] }]),
  role(SELFNODECLIENT, [
    { apiGroups: [CSR], resources: ['certificatesigningrequests/selfnodeclient'], verbs: ['create'] },
  ]),
];

/**
 * The roles that became aggregated, each with the role that now carries its rules (upstream's
 * ClusterRolesToAggregate): a cluster holding a plain `view` of its own keeps those rules this way.
 */
export const CLUSTER_ROLES_TO_AGGREGATE: Readonly<Record<string, string>> = {
  admin: 'system:aggregate-to-admin',
  edit: 'system:aggregate-to-edit',
  view: 'system:aggregate-to-view',
};

export const DEFAULT_CLUSTER_ROLE_BINDINGS: readonly ClusterRoleBinding[] = [
  binding('cluster-admin', 'cluster-admin', [group('system:masters')]),
  binding('system:discovery', 'system:discovery', [group('system:authenticated')]),
  binding('system:basic-user', 'system:basic-user', [group('system:authenticated')]),
  binding('system:public-info-viewer', 'system:public-info-viewer', [
    group('system:authenticated'),
    group('system:unauthenticated'),
  ]),
  binding('system:service-account-issuer-discovery', 'system:service-account-issuer-discovery', [
    group('system:serviceaccounts'),
  ]),
  binding('system:monitoring', 'system:monitoring', [group('system:monitoring')]),
  binding('system:kube-controller-manager', 'system:kube-controller-manager', [user(KCM_USER)]),
  binding('system:kube-scheduler', 'system:kube-scheduler', [user(SCHEDULER_USER)]),
  binding('system:volume-scheduler', 'system:volume-scheduler', [user(SCHEDULER_USER)]),
  binding(
    'system:controller:certificate-controller',
    'system:controller:certificate-controller',
    controllerSubjects('certificate-controller'),
  ),
  binding(
    'system:controller:daemon-set-controller',
    'system:controller:daemon-set-controller',
    controllerSubjects('daemon-set-controller'),
  ),
  binding(
    'system:controller:statefulset-controller',
    'system:controller:statefulset-controller',
    controllerSubjects('statefulset-controller'),
  ),
  binding(
    'system:controller:persistent-volume-binder',
    'system:controller:persistent-volume-binder',
    controllerSubjects('persistent-volume-binder'),
  ),
  binding(
    'system:controller:pvc-protection-controller',
    'system:controller:pvc-protection-controller',
    controllerSubjects('pvc-protection-controller'),
  ),
  binding(
    'system:controller:pv-protection-controller',
    'system:controller:pv-protection-controller',
    controllerSubjects('pv-protection-controller'),
  ),
  binding(
    'system:controller:ephemeral-volume-controller',
    'system:controller:ephemeral-volume-controller',
    controllerSubjects('ephemeral-volume-controller'),
  ),
  binding(
    'system:controller:deployment-controller',
    'system:controller:deployment-controller',
    controllerSubjects('deployment-controller'),
  ),
  binding(
    'system:controller:replicaset-controller',
    'system:controller:replicaset-controller',
    controllerSubjects('replicaset-controller'),
  ),
  binding(
    'system:controller:replication-controller',
    'system:controller:replication-controller',
    controllerSubjects('replication-controller'),
  ),
  binding(
    'system:controller:disruption-controller',
    'system:controller:disruption-controller',
    controllerSubjects('disruption-controller'),
  ),
  binding(
    'system:controller:node-controller',
    'system:controller:node-controller',
    controllerSubjects('node-controller'),
  ),
  binding(
    'system:controller:taint-eviction-controller',
    'system:controller:taint-eviction-controller',
    controllerSubjects('taint-eviction-controller'),
  ),
  binding(
    'system:controller:namespace-controller',
    'system:controller:namespace-controller',
    controllerSubjects('namespace-controller'),
  ),
  binding(
    'system:controller:generic-garbage-collector',
    'system:controller:generic-garbage-collector',
    controllerSubjects('generic-garbage-collector'),
  ),
  binding(
    'system:controller:legacy-service-account-token-cleaner',
    'system:controller:legacy-service-account-token-cleaner',
    controllerSubjects('legacy-service-account-token-cleaner'),
  ),
  binding(
    'system:controller:pod-garbage-collector',
    'system:controller:pod-garbage-collector',
    controllerSubjects('pod-garbage-collector'),
  ),
  binding(
    'system:controller:service-account-controller',
    'system:controller:service-account-controller',
    controllerSubjects('service-account-controller'),
  ),
  binding(
    'system:controller:service-cidrs-controller',
    'system:controller:service-cidrs-controller',
    controllerSubjects('service-cidrs-controller'),
  ),
  binding(
    'system:controller:clusterrole-aggregation-controller',
    'system:controller:clusterrole-aggregation-controller',
    controllerSubjects('clusterrole-aggregation-controller'),
  ),
  binding(
    'system:controller:root-ca-cert-publisher',
    'system:controller:root-ca-cert-publisher',
    controllerSubjects('root-ca-cert-publisher'),
  ),
  binding('system:controller:job-controller', 'system:controller:job-controller', controllerSubjects('job-controller')),
  binding(
    'system:controller:cronjob-controller',
    'system:controller:cronjob-controller',
    controllerSubjects('cronjob-controller'),
  ),
  binding(
    'system:controller:ttl-after-finished-controller',
    'system:controller:ttl-after-finished-controller',
    controllerSubjects('ttl-after-finished-controller'),
  ),
  binding(
    'system:controller:resourcequota-controller',
    'system:controller:resourcequota-controller',
    controllerSubjects('resourcequota-controller'),
  ),
  binding(
    'system:controller:horizontal-pod-autoscaler',
    'system:controller:horizontal-pod-autoscaler',
    controllerSubjects('horizontal-pod-autoscaler'),
  ),
  // mkube's: the serving approver runs inside the controller-manager, as the certificate controllers
  // (ServiceAccount certificate-controller with --use-service-account-credentials).
  binding(KUBELET_SERVING_APPROVER, KUBELET_SERVING_APPROVER, controllerSubjects('certificate-controller')),
  // kubeadm's: the admin group (1.29+) and the TLS bootstrap of kubelets.
  binding('kubeadm:cluster-admins', 'cluster-admin', [group('kubeadm:cluster-admins')], true),
  binding('kubeadm:kubelet-bootstrap', 'system:node-bootstrapper', [group('system:bootstrappers')], true),
  binding('kubeadm:node-autoapprove-bootstrap', NODECLIENT, [group('system:bootstrappers')], true),
  binding('kubeadm:node-autoapprove-certificate-rotation', SELFNODECLIENT, [group('system:nodes')], true),
];

/** kubeadm's anonymous read of the cluster-info ConfigMap (bootstrap-token discovery). */
export const CLUSTER_INFO_ROLE: Role = {
  apiVersion: `${RBAC}/v1`,
  kind: 'Role',
  metadata: { name: 'kubeadm:bootstrap-signer-clusterinfo', namespace: 'kube-public' },
  rules: [{ apiGroups: [''], resources: ['configmaps'], resourceNames: ['cluster-info'], verbs: ['get'] }],
};

export const CLUSTER_INFO_BINDING: RoleBinding = {
  apiVersion: `${RBAC}/v1`,
  kind: 'RoleBinding',
  metadata: { name: 'kubeadm:bootstrap-signer-clusterinfo', namespace: 'kube-public' },
  roleRef: { apiGroup: RBAC, kind: 'Role', name: 'kubeadm:bootstrap-signer-clusterinfo' },
  subjects: [user('system:anonymous')],
};

const nsRole = (namespace: string, name: string, rules: PolicyRule[]): Role => ({
  apiVersion: `${RBAC}/v1`,
  kind: 'Role',
  metadata: { name, namespace, labels: { ...LABELS }, annotations: { ...AUTOUPDATE } },
  rules,
});

const nsBinding = (namespace: string, name: string, subjects: Subject[]): RoleBinding => ({
  apiVersion: `${RBAC}/v1`,
  kind: 'RoleBinding',
  metadata: { name, namespace, labels: { ...LABELS }, annotations: { ...AUTOUPDATE } },
  roleRef: { apiGroup: RBAC, kind: 'Role', name },
  subjects,
});

/** The namespaced controller roles (bootstrappolicy/namespace_policy.go). */
export const DEFAULT_ROLES: readonly Role[] = [
  nsRole('kube-system', 'system:controller:bootstrap-signer', [
    { apiGroups: [''], resources: ['secrets'], verbs: ['get', 'list', 'watch'] },
  ]),
  nsRole('kube-system', 'system:controller:token-cleaner', [
    { apiGroups: [''], resources: ['secrets'], verbs: ['delete', 'get', 'list', 'watch'] },
    EVENTS_RULE,
  ]),
  nsRole('kube-public', 'system:controller:bootstrap-signer', [
    { apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list', 'watch'] },
    { apiGroups: [''], resources: ['configmaps'], resourceNames: ['cluster-info'], verbs: ['update'] },
    EVENTS_RULE,
  ]),
  CLUSTER_INFO_ROLE,
  // For servers that delegate authentication (namespace_policy.go).
  nsRole('kube-system', 'extension-apiserver-authentication-reader', [
    {
      apiGroups: [''],
      resources: ['configmaps'],
      resourceNames: [AUTHENTICATION_INFO.name],
      verbs: ['get', 'list', 'watch'],
    },
  ]),
];

export const DEFAULT_ROLE_BINDINGS: readonly RoleBinding[] = [
  nsBinding('kube-system', 'system:controller:bootstrap-signer', controllerSubjects('bootstrap-signer')),
  nsBinding('kube-system', 'system:controller:token-cleaner', controllerSubjects('token-cleaner')),
  nsBinding('kube-public', 'system:controller:bootstrap-signer', controllerSubjects('bootstrap-signer')),
  CLUSTER_INFO_BINDING,
  {
    ...nsBinding('kube-system', 'system::extension-apiserver-authentication-reader', [
      user(KCM_USER),
      user(SCHEDULER_USER),
    ]),
    roleRef: { apiGroup: RBAC, kind: 'Role', name: 'extension-apiserver-authentication-reader' },
  },
];

/** ClusterTrustBundle reads for kubelets (NodeRules with the ClusterTrustBundle gate: pemTrustAnchors volumes). */
export const NODE_CLUSTER_TRUST_BUNDLE_RULE: PolicyRule = {
  apiGroups: [CSR],
  resources: ['clustertrustbundles'],
  verbs: ['get', 'list', 'watch'],
};

export const CTB_PUBLISHER = 'system:controller:kube-apiserver-serving-clustertrustbundle-publisher';

/** PodCertificateRequests for kubelets (NodeRules with the PodCertificateRequest gate: podCertificate volumes). */
export const NODE_POD_CERTIFICATE_REQUEST_RULE: PolicyRule = {
  apiGroups: [CSR],
  resources: ['podcertificaterequests'],
  verbs: ['create', 'get', 'list', 'watch'],
};

export const PCR_CLEANER = 'system:controller:podcertificaterequestcleaner';

interface GatedPolicy {
  readonly nodeRule: PolicyRule;
  readonly roles: readonly ClusterRole[];
  readonly bindings: readonly ClusterRoleBinding[];
}

/** What each gate adds: a system:node rule and the controllers' roles, bound as controller_policy.go binds them. */
const GATED: readonly (readonly [Feature, () => GatedPolicy])[] = [
  [
    'ClusterTrustBundle',
    () => ({
      nodeRule: NODE_CLUSTER_TRUST_BUNDLE_RULE,
      roles: [
        role(CTB_PUBLISHER, [
          {
            apiGroups: [CSR],
            resources: ['signers'],
            resourceNames: ['kubernetes.io/kube-apiserver-serving'],
            verbs: ['attest'],
          },
          {
            apiGroups: [CSR],
            resources: ['clustertrustbundles'],
            verbs: ['create', 'delete', 'list', 'update', 'watch'],
          },
          EVENTS_RULE,
        ]),
      ],
      bindings: [
        binding(
          CTB_PUBLISHER,
          CTB_PUBLISHER,
          controllerSubjects('kube-apiserver-serving-clustertrustbundle-publisher'),
        ),
      ],
    }),
  ],
  [
    // Kubelets create arbitrary requests for podCertificate volumes; the cleaner deletes old ones.
    'PodCertificateRequest',
    () => ({
      nodeRule: NODE_POD_CERTIFICATE_REQUEST_RULE,
      roles: [
        role(PCR_CLEANER, [
          { apiGroups: [CSR], resources: ['podcertificaterequests'], verbs: ['delete', 'get', 'list', 'watch'] },
        ]),
      ],
      bindings: [binding(PCR_CLEANER, PCR_CLEANER, controllerSubjects('podcertificaterequestcleaner'))],
    }),
  ],
];

/**
 * The default policy with the feature gates applied (the `if utilfeature.DefaultFeatureGate.Enabled`
 * branches of policy.go and controller_policy.go).
 */
export function defaultClusterPolicy(gates: FeatureGate): {
  clusterRoles: readonly ClusterRole[];
  clusterRoleBindings: readonly ClusterRoleBinding[];
} {
  const on = GATED.filter(([gate]) => gates.enabled(gate)).map(([, make]) => make());
  if (on.length === 0) {
    return { clusterRoles: DEFAULT_CLUSTER_ROLES, clusterRoleBindings: DEFAULT_CLUSTER_ROLE_BINDINGS };
  }
  const nodeRules = on.map((p) => p.nodeRule);
  const clusterRoles = DEFAULT_CLUSTER_ROLES.map((r) =>
    r.metadata.name === 'system:node' ? { ...r, rules: [...(r.rules ?? []), ...nodeRules] } : r,
  );
  clusterRoles.push(...on.flatMap((p) => p.roles));
  return {
    clusterRoles,
    clusterRoleBindings: [...DEFAULT_CLUSTER_ROLE_BINDINGS, ...on.flatMap((p) => p.bindings)],
  };
}
