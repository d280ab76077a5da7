// flowcontrol.apiserver.k8s.io/v1: the built-in objects, v1 defaulting, validation with upstream's
// messages (pkg/apis/flowcontrol/validation), and the registry's strategies on SQLite.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { FlowSchema, PriorityLevelConfiguration, PriorityLevelConfigurationSpec } from '@mkube/shared/api';
import { formatFieldError, StatusError } from '@mkube/shared/apierrors';
import {
  MANDATORY_FLOW_SCHEMAS,
  MANDATORY_PRIORITY_LEVELS,
  SUGGESTED_FLOW_SCHEMAS,
  SUGGESTED_PRIORITY_LEVELS,
} from '../../src/flowcontrol/bootstrap.ts';
import { defaultFlowSchema, defaultPriorityLevel } from '../../src/registry/flowcontrol/defaults.ts';
import { requiredEntropyBits, validatePriorityLevel } from '../../src/registry/flowcontrol/prioritylevel.ts';
import { validateFlowSchema } from '../../src/registry/flowcontrol/validation.ts';
import { Registries } from '../../src/registry/index.ts';
import { openSqliteStore, type SqliteStore } from '../../src/storage/index.ts';
import { jsonClone } from '../../src/util/json.ts';

const clone = <T>(o: T): T => jsonClone(o) as T;

function fs(name: string, spec: Record<string, unknown>): FlowSchema {
  return {
    apiVersion: 'flowcontrol.apiserver.k8s.io/v1',
    kind: 'FlowSchema',
    metadata: { name },
    spec,
  } as unknown as FlowSchema;
}

function pl(name: string, spec: Record<string, unknown>): PriorityLevelConfiguration {
  return {
    apiVersion: 'flowcontrol.apiserver.k8s.io/v1',
    kind: 'PriorityLevelConfiguration',
    metadata: { name },
    spec,
  } as unknown as PriorityLevelConfiguration;
}

const GROUP_ALL = { kind: 'Group', group: { name: 'system:authenticated' } };
const ANY_URL = { verbs: ['*'], nonResourceURLs: ['*'] };
const goodFs = (rules: unknown[] = [{ subjects: [GROUP_ALL], nonResourceRules: [ANY_URL] }]) =>
  fs('mine', { priorityLevelConfiguration: { name: 'workload-low' }, matchingPrecedence: 500, rules });

/** The formatted errors of a flow schema, after defaulting as the registry does. */
function fsErrors(o: FlowSchema): string[] {
  const c = clone(o);
  defaultFlowSchema(c);
  return validateFlowSchema(c).map(formatFieldError);
}

function plErrors(o: PriorityLevelConfiguration): string[] {
  const c = clone(o);
  defaultPriorityLevel(c);
  return validatePriorityLevel(c).map(formatFieldError);
}

const limitedQueue = (queuing: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  type: 'Limited',
  limited: { nominalConcurrencyShares: 10, limitResponse: { type: 'Queue', queuing }, ...extra },
});

describe('the built-in configuration (Kubernetes 1.33)', () => {
  it('lists the mandatory and suggested objects in upstream order', () => {
    assert.deepEqual(
      MANDATORY_PRIORITY_LEVELS.map((o) => o.metadata.name),
      ['exempt', 'catch-all'],
    );
    assert.deepEqual(
      MANDATORY_FLOW_SCHEMAS.map((o) => o.metadata.name),
      ['exempt', 'catch-all'],
    );
    assert.deepEqual(
      SUGGESTED_PRIORITY_LEVELS.map((o) => o.metadata.name),
      ['system', 'node-high', 'leader-election', 'workload-high', 'workload-low', 'global-default'],
    );
    assert.deepEqual(
      SUGGESTED_FLOW_SCHEMAS.map((o) => [
        o.metadata.name,
        o.spec?.priorityLevelConfiguration.name,
        o.spec?.matchingPrecedence,
      ]),
      [
        ['system-nodes', 'system', 500],
        ['system-node-high', 'node-high', 400],
        ['probes', 'exempt', 2],
        ['system-leader-election', 'leader-election', 100],
        ['workload-leader-election', 'leader-election', 200],
        ['endpoint-controller', 'workload-high', 150],
        ['kube-controller-manager', 'workload-high', 800],
        ['kube-scheduler', 'workload-high', 800],
        ['kube-system-service-accounts', 'workload-high', 900],
        ['service-accounts', 'workload-low', 9000],
        ['global-default', 'global-default', 9900],
      ],
    );
  });

  it('each is annotated autoupdate-spec "true", frozen, already defaulted and valid', () => {
    const all = [
      ...MANDATORY_PRIORITY_LEVELS,
      ...SUGGESTED_PRIORITY_LEVELS,
      ...MANDATORY_FLOW_SCHEMAS,
      ...SUGGESTED_FLOW_SCHEMAS,
    ];
    for (const o of all) {
      assert.equal(o.metadata.annotations?.['apf.kubernetes.io/autoupdate-spec'], 'true', o.metadata.name);
      assert.ok(Object.isFrozen(o) && Object.isFrozen(o.spec), o.metadata.name);
    }
    for (const o of [...MANDATORY_PRIORITY_LEVELS, ...SUGGESTED_PRIORITY_LEVELS]) {
      const d = clone(o);
      defaultPriorityLevel(d);
      assert.deepEqual(d, o, `${o.metadata.name} defaulted`);
      assert.deepEqual(plErrors(o), [], o.metadata.name);
    }
    for (const o of [...MANDATORY_FLOW_SCHEMAS, ...SUGGESTED_FLOW_SCHEMAS]) {
      const d = clone(o);
      defaultFlowSchema(d);
      assert.deepEqual(d, o, `${o.metadata.name} defaulted`);
      assert.deepEqual(fsErrors(o), [], o.metadata.name);
    }
  });

  it('has upstream values: shares, lendable percent, queues, subjects and rules', () => {
    const row = (o: PriorityLevelConfiguration) => {
      const l = o.spec?.limited;
      const q = l?.limitResponse?.queuing;
      return [
        o.metadata.name,
        o.spec?.type,
        l?.nominalConcurrencyShares,
        l?.lendablePercent,
        q?.queues,
        q?.handSize,
        q?.queueLengthLimit,
      ];
    };
    assert.deepEqual([...MANDATORY_PRIORITY_LEVELS, ...SUGGESTED_PRIORITY_LEVELS].map(row), [
      ['exempt', 'Exempt', undefined, undefined, undefined, undefined, undefined],
      ['catch-all', 'Limited', 5, 0, undefined, undefined, undefined],
      ['system', 'Limited', 30, 33, 64, 6, 50],
      ['node-high', 'Limited', 40, 25, 64, 6, 50],
      ['leader-election', 'Limited', 10, 0, 16, 4, 50],
      ['workload-high', 'Limited', 40, 50, 128, 6, 50],
      ['workload-low', 'Limited', 100, 90, 128, 6, 50],
      ['global-default', 'Limited', 20, 50, 128, 6, 50],
    ]);
    assert.deepEqual(MANDATORY_PRIORITY_LEVELS[0]?.spec?.exempt, { nominalConcurrencyShares: 0, lendablePercent: 0 });
    assert.deepEqual(MANDATORY_PRIORITY_LEVELS[1]?.spec?.limited?.limitResponse, { type: 'Reject' });
    const byName = new Map([...MANDATORY_FLOW_SCHEMAS, ...SUGGESTED_FLOW_SCHEMAS].map((o) => [o.metadata.name, o]));
    assert.equal(byName.get('exempt')?.spec?.distinguisherMethod, undefined);
    assert.deepEqual(byName.get('exempt')?.spec?.rules?.[0]?.subjects, [
      { kind: 'Group', group: { name: 'system:masters' } },
    ]);
    assert.deepEqual(byName.get('catch-all')?.spec?.rules, [
      {
        subjects: [
          { kind: 'Group', group: { name: 'system:unauthenticated' } },
          { kind: 'Group', group: { name: 'system:authenticated' } },
        ],
        resourceRules: [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'], clusterScope: true, namespaces: ['*'] }],
        nonResourceRules: [{ verbs: ['*'], nonResourceURLs: ['*'] }],
      },
    ]);
    assert.deepEqual(byName.get('probes')?.spec?.rules?.[0]?.nonResourceRules, [
      { verbs: ['get'], nonResourceURLs: ['/healthz', '/readyz', '/livez'] },
    ]);
    assert.deepEqual(byName.get('endpoint-controller')?.spec?.rules, [
      {
        subjects: [
          { kind: 'User', user: { name: 'system:kube-controller-manager' } },
          { kind: 'ServiceAccount', serviceAccount: { namespace: 'kube-system', name: 'endpoint-controller' } },
          {
            kind: 'ServiceAccount',
            serviceAccount: { namespace: 'kube-system', name: 'endpointslicemirroring-controller' },
          },
        ],
        resourceRules: [
          { verbs: ['get', 'create', 'update'], apiGroups: [''], resources: ['endpoints'], namespaces: ['*'] },
        ],
      },
    ]);
    assert.deepEqual(
      byName.get('system-leader-election')?.spec?.rules?.[0]?.resourceRules?.map((r) => r.namespaces),
      [['kube-system'], ['*']],
    );
    assert.deepEqual(
      byName.get('workload-leader-election')?.spec?.rules?.[0]?.resourceRules?.map((r) => r.namespaces),
      [['*'], ['*']],
    );
    assert.deepEqual(byName.get('system-node-high')?.spec?.rules?.[0]?.resourceRules?.[0], {
      verbs: ['*'],
      apiGroups: [''],
      resources: ['nodes', 'nodes/status'],
      clusterScope: true,
      namespaces: ['*'],
    });
    assert.equal(byName.get('kube-scheduler')?.spec?.distinguisherMethod?.type, 'ByNamespace');
  });
});

describe('v1 defaults', () => {
  it('FlowSchema: matchingPrecedence 1000 when unset or 0', () => {
    for (const mp of [undefined, 0]) {
      const o = fs('a', {
        priorityLevelConfiguration: { name: 'x' },
        ...(mp === undefined ? {} : { matchingPrecedence: mp }),
      });
      defaultFlowSchema(o);
      assert.equal(o.spec?.matchingPrecedence, 1000);
    }
    const kept = fs('a', { matchingPrecedence: 7 });
    defaultFlowSchema(kept);
    assert.equal(kept.spec?.matchingPrecedence, 7);
  });

  it('Limited: 30 shares when absent (an explicit 0 kept), lendablePercent 0, queuing 64/8/50 only when present', () => {
    const a = pl('a', { type: 'Limited', limited: { limitResponse: { type: 'Queue', queuing: {} } } });
    defaultPriorityLevel(a);
    assert.deepEqual(a.spec?.limited, {
      nominalConcurrencyShares: 30,
      lendablePercent: 0,
      limitResponse: { type: 'Queue', queuing: { handSize: 8, queues: 64, queueLengthLimit: 50 } },
    });
    const zero = pl('b', {
      type: 'Limited',
      limited: { nominalConcurrencyShares: 0, limitResponse: { type: 'Queue' } },
    });
    defaultPriorityLevel(zero);
    assert.equal(zero.spec?.limited?.nominalConcurrencyShares, 0);
    assert.equal(zero.spec?.limited?.limitResponse?.queuing, undefined);
    const partial = pl('c', limitedQueue({ queues: 10 }));
    defaultPriorityLevel(partial);
    assert.deepEqual(partial.spec?.limited?.limitResponse?.queuing, { queues: 10, handSize: 8, queueLengthLimit: 50 });
  });

  it('Exempt: an exempt section gets 0 and 0; none is not made up', () => {
    const a = pl('exempt', { type: 'Exempt', exempt: {} });
    defaultPriorityLevel(a);
    assert.deepEqual(a.spec?.exempt, { nominalConcurrencyShares: 0, lendablePercent: 0 });
    const b = pl('exempt', { type: 'Exempt' });
    defaultPriorityLevel(b);
    assert.equal(b.spec?.exempt, undefined);
  });
});

describe('FlowSchema validation', () => {
  const cases: [string, FlowSchema, string[]][] = [
    ['a valid schema', goodFs(), []],
    [
      'precedence out of range, and 1 for another than exempt',
      fs('mine', { priorityLevelConfiguration: { name: 'x' }, matchingPrecedence: 10001 }),
      ['spec.matchingPrecedence: Invalid value: 10001: must not be greater than 10000'],
    ],
    [
      'precedence 1',
      fs('mine', { priorityLevelConfiguration: { name: 'x' }, matchingPrecedence: 1 }),
      ["spec.matchingPrecedence: Invalid value: 1: only the schema named 'exempt' may have matchingPrecedence 1"],
    ],
    [
      'negative precedence',
      fs('mine', { priorityLevelConfiguration: { name: 'x' }, matchingPrecedence: -3 }),
      ['spec.matchingPrecedence: Invalid value: -3: must be a positive value'],
    ],
    [
      'no priority level, unknown distinguisher',
      fs('mine', { distinguisherMethod: { type: 'ByGroup' } }),
      [
        'spec.distinguisherMethod.type: Unsupported value: flowcontrol.FlowDistinguisherMethod{Type:"ByGroup"}: supported values: "ByNamespace", "ByUser"',
        'spec.priorityLevelConfiguration.name: Required value: must reference a priority level',
      ],
    ],
    [
      'a priority level name that is not a DNS subdomain',
      fs('mine', { priorityLevelConfiguration: { name: 'Bad_Name' } }),
      [
        "spec.priorityLevelConfiguration.name: Invalid value: \"Bad_Name\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
      ],
    ],
    [
      'a rule without subjects or rules',
      goodFs([{}]),
      [
        'spec.rules[0].subjects: Required value: subjects must contain at least one value',
        'spec.rules[0]: Required value: at least one of resourceRules and nonResourceRules has to be non-empty',
      ],
    ],
    [
      'subjects of each kind, wrong members',
      goodFs([
        {
          subjects: [
            { kind: 'User' },
            { kind: 'Group', group: { name: '' }, user: { name: 'u' } },
            { kind: 'ServiceAccount', serviceAccount: { name: 'Not Valid' }, group: { name: 'g' } },
            { kind: 'Robot' },
          ],
          nonResourceRules: [ANY_URL],
        },
      ]),
      [
        "spec.rules[0].subjects[0].user: Required value: user is required when subject kind is 'User'",
        'spec.rules[0].subjects[1].group.name: Required value',
        "spec.rules[0].subjects[1].user: Forbidden: user is forbidden when subject kind is not 'User'",
        "spec.rules[0].subjects[2].serviceAccount.name: Invalid value: \"Not Valid\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
        'spec.rules[0].subjects[2].serviceAccount.namespace: Required value: must specify namespace for service account',
        "spec.rules[0].subjects[2].group: Forbidden: group is forbidden when subject kind is not 'Group'",
        'spec.rules[0].subjects[3].kind: Unsupported value: "Robot": supported values: "Group", "ServiceAccount", "User"',
      ],
    ],
    [
      'service account subject: "*" name allowed, namespace must be a label',
      goodFs([
        {
          subjects: [
            { kind: 'ServiceAccount', serviceAccount: { namespace: 'kube-system', name: '*' } },
            { kind: 'ServiceAccount', serviceAccount: { namespace: '*', name: 'x' } },
          ],
          nonResourceRules: [ANY_URL],
        },
      ]),
      [
        "spec.rules[0].subjects[1].serviceAccount.namespace: Invalid value: \"*\": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
      ],
    ],
    [
      'resource rules: empty lists, wildcards not alone, unsupported verbs',
      goodFs([
        {
          subjects: [GROUP_ALL],
          resourceRules: [
            { verbs: [], apiGroups: [], resources: [] },
            { verbs: ['*', 'get'], apiGroups: ['*', 'apps'], resources: ['pods', '*'], namespaces: ['*', 'default'] },
            { verbs: ['get', 'escalate'], apiGroups: [''], resources: ['pods'], namespaces: ['Default'] },
            { verbs: ['get'], apiGroups: [''], resources: ['nodes'], clusterScope: true },
          ],
        },
      ]),
      [
        'spec.rules[0].resourceRules[0].verbs: Required value: verbs must contain at least one value',
        'spec.rules[0].resourceRules[0].apiGroups: Required value: resource rules must supply at least one api group',
        'spec.rules[0].resourceRules[0].resources: Required value: resource rules must supply at least one resource',
        'spec.rules[0].resourceRules[0].namespaces: Required value: resource rules that are not cluster scoped must supply at least one namespace',
        'spec.rules[0].resourceRules[1].verbs: Invalid value: []string{"*", "get"}: if \'*\' is present, must not specify other verbs',
        'spec.rules[0].resourceRules[1].apiGroups: Invalid value: []string{"*", "apps"}: if \'*\' is present, must not specify other api groups',
        'spec.rules[0].resourceRules[1].resources: Invalid value: []string{"pods", "*"}: if \'*\' is present, must not specify other resources',
        'spec.rules[0].resourceRules[1].namespaces: Invalid value: []string{"*", "default"}: if \'*\' is present, must not specify other namespaces',
        'spec.rules[0].resourceRules[2].verbs: Unsupported value: []string{"get", "escalate"}: supported values: "create", "delete", "deletecollection", "get", "list", "patch", "proxy", "update", "watch"',
        "spec.rules[0].resourceRules[2].namespaces[0]: Invalid value: \"Default\": each member of this list must be '*' or a DNS-1123 label; a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
      ],
    ],
    [
      'non-resource URLs: a leading slash, no white-space, no //, * only alone or as a trailing /*',
      goodFs([
        {
          subjects: [GROUP_ALL],
          nonResourceRules: [
            {
              verbs: ['get'],
              nonResourceURLs: ['/', '/healthz/*', 'healthz', '/a b', '/a//b', '/health*', '/*/x', ''],
            },
            { verbs: ['get'], nonResourceURLs: ['*', '/x'] },
            { verbs: ['get'], nonResourceURLs: [] },
          ],
        },
      ]),
      [
        'spec.rules[0].nonResourceRules[0].nonResourceURLs[2]: Invalid value: "healthz": must start with slash',
        'spec.rules[0].nonResourceRules[0].nonResourceURLs[3]: Invalid value: "/a b": must not contain white-space',
        'spec.rules[0].nonResourceRules[0].nonResourceURLs[4]: Invalid value: "/a//b": must not contain double slash',
        'spec.rules[0].nonResourceRules[0].nonResourceURLs[5]: Invalid value: "/health*": wildcard can only do suffix matching',
        'spec.rules[0].nonResourceRules[0].nonResourceURLs[6]: Invalid value: "/*/x": wildcard can only do suffix matching',
        'spec.rules[0].nonResourceRules[0].nonResourceURLs[7]: Invalid value: "": must not be empty',
        'spec.rules[0].nonResourceRules[1].nonResourceURLs: Invalid value: []string{"*", "/x"}: if \'*\' is present, must not specify other non-resource URLs',
        'spec.rules[0].nonResourceRules[2].nonResourceURLs: Required value: nonResourceURLs must contain at least one value',
      ],
    ],
    [
      'status conditions: a type, once each',
      { ...goodFs(), status: { conditions: [{ type: 'Dangling' }, { type: 'Dangling' }, {}] } } as FlowSchema,
      [
        'status.conditions[1].type: Duplicate value: "Dangling"',
        'status.conditions[2].type: Required value: must not be empty',
      ],
    ],
  ];
  for (const [name, obj, want] of cases) it(name, () => assert.deepEqual(fsErrors(obj), want));

  it('the mandatory schemas are pinned to the built-in spec (defaults and clusterScope false count as equal)', () => {
    for (const m of MANDATORY_FLOW_SCHEMAS) {
      const same = clone(m);
      // A client that spells out Go's zero values sends the same spec.
      same.spec!.rules![0]!.resourceRules![0]!.verbs = ['*'];
      assert.deepEqual(fsErrors(same), [], m.metadata.name);
      const changed = clone(m);
      changed.spec!.matchingPrecedence = m.metadata.name === 'exempt' ? 1 : 9999;
      changed.spec!.rules![0]!.subjects.push({ kind: 'User', user: { name: 'mallory' } });
      const errs = fsErrors(changed);
      assert.equal(errs.length, 1, errs.join('\n'));
      assert.match(
        errs[0]!,
        new RegExp(`^spec: Invalid value: .*: spec of '${m.metadata.name}' must equal the fixed value$`),
      );
    }
    // Not a mandatory name: the same rules are anyone's.
    const mine = clone(MANDATORY_FLOW_SCHEMAS[1]!);
    mine.metadata.name = 'my-catch-all';
    mine.spec!.matchingPrecedence = 9999;
    assert.deepEqual(fsErrors(mine), []);
  });
});

describe('PriorityLevelConfiguration validation', () => {
  const cases: [string, PriorityLevelConfiguration, string[]][] = [
    ['a queuing level', pl('mine', limitedQueue({ queues: 512, handSize: 4, queueLengthLimit: 100 })), []],
    [
      'a level with zero shares (a jail)',
      pl('jail', { type: 'Limited', limited: { nominalConcurrencyShares: 0, limitResponse: { type: 'Reject' } } }),
      [],
    ],
    [
      'type Exempt for another name than exempt',
      pl('mine', { type: 'Exempt' }),
      ["spec.type: Invalid value: \"Exempt\": type must be 'Exempt' if and only if name is 'exempt'"],
    ],
    [
      'an unknown type',
      pl('mine', { type: 'Fast' }),
      ['spec.type: Unsupported value: "Fast": supported values: "Exempt", "Limited"'],
    ],
    [
      'Limited without limited, with exempt',
      pl('mine', { type: 'Limited', exempt: {} }),
      [
        'spec.exempt: Forbidden: must be nil if the type is Limited',
        'spec.limited: Required value: must not be empty when type is Limited',
      ],
    ],
    [
      'negative shares, percentages out of range',
      pl('mine', {
        type: 'Limited',
        limited: {
          nominalConcurrencyShares: -1,
          lendablePercent: 101,
          borrowingLimitPercent: -1,
          limitResponse: { type: 'Reject' },
        },
      }),
      [
        'spec.limited.nominalConcurrencyShares: Invalid value: -1: must be a non-negative integer',
        'spec.limited.lendablePercent: Invalid value: 101: must be between 0 and 100, inclusive',
        'spec.limited.borrowingLimitPercent: Invalid value: -1: if specified, must be a non-negative integer',
      ],
    ],
    [
      'no limit response type',
      pl('mine', { type: 'Limited', limited: {} }),
      ['spec.limited.limitResponse.type: Unsupported value: "": supported values: "Queue", "Reject"'],
    ],
    [
      'Queue without queuing',
      pl('mine', { type: 'Limited', limited: { limitResponse: { type: 'Queue' } } }),
      [
        'spec.limited.limitResponse.queuing: Required value: must not be empty if limited.limitResponse.type is Limited',
      ],
    ],
    [
      'Reject with queuing',
      pl('mine', { type: 'Limited', limited: { limitResponse: { type: 'Reject', queuing: { queues: 1 } } } }),
      ['spec.limited.limitResponse.queuing: Forbidden: must be nil if limited.limitResponse.type is not Limited'],
    ],
    [
      'negative queue settings',
      pl('mine', limitedQueue({ queues: -1, handSize: -2, queueLengthLimit: -3 })),
      [
        'spec.limited.limitResponse.queuing.queueLengthLimit: Invalid value: -3: must be positive',
        'spec.limited.limitResponse.queuing.queues: Invalid value: -1: must be positive',
        'spec.limited.limitResponse.queuing.handSize: Invalid value: -2: must be positive',
      ],
    ],
    [
      'a hand larger than the deck',
      pl('mine', limitedQueue({ queues: 7, handSize: 8, queueLengthLimit: 100 })),
      ['spec.limited.limitResponse.queuing.handSize: Invalid value: 8: should not be greater than queues (7)'],
    ],
    [
      'too much entropy',
      pl('mine', limitedQueue({ queues: 512, handSize: 8, queueLengthLimit: 100 })),
      [
        'spec.limited.limitResponse.queuing.handSize: Invalid value: 8: required entropy bits of deckSize 512 and handSize 8 should not be greater than 60',
      ],
    ],
    [
      'too many queues',
      pl('mine', limitedQueue({ queues: 2147483647, handSize: 3, queueLengthLimit: 100 })),
      [
        'spec.limited.limitResponse.queuing.queues: Invalid value: 2147483647: must not be greater than 10000000',
        'spec.limited.limitResponse.queuing.handSize: Invalid value: 3: required entropy bits of deckSize 2147483647 and handSize 3 should not be greater than 60',
      ],
    ],
    [
      '10^7 queues with a hand of 2',
      pl('mine', limitedQueue({ queues: 10_000_000, handSize: 2, queueLengthLimit: 100 })),
      [],
    ],
  ];
  for (const [name, obj, want] of cases) it(name, () => assert.deepEqual(plErrors(obj), want));

  it('shuffle-sharding entropy: ceil(log2(deck) × hand)', () => {
    assert.equal(requiredEntropyBits(512, 8), 72);
    assert.equal(requiredEntropyBits(128, 10), 70);
    assert.equal(requiredEntropyBits(64, 8), 48);
  });

  it("exempt: its exempt field is the operator's, the rest of the spec is fixed", () => {
    const tuned = pl('exempt', { type: 'Exempt', exempt: { nominalConcurrencyShares: 10, lendablePercent: 10 } });
    assert.deepEqual(plErrors(tuned), []);
    assert.deepEqual(plErrors(pl('exempt', { type: 'Exempt' })), []);
    assert.deepEqual(
      plErrors(pl('exempt', { type: 'Exempt', exempt: { nominalConcurrencyShares: -1, lendablePercent: 101 } })),
      [
        'spec.exempt.nominalConcurrencyShares: Invalid value: -1: must be a non-negative integer',
        'spec.exempt.lendablePercent: Invalid value: 101: must be between 0 and 100, inclusive',
      ],
    );
    const repurposed = pl('exempt', {
      type: 'Limited',
      exempt: {},
      limited: { nominalConcurrencyShares: 42, limitResponse: { type: 'Reject' } },
    });
    const errs = plErrors(repurposed);
    assert.equal(errs.length, 3, errs.join('\n'));
    assert.equal(
      errs[0],
      "spec.type: Invalid value: \"Limited\": type must be 'Exempt' if and only if name is 'exempt'",
    );
    assert.equal(errs[1], 'spec.exempt: Forbidden: must be nil if the type is Limited');
    assert.match(
      errs[2]!,
      /^spec: Invalid value: .*: spec of 'exempt' except the 'spec.exempt' field must equal the fixed value$/,
    );
  });

  it('catch-all is fixed entirely', () => {
    const same = clone(MANDATORY_PRIORITY_LEVELS[1]!);
    assert.deepEqual(plErrors(same), []);
    // Defaults make an unset lendablePercent the fixed 0.
    delete (same.spec as PriorityLevelConfigurationSpec).limited!.lendablePercent;
    assert.deepEqual(plErrors(same), []);
    for (const change of [
      (s: PriorityLevelConfigurationSpec) => {
        s.limited!.nominalConcurrencyShares = 6;
      },
      (s: PriorityLevelConfigurationSpec) => {
        s.limited!.borrowingLimitPercent = 0;
      },
      (s: PriorityLevelConfigurationSpec) => {
        s.limited!.limitResponse = { type: 'Queue', queuing: { queues: 16, handSize: 4, queueLengthLimit: 50 } };
      },
    ]) {
      const o = clone(MANDATORY_PRIORITY_LEVELS[1]!);
      change(o.spec!);
      const errs = plErrors(o);
      assert.equal(errs.length, 1, errs.join('\n'));
      assert.match(errs[0]!, /^spec: Invalid value: .*: spec of 'catch-all' must equal the fixed value$/);
    }
  });
});

describe('flowcontrol registries on SQLite', () => {
  let dir: string;
  let store: SqliteStore;
  let regs: Registries;
  const ctx = () => ({ user: { username: 'admin', groups: ['system:masters'] }, now: new Date() });
  const write = { dryRun: false };
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mkube-flowcontrol-'));
    store = await openSqliteStore(dir);
    regs = new Registries(store);
  });
  after(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const schemas = () => regs.get('flowcontrol.apiserver.k8s.io', 'flowschemas')!;
  const levels = () => regs.get('flowcontrol.apiserver.k8s.io', 'prioritylevelconfigurations')!;

  it('create: defaults, an empty status, generation 1; cluster-scoped', async () => {
    const input = { ...goodFs(), status: { conditions: [{ type: 'Dangling', status: 'False' }] } } as FlowSchema;
    delete (input.spec as { matchingPrecedence?: number }).matchingPrecedence;
    const created = (await schemas().create('', input, ctx(), write)) as FlowSchema;
    assert.equal(created.spec?.matchingPrecedence, 1000);
    assert.deepEqual(created.status, {});
    assert.equal(created.metadata.generation, 1);
    assert.equal(created.metadata.namespace, undefined);
    const level = (await levels().create(
      '',
      pl('mine', { type: 'Limited', limited: { limitResponse: { type: 'Queue', queuing: {} } } }),
      ctx(),
      write,
    )) as PriorityLevelConfiguration;
    assert.deepEqual(level.spec?.limited, {
      nominalConcurrencyShares: 30,
      lendablePercent: 0,
      limitResponse: { type: 'Queue', queuing: { handSize: 8, queues: 64, queueLengthLimit: 50 } },
    });
    assert.equal(level.metadata.generation, 1);
  });

  it('update: a spec change is a new generation, the status stays; /status writes only the status', async () => {
    const cur = (await schemas().get('', 'mine')) as FlowSchema;
    const same = (await schemas().update(
      '',
      'mine',
      { ...clone(cur), status: { conditions: [{ type: 'X' }] } } as FlowSchema,
      '',
      ctx(),
      write,
    )) as FlowSchema;
    assert.equal(same.metadata.generation, 1);
    assert.deepEqual(same.status, {});
    const next = clone(same);
    next.spec!.matchingPrecedence = 600;
    const bumped = (await schemas().update('', 'mine', next, '', ctx(), write)) as FlowSchema;
    assert.equal(bumped.metadata.generation, 2);
    const status = clone(bumped);
    status.spec!.matchingPrecedence = 1;
    status.status = { conditions: [{ type: 'Dangling', status: 'True', reason: 'NotFound', message: 'm' }] };
    const written = (await schemas().update('', 'mine', status, 'status', ctx(), write)) as FlowSchema;
    assert.equal(written.spec?.matchingPrecedence, 600);
    assert.equal(written.metadata.generation, 2);
    assert.equal(written.status?.conditions?.[0]?.reason, 'NotFound');
  });

  it('invalid objects are 422 Invalid with upstream field errors; /status checks condition types', async () => {
    const bad = goodFs([{ subjects: [] }]);
    bad.metadata.name = 'bad';
    await assert.rejects(schemas().create('', bad, ctx(), write), (e: unknown) => {
      assert.ok(e instanceof StatusError);
      assert.equal(e.code, 422);
      assert.equal(e.reason, 'Invalid');
      assert.match(
        e.message,
        /^FlowSchema\.flowcontrol\.apiserver\.k8s\.io "bad" is invalid: \[spec\.rules\[0\]\.subjects: Required value/,
      );
      return true;
    });
    const cur = (await schemas().get('', 'mine')) as FlowSchema;
    await assert.rejects(
      schemas().update(
        '',
        'mine',
        { ...cur, status: { conditions: [{ type: 'A' }, { type: 'A' }] } } as FlowSchema,
        'status',
        ctx(),
        write,
      ),
      /status\.conditions\[1\]\.type: Duplicate value: "A"/,
    );
    const exempt = clone(MANDATORY_PRIORITY_LEVELS[0]!);
    (exempt.spec as PriorityLevelConfigurationSpec).type = 'Limited';
    await assert.rejects(
      levels().create('', exempt, ctx(), write),
      /type must be 'Exempt' if and only if name is 'exempt'/,
    );
  });
});
