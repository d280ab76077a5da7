// The default ClusterRoles and ClusterRoleBindings kube-apiserver creates (bootstrappolicy/policy.go)
// that matter to mkube, plus kubeadm's TLS-bootstrap bindings. Data only.
import type { ClusterRole, ClusterRoleBinding, PolicyRule, Subject } from '@mkube/shared/api';

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
