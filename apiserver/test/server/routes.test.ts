// A method a resource path has no route for: 405 MethodNotAllowed, and an object path of a resource
// that has none (the review APIs): 404, both in go-restful's generic words as kube-apiserver answers
// them, through the real server, curl and kubectl.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { curl, type Fixture, kubectl, startFixture } from './fixture.ts';

const NOT_ALLOWED = 'the server does not allow this method on the requested resource';
const NO_ROUTE = 'the server could not find the requested resource';

describe('routes by verb', () => {
  let fx: Fixture;
  before(async () => {
    fx = await startFixture();
  });
  after(async () => fx?.close());

  const call = async (method: string, path: string, body: object = {}) => {
    const r = await curl(fx, path, [
      '-X',
      method,
      '-H',
      'Content-Type: application/json',
      '--data-binary',
      JSON.stringify(body),
    ]);
    return {
      code: r.code,
      body: r.body,
      status: JSON.parse(r.body) as { kind: string; reason: string; message: string; details?: object },
    };
  };

  it('405 for a method the path has no route for: resources, discovery and /version', async () => {
    for (const [method, path] of [
      ['PUT', '/api/v1/namespaces/default/configmaps'],
      ['PATCH', '/api/v1/namespaces/default/configmaps'],
      ['POST', '/api/v1/namespaces/default/configmaps/named'],
      ['GET', '/apis/authorization.k8s.io/v1/subjectaccessreviews'],
      ['DELETE', '/apis/authorization.k8s.io/v1/subjectaccessreviews'],
      ['GET', '/api/v1/namespaces/default/serviceaccounts/default/token'],
      ['DELETE', '/apis/certificates.k8s.io/v1/certificatesigningrequests/x/approval'],
      ['DELETE', '/api/v1/namespaces'],
      // The GET-only WebServices: discovery and /version.
      ['POST', '/version'],
      ['PUT', '/api'],
      ['DELETE', '/apis'],
      ['POST', '/api/v1'],
      ['POST', '/apis/certificates.k8s.io'],
      ['PATCH', '/apis/certificates.k8s.io/v1'],
    ] as const) {
      const r = await call(method, path);
      assert.equal(r.code, 405, `${method} ${path}: ${r.body}`);
      assert.deepEqual(
        [r.status.kind, r.status.reason, r.status.message],
        ['Status', 'MethodNotAllowed', NOT_ALLOWED],
        `${method} ${path}`,
      );
      assert.deepEqual(r.status.details, {}, `${method} ${path}`);
    }
    // A path nothing serves stays 404 whatever the method.
    const none = await call('POST', '/nothing/here');
    assert.deepEqual([none.code, none.status.reason, none.status.message], [404, 'NotFound', NO_ROUTE]);
  });

  it('HEAD: 405 on go-restful routes (discovery, resources), served by the plain handlers', async () => {
    const head = async (path: string) => (await curl(fx, path, ['-I'])).code;
    for (const path of ['/version', '/api', '/api/v1', '/apis/certificates.k8s.io/v1', '/api/v1/namespaces']) {
      assert.equal(await head(path), 405, path);
    }
    assert.equal(await head('/api/v1/namespaces/default/configmaps/nope'), 405, 'the route refuses before the lookup');
    for (const path of ['/healthz', '/readyz', '/metrics', '/openapi/v2']) assert.equal(await head(path), 200, path);
    assert.equal(await head('/nothing/here'), 404);
    // GET is untouched.
    assert.equal((await call('GET', '/api/v1/namespaces/default')).code, 200);
  });

  it('the plain handlers (health, metrics, openapi) answer every method authorization allows', async () => {
    for (const path of ['/healthz', '/livez', '/readyz/ping']) {
      const r = await curl(fx, path, ['-X', 'POST', '--data-binary', '{not json']);
      assert.deepEqual([r.code, r.body], [200, 'ok'], path);
    }
    const m = await curl(fx, '/metrics', ['-X', 'PUT']);
    assert.equal(m.code, 200);
    assert.match(m.body, /^apiserver_request_total\{/m);
    const v3 = await curl(fx, '/openapi/v3', ['-X', 'POST']);
    assert.equal(v3.code, 200);
    assert.ok((JSON.parse(v3.body) as { paths: Record<string, unknown> }).paths['api/v1']);
  });

  it('404 for an object path of a resource served only as a collection', async () => {
    for (const [method, path] of [
      ['GET', '/apis/authorization.k8s.io/v1/subjectaccessreviews/x'],
      ['PUT', '/apis/authentication.k8s.io/v1/tokenreviews/x'],
    ] as const) {
      const r = await call(method, path);
      assert.equal(r.code, 404, `${method} ${path}`);
      assert.deepEqual([r.status.reason, r.status.message], ['NotFound', NO_ROUTE], `${method} ${path}`);
    }
  });

  it('what the routes serve still works; kubectl reports MethodNotAllowed as upstream', async () => {
    assert.equal((await call('GET', '/api/v1/namespaces/default/configmaps')).code, 200);
    assert.equal((await call('GET', '/api/v1/namespaces/default/configmaps/nope')).code, 404);
    const sar = await call('POST', '/apis/authorization.k8s.io/v1/subjectaccessreviews', {
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SubjectAccessReview',
      spec: { user: 'alice', resourceAttributes: { verb: 'get', resource: 'pods', namespace: 'default' } },
    });
    assert.equal(sar.code, 201, sar.body);
    const r = await kubectl(fx, ['get', 'subjectaccessreviews']);
    assert.notEqual(r.status, 0);
    assert.match(
      r.err,
      /Error from server \(MethodNotAllowed\): the server does not allow this method on the requested resource/,
    );
  });
});
