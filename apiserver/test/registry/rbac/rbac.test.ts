// RBAC validation: rules, aggregation selectors, subjects, roleRef and its immutability, each
// asserting the exact field error Kubernetes returns.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type {
  ClusterRole,
  ClusterRoleBinding,
  PolicyRule,
  Role,
  RoleBinding,
  RoleRef,
  Subject,
} from '@mkube/shared/api';
import type { FieldError } from '@mkube/shared/apierrors';
import {
  clusterRoleBindingStrategy,
  clusterRoleStrategy,
  isValidPathSegmentName,
  roleBindingStrategy,
  roleStrategy,
} from '../../../src/registry/rbac/index.js';
import type { StrategyContext } from '../../../src/registry/strategy.js';

const ctx: StrategyContext = { now: new Date(0), user: { username: 'admin', groups: ['system:masters'] } };
const G = 'rbac.authorization.k8s.io';
type Shape = { type: string; field: string; detail?: string; badValue?: unknown };
/** RBAC validation is synchronous; a promise here would be a change worth a failing test. */
const sync = (errs: readonly FieldError[] | Promise<FieldError[]>): readonly FieldError[] => {
  assert.ok(Array.isArray(errs), 'RBAC validation returned a promise');
  return errs;
};
const shape = (errs: readonly FieldError[] | Promise<FieldError[]>): Shape[] =>
  sync(errs).map((e) => {
    const s: Shape = { type: e.type, field: e.field };
    if (e.detail !== undefined) s.detail = e.detail;
    if (e.type === 'Invalid') s.badValue = e.badValue;
    return s;
  });

const role = (rules: PolicyRule[]): Role => ({ metadata: { name: 'r', namespace: 'ns' }, rules });
const clusterRole = (rules: PolicyRule[], extra: Partial<ClusterRole> = {}): ClusterRole => ({
  metadata: { name: 'system:node' },
  rules,
  ...extra,
});
const ref = (kind: string, name = 'view', apiGroup = G): RoleRef => ({ apiGroup, kind: kind as RoleRef['kind'], name });
const rb = (roleRef: RoleRef, subjects: Subject[] = []): RoleBinding => ({
  metadata: { name: 'b', namespace: 'ns' },
  roleRef,
  subjects,
});
const crb = (roleRef: RoleRef, subjects: Subject[] = []): ClusterRoleBinding => ({
  metadata: { name: 'b' },
  roleRef,
  subjects,
});

describe('isValidPathSegmentName', () => {
  const cases: [string, string[]][] = [
    ['system:node', []],
    ['.', ["may not be '.'"]],
    ['..', ["may not be '..'"]],
    ['a/b', ["may not contain '/'"]],
    ['a%2F/b', ["may not contain '/'", "may not contain '%'"]],
  ];
  for (const [name, want] of cases)
    it(JSON.stringify(name), () => assert.deepEqual(isValidPathSegmentName(name), want));
});

describe('policy rules', () => {
  const cases: { name: string; rule: PolicyRule; namespaced: Shape[]; cluster: Shape[] }[] = [
    {
      name: 'a resource rule',
      rule: { verbs: ['get'], apiGroups: [''], resources: ['pods'] },
      namespaced: [],
      cluster: [],
    },
    {
      name: 'no verbs',
      rule: { verbs: [], apiGroups: [''], resources: ['pods'] },
      namespaced: [{ type: 'Required', field: 'rules[0].verbs', detail: 'verbs must contain at least one value' }],
      cluster: [{ type: 'Required', field: 'rules[0].verbs', detail: 'verbs must contain at least one value' }],
    },
    {
      name: 'no apiGroups nor resources',
      rule: { verbs: ['get'] },
      namespaced: [
        { type: 'Required', field: 'rules[0].apiGroups', detail: 'resource rules must supply at least one api group' },
        { type: 'Required', field: 'rules[0].resources', detail: 'resource rules must supply at least one resource' },
      ],
      cluster: [
        { type: 'Required', field: 'rules[0].apiGroups', detail: 'resource rules must supply at least one api group' },
        { type: 'Required', field: 'rules[0].resources', detail: 'resource rules must supply at least one resource' },
      ],
    },
    {
      name: 'non-resource URLs',
      rule: { verbs: ['get'], nonResourceURLs: ['/healthz'] },
      namespaced: [
        {
          type: 'Invalid',
          field: 'rules[0].nonResourceURLs',
          detail: 'namespaced rules cannot apply to non-resource URLs',
          badValue: ['/healthz'],
        },
      ],
      cluster: [],
    },
    {
      name: 'both resources and URLs',
      rule: { verbs: ['get'], resources: ['pods'], nonResourceURLs: ['/healthz'] },
      namespaced: [
        {
          type: 'Invalid',
          field: 'rules[0].nonResourceURLs',
          detail: 'namespaced rules cannot apply to non-resource URLs',
          badValue: ['/healthz'],
        },
        {
          type: 'Invalid',
          field: 'rules[0].nonResourceURLs',
          detail: 'rules cannot apply to both regular resources and non-resource URLs',
          badValue: ['/healthz'],
        },
      ],
      cluster: [
        {
          type: 'Invalid',
          field: 'rules[0].nonResourceURLs',
          detail: 'rules cannot apply to both regular resources and non-resource URLs',
          badValue: ['/healthz'],
        },
      ],
    },
  ];
  for (const c of cases) {
    it(`Role: ${c.name}`, () => assert.deepEqual(shape(roleStrategy.validate(role([c.rule]), ctx)), c.namespaced));
    it(`ClusterRole: ${c.name}`, () =>
      assert.deepEqual(shape(clusterRoleStrategy.validate(clusterRole([c.rule]), ctx)), c.cluster));
  }

  it('indexes the offending rule', () => {
    const rules: PolicyRule[] = [
      { verbs: ['get'], apiGroups: [''], resources: ['pods'] },
      { verbs: ['get'], apiGroups: [''] },
    ];
    assert.deepEqual(shape(roleStrategy.validateUpdate(role(rules), role([]), ctx)), [
      { type: 'Required', field: 'rules[1].resources', detail: 'resource rules must supply at least one resource' },
    ]);
  });
});

describe('ClusterRole aggregationRule', () => {
  const cases: { name: string; agg: ClusterRole['aggregationRule']; want: Shape[] }[] = [
    {
      name: 'a label selector',
      agg: { clusterRoleSelectors: [{ matchLabels: { 'rbac.example.com/agg': 'true' } }] },
      want: [],
    },
    {
      name: 'no selectors',
      agg: {},
      want: [
        {
          type: 'Required',
          field: 'aggregationRule.clusterRoleSelectors',
          detail: 'at least one clusterRoleSelector required if aggregationRule is non-nil',
        },
      ],
    },
    {
      name: 'In without values',
      agg: { clusterRoleSelectors: [{ matchExpressions: [{ key: 'k', operator: 'In' }] }] },
      want: [
        {
          type: 'Required',
          field: 'aggregationRule.clusterRoleSelectors[0].matchExpressions[0].values',
          detail: "must be specified when `operator` is 'In' or 'NotIn'",
        },
      ],
    },
    {
      name: 'a bad operator',
      agg: { clusterRoleSelectors: [{ matchExpressions: [{ key: 'k', operator: 'Near' as 'In', values: ['v'] }] }] },
      want: [
        {
          type: 'Invalid',
          field: 'aggregationRule.clusterRoleSelectors[0].matchExpressions[0].operator',
          detail: 'not a valid selector operator',
          badValue: 'Near',
        },
      ],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      assert.deepEqual(shape(clusterRoleStrategy.validate(clusterRole([], { aggregationRule: c.agg }), ctx)), c.want);
    });
  }

  it('tolerates bad label values in selectors already stored', () => {
    const bad = clusterRole([], {
      aggregationRule: {
        clusterRoleSelectors: [{ matchExpressions: [{ key: 'k', operator: 'In', values: ['bad value'] }] }],
      },
    });
    assert.equal(sync(clusterRoleStrategy.validate(bad, ctx)).length, 1);
    assert.deepEqual(clusterRoleStrategy.validateUpdate(structuredClone(bad), bad, ctx), []);
  });
});

describe('roleRef', () => {
  const rbCases: { name: string; ref: RoleRef; want: Shape[] }[] = [
    { name: 'a ClusterRole', ref: ref('ClusterRole'), want: [] },
    { name: 'a Role', ref: ref('Role'), want: [] },
    {
      name: 'a wrong group',
      ref: ref('Role', 'view', 'rbac'),
      want: [
        { type: 'NotSupported', field: 'roleRef.apiGroup', detail: 'supported values: "rbac.authorization.k8s.io"' },
      ],
    },
    {
      name: 'a wrong kind',
      ref: ref('User'),
      want: [{ type: 'NotSupported', field: 'roleRef.kind', detail: 'supported values: "Role", "ClusterRole"' }],
    },
    { name: 'no name', ref: ref('Role', ''), want: [{ type: 'Required', field: 'roleRef.name' }] },
    {
      name: 'a name with a slash',
      ref: ref('Role', 'a/b'),
      want: [{ type: 'Invalid', field: 'roleRef.name', detail: "may not contain '/'", badValue: 'a/b' }],
    },
  ];
  for (const c of rbCases) {
    it(`RoleBinding to ${c.name}`, () => assert.deepEqual(shape(roleBindingStrategy.validate(rb(c.ref), ctx)), c.want));
  }

  it('ClusterRoleBinding only to a ClusterRole', () => {
    assert.deepEqual(shape(clusterRoleBindingStrategy.validate(crb(ref('ClusterRole')), ctx)), []);
    assert.deepEqual(shape(clusterRoleBindingStrategy.validate(crb(ref('Role')), ctx)), [
      { type: 'NotSupported', field: 'roleRef.kind', detail: 'supported values: "ClusterRole"' },
    ]);
  });

  it('cannot change on update', () => {
    const old = rb(ref('ClusterRole', 'view'));
    const changed = rb(ref('ClusterRole', 'edit'));
    assert.deepEqual(shape(roleBindingStrategy.validateUpdate(changed, old, ctx)), [
      { type: 'Invalid', field: 'roleRef', detail: 'cannot change roleRef', badValue: changed.roleRef },
    ]);
    const oldC = crb(ref('ClusterRole', 'view'));
    assert.deepEqual(
      shape(clusterRoleBindingStrategy.validateUpdate(crb(ref('ClusterRole', 'admin')), oldC, ctx)).map(
        (e) => e.detail,
      ),
      ['cannot change roleRef'],
    );
    const subjectsOnly = rb(ref('ClusterRole', 'view'), [{ kind: 'User', apiGroup: G, name: 'alice' }]);
    assert.deepEqual(roleBindingStrategy.validateUpdate(subjectsOnly, old, ctx), []);
  });
});

describe('subjects', () => {
  const cases: { name: string; s: Subject; rb: Shape[]; crb: Shape[] }[] = [
    { name: 'a User', s: { kind: 'User', apiGroup: G, name: 'alice' }, rb: [], crb: [] },
    { name: 'a Group', s: { kind: 'Group', apiGroup: G, name: 'system:nodes' }, rb: [], crb: [] },
    {
      name: 'a User without apiGroup',
      s: { kind: 'User', name: 'alice' },
      rb: [
        {
          type: 'NotSupported',
          field: 'subjects[0].apiGroup',
          detail: 'supported values: "rbac.authorization.k8s.io"',
        },
      ],
      crb: [
        {
          type: 'NotSupported',
          field: 'subjects[0].apiGroup',
          detail: 'supported values: "rbac.authorization.k8s.io"',
        },
      ],
    },
    {
      name: 'a Group without name',
      s: { kind: 'Group', apiGroup: G, name: '' },
      rb: [{ type: 'Required', field: 'subjects[0].name' }],
      crb: [{ type: 'Required', field: 'subjects[0].name' }],
    },
    {
      name: 'a ServiceAccount without namespace',
      s: { kind: 'ServiceAccount', name: 'default' },
      rb: [],
      crb: [{ type: 'Required', field: 'subjects[0].namespace' }],
    },
    {
      name: 'a ServiceAccount with namespace',
      s: { kind: 'ServiceAccount', name: 'default', namespace: 'kube-system' },
      rb: [],
      crb: [],
    },
    {
      name: 'a ServiceAccount with the RBAC group',
      s: { kind: 'ServiceAccount', apiGroup: G, name: 'default', namespace: 'ns' },
      rb: [{ type: 'NotSupported', field: 'subjects[0].apiGroup', detail: 'supported values: ""' }],
      crb: [{ type: 'NotSupported', field: 'subjects[0].apiGroup', detail: 'supported values: ""' }],
    },
    {
      name: 'a ServiceAccount with a bad name',
      s: { kind: 'ServiceAccount', name: 'Default', namespace: 'ns' },
      rb: [
        {
          type: 'Invalid',
          field: 'subjects[0].name',
          detail:
            "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
          badValue: 'Default',
        },
      ],
      crb: [
        {
          type: 'Invalid',
          field: 'subjects[0].name',
          detail:
            "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
          badValue: 'Default',
        },
      ],
    },
    {
      name: 'an unknown kind',
      s: { kind: 'Robot' as 'User', name: 'r2' },
      rb: [
        {
          type: 'NotSupported',
          field: 'subjects[0].kind',
          detail: 'supported values: "ServiceAccount", "User", "Group"',
        },
      ],
      crb: [
        {
          type: 'NotSupported',
          field: 'subjects[0].kind',
          detail: 'supported values: "ServiceAccount", "User", "Group"',
        },
      ],
    },
  ];
  for (const c of cases) {
    it(`RoleBinding: ${c.name}`, () =>
      assert.deepEqual(shape(roleBindingStrategy.validate(rb(ref('Role'), [c.s]), ctx)), c.rb));
    it(`ClusterRoleBinding: ${c.name}`, () =>
      assert.deepEqual(shape(clusterRoleBindingStrategy.validate(crb(ref('ClusterRole'), [c.s]), ctx)), c.crb));
  }
});

describe('strategy flags', () => {
  it('lets PUT create every RBAC kind, as Kubernetes does', () => {
    for (const s of [roleStrategy, clusterRoleStrategy, roleBindingStrategy, clusterRoleBindingStrategy]) {
      assert.equal(s.allowCreateOnUpdate, true);
    }
  });
});
