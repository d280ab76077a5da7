// The default ClusterRoles and ClusterRoleBindings kube-apiserver creates (bootstrappolicy/policy.go)
// that matter to mkube, plus kubeadm's TLS-bootstrap bindings. Data only.
import type { ClusterRole, ClusterRoleBinding, PolicyRule, Role, RoleBinding, Subject } from '@mkube/shared/api';

const RBAC = 'rbac.authorization.k8s.io';
const LABELS = { 'kubernetes.io/bootstrapping': 'rbac-defaults' };
const AUTOUPDATE = { 'rbac.authorization.kubernetes.io/autoupdate': 'true' };

const role = (name: string, rules: PolicyRule[]): ClusterRole => ({
  apiVersion: `${RBAC}/v1`,
  kind: 'ClusterRole',
  metadata: { name, labels: { ...LABELS }, annotations: { ...AUTOUPDATE } },
  rules,
});

const group = (name: string): Subject => ({ kind: 'Group', apiGroup: RBAC, name });
const user = (name: string): Subject => ({ kind: 'User', apiGroup: RBAC, name });

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
  role('system:node', [
    { apiGroups: [''], resources: ['nodes'], verbs: ['create', 'get', 'list', 'watch', 'update', 'patch'] },
    { apiGroups: [''], resources: ['nodes/status'], verbs: ['patch', 'update'] },
    { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch', 'create', 'delete'] },
    { apiGroups: [''], resources: ['pods/status'], verbs: ['patch', 'update'] },
    { apiGroups: [''], resources: ['pods/eviction'], verbs: ['create'] },
    { apiGroups: [''], resources: ['services', 'endpoints'], verbs: ['get', 'list', 'watch'] },
    { apiGroups: ['', 'events.k8s.io'], resources: ['events'], verbs: ['create', 'update', 'patch'] },
    { apiGroups: [''], resources: ['secrets', 'configmaps', 'persistentvolumeclaims'], verbs: ['get'] },
    { apiGroups: [''], resources: ['serviceaccounts/token'], verbs: ['create'] },
    {
      apiGroups: ['coordination.k8s.io'],
      resources: ['leases'],
      verbs: ['get', 'create', 'update', 'patch', 'delete'],
    },
    { apiGroups: [CSR], resources: ['certificatesigningrequests'], verbs: ['create', 'get', 'list', 'watch'] },
    { apiGroups: ['authentication.k8s.io'], resources: ['tokenreviews'], verbs: ['create'] },
    {
      apiGroups: ['authorization.k8s.io'],
      resources: ['subjectaccessreviews', 'localsubjectaccessreviews'],
      verbs: ['create'],
    },
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
  // mkube's, beyond upstream: approving kubelet serving certificates (kubernetes#73356).
  role(KUBELET_SERVING_APPROVER, [
    { apiGroups: [CSR], resources: ['signers'], resourceNames: ['kubernetes.io/kubelet-serving'], verbs: ['approve'] },
  ]),
  role(NODECLIENT, [{ apiGroups: [CSR], resources: ['certificatesigningrequests/nodeclient'], verbs: ['create'] }]),
  role(SELFNODECLIENT, [
    { apiGroups: [CSR], resources: ['certificatesigningrequests/selfnodeclient'], verbs: ['create'] },
  ]),
];

export const DEFAULT_CLUSTER_ROLE_BINDINGS: readonly ClusterRoleBinding[] = [
  binding('cluster-admin', 'cluster-admin', [group('system:masters')]),
  binding('system:discovery', 'system:discovery', [group('system:authenticated')]),
  binding('system:basic-user', 'system:basic-user', [group('system:authenticated')]),
  binding('system:public-info-viewer', 'system:public-info-viewer', [
    group('system:authenticated'),
    group('system:unauthenticated'),
  ]),
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
