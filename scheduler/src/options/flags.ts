// kube-scheduler's flags that mkube serves, under upstream's names and defaults. The secure serving,
// delegated auth and leader election flags are k8s.io/apiserver's and component-base's, shared
// with kube-controller-manager: taken from its list, with the scheduler's own defaults.
import { CONTROLLER_MANAGER_FLAGS, SECURE_SERVING_FLAG_NAMES } from '@mkube/controller-manager/options';
import type { FlagSpec } from '@mkube/shared/flags';

/** component-base's leader election flags; only the Lease's name differs. */
const LEADER_ELECTION = [
  'leader-elect',
  'leader-elect-lease-duration',
  'leader-elect-renew-deadline',
  'leader-elect-retry-period',
  'leader-elect-resource-lock',
];

function shared(name: string): FlagSpec {
  const spec = CONTROLLER_MANAGER_FLAGS.find((f) => f.name === name);
  if (!spec) throw new Error(`controller-manager has no --${name} flag`);
  return spec;
}

/** Ignored (as upstream ignores it) when --config gives a KubeSchedulerConfiguration. */
const IGNORED_WITH_CONFIG = 'This parameter is ignored if a config file is specified in --config.';

export const SCHEDULER_FLAGS: readonly FlagSpec[] = [
  { name: 'config', type: 'string', usage: 'The path to the configuration file.' },
  {
    name: 'kubeconfig',
    type: 'string',
    usage: `DEPRECATED: path to kubeconfig file with authorization and master location information. ${IGNORED_WITH_CONFIG}`,
  },
  {
    name: 'kube-api-qps',
    type: 'float',
    default: 50,
    usage: `DEPRECATED: QPS to use while talking with kubernetes apiserver. ${IGNORED_WITH_CONFIG}`,
  },
  {
    name: 'kube-api-burst',
    type: 'int',
    default: 100,
    usage: `DEPRECATED: burst to use while talking with kubernetes apiserver. ${IGNORED_WITH_CONFIG}`,
  },
  {
    name: 'profiling',
    type: 'bool',
    default: true,
    usage: `DEPRECATED: enable profiling via web interface host:port/debug/pprof/. ${IGNORED_WITH_CONFIG}`,
  },
  {
    name: 'pod-max-in-unschedulable-pods-duration',
    type: 'duration',
    default: '5m',
    usage:
      'DEPRECATED: the maximum time a pod can stay in unschedulablePods. If a pod stays in unschedulablePods for longer than this value, the pod will be moved from unschedulablePods to backoffQ or activeQ. This flag is deprecated and will be removed in a future version.',
  },
  {
    name: 'secure-port',
    type: 'int',
    default: 10259,
    usage: "The port on which to serve HTTPS with authentication and authorization. If 0, don't serve HTTPS at all.",
  },
  ...SECURE_SERVING_FLAG_NAMES.map(shared),
  ...LEADER_ELECTION.map(shared),
  {
    name: 'leader-elect-resource-name',
    type: 'string',
    default: 'kube-scheduler',
    usage: 'The name of resource object that is used for locking during leader election.',
  },
  shared('leader-elect-resource-namespace'),
  shared('v'),
];
