// The kubelet's flags that mkube serves, under the kubelet's names. Defaults follow the
// KubeletConfiguration v1beta1 defaults where they differ from the bare flag defaults (anonymous
// auth off, webhook authn on, Webhook authorization), as kubeadm-provisioned kubelets run.
// --config reads those settings from a KubeletConfiguration file; flags given override it.
import { FEATURE_GATES_FLAG } from '@mkube/shared/featuregate';
import type { FlagSpec } from '@mkube/shared/flags';
import { TLS_FLAGS } from '@mkube/shared/tls';

export const KUBELET_FLAGS: readonly FlagSpec[] = [
  {
    name: 'config',
    type: 'string',
    metavar: 'file',
    usage:
      "The Kubelet will load its initial configuration from this file (kubelet.config.k8s.io/v1beta1 KubeletConfiguration, YAML or JSON). The path may be absolute or relative; relative paths start at the Kubelet's current working directory, and relative paths in the file at the file's folder. Omit this flag to use the built-in default configuration values. Command-line flags override configuration from this file.",
  },
  {
    name: 'kubeconfig',
    type: 'string',
    metavar: 'file',
    usage: 'Path to a kubeconfig file, specifying how to connect to the API server (written after TLS bootstrap).',
  },
  {
    name: 'bootstrap-kubeconfig',
    type: 'string',
    metavar: 'file',
    usage:
      'Path to a kubeconfig file that will be used to get a client certificate for the kubelet. If --kubeconfig does not exist or holds no valid certificate, this one requests it.',
  },
  {
    name: 'cert-dir',
    type: 'string',
    metavar: 'dir',
    usage: 'The directory where the TLS certs are located (default <root-dir>/pki).',
  },
  {
    name: 'root-dir',
    type: 'string',
    default: '/var/lib/kubelet',
    metavar: 'dir',
    usage: 'Directory path for managing kubelet files (pod logs, pod working directories, pki).',
  },
  {
    name: 'rotate-certificates',
    type: 'bool',
    default: true,
    usage:
      'Auto rotate the kubelet client certificate by requesting a new one as the current one approaches expiration.',
  },
  {
    name: 'rotate-server-certificates',
    type: 'bool',
    usage:
      'Request the serving certificate from the kubernetes.io/kubelet-serving signer (serverTLSBootstrap) and rotate it; until it is issued the port refuses TLS.',
  },
  {
    name: 'tls-cert-file',
    type: 'string',
    usage: 'File containing the x509 certificate for HTTPS (without --rotate-server-certificates).',
  },
  {
    name: 'tls-private-key-file',
    type: 'string',
    usage: 'File containing the x509 private key matching --tls-cert-file.',
  },
  ...TLS_FLAGS,
  FEATURE_GATES_FLAG,
  {
    name: 'node-ip',
    type: 'stringSlice',
    metavar: 'ip',
    usage: "IP address(es) of the node (InternalIP). Default: the host's first non-loopback IPv4, else 127.0.0.1.",
  },
  {
    name: 'hostname-override',
    type: 'string',
    usage: 'If non-empty, use this string as the Node name instead of the host name.',
  },
  { name: 'port', type: 'int', default: 10250, usage: 'The port for the kubelet to serve on (0: any free port).' },
  {
    name: 'address',
    type: 'string',
    default: '0.0.0.0',
    metavar: 'ip',
    usage: 'The IP address for the kubelet to serve on.',
  },
  {
    name: 'client-ca-file',
    type: 'string',
    usage: 'Client certificates signed by one of these authorities authenticate as their CommonName (groups: O).',
  },
  {
    name: 'anonymous-auth',
    type: 'bool',
    default: false,
    usage: 'Enables anonymous requests to the kubelet server (user system:anonymous).',
  },
  {
    name: 'protect-kernel-defaults',
    type: 'bool',
    default: false,
    usage:
      "Default kubelet behaviour for kernel tuning. If set, kubelet errors if any of kernel tunables is different than kubelet defaults. (mkube's kubelet never changes them: unset, it logs the differences.)",
  },
  {
    name: 'event-qps',
    type: 'int',
    default: 50,
    usage: 'QPS to limit event creations. The number must be >= 0. If 0 will use DefaultQPS: 5.',
  },
  {
    name: 'event-burst',
    type: 'int',
    default: 100,
    usage:
      'Maximum size of a bursty event records, temporarily allows event records to burst to this number, while still not exceeding event-qps. The number must be >= 0. If 0 will use DefaultBurst: 10.',
  },
  {
    name: 'read-only-port',
    type: 'int',
    default: 0,
    usage:
      'The read-only port for the kubelet to serve on with no authentication/authorization: mkube serves none, so only 0 is accepted.',
  },
  {
    name: 'streaming-connection-idle-timeout',
    type: 'duration',
    default: '4h',
    usage:
      'Maximum time a streaming connection (exec, attach, port-forward) can be idle before it is closed. 0 indicates no timeout.',
  },
  {
    name: 'enable-debugging-handlers',
    type: 'bool',
    default: true,
    usage:
      'Enables server endpoints for log collection and local running of containers and commands (exec, attach, port-forward, run, logs, pprof).',
  },
  {
    name: 'authentication-token-webhook',
    type: 'bool',
    default: true,
    usage: 'Use the TokenReview API to determine authentication for bearer tokens.',
  },
  {
    name: 'authentication-token-webhook-cache-ttl',
    type: 'duration',
    default: '2m',
    usage: 'The duration to cache responses from the webhook token authenticator.',
  },
  {
    name: 'authorization-mode',
    type: 'string',
    default: 'Webhook',
    usage: 'Authorization mode for the kubelet server: AlwaysAllow or Webhook (SubjectAccessReview).',
  },
  {
    name: 'authorization-webhook-cache-authorized-ttl',
    type: 'duration',
    default: '5m',
    usage: "The duration to cache 'authorized' responses from the webhook authorizer.",
  },
  {
    name: 'authorization-webhook-cache-unauthorized-ttl',
    type: 'duration',
    default: '30s',
    usage: "The duration to cache 'unauthorized' responses from the webhook authorizer.",
  },
  {
    name: 'pod-manifest-path',
    type: 'string',
    usage: 'Directory of static pod manifests (YAML or JSON) to run.',
  },
  {
    name: 'node-lease-duration-seconds',
    type: 'int',
    default: 40,
    usage: 'The duration the kubelet sets on its Lease in kube-node-lease; renewed every quarter of it (10 s).',
  },
  {
    name: 'node-status-update-frequency',
    type: 'duration',
    default: '10s',
    usage: 'How often the kubelet checks its node status and writes it when it changed (at least every minute).',
  },
  {
    name: 'sync-frequency',
    type: 'duration',
    default: '1m',
    usage:
      "Max period between synchronizing running containers and config: a pod's Secret, ConfigMap and ClusterTrustBundle volumes are read again this often.",
  },
  {
    name: 'node-labels',
    type: 'stringSlice',
    usage: 'Labels to add when registering the node (key=value; node-restriction.kubernetes.io/ keys are refused).',
  },
  // kubeadm join's token discovery, folded into the kubelet so one process can join from a token.
  {
    name: 'bootstrap-token',
    type: 'string',
    usage:
      'Token discovery (as kubeadm join): fetch kube-public/cluster-info from --server, verify its JWS with this token and its CA against --discovery-token-ca-cert-hash, then write --bootstrap-kubeconfig.',
  },
  {
    name: 'discovery-token-ca-cert-hash',
    type: 'stringSlice',
    usage: 'sha256:<hex> pins of the cluster CA public key (SubjectPublicKeyInfo) for token discovery.',
  },
  {
    name: 'discovery-token-unsafe-skip-ca-verification',
    type: 'bool',
    usage: 'Token discovery without a CA pin (the JWS is still checked).',
  },
  {
    name: 'discovery-timeout',
    type: 'duration',
    default: '5m',
    usage: 'How long token discovery keeps retrying while the cluster-info signature is not (yet) there.',
  },
  { name: 'server', type: 'string', usage: 'The API server URL for token discovery (https://host:port).' },
  { name: 'v', type: 'int', default: 0, usage: 'Log verbosity (0 info, 4 debug, 6+ trace).' },
];
