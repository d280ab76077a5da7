// FlowSchema rule matching as upstream's util/flowcontrol/rule.go: subjects (users, groups, service
// accounts, wildcards), resource rules (verbs, groups, resources/subresources, namespaces and
// clusterScope), non-resource rules (exact, `*`, prefix), precedence order and flow distinguishers.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type {
  FlowcontrolSubject,
  FlowSchema,
  NonResourcePolicyRule,
  PolicyRulesWithSubjects,
  ResourcePolicyRule,
} from '@mkube/shared/api';
import type { UserInfo } from '@mkube/shared/auth';
import {
  compareFlowSchemas,
  compileFlowSchema,
  flowDistinguisher,
  matchesFlowSchema,
} from '../../src/flowcontrol/match.ts';
import type { RequestInfo } from '../../src/request/requestinfo.ts';

function resource(verb: string, res: string, namespace = '', more: Partial<RequestInfo> = {}): RequestInfo {
  const [resourceName, subresource = ''] = res.split('/');
  return {
    isResourceRequest: true,
    path: `/api/v1/${namespace ? `namespaces/${namespace}/` : ''}${resourceName}`,
    verb,
    apiPrefix: 'api',
    apiGroup: '',
    apiVersion: 'v1',
    namespace,
    resource: resourceName!,
    subresource,
    name: '',
    rest: [],
    ...more,
  };
}

function nonResource(verb: string, path: string): RequestInfo {
  return {
    isResourceRequest: false,
    path,
    verb,
    apiPrefix: '',
    apiGroup: '',
    apiVersion: '',
    namespace: '',
    resource: '',
    subresource: '',
    name: '',
    rest: [],
  };
}

const alice: UserInfo = { username: 'alice', groups: ['devs', 'system:authenticated'] };
const bob: UserInfo = { username: 'bob', groups: ['system:authenticated'] };
const saBuilder: UserInfo = {
  username: 'system:serviceaccount:ci:builder',
  groups: ['system:serviceaccounts', 'system:serviceaccounts:ci', 'system:authenticated'],
};

const user = (name: string): FlowcontrolSubject => ({ kind: 'User', user: { name } });
const group = (name: string): FlowcontrolSubject => ({ kind: 'Group', group: { name } });
const sa = (namespace: string, name: string): FlowcontrolSubject => ({
  kind: 'ServiceAccount',
  serviceAccount: { namespace, name },
});

const anyResource: ResourcePolicyRule = {
  verbs: ['*'],
  apiGroups: ['*'],
  resources: ['*'],
  clusterScope: true,
  namespaces: ['*'],
};
const anyNonResource: NonResourcePolicyRule = { verbs: ['*'], nonResourceURLs: ['*'] };

function schema(rules: PolicyRulesWithSubjects[], name = 'fs', matchingPrecedence?: number): FlowSchema {
  return {
    metadata: { name },
    spec: {
      priorityLevelConfiguration: { name: 'pl' },
      ...(matchingPrecedence === undefined ? {} : { matchingPrecedence }),
      rules,
    },
  };
}

/** Whether a schema of one rule (these subjects and resource rule) matches. */
function resourceMatch(subjects: FlowcontrolSubject[], rule: ResourcePolicyRule, info: RequestInfo, who: UserInfo) {
  return matchesFlowSchema(schema([{ subjects, resourceRules: [rule] }]), info, who);
}

function nonResourceMatch(rule: NonResourcePolicyRule, info: RequestInfo, who: UserInfo = alice) {
  return matchesFlowSchema(schema([{ subjects: [group('*')], nonResourceRules: [rule] }]), info, who);
}

describe('flowcontrol subjects', () => {
  const pods = resource('get', 'pods', 'default');

  it('User: the exact name or *', () => {
    assert.equal(resourceMatch([user('alice')], anyResource, pods, alice), true);
    assert.equal(resourceMatch([user('alice')], anyResource, pods, bob), false);
    assert.equal(resourceMatch([user('*')], anyResource, pods, bob), true);
    // A user name is not a group name.
    assert.equal(resourceMatch([user('devs')], anyResource, pods, alice), false);
  });

  it('Group: a group of the user or *', () => {
    assert.equal(resourceMatch([group('devs')], anyResource, pods, alice), true);
    assert.equal(resourceMatch([group('devs')], anyResource, pods, bob), false);
    assert.equal(resourceMatch([group('*')], anyResource, pods, { username: 'x', groups: [] }), true);
    assert.equal(resourceMatch([group('alice')], anyResource, pods, alice), false);
  });

  it('ServiceAccount: system:serviceaccount:<ns>:<name>, * for the name or the namespace', () => {
    assert.equal(resourceMatch([sa('ci', 'builder')], anyResource, pods, saBuilder), true);
    assert.equal(resourceMatch([sa('ci', 'deployer')], anyResource, pods, saBuilder), false);
    assert.equal(resourceMatch([sa('other', 'builder')], anyResource, pods, saBuilder), false);
    assert.equal(resourceMatch([sa('ci', '*')], anyResource, pods, saBuilder), true);
    assert.equal(resourceMatch([sa('*', 'builder')], anyResource, pods, saBuilder), true);
    assert.equal(resourceMatch([sa('*', '*')], anyResource, pods, saBuilder), true);
    // Namespace `c` is not a prefix match for `ci`.
    assert.equal(resourceMatch([sa('c', '*')], anyResource, pods, saBuilder), false);
    // Not a service account at all.
    assert.equal(resourceMatch([sa('*', '*')], anyResource, pods, alice), false);
    assert.equal(
      resourceMatch([sa('*', '*')], anyResource, pods, { username: 'system:serviceaccount:nocolon', groups: [] }),
      false,
    );
  });

  it('any one subject of the list suffices; none, nothing', () => {
    assert.equal(resourceMatch([user('carol'), group('devs')], anyResource, pods, alice), true);
    assert.equal(resourceMatch([user('carol'), group('ops')], anyResource, pods, alice), false);
    assert.equal(resourceMatch([], anyResource, pods, alice), false);
  });
});

describe('flowcontrol resource rules', () => {
  const rule = (over: Partial<ResourcePolicyRule>): ResourcePolicyRule => ({
    verbs: ['get'],
    apiGroups: [''],
    resources: ['pods'],
    namespaces: ['default'],
    ...over,
  });
  const m = (r: ResourcePolicyRule, info: RequestInfo) => resourceMatch([group('*')], r, info, alice);

  it('verbs: listed or *', () => {
    assert.equal(m(rule({}), resource('get', 'pods', 'default')), true);
    assert.equal(m(rule({}), resource('list', 'pods', 'default')), false);
    assert.equal(m(rule({ verbs: ['list', 'watch'] }), resource('watch', 'pods', 'default')), true);
    assert.equal(m(rule({ verbs: ['*'] }), resource('delete', 'pods', 'default')), true);
  });

  it('apiGroups: listed or *', () => {
    const deploy = resource('get', 'deployments', 'default', { apiGroup: 'apps' });
    assert.equal(m(rule({ resources: ['deployments'] }), deploy), false);
    assert.equal(m(rule({ resources: ['deployments'], apiGroups: ['apps'] }), deploy), true);
    assert.equal(m(rule({ resources: ['deployments'], apiGroups: ['*'] }), deploy), true);
    assert.equal(m(rule({ apiGroups: ['apps'] }), resource('get', 'pods', 'default')), false);
  });

  it('resources: resource, resource/subresource, or *', () => {
    const status = resource('get', 'pods/status', 'default');
    assert.equal(m(rule({}), status), false, 'pods does not cover pods/status');
    assert.equal(m(rule({ resources: ['pods/status'] }), status), true);
    assert.equal(m(rule({ resources: ['pods/status'] }), resource('get', 'pods', 'default')), false);
    assert.equal(m(rule({ resources: ['pods/log'] }), status), false);
    assert.equal(m(rule({ resources: ['*'] }), status), true);
    assert.equal(m(rule({ resources: ['*'] }), resource('get', 'secrets', 'default')), true);
  });

  it('namespaces: listed or *; a request without one needs clusterScope', () => {
    assert.equal(m(rule({}), resource('get', 'pods', 'kube-system')), false);
    assert.equal(m(rule({ namespaces: ['kube-system', 'default'] }), resource('get', 'pods', 'kube-system')), true);
    assert.equal(m(rule({ namespaces: ['*'] }), resource('get', 'pods', 'anything')), true);
    // Cluster-scoped (or all-namespace) requests: `*` does not cover them, clusterScope does.
    const nodes = resource('get', 'nodes');
    assert.equal(m(rule({ resources: ['nodes'], namespaces: ['*'] }), nodes), false);
    assert.equal(m(rule({ resources: ['nodes'], clusterScope: true }), nodes), true);
    assert.equal(m(rule({ resources: ['nodes'], clusterScope: false, namespaces: ['*'] }), nodes), false);
    const allPods = resource('list', 'pods');
    assert.equal(m(rule({ verbs: ['list'], namespaces: ['*'] }), allPods), false);
    assert.equal(m(rule({ verbs: ['list'], namespaces: ['*'], clusterScope: true }), allPods), true);
    // clusterScope alone does not cover namespaced requests.
    assert.equal(m(rule({ namespaces: [], clusterScope: true }), resource('get', 'pods', 'default')), false);
  });

  it('* is a wildcard only as the sole member (upstream containsString; validation allows no other use)', () => {
    assert.equal(m(rule({ verbs: ['get', '*'] }), resource('list', 'pods', 'default')), false);
    assert.equal(m(rule({ verbs: ['get', '*'] }), resource('get', 'pods', 'default')), true);
  });

  it('resource rules never match non-resource requests', () => {
    assert.equal(m(anyResource, nonResource('get', '/healthz')), false);
  });
});

describe('flowcontrol non-resource rules', () => {
  it('exact paths, and what lies under them (upstream: every entry is also a prefix)', () => {
    const r: NonResourcePolicyRule = { verbs: ['get'], nonResourceURLs: ['/healthz', '/version'] };
    assert.equal(nonResourceMatch(r, nonResource('get', '/healthz')), true);
    assert.equal(nonResourceMatch(r, nonResource('get', '/version')), true);
    assert.equal(nonResourceMatch(r, nonResource('get', '/healthz/etcd')), true);
    assert.equal(nonResourceMatch(r, nonResource('get', '/healthzz')), false);
    assert.equal(nonResourceMatch(r, nonResource('get', '/readyz')), false);
    assert.equal(nonResourceMatch(r, nonResource('post', '/healthz')), false);
  });

  it('/prefix/* covers everything under the prefix, not the prefix itself', () => {
    const r: NonResourcePolicyRule = { verbs: ['*'], nonResourceURLs: ['/apis/*'] };
    assert.equal(nonResourceMatch(r, nonResource('get', '/apis/apps/v1')), true);
    assert.equal(nonResourceMatch(r, nonResource('get', '/apis/')), true);
    assert.equal(nonResourceMatch(r, nonResource('get', '/apis')), false);
    assert.equal(nonResourceMatch(r, nonResource('get', '/apisx/y')), false);
    assert.equal(nonResourceMatch(r, nonResource('get', '/api/v1')), false);
  });

  it('* covers every path; verbs as in resource rules', () => {
    assert.equal(nonResourceMatch(anyNonResource, nonResource('get', '/metrics')), true);
    assert.equal(nonResourceMatch(anyNonResource, nonResource('put', '/')), true);
    const getOnly: NonResourcePolicyRule = { verbs: ['get'], nonResourceURLs: ['*'] };
    assert.equal(nonResourceMatch(getOnly, nonResource('post', '/metrics')), false);
  });

  it('non-resource rules never match resource requests', () => {
    assert.equal(nonResourceMatch(anyNonResource, resource('get', 'pods', 'default')), false);
  });
});

describe('flowcontrol FlowSchema matching', () => {
  it('a PolicyRulesWithSubjects needs both a subject and a rule; any of the schema’s suffices', () => {
    const fs = schema([
      { subjects: [user('bob')], resourceRules: [anyResource] },
      { subjects: [group('devs')], nonResourceRules: [anyNonResource] },
    ]);
    const m = compileFlowSchema(fs);
    assert.equal(m(resource('get', 'pods', 'default'), bob), true);
    assert.equal(m(resource('get', 'pods', 'default'), alice), false, 'alice has only a non-resource rule');
    assert.equal(m(nonResource('get', '/metrics'), alice), true);
    assert.equal(m(nonResource('get', '/metrics'), bob), false, 'bob has only a resource rule');
    assert.equal(compileFlowSchema(schema([]))(resource('get', 'pods', 'default'), alice), false);
  });

  it('sorts by matchingPrecedence (default 1000), then name', () => {
    const list = [
      schema([], 'zeta', 500),
      schema([], 'beta'),
      schema([], 'alpha', 500),
      schema([], 'gamma', 1000),
      schema([], 'first', 1),
    ];
    assert.deepEqual(
      [...list].sort(compareFlowSchemas).map((f) => f.metadata.name),
      ['first', 'alpha', 'zeta', 'beta', 'gamma'],
    );
  });

  it('flow distinguishers: ByUser, ByNamespace, none', () => {
    const info = resource('get', 'pods', 'team-a');
    assert.equal(flowDistinguisher({ type: 'ByUser' }, info, alice), 'alice');
    assert.equal(flowDistinguisher({ type: 'ByNamespace' }, info, alice), 'team-a');
    assert.equal(flowDistinguisher({ type: 'ByNamespace' }, resource('get', 'nodes'), alice), '');
    assert.equal(flowDistinguisher(undefined, info, alice), '');
  });
});
