// Pure parts of the client: URL building, error decoding, backoff bounds.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Backoff, ClientError, encodeQuery, errorFromBody, objectKey, resourcePath } from '@mkube/shared/client';

describe('client paths', () => {
  const cases: [Parameters<typeof resourcePath>, string][] = [
    [[{ group: '', version: 'v1', resource: 'nodes' }], '/api/v1/nodes'],
    [[{ group: '', version: 'v1', resource: 'nodes' }, 'n1', 'status'], '/api/v1/nodes/n1/status'],
    [
      [{ group: '', version: 'v1', resource: 'secrets', namespace: 'kube-system' }, 's'],
      '/api/v1/namespaces/kube-system/secrets/s',
    ],
    [
      [{ group: 'certificates.k8s.io', version: 'v1', resource: 'certificatesigningrequests' }, 'c', 'approval'],
      '/apis/certificates.k8s.io/v1/certificatesigningrequests/c/approval',
    ],
    [
      [{ group: 'coordination.k8s.io', version: 'v1', resource: 'leases', namespace: 'kube-node-lease' }, 'n1'],
      '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/n1',
    ],
  ];
  for (const [args, want] of cases) it(want, () => assert.equal(resourcePath(...args), want));

  it('rejects names that would change the path', () => {
    for (const bad of ['', '.', '..', 'a/b', 'a%2F']) {
      assert.throws(() => resourcePath({ group: '', version: 'v1', resource: 'nodes' }, bad), ClientError);
    }
  });

  it('encodes queries and keys', () => {
    assert.equal(encodeQuery({ a: 'x y', b: true, c: undefined, d: ['1', '2'] }), '?a=x+y&b=true&d=1&d=2');
    assert.equal(encodeQuery({}), '');
    assert.equal(objectKey({ metadata: { name: 'n', namespace: 'ns' } }), 'ns/n');
    assert.equal(objectKey({ metadata: { name: 'node1' } }), 'node1');
  });

  it('decodes error bodies', () => {
    const s = errorFromBody(409, JSON.stringify({ kind: 'Status', message: 'm', reason: '', code: 409 }));
    assert.equal(s.reason, 'Conflict');
    assert.equal(errorFromBody(500, 'oops').reason, 'InternalError');
    assert.equal(errorFromBody(504, '').message, 'Timeout');
  });

  it('backs off within bounds, never zero', () => {
    const b = new Backoff({ initialMs: 100, maxMs: 1000, random: () => 0.999 });
    const seq = Array.from({ length: 8 }, () => b.next());
    assert.ok(
      seq.every((d) => d >= 100 && d <= 1000),
      seq.join(),
    );
    assert.equal(seq.at(-1), 1000);
    b.reset();
    assert.equal(new Backoff({ initialMs: 100, random: () => 0 }).next(), 100);
  });
});
