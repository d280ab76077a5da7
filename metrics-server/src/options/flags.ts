// metrics-server's flags under upstream's names and defaults (sigs.k8s.io/metrics-server cmd/metrics-server
// app/options). Secure serving and delegated auth are k8s.io/apiserver's, the same code kube-controller-manager
// and kube-scheduler use: taken from the controller-manager's list.
import { CONTROLLER_MANAGER_FLAGS, SECURE_SERVING_FLAG_NAMES } from '@mkube/controller-manager/options';
import type { FlagSpec } from '@mkube/shared/flags';

function shared(name: string): FlagSpec {
  const spec = CONTROLLER_MANAGER_FLAGS.find((f) => f.name === name);
  if (!spec) throw new Error(`controller-manager has no --${name} flag`);
  return spec;
}

/** The node address types tried in order when none is asked for (upstream's default list). */
export const DEFAULT_ADDRESS_TYPES = ['Hostname', 'InternalDNS', 'InternalIP', 'ExternalDNS', 'ExternalIP'];

export const METRICS_SERVER_FLAGS: readonly FlagSpec[] = [
  {
    name: 'kubeconfig',
    type: 'string',
    usage:
      'The path to the kubeconfig used to connect to the Kubernetes API server and the Kubelets (defaults to in-cluster config)',
  },
  {
    name: 'metric-resolution',
    type: 'duration',
    default: '1m',
    usage: 'The resolution at which metrics-server will retain metrics, must set value at least 10s.',
  },
  {
    name: 'secure-port',
    type: 'int',
    default: 10250,
    usage: "The port on which to serve HTTPS with authentication and authorization. If 0, don't serve HTTPS at all.",
  },
  {
    name: 'kubelet-certificate-authority',
    type: 'string',
    usage: "Path to the CA to use to validate the Kubelet's serving certificates.",
  },
  {
    name: 'kubelet-client-certificate',
    type: 'string',
    usage: 'Path to a client cert file for TLS.',
  },
  { name: 'kubelet-client-key', type: 'string', usage: 'Path to a client key file for TLS.' },
  {
    name: 'kubelet-insecure-tls',
    type: 'bool',
    default: false,
    usage: 'Do not verify CA of serving certificates presented by Kubelets.  For testing purposes only.',
  },
  { name: 'kubelet-port', type: 'int', default: 10250, usage: 'The port to use to connect to Kubelets.' },
  {
    name: 'kubelet-preferred-address-types',
    type: 'stringSlice',
    default: DEFAULT_ADDRESS_TYPES,
    usage:
      'The priority of node address types to use when determining which address to use to connect to a particular node',
  },
  {
    name: 'kubelet-use-node-status-port',
    type: 'bool',
    default: false,
    usage: 'Use the port in the node status. Takes precedence over --kubelet-port flag.',
  },
  {
    name: 'kubelet-request-timeout',
    type: 'duration',
    default: '10s',
    usage:
      'The length of time to wait before giving up on a single request to Kubelet. Non-zero values should contain a corresponding time unit (e.g. 1s, 2m, 3h).',
  },
  {
    name: 'node-selector',
    type: 'string',
    usage:
      "Selector (label query) to filter on, not including uninitialized ones, supports '=', '==', and '!='.(e.g. -l key1=value1,key2=value2).",
  },
  ...SECURE_SERVING_FLAG_NAMES.map(shared),
  shared('v'),
];
