// The API Priority and Fairness configuration kube-apiserver 1.33 ships (k8s.io/apiserver
// pkg/apis/flowcontrol/bootstrap/default.go), as data: the mandatory objects every server keeps
// (`exempt` and `catch-all`, whose specs validation pins) and the suggested ones an operator may edit
// or delete. Each is a whole v1 object in defaulted form, annotated apf.kubernetes.io/autoupdate-spec
// "true", and frozen: writers clone it.
import {
  APF_AUTOUPDATE_ANNOTATION,
  type FlowcontrolSubject,
  type FlowDistinguisherMethodType,
  type FlowSchema,
  type NonResourcePolicyRule,
  type PolicyRulesWithSubjects,
  type PriorityLevelConfiguration,
  type PriorityLevelConfigurationSpec,
  type ResourcePolicyRule,
} from '@mkube/shared/api';

const API_VERSION = 'flowcontrol.apiserver.k8s.io/v1';

function deepFreeze<T>(v: T): T {
  if (v && typeof v === 'object') {
    for (const child of Object.values(v)) deepFreeze(child);
    Object.freeze(v);
  }
  return v;
}

const metadata = (name: string) => ({ name, annotations: { [APF_AUTOUPDATE_ANNOTATION]: 'true' } });

function level(name: string, spec: PriorityLevelConfigurationSpec): PriorityLevelConfiguration {
  return { apiVersion: API_VERSION, kind: 'PriorityLevelConfiguration', metadata: metadata(name), spec };
}

/** A Limited level that queues: nominal shares, lendable percent, then queues/handSize/queueLengthLimit. */
function queuing(
  name: string,
  nominalConcurrencyShares: number,
  lendablePercent: number,
  queues: number,
  handSize: number,
): PriorityLevelConfiguration {
  return level(name, {
    type: 'Limited',
    limited: {
      nominalConcurrencyShares,
      lendablePercent,
      limitResponse: { type: 'Queue', queuing: { queues, handSize, queueLengthLimit: 50 } },
    },
  });
}

function schema(
  name: string,
  priorityLevel: string,
  matchingPrecedence: number,
  distinguisher: FlowDistinguisherMethodType | undefined,
  rules: PolicyRulesWithSubjects[],
): FlowSchema {
  return {
    apiVersion: API_VERSION,
    kind: 'FlowSchema',
    metadata: metadata(name),
    spec: {
      priorityLevelConfiguration: { name: priorityLevel },
      matchingPrecedence,
      ...(distinguisher ? { distinguisherMethod: { type: distinguisher } } : {}),
      rules,
    },
  };
}

const groups = (...names: string[]): FlowcontrolSubject[] => names.map((name) => ({ kind: 'Group', group: { name } }));
const users = (...names: string[]): FlowcontrolSubject[] => names.map((name) => ({ kind: 'User', user: { name } }));
const kubeSystemServiceAccounts = (...names: string[]): FlowcontrolSubject[] =>
  names.map((name) => ({ kind: 'ServiceAccount', serviceAccount: { namespace: 'kube-system', name } }));

/** clusterScope false is Go's zero value: left out, as kube-apiserver serializes it. */
function resourceRule(
  verbs: string[],
  apiGroups: string[],
  resources: string[],
  namespaces: string[],
  clusterScope: boolean,
): ResourcePolicyRule {
  return { verbs, apiGroups, resources, ...(clusterScope ? { clusterScope } : {}), namespaces };
}

const RESOURCES_ALL = (): ResourcePolicyRule[] => [resourceRule(['*'], ['*'], ['*'], ['*'], true)];
const NON_RESOURCES_ALL = (): NonResourcePolicyRule[] => [{ verbs: ['*'], nonResourceURLs: ['*'] }];

/** Every request of these subjects. */
const everything = (subjects: FlowcontrolSubject[]): PolicyRulesWithSubjects[] => [
  { subjects, resourceRules: RESOURCES_ALL(), nonResourceRules: NON_RESOURCES_ALL() },
];

/** Leader election: get/create/update of Endpoints and ConfigMaps in `coreNamespace`, Leases anywhere. */
const leaderElection = (subjects: FlowcontrolSubject[], coreNamespace: string): PolicyRulesWithSubjects[] => [
  {
    subjects,
    resourceRules: [
      resourceRule(['get', 'create', 'update'], [''], ['endpoints', 'configmaps'], [coreNamespace], false),
      resourceRule(['get', 'create', 'update'], ['coordination.k8s.io'], ['leases'], ['*'], false),
    ],
  },
];

export const MANDATORY_PRIORITY_LEVELS: readonly PriorityLevelConfiguration[] = deepFreeze([
  level('exempt', { type: 'Exempt', exempt: { nominalConcurrencyShares: 0, lendablePercent: 0 } }),
  level('catch-all', {
    type: 'Limited',
    limited: { nominalConcurrencyShares: 5, lendablePercent: 0, limitResponse: { type: 'Reject' } },
  }),
]);

export const MANDATORY_FLOW_SCHEMAS: readonly FlowSchema[] = deepFreeze([
  schema('exempt', 'exempt', 1, undefined, everything(groups('system:masters'))),
  schema(
    'catch-all',
    'catch-all',
    10000,
    'ByUser',
    everything(groups('system:unauthenticated', 'system:authenticated')),
  ),
]);

export const SUGGESTED_PRIORITY_LEVELS: readonly PriorityLevelConfiguration[] = deepFreeze([
  queuing('system', 30, 33, 64, 6),
  queuing('node-high', 40, 25, 64, 6),
  queuing('leader-election', 10, 0, 16, 4),
  queuing('workload-high', 40, 50, 128, 6),
  queuing('workload-low', 100, 90, 128, 6),
  queuing('global-default', 20, 50, 128, 6),
]);

export const SUGGESTED_FLOW_SCHEMAS: readonly FlowSchema[] = deepFreeze([
  schema('system-nodes', 'system', 500, 'ByUser', everything(groups('system:nodes'))),
  schema('system-node-high', 'node-high', 400, 'ByUser', [
    {
      subjects: groups('system:nodes'),
      resourceRules: [
        resourceRule(['*'], [''], ['nodes', 'nodes/status'], ['*'], true),
        resourceRule(['*'], ['coordination.k8s.io'], ['leases'], ['*'], false),
      ],
    },
  ]),
  // Health probes are never limited (exempt), whoever asks.
  schema('probes', 'exempt', 2, undefined, [
    {
      subjects: groups('system:unauthenticated', 'system:authenticated'),
      nonResourceRules: [{ verbs: ['get'], nonResourceURLs: ['/healthz', '/readyz', '/livez'] }],
    },
  ]),
  schema(
    'system-leader-election',
    'leader-election',
    100,
    'ByUser',
    leaderElection(
      [...users('system:kube-controller-manager', 'system:kube-scheduler'), ...kubeSystemServiceAccounts('*')],
      'kube-system',
    ),
  ),
  schema(
    'workload-leader-election',
    'leader-election',
    200,
    'ByUser',
    leaderElection(kubeSystemServiceAccounts('*'), '*'),
  ),
  schema('endpoint-controller', 'workload-high', 150, 'ByUser', [
    {
      subjects: [
        ...users('system:kube-controller-manager'),
        ...kubeSystemServiceAccounts('endpoint-controller', 'endpointslicemirroring-controller'),
      ],
      resourceRules: [resourceRule(['get', 'create', 'update'], [''], ['endpoints'], ['*'], false)],
    },
  ]),
  schema(
    'kube-controller-manager',
    'workload-high',
    800,
    'ByNamespace',
    everything(users('system:kube-controller-manager')),
  ),
  schema('kube-scheduler', 'workload-high', 800, 'ByNamespace', everything(users('system:kube-scheduler'))),
  schema(
    'kube-system-service-accounts',
    'workload-high',
    900,
    'ByNamespace',
    everything(kubeSystemServiceAccounts('*')),
  ),
  schema('service-accounts', 'workload-low', 9000, 'ByUser', everything(groups('system:serviceaccounts'))),
  schema(
    'global-default',
    'global-default',
    9900,
    'ByUser',
    everything(groups('system:unauthenticated', 'system:authenticated')),
  ),
]);

const byName = <T extends { metadata: { name?: string } }>(list: readonly T[]): ReadonlyMap<string, T> =>
  new Map(list.map((o) => [o.metadata.name!, o]));

/** The mandatory objects by name: validation pins their specs. */
export const MANDATORY_FLOW_SCHEMA_BY_NAME = byName(MANDATORY_FLOW_SCHEMAS);
export const MANDATORY_PRIORITY_LEVEL_BY_NAME = byName(MANDATORY_PRIORITY_LEVELS);
