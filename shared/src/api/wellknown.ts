// Well-known names Kubernetes gives meaning to: label/annotation keys, condition types, signer names
// and API group names. Spelled once here so a typo cannot compile.

export const GROUP = {
  core: '',
  coordination: 'coordination.k8s.io',
  certificates: 'certificates.k8s.io',
  rbac: 'rbac.authorization.k8s.io',
  authentication: 'authentication.k8s.io',
  authorization: 'authorization.k8s.io',
  meta: 'meta.k8s.io',
  discovery: 'apidiscovery.k8s.io',
} as const;

/** The garbage collector's finalizers, set by DELETE's propagation policy (Orphan, Foreground). */
export const FINALIZER_ORPHAN_DEPENDENTS = 'orphan';
export const FINALIZER_DELETE_DEPENDENTS = 'foregroundDeletion';

export const LABEL = {
  hostname: 'kubernetes.io/hostname',
  os: 'kubernetes.io/os',
  arch: 'kubernetes.io/arch',
  metadataName: 'kubernetes.io/metadata.name',
  /** Marks default RBAC objects the apiserver reconciles on start. */
  bootstrapping: 'kubernetes.io/bootstrapping',
  nodeRoleControlPlane: 'node-role.kubernetes.io/control-plane',
} as const;

/**
 * The ConfigMap in which kube-apiserver publishes its client CA and request-header settings for
 * servers that delegate authentication to it (the controller-manager's secure port).
 */
export const AUTHENTICATION_INFO = { namespace: 'kube-system', name: 'extension-apiserver-authentication' } as const;

/** Labels under this prefix may not be set by a kubelet on its own Node (NodeRestriction). */
export const NODE_RESTRICTION_LABEL_PREFIX = 'node-restriction.kubernetes.io/';

export const ANNOTATION = {
  /** `"true"` (default) lets the apiserver reconcile a default RBAC object; `"false"` leaves user edits alone. */
  rbacAutoupdate: 'rbac.authorization.kubernetes.io/autoupdate',
  lastAppliedConfig: 'kubectl.kubernetes.io/last-applied-configuration',
  serviceAccountName: 'kubernetes.io/service-account.name',
  serviceAccountUID: 'kubernetes.io/service-account.uid',
} as const;

export const SIGNER = {
  kubeAPIServerClient: 'kubernetes.io/kube-apiserver-client',
  kubeAPIServerClientKubelet: 'kubernetes.io/kube-apiserver-client-kubelet',
  kubeletServing: 'kubernetes.io/kubelet-serving',
  legacyUnknown: 'kubernetes.io/legacy-unknown',
} as const;

export type SignerName = (typeof SIGNER)[keyof typeof SIGNER];

export const CSR_CONDITION = { approved: 'Approved', denied: 'Denied', failed: 'Failed' } as const;

export const NODE_CONDITION = {
  ready: 'Ready',
  memoryPressure: 'MemoryPressure',
  diskPressure: 'DiskPressure',
  pidPressure: 'PIDPressure',
  networkUnavailable: 'NetworkUnavailable',
} as const;

export const POD_CONDITION = {
  scheduled: 'PodScheduled',
  readyToStartContainers: 'PodReadyToStartContainers',
  initialized: 'Initialized',
  containersReady: 'ContainersReady',
  ready: 'Ready',
} as const;

/** Taints the node lifecycle controller and kubeadm use. */
export const TAINT = {
  notReady: 'node.kubernetes.io/not-ready',
  unreachable: 'node.kubernetes.io/unreachable',
  unschedulable: 'node.kubernetes.io/unschedulable',
  controlPlane: 'node-role.kubernetes.io/control-plane',
} as const;

export const FINALIZER = { kubernetes: 'kubernetes' } as const;

/** Namespace where node heartbeat Leases live. */
export const NAMESPACE_NODE_LEASE = 'kube-node-lease';
export const NAMESPACE_SYSTEM = 'kube-system';
export const NAMESPACE_PUBLIC = 'kube-public';
export const NAMESPACE_DEFAULT = 'default';
