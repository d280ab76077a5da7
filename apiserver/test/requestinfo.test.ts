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
    // AuthorizeWithSelectors: the selectors of a list, watch or deletecollection, as sent.
    [
      'GET',
      '/api/v1/pods?watch=1&fieldSelector=spec.nodeName%3Dn1&labelSelector=app%20in%20(a)',
      { verb: 'watch', name: '', fieldSelector: 'spec.nodeName=n1', labelSelector: 'app in (a)' },
    ],
    [
      'DELETE',
      '/api/v1/namespaces/default/pods?labelSelector=app%3Da',
      { verb: 'deletecollection', labelSelector: 'app=a', fieldSelector: undefined },
    ],
    // Not for the deprecated watch paths, nor for a get.
    ['GET', '/api/v1/watch/pods?fieldSelector=spec.nodeName%3Dn1', { verb: 'watch', fieldSelector: undefined }],
    ['GET', '/api/v1/namespaces/default/pods/p1?labelSelector=a', { verb: 'get', labelSelector: undefined }],
    // A name only from a selector that parses, and only one that could be a path segment.
    ['GET', '/api/v1/pods?fieldSelector=metadata.name%3D%3Dp1,spec.nodeName%3Dn1', { verb: 'list', name: 'p1' }],
    ['GET', '/api/v1/pods?fieldSelector=metadata.name%3Dp1,bad', { verb: 'list', name: '' }],
    ['GET', '/api/v1/pods?fieldSelector=metadata.name%3D..', { verb: 'list', name: '' }],
    ['GET', '/api/v1/pods?fieldSelector=metadata.name!%3Dp1', { verb: 'list', name: '' }],
    // watch=true on an object's path is still a get, as upstream's request info has it.
    ['GET', '/api/v1/namespaces/default/pods/p1?watch=true', { verb: 'get', name: 'p1' }],
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
