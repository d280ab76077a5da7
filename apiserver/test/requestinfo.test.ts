import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseRequestInfo } from '../src/request/requestinfo.ts';

function info(method: string, url: string) {
  const u = new URL(url, 'https://x');
  return parseRequestInfo(method, u.pathname, u.searchParams);
}

describe('parseRequestInfo', () => {
  const cases: [string, string, Partial<ReturnType<typeof info>>][] = [
    ['GET', '/api/v1/namespaces/default/pods', { verb: 'list', resource: 'pods', namespace: 'default', name: '' }],
    ['GET', '/api/v1/namespaces/default/pods/p1', { verb: 'get', resource: 'pods', namespace: 'default', name: 'p1' }],
    ['GET', '/api/v1/namespaces/default/pods?watch=true', { verb: 'watch', resource: 'pods' }],
    ['GET', '/api/v1/watch/namespaces/default/pods', { verb: 'watch', resource: 'pods', namespace: 'default' }],
    [
      'GET',
      '/api/v1/namespaces/default/pods/p1/log',
      { verb: 'get', resource: 'pods', subresource: 'log', name: 'p1' },
    ],
    ['POST', '/api/v1/namespaces/default/pods/p1/exec', { verb: 'create', subresource: 'exec' }],
    [
      'GET',
      '/api/v1/namespaces/kube-system',
      { verb: 'get', resource: 'namespaces', name: 'kube-system', namespace: 'kube-system' },
    ],
    [
      'PUT',
      '/api/v1/namespaces/x/status',
      { verb: 'update', resource: 'namespaces', name: 'x', subresource: 'status' },
    ],
    ['GET', '/api/v1/namespaces', { verb: 'list', resource: 'namespaces', namespace: '' }],
    ['DELETE', '/api/v1/namespaces/default/configmaps', { verb: 'deletecollection', resource: 'configmaps' }],
    [
      'PATCH',
      '/api/v1/nodes/n1/status',
      { verb: 'patch', resource: 'nodes', name: 'n1', subresource: 'status', namespace: '' },
    ],
    [
      'PUT',
      '/apis/certificates.k8s.io/v1/certificatesigningrequests/csr-1/approval',
      {
        verb: 'update',
        apiGroup: 'certificates.k8s.io',
        apiVersion: 'v1',
        resource: 'certificatesigningrequests',
        name: 'csr-1',
        subresource: 'approval',
      },
    ],
    [
      'GET',
      '/api/v1/nodes/n1/proxy/stats/summary',
      { resource: 'nodes', subresource: 'proxy', name: 'n1', rest: ['stats', 'summary'] },
    ],
    [
      'GET',
      '/api/v1/namespaces/kube-system/secrets?fieldSelector=metadata.name%3Dbootstrap-token-abcdef',
      { verb: 'list', name: 'bootstrap-token-abcdef' },
    ],
  ];
  for (const [method, url, want] of cases) {
    it(`${method} ${url}`, () => {
      const got = info(method, url);
      assert.equal(got.isResourceRequest, true);
      for (const [k, v] of Object.entries(want)) assert.deepEqual((got as unknown as Record<string, unknown>)[k], v, k);
    });
  }
  for (const url of [
    '/healthz',
    '/version',
    '/api',
    '/apis',
    '/apis/certificates.k8s.io',
    '/api/v1',
    '/apis/rbac.authorization.k8s.io/v1',
    '/openapi/v3',
  ]) {
    it(`non-resource ${url}`, () => {
      const got = info('GET', url);
      assert.equal(got.isResourceRequest, false);
      assert.equal(got.verb, 'get');
      assert.equal(got.path, url);
    });
  }
});
