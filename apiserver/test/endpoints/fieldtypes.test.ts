// A body whose fields have the wrong JSON types (a number for a name, a string for a list, an object
// for a label value, a null inside a list) is kube-apiserver's 400 from its typed decoder, or a 422
// from validation: never a 500 from deep inside a registry. Every leaf of a sample of each kind is
// replaced in turn with values of the other JSON kinds (bounded: at most 600 requests).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { curl, curlPost, type Fixture, startFixture } from '../server/fixture.ts';

type Json = Record<string, unknown>;
const SAMPLES: [string, Json][] = [
  [
    '/api/v1/namespaces/default/configmaps',
    { kind: 'ConfigMap', metadata: { name: 'c', labels: { a: 'b' } }, data: { k: 'v' } },
  ],
  [
    '/api/v1/namespaces/default/secrets',
    { kind: 'Secret', metadata: { name: 's' }, stringData: { k: 'v' }, data: { x: 'eA==' } },
  ],
  [
    '/api/v1/namespaces/default/pods',
    {
      kind: 'Pod',
      metadata: { name: 'p' },
      spec: {
        nodeName: 'n',
        containers: [{ name: 'c', image: 'i', env: [{ name: 'A', value: 'b' }], ports: [{ containerPort: 80 }] }],
        volumes: [{ name: 'v', secret: { secretName: 's' } }],
      },
    },
  ],
  [
    '/api/v1/namespaces/default/services',
    { kind: 'Service', metadata: { name: 'svc' }, spec: { selector: { a: 'b' }, ports: [{ port: 80 }] } },
  ],
  ['/api/v1/nodes', { kind: 'Node', metadata: { name: 'n1' }, spec: { taints: [{ key: 'a', effect: 'NoSchedule' }] } }],
  [
    '/api/v1/namespaces/default/events',
    { kind: 'Event', metadata: { name: 'e' }, involvedObject: { name: 'p' }, count: 1 },
  ],
  [
    '/apis/rbac.authorization.k8s.io/v1/clusterroles',
    {
      kind: 'ClusterRole',
      metadata: { name: 'cr' },
      rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['get'] }],
    },
  ],
  [
    '/apis/certificates.k8s.io/v1/certificatesigningrequests',
    {
      kind: 'CertificateSigningRequest',
      metadata: { name: 'csr' },
      spec: { request: 'eA==', usages: ['client auth'], expirationSeconds: 3600 },
    },
  ],
  [
    '/apis/authorization.k8s.io/v1/subjectaccessreviews',
    {
      kind: 'SubjectAccessReview',
      spec: {
        user: 'u',
        groups: ['g'],
        resourceAttributes: {
          verb: 'get',
          labelSelector: { requirements: [{ key: 'a', operator: 'In', values: ['b'] }] },
        },
      },
    },
  ],
];
const OTHER_KINDS: unknown[] = [7, [1], { a: 1 }, null];

function* leaves(o: unknown, path: (string | number)[] = []): Generator<(string | number)[]> {
  if (path.length && path[0] !== 'kind') yield path;
  if (o && typeof o === 'object') {
    for (const k of Object.keys(o)) yield* leaves((o as Json)[k], [...path, Array.isArray(o) ? Number(k) : k]);
  }
}

function replaced(obj: Json, path: (string | number)[], value: unknown): Json {
  const copy = structuredClone(obj);
  let at: Json = copy;
  for (const p of path.slice(0, -1)) at = at[p] as Json;
  at[path[path.length - 1]!] = value;
  return copy;
}

describe('fields of the wrong JSON type', () => {
  let fx: Fixture;
  before(async () => {
    fx = await startFixture(['--authorization-mode=Node,RBAC']);
  });
  after(async () => fx?.close());

  it('are a 400 or a 422 with a Status, never a 500, and the apiserver answers on', async () => {
    const failures: string[] = [];
    let n = 0;
    const deadline = Date.now() + 120_000;
    for (const [url, sample] of SAMPLES) {
      const group = url.startsWith('/api/') ? 'v1' : url.split('/').slice(2, 4).join('/');
      for (const path of leaves(sample)) {
        for (const value of OTHER_KINDS) {
          if (n >= 600 || Date.now() > deadline) break;
          const body = replaced({ apiVersion: group, ...sample }, path, value);
          const meta = body.metadata as Json | undefined;
          if (meta && typeof meta.name === 'string') meta.name = `x${n}`;
          n++;
          const r = await curlPost(fx, url, body);
          if (r.code >= 500 || r.code === 0)
            failures.push(`${r.code} ${url} ${path.join('.')}=${JSON.stringify(value)}: ${r.body.slice(0, 200)}`);
        }
      }
    }
    assert.ok(n > 300, `only ${n} requests were made`);
    assert.deepEqual(failures, []);
    const ok = await curl(fx, '/api/v1/namespaces/default/configmaps/c');
    assert.ok(ok.code === 200 || ok.code === 404, ok.body);
  });

  it("say which field, in the typed decoder's words", async () => {
    const post = (body: Json) => curlPost(fx, '/api/v1/namespaces/default/configmaps', body);
    const r = await post({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'typed', labels: { a: 7 } } });
    assert.equal(r.code, 400, r.body);
    assert.equal(
      JSON.parse(r.body).message,
      'ConfigMap in version "v1" cannot be handled as a ConfigMap: json: cannot unmarshal number into Go struct field ConfigMap.metadata.labels of type string',
    );
    // A null map value is Go's zero value: the ConfigMap is created with an empty one.
    const z = await post({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'zero' }, data: { k: null } });
    assert.equal(z.code, 201, z.body);
    assert.deepEqual(JSON.parse(z.body).data, { k: '' });
  });
});
