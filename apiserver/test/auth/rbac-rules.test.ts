import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PolicyRule } from '@mkube/shared/api';
import type { Attributes } from '@mkube/shared/auth';
import { ruleAllows, subjectMatches } from '../../src/auth/rbac/rules.ts';

const user = { username: 'alice', groups: ['devs', 'system:authenticated'] };
const res = (verb: string, resource: string, o: Partial<Attributes> = {}): Attributes => ({
  user,
  verb,
  isResourceRequest: true,
  path: '',
  namespace: 'default',
  apiGroup: '',
  apiVersion: 'v1',
  resource,
  subresource: '',
  name: '',
  ...o,
});
const url = (verb: string, path: string): Attributes => ({ ...res(verb, ''), isResourceRequest: false, path });

describe('RBAC rule semantics', () => {
  const cases: [string, PolicyRule, Attributes, boolean][] = [
    ['exact verb/resource', { verbs: ['get'], apiGroups: [''], resources: ['pods'] }, res('get', 'pods'), true],
    ['other verb', { verbs: ['get'], apiGroups: [''], resources: ['pods'] }, res('list', 'pods'), false],
    ['other group', { verbs: ['get'], apiGroups: ['apps'], resources: ['pods'] }, res('get', 'pods'), false],
    ['* everything', { verbs: ['*'], apiGroups: ['*'], resources: ['*'] }, res('delete', 'secrets'), true],
    [
      'subresource needs its own entry',
      { verbs: ['get'], apiGroups: [''], resources: ['pods'] },
      res('get', 'pods', { subresource: 'log' }),
      false,
    ],
    [
      'res/sub',
      { verbs: ['get'], apiGroups: [''], resources: ['pods/log'] },
      res('get', 'pods', { subresource: 'log' }),
      true,
    ],
    [
      '*/sub',
      { verbs: ['update'], apiGroups: [''], resources: ['*/status'] },
      res('update', 'nodes', { subresource: 'status' }),
      true,
    ],
    [
      '*/sub is not the parent',
      { verbs: ['update'], apiGroups: [''], resources: ['*/status'] },
      res('update', 'nodes'),
      false,
    ],
    [
      'resourceNames match',
      { verbs: ['get'], apiGroups: [''], resources: ['secrets'], resourceNames: ['s1'] },
      res('get', 'secrets', { name: 's1' }),
      true,
    ],
    [
      'resourceNames other',
      { verbs: ['get'], apiGroups: [''], resources: ['secrets'], resourceNames: ['s1'] },
      res('get', 'secrets', { name: 's2' }),
      false,
    ],
    [
      'resourceNames never cover a list',
      { verbs: ['list'], apiGroups: [''], resources: ['secrets'], resourceNames: ['s1'] },
      res('list', 'secrets'),
      false,
    ],
    ['nonResourceURL exact', { verbs: ['get'], nonResourceURLs: ['/healthz'] }, url('get', '/healthz'), true],
    [
      'nonResourceURL prefix *',
      { verbs: ['get'], nonResourceURLs: ['/apis/*'] },
      url('get', '/apis/rbac.authorization.k8s.io'),
      true,
    ],
    [
      'nonResourceURL not a prefix without *',
      { verbs: ['get'], nonResourceURLs: ['/api'] },
      url('get', '/api/v1'),
      false,
    ],
    [
      'resource rule never allows a URL',
      { verbs: ['*'], apiGroups: ['*'], resources: ['*'] },
      url('get', '/healthz'),
      false,
    ],
  ];
  for (const [name, rule, attrs, want] of cases) it(name, () => assert.equal(ruleAllows(attrs, rule), want));

  it('matches subjects: users, groups, service accounts in the binding namespace', () => {
    assert.ok(subjectMatches({ kind: 'User', name: 'alice' }, user, ''));
    assert.ok(subjectMatches({ kind: 'Group', name: 'devs' }, user, ''));
    assert.ok(!subjectMatches({ kind: 'Group', name: 'ops' }, user, ''));
    const sa = { username: 'system:serviceaccount:ns1:robot', groups: [] };
    assert.ok(subjectMatches({ kind: 'ServiceAccount', name: 'robot' }, sa, 'ns1'));
    assert.ok(!subjectMatches({ kind: 'ServiceAccount', name: 'robot' }, sa, 'ns2'));
    assert.ok(subjectMatches({ kind: 'ServiceAccount', name: 'robot', namespace: 'ns1' }, sa, ''));
  });
});
