// kube-apiserver's flags that mkube serves, under kube-apiserver's names and defaults.

import { FEATURE_GATES_FLAG } from '@mkube/shared/featuregate';
import type { FlagSpec } from '@mkube/shared/flags';
import { TLS_FLAGS } from '@mkube/shared/tls';
import { CORS_HELP } from '../server/cors.js';

export const APISERVER_FLAGS: readonly FlagSpec[] = [
  {
    name: 'secure-port',
    type: 'int',
    default: 6443,
    usage: 'The port on which to serve HTTPS with authentication and authorization (0: any free port).',
  },
  {
    name: 'runtime-config',
    type: 'stringSlice',
    metavar: 'mapStringString',
    usage:
      'A set of key=value pairs that enable or disable built-in APIs. Supported options are:\nv1=true|false for the core API group\n<group>/<version>=true|false for a specific API group and version (e.g. apps/v1=true)\napi/all=true|false controls all API versions\napi/ga=true|false controls all API versions of the form v[0-9]+\napi/beta=true|false controls all API versions of the form v[0-9]+beta[0-9]+\napi/alpha=true|false controls all API versions of the form v[0-9]+alpha[0-9]+\napi/legacy is deprecated, and will be removed in a future version',
  },
  FEATURE_GATES_FLAG,
  {
    name: 'bind-address',
    type: 'string',
    default: '0.0.0.0',
    metavar: 'ip',
    usage: 'The IP address on which to listen for the --secure-port port.',
  },
  {
    name: 'tls-cert-file',
    type: 'string',
    usage: 'File containing the default x509 Certificate for HTTPS (CA cert, if any, concatenated after server cert).',
  },
  {
    name: 'tls-private-key-file',
    type: 'string',
    usage: 'File containing the default x509 private key matching --tls-cert-file.',
  },
  ...TLS_FLAGS,
  {
    name: 'tls-sni-cert-key',
    type: 'stringArray',
    metavar: 'certfile,keyfile[:names]',
    usage:
      'A pair of x509 certificate and private key file paths, optionally suffixed with a list of domain patterns which are fully qualified domain names, possibly with prefixed wildcard segments. If no domain patterns are provided, the names of the certificate are extracted. Non-wildcard matches trump over wildcard matches, explicit domain patterns trump over extracted names. For multiple key/certificate pairs, use the --tls-sni-cert-key multiple times. Examples: "example.crt,example.key" or "foo.crt,foo.key:*.foo.com,foo.com".',
  },
  {
    name: 'client-ca-file',
    type: 'string',
    usage:
      'If set, any request presenting a client certificate signed by one of the authorities in the client-ca-file is authenticated with an identity corresponding to the CommonName of the client certificate.',
  },
  {
    name: 'anonymous-auth',
    type: 'bool',
    default: true,
    usage:
      'Enables anonymous requests to the secure port of the API server. Anonymous requests have a username of system:anonymous, and a group name of system:unauthenticated.',
  },
  {
    name: 'allow-privileged',
    type: 'bool',
    default: false,
    usage: 'If true, allow privileged containers. [default=false]',
  },
  {
    name: 'enable-bootstrap-token-auth',
    type: 'bool',
    usage:
      "Enable to allow secrets of type 'bootstrap.kubernetes.io/token' in the 'kube-system' namespace to be used for TLS bootstrapping authentication.",
  },
  {
    name: 'token-auth-file',
    type: 'string',
    usage: 'If set, the file that will be used to secure the secure port of the API server via token authentication.',
  },
  {
    name: 'authentication-config',
    type: 'string',
    usage:
      'File with Authentication Configuration (apiserver.config.k8s.io AuthenticationConfiguration) to configure the JWT Token authenticator or the anonymous authenticator. Mutually exclusive with the --oidc-* flags; reloaded when it changes.',
  },
  {
    name: 'oidc-issuer-url',
    type: 'string',
    usage:
      'The URL of the OpenID issuer, only HTTPS scheme will be accepted. If set, it will be used to verify the OIDC JSON Web Token (JWT).',
  },
  {
    name: 'oidc-client-id',
    type: 'string',
    usage: 'The client ID for the OpenID Connect client, must be set if oidc-issuer-url is set.',
  },
  {
    name: 'oidc-ca-file',
    type: 'string',
    usage:
      "If set, the OpenID server's certificate will be verified by one of the authorities in the oidc-ca-file, otherwise the host's root CA set will be used.",
  },
  {
    name: 'oidc-username-claim',
    type: 'string',
    default: 'sub',
    usage:
      "The OpenID claim to use as the user name. Note that claims other than the default ('sub') are not guaranteed to be unique and immutable.",
  },
  {
    name: 'oidc-username-prefix',
    type: 'string',
    usage:
      "If provided, all usernames will be prefixed with this value. If not provided, username claims other than 'email' are prefixed by the issuer URL to avoid clashes. To skip any prefixing, provide the value '-'.",
  },
  {
    name: 'oidc-groups-claim',
    type: 'string',
    usage:
      'If provided, the name of a custom OpenID Connect claim for specifying user groups. The claim value is expected to be a string or array of strings.',
  },
  {
    name: 'oidc-groups-prefix',
    type: 'string',
    usage:
      'If provided, all groups will be prefixed with this value to prevent conflicts with other authentication strategies.',
  },
  {
    name: 'oidc-signing-algs',
    type: 'stringSlice',
    default: ['RS256'],
    usage:
      "Comma-separated list of allowed JOSE asymmetric signing algorithms. JWTs with a supported 'alg' header values are: RS256, RS384, RS512, ES256, ES384, ES512, PS256, PS384, PS512.",
  },
  {
    name: 'oidc-required-claim',
    type: 'stringArray',
    metavar: 'key=value',
    usage:
      'A key=value pair that describes a required claim in the ID Token. If set, the claim is verified to be present in the ID Token with a matching value. Repeat this flag to specify multiple claims.',
  },
  {
    name: 'service-account-key-file',
    type: 'stringArray',
    usage:
      'File containing PEM-encoded x509 RSA or ECDSA private or public keys, used to verify ServiceAccount tokens. May be given several times.',
  },
  {
    name: 'service-account-signing-key-file',
    type: 'string',
    usage: 'Path to the file that contains the current private key of the service account token issuer.',
  },
  {
    name: 'service-account-issuer',
    type: 'stringArray',
    usage:
      'Identifier of the service account token issuer; the first signs, all are accepted. May be given several times.',
  },
  {
    name: 'api-audiences',
    type: 'stringSlice',
    usage: 'Identifiers of the API; tokens must carry one of them. Defaults to the first --service-account-issuer.',
  },
  {
    name: 'service-account-max-token-expiration',
    type: 'duration',
    default: '0s',
    usage: 'The maximum validity duration of a token created by the service account token issuer (0: no maximum).',
  },
  {
    name: 'service-account-lookup',
    type: 'bool',
    default: true,
    usage: 'If true, validate ServiceAccount tokens exist in etcd as part of authentication.',
  },
  {
    name: 'service-account-extend-token-expiration',
    type: 'bool',
    default: true,
    usage:
      'Turns on projected service account expiration extension during token generation, which helps safe transition from legacy token to bound service account token feature. If this flag is enabled, admission injected tokens would be extended up to 1 year to prevent unexpected failure during transition, ignoring value of service-account-max-token-expiration.',
  },
  {
    name: 'service-account-jwks-uri',
    type: 'string',
    usage:
      "Overrides the URI for the JSON Web Key Set in the discovery doc served at /.well-known/openid-configuration. This flag is useful if the discovery doc and key set are served to relying parties from a URL other than the API server's external (as auto-detected or overridden with external-hostname).",
  },
  {
    name: 'requestheader-client-ca-file',
    type: 'string',
    usage:
      'Root certificate bundle to use to verify client certificates on incoming requests before trusting usernames in headers specified by --requestheader-username-headers.',
  },
  {
    name: 'requestheader-allowed-names',
    type: 'stringSlice',
    usage:
      'List of client certificate common names to allow to provide usernames in headers. If empty, any is allowed.',
  },
  {
    name: 'requestheader-username-headers',
    type: 'stringSlice',
    usage: 'List of request headers to inspect for usernames. X-Remote-User is common.',
  },
  {
    name: 'requestheader-uid-headers',
    type: 'stringSlice',
    usage:
      'List of request headers to inspect for UIDs. X-Remote-Uid is suggested. Requires the RemoteRequestHeaderUID feature to be enabled (beta, on by default since 1.33).',
  },
  {
    name: 'requestheader-group-headers',
    type: 'stringSlice',
    usage: 'List of request headers to inspect for groups. X-Remote-Group is suggested.',
  },
  {
    name: 'requestheader-extra-headers-prefix',
    type: 'stringSlice',
    usage: 'List of request header prefixes to inspect. X-Remote-Extra- is suggested.',
  },
  {
    name: 'authentication-token-webhook-config-file',
    type: 'string',
    usage:
      'File with webhook configuration for token authentication in kubeconfig format. The API server will query the remote service to determine authentication for bearer tokens.',
  },
  {
    name: 'authentication-token-webhook-cache-ttl',
    type: 'duration',
    default: '2m0s',
    usage: 'The duration to cache responses from the webhook token authenticator.',
  },
  {
    name: 'authentication-token-webhook-version',
    type: 'string',
    default: 'v1beta1',
    usage: 'The API version of the authentication.k8s.io TokenReview to send to and expect from the webhook.',
  },
  {
    name: 'enable-admission-plugins',
    type: 'stringSlice',
    usage: 'admission plugins that should be enabled in addition to default enabled ones.',
  },
  {
    name: 'default-not-ready-toleration-seconds',
    type: 'int',
    default: 300,
    usage:
      'Indicates the tolerationSeconds of the toleration for notReady:NoExecute that is added by default to every pod that does not already have such a toleration.',
  },
  {
    name: 'default-unreachable-toleration-seconds',
    type: 'int',
    default: 300,
    usage:
      'Indicates the tolerationSeconds of the toleration for unreachable:NoExecute that is added by default to every pod that does not already have such a toleration.',
  },
  {
    name: 'disable-admission-plugins',
    type: 'stringSlice',
    usage: 'admission plugins that should be disabled although they are in the default enabled plugins list.',
  },
  {
    name: 'admission-control-config-file',
    type: 'string',
    default: '',
    usage: 'File with admission control configuration (an AdmissionConfiguration; PodSecurity reads its entry).',
  },
  {
    name: 'authorization-mode',
    type: 'stringSlice',
    default: ['AlwaysAllow'],
    usage:
      'Ordered list of plug-ins to do authorization on secure port. Comma-delimited list of: AlwaysAllow,AlwaysDeny,Node,RBAC,Webhook.',
  },
  {
    name: 'authorization-config',
    type: 'string',
    usage:
      'File with Authorization Configuration (apiserver.config.k8s.io AuthorizationConfiguration) to configure the authorizer chain. Note: This flag cannot be used in conjunction with --authorization-mode and --authorization-webhook-* flags. Reloaded when it changes.',
  },
  {
    name: 'authorization-webhook-config-file',
    type: 'string',
    usage:
      "File with webhook configuration in kubeconfig format, used with --authorization-mode=Webhook. The API server will query the remote service to determine access on the API server's secure port.",
  },
  {
    name: 'authorization-webhook-version',
    type: 'string',
    default: 'v1beta1',
    usage: 'The API version of the authorization.k8s.io SubjectAccessReview to send to and expect from the webhook.',
  },
  {
    name: 'authorization-webhook-cache-authorized-ttl',
    type: 'duration',
    default: '5m0s',
    usage: "The duration to cache 'authorized' responses from the webhook authorizer.",
  },
  {
    name: 'authorization-webhook-cache-unauthorized-ttl',
    type: 'duration',
    default: '30s',
    usage: "The duration to cache 'unauthorized' responses from the webhook authorizer.",
  },
  {
    name: 'proxy-client-cert-file',
    type: 'string',
    usage:
      "Client certificate used to prove the identity of the aggregator or kube-apiserver when it must call out during a request. This includes proxying requests to a user api-server. It is expected that this cert includes a signature from the CA in the --requestheader-client-ca-file flag. That CA is published in the 'extension-apiserver-authentication' configmap in the kube-system namespace. Components receiving calls from kube-aggregator should use that CA to perform their half of the mutual TLS verification.",
  },
  {
    name: 'proxy-client-key-file',
    type: 'string',
    usage:
      'Private key for the client certificate used to prove the identity of the aggregator or kube-apiserver when it must call out during a request. This includes proxying requests to a user api-server.',
  },
  {
    name: 'enable-aggregator-routing',
    type: 'bool',
    default: false,
    usage:
      'Turns on aggregator routing requests to endpoints IP rather than cluster IP. mkube has no Service network, so it routes a ClusterIP Service to its endpoints either way; without this flag an ExternalName Service is dialled at its external name.',
  },
  {
    name: 'kubelet-client-certificate',
    type: 'string',
    usage: 'Path to a client cert file for TLS.',
  },
  { name: 'kubelet-client-key', type: 'string', usage: 'Path to a client key file for TLS.' },
  {
    name: 'kubelet-certificate-authority',
    type: 'string',
    usage: 'Path to a cert file for the certificate authority.',
  },
  {
    name: 'kubelet-preferred-address-types',
    type: 'stringSlice',
    default: ['Hostname', 'InternalDNS', 'InternalIP', 'ExternalDNS', 'ExternalIP'],
    usage: 'List of the preferred NodeAddressTypes to use for kubelet connections.',
  },
  {
    name: 'kubelet-timeout',
    type: 'duration',
    default: '5s',
    usage: 'Timeout for kubelet operations.',
  },
  {
    name: 'advertise-address',
    type: 'string',
    metavar: 'ip',
    usage:
      "The IP address on which to advertise the apiserver to members of the cluster. This address must be reachable by the rest of the cluster. If blank, the --bind-address will be used. If --bind-address is unspecified, the host's default interface will be used.",
  },
  {
    name: 'service-cluster-ip-range',
    type: 'string',
    usage:
      'A CIDR notation IP range from which to assign service cluster IPs. This must not overlap with any IP ranges assigned to nodes or pods. (mkube: one range; default 10.0.0.0/24, as kube-apiserver.)',
  },
  {
    name: 'endpoint-reconciler-type',
    type: 'string',
    default: 'lease',
    usage:
      "Use an endpoint reconciler (lease, none). mkube: lease adds this apiserver's address to Endpoints default/kubernetes and removes it on shutdown (an address is not expired when its apiserver dies); none leaves them alone.",
  },
  {
    name: 'service-node-port-range',
    type: 'string',
    default: '30000-32767',
    usage:
      "A port range to reserve for services with NodePort visibility. This must not overlap with the ephemeral port range on nodes. Example: '30000-32767'. Inclusive at both ends of the range.",
  },
  {
    name: 'data-dir',
    type: 'string',
    default: '/var/lib/mkube/apiserver',
    metavar: 'dir',
    usage: 'Folder of the embedded, durable store (mkube: used when --etcd-servers is not given).',
  },
  {
    name: 'etcd-servers',
    type: 'stringSlice',
    usage: 'List of etcd servers to connect with (scheme://ip:port), comma separated.',
  },
  {
    name: 'etcd-cafile',
    type: 'string',
    usage: 'SSL Certificate Authority file used to secure etcd communication.',
  },
  {
    name: 'etcd-certfile',
    type: 'string',
    usage: 'SSL certification file used to secure etcd communication.',
  },
  { name: 'etcd-keyfile', type: 'string', usage: 'SSL key file used to secure etcd communication.' },
  {
    name: 'etcd-prefix',
    type: 'string',
    default: '/registry',
    usage: 'The prefix to prepend to all resource paths in etcd.',
  },
  {
    name: 'encryption-provider-config',
    type: 'string',
    usage:
      'The file containing configuration for encryption providers to be used for storing secrets in etcd (an EncryptionConfiguration).',
  },
  {
    name: 'encryption-provider-config-automatic-reload',
    type: 'bool',
    default: false,
    usage:
      'Determines if the file set by --encryption-provider-config should be automatically reloaded if the disk contents change. Setting this to true disables the ability to uniquely identify distinct KMS plugins via the API server healthz endpoints.',
  },
  {
    name: 'etcd-compaction-interval',
    type: 'duration',
    default: '5m0s',
    usage: 'The interval of compaction requests. If 0, the compaction request from apiserver is disabled.',
  },
  {
    name: 'event-ttl',
    type: 'duration',
    default: '1h0m0s',
    usage: 'Amount of time to retain events.',
  },
  {
    name: 'cors-allowed-origins',
    type: 'stringSlice',
    usage: CORS_HELP,
  },
  {
    name: 'strict-transport-security-directives',
    type: 'stringSlice',
    usage:
      "List of directives for HSTS, comma separated. If this list is empty, then HSTS directives will not be added. Example: 'max-age=31536000,includeSubDomains,preload'",
  },
  {
    name: 'goaway-chance',
    type: 'float',
    default: 0,
    metavar: 'float',
    usage:
      "To prevent HTTP/2 clients from getting stuck on a single apiserver, randomly close a connection (GOAWAY). The client's other in-flight requests won't be affected, and the client will reconnect, likely landing on a different apiserver after going through the load balancer again. This argument sets the fraction of requests that will be sent a GOAWAY. Clusters with single apiservers, or which don't use a load balancer, should NOT enable this. Min is 0 (off), Max is .02 (1/50 requests); .001 (1/1000) is a recommended starting point.",
  },
  {
    name: 'enable-priority-and-fairness',
    type: 'bool',
    default: true,
    usage:
      'If true, replace the max-in-flight handler with an enhanced one that queues and dispatches with priority and fairness',
  },
  {
    name: 'max-requests-inflight',
    type: 'int',
    default: 400,
    usage:
      "This and --max-mutating-requests-inflight are summed to determine the server's total concurrency limit (which must be positive) if --enable-priority-and-fairness is true. Otherwise, this flag limits the maximum number of non-mutating requests in flight, or a zero value disables the limit completely.",
  },
  {
    name: 'max-mutating-requests-inflight',
    type: 'int',
    default: 200,
    usage:
      "This and --max-requests-inflight are summed to determine the server's total concurrency limit (which must be positive) if --enable-priority-and-fairness is true. Otherwise, this flag limits the maximum number of mutating requests in flight, or a zero value disables the limit completely.",
  },
  {
    name: 'min-request-timeout',
    type: 'int',
    default: 1800,
    usage:
      'An optional field indicating the minimum number of seconds a handler must keep a request open before timing it out. Currently only honored by the watch request handler, which picks a randomized value above this number as the connection timeout, to spread out load.',
  },
  {
    name: 'request-timeout',
    type: 'duration',
    default: '1m0s',
    usage:
      'An optional field indicating the duration a handler must keep a request open before timing it out. This is the default request timeout for requests but may be overridden by flags such as --min-request-timeout for specific types of requests.',
  },
  {
    name: 'livez-grace-period',
    type: 'duration',
    default: '0s',
    usage:
      "This option represents the maximum amount of time it should take for apiserver to complete its startup sequence and become live. From apiserver's start time to when this amount of time has elapsed, /livez will assume that unfinished post-start hooks will complete successfully and therefore return true.",
  },
  {
    name: 'shutdown-delay-duration',
    type: 'duration',
    default: '0s',
    usage:
      'Time to delay the termination. During that time the server keeps serving requests normally; /readyz returns failure.',
  },
  {
    name: 'audit-policy-file',
    type: 'string',
    usage: 'Path to the file that defines the audit policy configuration.',
  },
  {
    name: 'audit-log-path',
    type: 'string',
    usage: "If set, all requests coming to the apiserver will be logged to this file.  '-' means standard out.",
  },
  {
    name: 'audit-log-maxage',
    type: 'int',
    default: 0,
    usage: 'The maximum number of days to retain old audit log files based on the timestamp encoded in their filename.',
  },
  {
    name: 'audit-log-maxbackup',
    type: 'int',
    default: 0,
    usage:
      "The maximum number of old audit log files to retain. Setting a value of 0 will mean there's no restriction on the number of files.",
  },
  {
    name: 'audit-log-maxsize',
    type: 'int',
    default: 0,
    usage: 'The maximum size in megabytes of the audit log file before it gets rotated.',
  },
  {
    name: 'audit-log-format',
    type: 'string',
    default: 'json',
    usage: 'Format of saved audits. "json" indicates structured json format (mkube writes json only).',
  },
  {
    name: 'audit-log-mode',
    type: 'string',
    default: 'blocking',
    usage:
      'Strategy for sending audit events. Blocking indicates sending events should block server responses. (mkube: blocking, blocking-strict.)',
  },
  {
    name: 'audit-webhook-config-file',
    type: 'string',
    usage:
      'Path to a kubeconfig formatted file that defines the audit webhook configuration (requires --audit-policy-file).',
  },
  {
    name: 'audit-webhook-mode',
    type: 'string',
    default: 'batch',
    usage:
      'Strategy for sending audit events. Batch buffers events and asynchronously processes them in batches (mkube: batch).',
  },
  {
    name: 'audit-webhook-version',
    type: 'string',
    default: 'audit.k8s.io/v1',
    usage: 'API group and version used for serializing audit events written to webhook.',
  },
  { name: 'audit-webhook-batch-max-size', type: 'int', default: 400, usage: 'The maximum size of a batch.' },
  {
    name: 'audit-webhook-batch-max-wait',
    type: 'duration',
    default: '30s',
    usage: "The amount of time to wait before force writing the batch that hadn't reached the max size.",
  },
  {
    name: 'audit-webhook-batch-buffer-size',
    type: 'int',
    default: 10000,
    usage: 'The size of the buffer to store events before batching and writing.',
  },
  {
    name: 'audit-webhook-initial-backoff',
    type: 'duration',
    default: '10s',
    usage: 'The amount of time to wait before retrying the first failed request.',
  },
  {
    name: 'audit-webhook-batch-throttle-enable',
    type: 'bool',
    default: true,
    usage: 'Whether batching throttling is enabled.',
  },
  {
    name: 'audit-webhook-batch-throttle-qps',
    type: 'int',
    default: 10,
    usage: 'Maximum average number of batches per second.',
  },
  {
    name: 'audit-webhook-batch-throttle-burst',
    type: 'int',
    default: 15,
    usage: 'Maximum number of requests sent at the same moment if ThrottleQPS was not utilized before.',
  },
  {
    name: 'profiling',
    type: 'bool',
    default: true,
    usage: 'Enable profiling via web interface host:port/debug/pprof/',
  },
  { name: 'v', type: 'int', default: 0, metavar: 'Level', usage: 'number for the log level verbosity' },
];
