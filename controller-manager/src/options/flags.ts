// kube-controller-manager's flags that mkube serves, under upstream's names and defaults.
import { FEATURE_GATES_FLAG } from '@mkube/shared/featuregate';
import type { FlagSpec } from '@mkube/shared/flags';
import { TLS_FLAGS } from '@mkube/shared/tls';
import { PV_BINDER_FLAGS } from './persistentvolume.js';
import { HPA_FLAGS } from './podautoscaler.js';

const pair = (signer: string, what: string): FlagSpec[] => [
  {
    name: `cluster-signing-${signer}-cert-file`,
    type: 'string',
    usage: `Filename containing a PEM-encoded X509 CA certificate used to issue certificates for the ${what} signer.`,
  },
  {
    name: `cluster-signing-${signer}-key-file`,
    type: 'string',
    usage: `Filename containing a PEM-encoded RSA or ECDSA private key used to sign certificates for the ${what} signer.`,
  },
];

export const CONTROLLER_MANAGER_FLAGS: readonly FlagSpec[] = [
  {
    name: 'kubeconfig',
    type: 'string',
    usage: 'Path to kubeconfig file with authorization and master location information.',
  },
  {
    name: 'controllers',
    type: 'stringSlice',
    default: ['*'],
    usage:
      "A list of controllers to enable. '*' enables all on-by-default controllers, 'foo' enables the controller named 'foo', '-foo' disables the controller named 'foo'. Off by default: bootstrap-signer-controller, token-cleaner-controller.",
  },
  FEATURE_GATES_FLAG,
  {
    name: 'cluster-signing-cert-file',
    type: 'string',
    usage:
      'Filename containing a PEM-encoded X509 CA certificate used to issue cluster-scoped certificates. If specified, no more specific --cluster-signing-* flag may be specified.',
  },
  {
    name: 'cluster-signing-key-file',
    type: 'string',
    usage:
      'Filename containing a PEM-encoded RSA or ECDSA private key used to sign cluster-scoped certificates. If specified, no more specific --cluster-signing-* flag may be specified.',
  },
  ...pair('kubelet-serving', 'kubernetes.io/kubelet-serving'),
  ...pair('kubelet-client', 'kubernetes.io/kube-apiserver-client-kubelet'),
  ...pair('kube-apiserver-client', 'kubernetes.io/kube-apiserver-client'),
  ...pair('legacy-unknown', 'kubernetes.io/legacy-unknown'),
  {
    name: 'cluster-signing-duration',
    type: 'duration',
    default: '8760h',
    usage:
      'The max length of duration signed certificates will be given. Individual CSRs may request shorter certs by setting spec.expirationSeconds.',
  },
  {
    name: 'experimental-cluster-signing-duration',
    type: 'duration',
    usage: 'Deprecated: use --cluster-signing-duration.',
  },
  {
    name: 'root-ca-file',
    type: 'string',
    usage:
      "If set, this root certificate authority will be included in service account's token secret and published as kube-root-ca.crt in every namespace. Default: the kubeconfig's certificate authority.",
  },
  {
    name: 'use-service-account-credentials',
    type: 'bool',
    default: false,
    usage: 'If true, use individual service account credentials for each controller.',
  },
  {
    name: 'service-account-private-key-file',
    type: 'string',
    usage: 'Filename containing a PEM-encoded private RSA or ECDSA key used to sign service account tokens.',
  },
  {
    name: 'concurrent-gc-syncs',
    type: 'int',
    default: 20,
    usage: 'The number of garbage collector workers that are allowed to sync concurrently.',
  },
  {
    name: 'legacy-service-account-token-clean-up-period',
    type: 'duration',
    default: '8760h',
    usage: 'The period of time since the last usage of an legacy service account token before it can be deleted.',
  },
  {
    name: 'concurrent-replicaset-syncs',
    type: 'int',
    default: 5,
    usage:
      'The number of replica sets that are allowed to sync concurrently. Larger number = more responsive replica management, but more CPU (and network) load',
  },
  {
    name: 'concurrent-rc-syncs',
    type: 'int',
    default: 5,
    usage:
      'The number of replication controllers that are allowed to sync concurrently. Larger number = more responsive replica management, but more CPU (and network) load',
  },
  {
    name: 'concurrent-deployment-syncs',
    type: 'int',
    default: 5,
    usage:
      'The number of deployment objects that are allowed to sync concurrently. Larger number = more responsive deployments, but more CPU (and network) load',
  },
  {
    name: 'concurrent-daemonset-syncs',
    type: 'int',
    default: 2,
    usage:
      'The number of daemonset objects that are allowed to sync concurrently. Larger number = more responsive daemonsets, but more CPU (and network) load',
  },
  {
    name: 'concurrent-statefulset-syncs',
    type: 'int',
    default: 5,
    usage:
      'The number of statefulset objects that are allowed to sync concurrently. Larger number = more responsive statefulsets, but more CPU (and network) load',
  },
  {
    name: 'concurrent-job-syncs',
    type: 'int',
    default: 5,
    usage:
      'The number of job objects that are allowed to sync concurrently. Larger number = more responsive jobs, but more CPU (and network) load',
  },
  {
    name: 'concurrent-cron-job-syncs',
    type: 'int',
    default: 5,
    usage:
      'The number of cron job objects that are allowed to sync concurrently. Larger number = more responsive jobs, but more CPU (and network) load',
  },
  {
    name: 'concurrent-ttl-after-finished-syncs',
    type: 'int',
    default: 5,
    usage: 'The number of ttl-after-finished-controller workers that are allowed to sync concurrently.',
  },
  {
    name: 'concurrent-ephemeralvolume-syncs',
    type: 'int',
    default: 5,
    usage:
      'The number of ephemeral volume syncing operations that will be done concurrently. Larger number = faster ephemeral volume updating, but more CPU (and network) load',
  },
  {
    name: 'concurrent-resource-quota-syncs',
    type: 'int',
    default: 5,
    usage:
      'The number of resource quotas that are allowed to sync concurrently. Larger number = more responsive quota management, but more CPU (and network) load',
  },
  {
    name: 'resource-quota-sync-period',
    type: 'duration',
    default: '5m0s',
    usage: 'The period for syncing quota usage status in the system',
  },
  ...HPA_FLAGS,
  ...PV_BINDER_FLAGS,
  {
    name: 'concurrent-serviceaccount-token-syncs',
    type: 'int',
    default: 5,
    usage:
      'The number of service account token objects that are allowed to sync concurrently. Larger number = more responsive token generation, but more CPU (and network) load',
  },
  {
    name: 'leader-elect',
    type: 'bool',
    default: true,
    usage:
      'Start a leader election client and gain leadership before executing the main loop. Enable this when running replicated components for high availability.',
  },
  {
    name: 'leader-elect-lease-duration',
    type: 'duration',
    default: '15s',
    usage:
      'The duration that non-leader candidates will wait after observing a leadership renewal until attempting to acquire leadership of a led but unrenewed leader slot.',
  },
  {
    name: 'leader-elect-renew-deadline',
    type: 'duration',
    default: '10s',
    usage:
      'The interval between attempts by the acting master to renew a leadership slot before it stops leading. This must be less than the lease duration.',
  },
  {
    name: 'leader-elect-retry-period',
    type: 'duration',
    default: '2s',
    usage: 'The duration the clients should wait between attempting acquisition and renewal of a leadership.',
  },
  {
    name: 'leader-elect-resource-lock',
    type: 'string',
    default: 'leases',
    usage:
      "The type of resource object that is used for locking during leader election. Supported options are 'leases'.",
  },
  {
    name: 'leader-elect-resource-name',
    type: 'string',
    default: 'kube-controller-manager',
    usage: 'The name of resource object that is used for locking during leader election.',
  },
  {
    name: 'leader-elect-resource-namespace',
    type: 'string',
    default: 'kube-system',
    usage: 'The namespace of resource object that is used for locking during leader election.',
  },
  {
    name: 'node-monitor-grace-period',
    type: 'duration',
    default: '40s',
    usage:
      'Amount of time which we allow running Node to be unresponsive before marking it unhealthy (its Lease not renewed for this long).',
  },
  {
    name: 'node-monitor-period',
    type: 'duration',
    default: '5s',
    usage:
      'The period for syncing NodeStatus in NodeController. mkube: nodes that stop reporting within one period are counted together before any gets a NoExecute taint.',
  },
  {
    name: 'node-eviction-rate',
    type: 'float',
    default: 0.1,
    usage:
      'Number of nodes per second on which pods are deleted in case of node failure when a zone is healthy (the rate at which nodes get their NoExecute taint).',
  },
  {
    name: 'secondary-node-eviction-rate',
    type: 'float',
    default: 0.01,
    usage:
      'Number of nodes per second on which pods are deleted in case of node failure when a zone is unhealthy (see --unhealthy-zone-threshold). This value is implicitly overridden to 0 if the cluster size is smaller than --large-cluster-size-threshold.',
  },
  {
    name: 'unhealthy-zone-threshold',
    type: 'float',
    default: 0.55,
    usage: 'Fraction of Nodes in a zone which needs to be not Ready (minimum 3) for zone to be treated as unhealthy.',
  },
  {
    name: 'large-cluster-size-threshold',
    type: 'int',
    default: 50,
    usage:
      'Number of nodes from which node-lifecycle-controller treats the cluster as large for the eviction logic purposes. --secondary-node-eviction-rate is implicitly overridden to 0 for clusters this size or smaller.',
  },
  {
    name: 'terminated-pod-gc-threshold',
    type: 'int',
    default: 12500,
    usage:
      'Number of terminated pods that can exist before the terminated pod garbage collector starts deleting terminated pods. If <= 0, the terminated pod garbage collector is disabled.',
  },
  {
    name: 'serving-csr-allowed-cidrs',
    type: 'stringSlice',
    usage:
      "mkube: IP subjectAltNames of kubelet serving CSRs must also lie in one of these CIDRs (besides being the Node's own addresses). Empty: no extra limit.",
  },
  {
    name: 'serving-csr-max-expiration',
    type: 'duration',
    default: '8760h',
    usage: 'mkube: kubelet serving CSRs asking for a longer spec.expirationSeconds are denied.',
  },
  // Secure serving and its delegated authentication and authorization (k8s.io/apiserver's
  // SecureServingOptions and Delegating{Authentication,Authorization}Options as kube-controller-manager sets them).
  {
    name: 'secure-port',
    type: 'int',
    default: 10257,
    usage: "The port on which to serve HTTPS with authentication and authorization. If 0, don't serve HTTPS at all.",
  },
  {
    name: 'bind-address',
    type: 'string',
    default: '0.0.0.0',
    usage: 'The IP address on which to listen for the --secure-port port.',
  },
  {
    name: 'tls-cert-file',
    type: 'string',
    usage:
      'File containing the default x509 Certificate for HTTPS. If HTTPS serving is enabled, and --tls-cert-file and --tls-private-key-file are not provided, a self-signed certificate and key are generated for the public address and saved to the directory specified by --cert-dir.',
  },
  {
    name: 'tls-private-key-file',
    type: 'string',
    usage: 'File containing the default x509 private key matching --tls-cert-file.',
  },
  ...TLS_FLAGS,
  {
    name: 'cert-dir',
    type: 'string',
    usage:
      'The directory where the TLS certs are located. If --tls-cert-file and --tls-private-key-file are provided, this flag will be ignored. Empty: the self-signed pair is kept in memory.',
  },
  {
    name: 'client-ca-file',
    type: 'string',
    usage:
      'If set, any request presenting a client certificate signed by one of the authorities in the client-ca-file is authenticated with an identity corresponding to the CommonName of the client certificate.',
  },
  {
    name: 'requestheader-client-ca-file',
    type: 'string',
    usage:
      'Root certificate bundle to use to verify client certificates on incoming requests before trusting usernames in headers specified by --requestheader-username-headers. WARNING: generally do not depend on authorization being already done for incoming requests.',
  },
  {
    name: 'requestheader-allowed-names',
    type: 'stringSlice',
    usage:
      'List of client certificate common names to allow to provide usernames in headers specified by --requestheader-username-headers. If empty, any client certificate validated by the authorities in --requestheader-client-ca-file is allowed.',
  },
  {
    name: 'requestheader-username-headers',
    type: 'stringSlice',
    default: ['x-remote-user'],
    usage: 'List of request headers to inspect for usernames. X-Remote-User is common.',
  },
  {
    name: 'requestheader-uid-headers',
    type: 'stringSlice',
    usage: 'List of request headers to inspect for UIDs. X-Remote-Uid is suggested.',
  },
  {
    name: 'requestheader-group-headers',
    type: 'stringSlice',
    default: ['x-remote-group'],
    usage: 'List of request headers to inspect for groups. X-Remote-Group is suggested.',
  },
  {
    name: 'requestheader-extra-headers-prefix',
    type: 'stringSlice',
    default: ['x-remote-extra-'],
    usage: 'List of request header prefixes to inspect. X-Remote-Extra- is suggested.',
  },
  {
    name: 'authentication-kubeconfig',
    type: 'string',
    usage:
      "kubeconfig file pointing at the 'core' kubernetes server with enough rights to create tokenreviews.authentication.k8s.io. Without it, bearer tokens are not checked (requests without a client certificate are anonymous).",
  },
  {
    name: 'authentication-skip-lookup',
    type: 'bool',
    default: false,
    usage:
      'If false, the authentication-kubeconfig will be used to lookup missing authentication configuration from the cluster.',
  },
  {
    name: 'authentication-tolerate-lookup-failure',
    type: 'bool',
    default: false,
    usage:
      'If true, failures to look up missing authentication configuration from the cluster are not considered fatal. Note that this can result in authentication that treats all requests as anonymous.',
  },
  {
    name: 'authentication-token-webhook-cache-ttl',
    type: 'duration',
    default: '10s',
    usage: 'The duration to cache responses from the webhook token authenticator.',
  },
  {
    name: 'authorization-kubeconfig',
    type: 'string',
    usage:
      "kubeconfig file pointing at the 'core' kubernetes server with enough rights to create subjectaccessreviews.authorization.k8s.io. Without it, all requests not skipped by authorization are forbidden.",
  },
  {
    name: 'authorization-always-allow-paths',
    type: 'stringSlice',
    default: ['/healthz', '/readyz', '/livez'],
    usage:
      "A list of HTTP paths to skip during authorization, i.e. these are authorized without contacting the 'core' kubernetes server.",
  },
  {
    name: 'authorization-webhook-cache-authorized-ttl',
    type: 'duration',
    default: '10s',
    usage: "The duration to cache 'authorized' responses from the webhook authorizer.",
  },
  {
    name: 'authorization-webhook-cache-unauthorized-ttl',
    type: 'duration',
    default: '10s',
    usage: "The duration to cache 'unauthorized' responses from the webhook authorizer.",
  },
  {
    name: 'profiling',
    type: 'bool',
    default: true,
    usage: 'Enable profiling via web interface host:port/debug/pprof/',
  },
  {
    name: 'v',
    type: 'int',
    default: 0,
    usage: 'number for the log level verbosity',
  },
];
