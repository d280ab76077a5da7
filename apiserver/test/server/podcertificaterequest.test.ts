// PodCertificateRequests (certificates.k8s.io/v1beta1, KEP-4317) behind --feature-gates and
// --runtime-config, through the real server with the Node authorizer, RBAC and NodeRestriction, real
// TLS, curl and kubectl: validation of the spec and the proof of possession, the signer's `sign`
// check on /status, the Issued/Denied/Failed rules, what a kubelet may do, the bootstrap roles and
// the pods' podCertificate sources.
import assert from 'node:assert/strict';
import { constants, sign as cryptoSign, generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  CertificateAuthority,
  encodePem,
  generatePodCertificateKey,
  type PodCertificateKey,
  signProofOfPossession,
} from '@mkube/shared/pki';
import {
  type CurlResult,
  curl,
  curlPost,
  eventually,
  type Fixture,
  issueClient,
  kubectl,
  loadConfig,
  makePki,
  startFixture,
  tempDir,
} from './fixture.ts';

const PCR_ARGS = [
  '--authorization-mode=Node,RBAC',
  '--enable-admission-plugins=NodeRestriction',
  '--feature-gates=PodCertificateRequest=true',
  '--runtime-config=certificates.k8s.io/v1beta1/podcertificaterequests=true',
];
const GROUP_PATH = '/apis/certificates.k8s.io/v1beta1';
const PCRS = `${GROUP_PATH}/namespaces/default/podcertificaterequests`;
const SIGNER = 'example.com/foo';
const KEY_TYPES = ['RSA3072', 'RSA4096', 'ECDSAP256', 'ECDSAP384', 'ECDSAP521', 'ED25519'] as const;

type Client = { kubeconfig: string; dir: string; crt: string; key: string };
// biome-ignore lint/suspicious/noExplicitAny: objects read back from the server, checked field by field
type Json = Record<string, any>;

/** curl as a client certificate (not the admin's). */
function as(fx: Fixture, who: Client | undefined, method: string, path: string, body?: unknown): Promise<CurlResult> {
  const args = ['-X', method];
  if (who) args.push('--cert', who.crt, '--key', who.key);
  if (body !== undefined) args.push('-H', 'Content-Type: application/json', '-d', JSON.stringify(body));
  return curl(fx, path, args, !who);
}

const rfc3339 = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

interface Ids {
  podName: string;
  podUID: string;
  serviceAccountName: string;
  serviceAccountUID: string;
  nodeName: string;
  nodeUID: string;
}

const FAKE_IDS: Ids = {
  podName: 'pod-a',
  podUID: 'pod-uid-1',
  serviceAccountName: 'sa-a',
  serviceAccountUID: 'sa-uid-1',
  nodeName: 'node-a',
  nodeUID: 'node-uid-1',
};

function pcrObject(key: { pkixPublicKey: Buffer }, proof: Buffer, ids: Ids, spec: Json = {}, meta: Json = {}): Json {
  return {
    apiVersion: 'certificates.k8s.io/v1beta1',
    kind: 'PodCertificateRequest',
    metadata: { generateName: 'req-', ...meta },
    spec: {
      signerName: SIGNER,
      ...ids,
      pkixPublicKey: key.pkixPublicKey.toString('base64'),
      proofOfPossession: proof.toString('base64'),
      ...spec,
    },
  };
}

async function pcrFor(keyType: string, ids: Ids = FAKE_IDS, spec: Json = {}, meta: Json = {}) {
  const key = await generatePodCertificateKey(keyType);
  return { key, body: pcrObject(key, signProofOfPossession(key.privateKey, ids.podUID), ids, spec, meta) };
}

/** A key of a type the API refuses, with a real proof over the pod UID. */
function foreignKey(type: 'rsa2048' | 'p224' | 'x25519'): { pkixPublicKey: Buffer; proof: Buffer } {
  const data = Buffer.from(FAKE_IDS.podUID);
  if (type === 'x25519') {
    const { publicKey } = generateKeyPairSync('x25519');
    return { pkixPublicKey: publicKey.export({ format: 'der', type: 'spki' }), proof: Buffer.from('x') };
  }
  const { privateKey, publicKey } =
    type === 'rsa2048'
      ? generateKeyPairSync('rsa', { modulusLength: 2048 })
      : generateKeyPairSync('ec', { namedCurve: 'secp224r1' });
  const proof =
    type === 'rsa2048'
      ? cryptoSign('sha256', data, {
          key: privateKey,
          padding: constants.RSA_PKCS1_PSS_PADDING,
          saltLength: constants.RSA_PSS_SALTLEN_DIGEST,
        })
      : cryptoSign('sha256', data, privateKey);
  return { pkixPublicKey: publicKey.export({ format: 'der', type: 'spki' }), proof };
}

describe('PodCertificateRequests are off unless both the gate and the version are on, as in kube-apiserver 1.35', () => {
  const dir = tempDir('pcr-config');
  const pki = makePki(dir);
  const find = (extra: string[]) =>
    loadConfig(pki, join(dir, 'data'), extra).apiCatalog.find(
      'certificates.k8s.io',
      'v1beta1',
      'podcertificaterequests',
    );

  it('the gate alone or the version alone serves nothing; both do, by version or by resource', () => {
    assert.equal(find([]), undefined);
    assert.equal(find(['--feature-gates=PodCertificateRequest=true']), undefined);
    assert.equal(find(['--runtime-config=certificates.k8s.io/v1beta1=true']), undefined);
    const byVersion = find([
      '--feature-gates=PodCertificateRequest=true',
      '--runtime-config=certificates.k8s.io/v1beta1=true',
    ]);
    assert.deepEqual(
      byVersion && {
        namespaced: byVersion.namespaced,
        kind: byVersion.kind,
        subs: byVersion.subresources.map((s) => s.name),
        short: byVersion.shortNames,
      },
      { namespaced: true, kind: 'PodCertificateRequest', subs: ['status'], short: [] },
    );
    assert.ok(find(PCR_ARGS.slice(2)));
  });

  describe('a server with the gate off', () => {
    let fx: Fixture;
    before(async () => {
      fx = await startFixture(['--authorization-mode=Node,RBAC', '--runtime-config=certificates.k8s.io/v1beta1=true']);
    });
    after(async () => fx?.close());

    it('does not serve the resource and has none of its bootstrap roles', async () => {
      assert.equal((await curl(fx, PCRS)).code, 404);
      const cleaner = await kubectl(fx, ['get', 'clusterrole', 'system:controller:podcertificaterequestcleaner']);
      assert.notEqual(cleaner.status, 0);
      assert.match(cleaner.err, /NotFound|not found/);
      const node = await kubectl(fx, ['get', 'clusterrole', 'system:node', '-o', 'json']);
      assert.equal(node.status, 0, node.err);
      assert.ok(!node.out.includes('podcertificaterequests'));
    });

    it('drops the podCertificate sources of a new pod (dropDisabledPodCertificateProjection)', async () => {
      const r = await curlPost(fx, '/api/v1/namespaces/default/pods', {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'pc-gated' },
        spec: {
          containers: [{ name: 'c', image: 'busybox' }],
          volumes: [
            {
              name: 'certs',
              projected: {
                sources: [
                  // Invalid too: with the gate off it is dropped before validation.
                  { podCertificate: { signerName: SIGNER, keyType: 'RSA2048' } },
                  { serviceAccountToken: { path: 'token' } },
                ],
              },
            },
          ],
        },
      });
      assert.equal(r.code, 201, r.body);
      assert.deepEqual(JSON.parse(r.body).spec.volumes[0].projected.sources, [
        {},
        { serviceAccountToken: { path: 'token', expirationSeconds: 3600 } },
      ]);
    });
  });
});

describe('PodCertificateRequests served (PodCertificateRequest=true, certificates.k8s.io/v1beta1/podcertificaterequests=true)', () => {
  let fx: Fixture;
  let bob: Client;
  let carol: Client;
  let node1: Client;
  let node2: Client;
  let ca: CertificateAuthority;
  before(async () => {
    fx = await startFixture(PCR_ARGS);
    bob = await issueClient(fx, 'bob', []);
    carol = await issueClient(fx, 'carol', []);
    node1 = await issueClient(fx, 'system:node:node1', ['system:nodes']);
    node2 = await issueClient(fx, 'system:node:node2', ['system:nodes']);
    ({ ca } = await CertificateAuthority.createSelfSigned({ commonName: 'example.com signer' }));
    for (const args of [
      ['create', 'clusterrole', 'pcr-signer', '--verb=get,list,watch', '--resource=podcertificaterequests'],
      ['create', 'clusterrolebinding', 'pcr-signer', '--clusterrole=pcr-signer', '--user=bob', '--user=carol'],
    ]) {
      const r = await kubectl(fx, args);
      assert.equal(r.status, 0, r.err);
    }
    // `kubectl create clusterrole` cannot name the status subresource or `signers`: a manifest can.
    const file = join(fx.dir, 'signer-roles.json');
    writeFileSync(
      file,
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'List',
        items: [
          clusterRole('pcr-status', [
            {
              apiGroups: ['certificates.k8s.io'],
              resources: ['podcertificaterequests/status'],
              verbs: ['get', 'update', 'patch'],
            },
          ]),
          clusterRoleBinding('pcr-status', 'pcr-status', ['bob', 'carol']),
        ],
      }),
    );
    const r = await kubectl(fx, ['create', '-f', file]);
    assert.equal(r.status, 0, r.err);
  });
  after(async () => fx?.close());

  const create = async (body: Json, who?: Client) => as(fx, who, 'POST', PCRS, body);
  const created = async (body: Json, who?: Client): Promise<Json> => {
    const r = await create(body, who);
    assert.equal(r.code, 201, r.body);
    return JSON.parse(r.body);
  };
  const putStatus = (obj: Json, who?: Client) => as(fx, who, 'PUT', `${PCRS}/${obj.metadata.name}/status`, obj);
  const message = (r: CurlResult) => JSON.parse(r.body).message as string;

  it('is discovered with /status, no short names or categories, and kubectl creates and lists it (NAME, AGE)', async () => {
    const res = JSON.parse((await curl(fx, GROUP_PATH)).body).resources;
    assert.deepEqual(
      res.map((r: Json) => [r.name, r.namespaced, r.kind, r.shortNames, r.categories]),
      [
        ['podcertificaterequests', true, 'PodCertificateRequest', undefined, undefined],
        ['podcertificaterequests/status', true, 'PodCertificateRequest', undefined, undefined],
      ],
    );
    const { body } = await pcrFor('ECDSAP256', FAKE_IDS, {}, { name: 'by-kubectl', generateName: undefined });
    const file = join(fx.dir, 'pcr.json');
    writeFileSync(file, JSON.stringify(body));
    let r = await kubectl(fx, ['create', '-f', file]);
    assert.equal(r.status, 0, r.err);
    assert.equal(r.out.trim(), 'podcertificaterequest.certificates.k8s.io/by-kubectl created');
    r = await kubectl(fx, ['get', 'podcertificaterequests']);
    assert.equal(r.status, 0, r.err);
    assert.match(r.out, /^NAME\s+AGE\n/);
    assert.match(r.out, /\nby-kubectl\s+\d+s\n/);
    // Field selectors: spec.signerName, spec.podName, spec.nodeName (and no other spec field).
    r = await kubectl(fx, [
      'get',
      'podcertificaterequests',
      '--field-selector=spec.signerName=example.com/foo,spec.podName=pod-a,spec.nodeName=node-a',
      '-o',
      'name',
    ]);
    assert.equal(r.status, 0, r.err);
    assert.equal(r.out.trim(), 'podcertificaterequest.certificates.k8s.io/by-kubectl');
    r = await kubectl(fx, ['get', 'podcertificaterequests', '--field-selector=spec.podName=pod-b', '-o', 'name']);
    assert.equal([r.status, r.out.trim()].join(), '0,');
    r = await kubectl(fx, ['get', 'podcertificaterequests', '--field-selector=spec.podUID=pod-uid-1']);
    assert.notEqual(r.status, 0);
    assert.match(r.err, /field label not supported: spec\.podUID/);
    const schema = JSON.parse((await curl(fx, '/openapi/v3/apis/certificates.k8s.io/v1beta1')).body);
    assert.ok(schema.components.schemas['io.k8s.api.certificates.v1beta1.PodCertificateRequest'], 'OpenAPI schema');
  });

  it('accepts a request for each key type, defaults maxExpirationSeconds and clears status on create', async () => {
    for (const keyType of KEY_TYPES) {
      const { body } = await pcrFor(keyType);
      body.status = { certificateChain: 'x', conditions: [] };
      const obj = await created(body);
      assert.match(obj.metadata.name, /^req-[a-z0-9]{5}$/, keyType);
      assert.equal(obj.spec.maxExpirationSeconds, 86400, keyType);
      assert.deepEqual(obj.status, {}, keyType);
    }
  });

  it("refuses each create upstream's validation refuses, with its message", async () => {
    const ec = await generatePodCertificateKey('ECDSAP256');
    const proof = signProofOfPossession(ec.privateKey, FAKE_IDS.podUID);
    const withSpec = (spec: Json, ids: Partial<Ids> = {}) => pcrObject(ec, proof, { ...FAKE_IDS, ...ids }, spec);
    const rsa2048 = foreignKey('rsa2048');
    const p224 = foreignKey('p224');
    const x25519 = foreignKey('x25519');
    const b64 = (b: Buffer) => b.toString('base64');
    const cases: [string, Json, string][] = [
      [
        'signer',
        withSpec({ signerName: 'example.com' }),
        `spec.signerName: Invalid value: "example.com": must be a fully qualified domain and path of the form 'example.com/signer-name'`,
      ],
      [
        'annotations',
        withSpec({ unverifiedUserAnnotations: { Foo: 'x' } }),
        'spec.unverifiedUserAnnotations: Invalid value: "foo": must be a domain-prefixed key (such as "acme.io/foo")',
      ],
      [
        'podName',
        withSpec({}, { podName: 'Bad_Pod' }),
        'spec.podName: Invalid value: "Bad_Pod": a lowercase RFC 1123 subdomain',
      ],
      ['podUID', withSpec({ podUID: '' }), 'spec.podUID: Invalid value: "": must not be empty'],
      ['long podUID', withSpec({ podUID: 'u'.repeat(129) }), 'spec.podUID: Too long: may not be more than 128 bytes'],
      [
        'sa',
        withSpec({ serviceAccountName: 'Bad_SA' }),
        'spec.serviceAccountName: Invalid value: "Bad_SA": a lowercase RFC 1123 subdomain',
      ],
      ['saUID', withSpec({ serviceAccountUID: '' }), 'spec.serviceAccountUID: Invalid value: "": must not be empty'],
      [
        'node',
        withSpec({ nodeName: 'Bad_Node' }),
        'spec.nodeName: Invalid value: "Bad_Node": a lowercase RFC 1123 subdomain',
      ],
      ['nodeUID', withSpec({ nodeUID: '' }), 'spec.nodeUID: Invalid value: "": must not be empty'],
      [
        'short expiry',
        withSpec({ maxExpirationSeconds: 100 }),
        'spec.maxExpirationSeconds: Invalid value: 100: must be in the range [3600, 7862400]',
      ],
      [
        'kubernetes.io expiry',
        withSpec({ signerName: 'kubernetes.io/kube-apiserver-client-pod', maxExpirationSeconds: 86401 }),
        'spec.maxExpirationSeconds: Invalid value: 86401: must be in the range [3600, 86400]',
      ],
      [
        'garbage key',
        withSpec({ pkixPublicKey: b64(Buffer.from('not a key')) }),
        'spec.pkixPublicKey: Invalid value: []byte{0x6e, 0x6f, 0x74, 0x20, 0x61, 0x20, 0x6b, 0x65, 0x79}: must be a valid PKIX-serialized public key',
      ],
      [
        'huge key',
        withSpec({ pkixPublicKey: b64(Buffer.alloc(10241)) }),
        'spec.pkixPublicKey: Too long: may not be more than 10240 bytes',
      ],
      [
        'huge proof',
        withSpec({ proofOfPossession: b64(Buffer.alloc(10241)) }),
        'spec.proofOfPossession: Too long: may not be more than 10240 bytes',
      ],
      [
        'rsa2048',
        withSpec({ pkixPublicKey: b64(rsa2048.pkixPublicKey), proofOfPossession: b64(rsa2048.proof) }),
        'spec.pkixPublicKey: Invalid value: "2048-bit modulus": RSA keys must have modulus size 3072 or 4096',
      ],
      [
        'p224',
        withSpec({ pkixPublicKey: b64(p224.pkixPublicKey), proofOfPossession: b64(p224.proof) }),
        'spec.pkixPublicKey: Invalid value: "curve P-224": elliptic public keys must use curve P256 or P384',
      ],
      [
        'x25519',
        withSpec({ pkixPublicKey: b64(x25519.pkixPublicKey), proofOfPossession: b64(x25519.proof) }),
        'spec.pkixPublicKey: Invalid value: []byte{0x30, 0x2a, 0x30, 0x5, 0x6, 0x3, 0x2b, 0x65, 0x6e, 0x3, 0x21, 0x0, ',
      ],
      [
        'proof for another pod',
        withSpec({ podUID: 'another-pod-uid' }),
        'spec.proofOfPossession: Invalid value: could not verify proof-of-possession signature',
      ],
    ];
    for (const [name, body, want] of cases) {
      const r = await create(body);
      assert.equal(r.code, 422, `${name}: ${r.body}`);
      const m = message(r);
      assert.match(m, /^PodCertificateRequest\.certificates\.k8s\.io "req-[a-z0-9]{5}" is invalid: /, name);
      assert.ok(m.includes(want), `${name}: ${m}`);
    }
    // What kubectl shows for one of them.
    const file = join(fx.dir, 'bad-pcr.json');
    writeFileSync(file, JSON.stringify({ ...withSpec({ podUID: '' }), metadata: { name: 'bad' } }));
    const k = await kubectl(fx, ['create', '-f', file]);
    assert.notEqual(k.status, 0);
    // The proof was made over the original UID, so it fails too: kubectl lists both.
    assert.match(
      k.err,
      /The PodCertificateRequest "bad" is invalid: \n\* spec\.podUID: Invalid value: "": must not be empty\n\* spec\.proofOfPossession: Invalid value: could not verify proof-of-possession signature/,
    );
  });

  it('the spec is immutable and the main resource never writes status', async () => {
    const { body } = await pcrFor('ED25519', FAKE_IDS, {}, { name: 'immutable', generateName: undefined });
    await created(body);
    let r = await kubectl(fx, [
      'patch',
      'podcertificaterequest',
      'immutable',
      '--type=merge',
      '-p',
      '{"spec":{"podName":"other"}}',
    ]);
    assert.notEqual(r.status, 0);
    assert.match(
      r.err,
      /The PodCertificateRequest "immutable" is invalid: spec: Invalid value: certificates\.PodCertificateRequestSpec\{SignerName:"example\.com\/foo", PodName:"other".*: field is immutable/,
    );
    r = await kubectl(fx, [
      'patch',
      'podcertificaterequest',
      'immutable',
      '--type=merge',
      '-p',
      '{"status":{"certificateChain":"x"},"metadata":{"labels":{"a":"b"}}}',
      '-o',
      'json',
    ]);
    assert.equal(r.status, 0, r.err);
    const obj = JSON.parse(r.out);
    assert.deepEqual([obj.metadata.labels, obj.status], [{ a: 'b' }, {}]);
  });

  it('/status needs `sign` on the signer, by name or <domain>/*, reported as a 422 at spec.signerName', async () => {
    const denied = (name: string) => ({
      type: 'Denied',
      status: 'True',
      reason: 'NotToday',
      message: `${name} says no`,
      lastTransitionTime: rfc3339(new Date()),
    });
    const one = await created((await pcrFor('ECDSAP256', FAKE_IDS, { signerName: 'example.com/foo' })).body);
    const two = await created((await pcrFor('ECDSAP256', FAKE_IDS, { signerName: 'example.com/bar' })).body);
    one.status = { conditions: [denied('bob')] };
    let r = await putStatus(one, bob);
    assert.equal(r.code, 422, r.body);
    assert.equal(
      message(r),
      `PodCertificateRequest.certificates.k8s.io "${one.metadata.name}" is invalid: spec.signerName: Forbidden: User "bob" is not permitted to "sign" for signer "example.com/foo"`,
    );
    assert.deepEqual(JSON.parse(r.body).details.causes, [
      {
        reason: 'FieldValueForbidden',
        message: 'Forbidden: User "bob" is not permitted to "sign" for signer "example.com/foo"',
        field: 'spec.signerName',
      },
    ]);
    // kubectl's view of the same refusal.
    const k = await kubectl(bob, [
      'patch',
      'podcertificaterequest',
      two.metadata.name,
      '--subresource=status',
      '--type=merge',
      '-p',
      JSON.stringify({ status: { conditions: [denied('bob')] } }),
    ]);
    assert.notEqual(k.status, 0);
    assert.match(
      k.err,
      /is invalid: spec\.signerName: Forbidden: User "bob" is not permitted to "sign" for signer "example\.com\/bar"/,
    );

    const file = join(fx.dir, 'sign-roles.json');
    writeFileSync(
      file,
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'List',
        items: [
          clusterRole('sign-foo', [
            {
              apiGroups: ['certificates.k8s.io'],
              resources: ['signers'],
              resourceNames: ['example.com/foo'],
              verbs: ['sign'],
            },
          ]),
          clusterRoleBinding('bob-sign-foo', 'sign-foo', ['bob']),
          clusterRole('sign-example', [
            {
              apiGroups: ['certificates.k8s.io'],
              resources: ['signers'],
              resourceNames: ['example.com/*'],
              verbs: ['sign'],
            },
          ]),
          clusterRoleBinding('carol-sign-example', 'sign-example', ['carol']),
        ],
      }),
    );
    const c = await kubectl(fx, ['create', '-f', file]);
    assert.equal(c.status, 0, c.err);
    // bob: the exact signer only.
    await eventually('bob may sign for example.com/foo', async () => (await putStatus(one, bob)).code === 200);
    two.status = { conditions: [denied('bob')] };
    r = await putStatus(two, bob);
    assert.equal(r.code, 422, r.body);
    // carol: every signer of the domain.
    two.status = { conditions: [denied('carol')] };
    await eventually('carol may sign for example.com/*', async () => (await putStatus(two, carol)).code === 200);
    const stored = JSON.parse((await curl(fx, `${PCRS}/${two.metadata.name}`)).body);
    assert.equal(stored.status.conditions[0].message, 'carol says no');
    // A status write that changes nothing needs no `sign`; a node may not write status at all.
    const noop = await created((await pcrFor('ED25519', FAKE_IDS, { signerName: 'other.org/x' })).body);
    r = await putStatus(noop, bob);
    assert.equal(r.code, 200, r.body);
    assert.equal((await putStatus(noop, node2)).code, 403, 'the node authorizer refuses /status');
  });

  describe('status rules (as the admin, who may sign for anything)', () => {
    const now = () => rfc3339(new Date());
    const cond = (type: string, extra: Json = {}) => ({
      type,
      status: 'True',
      reason: 'Because',
      message: '',
      lastTransitionTime: now(),
      ...extra,
    });
    /** A leaf for the request's key; the CA backdates notBefore 5 minutes, so `now` is ahead of the clock. */
    const leafFor = (key: PodCertificateKey, ttlMs = 3600_000, nowMs = Date.now() + 60_000) =>
      ca.issue({
        subject: { commonName: 'pod' },
        publicKey: key.pkixPublicKey,
        usages: ['digital signature', 'client auth'],
        ttlMs,
        now: new Date(nowMs),
      });
    const issuedStatus = (leaf: { pem: string; notBefore: Date; notAfter: Date }, extra: Json = {}) => ({
      conditions: [cond('Issued')],
      certificateChain: leaf.pem,
      notBefore: rfc3339(leaf.notBefore),
      notAfter: rfc3339(leaf.notAfter),
      beginRefreshAt: rfc3339(new Date(leaf.notBefore.getTime() + 30 * 60_000)),
      ...extra,
    });
    const refused = async (obj: Json, status: Json, want: string) => {
      const r = await putStatus({ ...obj, status });
      assert.equal(r.code, 422, r.body);
      assert.ok(message(r).includes(want), `${want}\n  in ${message(r)}`);
    };

    it('conditions: only one of Issued, Denied, Failed, always True, with a reason; other changes refused', async () => {
      const obj = await created((await pcrFor('ECDSAP256')).body);
      // AllowUnconditionalUpdate is false: a PUT names the version it replaces.
      const { resourceVersion: _rv, ...unversioned } = obj.metadata;
      const blind = await putStatus({ ...obj, metadata: unversioned, status: { conditions: [cond('Denied')] } });
      assert.equal(blind.code, 422, blind.body);
      assert.equal(
        message(blind),
        `PodCertificateRequest.certificates.k8s.io "${obj.metadata.name}" is invalid: metadata.resourceVersion: Invalid value: 0x0: must be specified for an update`,
      );
      await refused(
        obj,
        { conditions: [cond('Approved')] },
        'status.conditions.[0].type: Unsupported value: "Approved": supported values: "Issued", "Denied", "Failed"',
      );
      await refused(
        obj,
        { conditions: [cond('Denied', { status: 'False' })] },
        'status.conditions.[0].status: Unsupported value: "False": supported values: "True"',
      );
      await refused(
        obj,
        { conditions: [cond('Denied'), cond('Failed')] },
        'status.conditions.[1].type: Invalid value: "Failed": There may be at most one condition with type "Issued", "Denied", or "Failed"',
      );
      await refused(
        obj,
        { conditions: [cond('Denied', { reason: '' })] },
        'status.conditions[0].reason: Required value: must be set',
      );
      await refused(
        obj,
        { notBefore: now() },
        'status: Invalid value: status is immutable unless transitioning to "Issued", "Denied", or "Failed"',
      );
      await refused(
        obj,
        { conditions: [cond('Failed')], certificateChain: 'x' },
        'status: Invalid value: non-condition status fields must be empty when denying or failing the PodCertificateRequest',
      );
    });

    it('Denied and Failed end a request: its status is immutable afterwards', async () => {
      for (const type of ['Denied', 'Failed']) {
        const obj = await created((await pcrFor('ED25519')).body);
        const r = await putStatus({ ...obj, status: { conditions: [cond(type)] } });
        assert.equal(r.code, 200, r.body);
        const done = JSON.parse(r.body);
        await refused(
          done,
          { conditions: [cond(type, { message: 'changed' })] },
          'status: Invalid value: immutable after PodCertificateRequest is issued, denied, or failed',
        );
      }
    });

    it('Issued: a chain of certificates whose leaf has the key, times that match it, a lifetime the request allows', async () => {
      const { key, body } = await pcrFor('ECDSAP384');
      const obj = await created(body);
      const other = await generatePodCertificateKey('ECDSAP384');
      const leaf = leafFor(key);
      const good = issuedStatus(leaf);
      await refused(
        obj,
        { ...good, certificateChain: 'no PEM' },
        'issued certificate chain must contain at least one certificate',
      );
      await refused(
        obj,
        { ...good, certificateChain: key.privateKeyPem },
        'issued certificate chain must consist entirely of CERTIFICATE PEM blocks',
      );
      await refused(
        obj,
        { ...good, certificateChain: encodePem('CERTIFICATE', Buffer.from('garbage')) },
        'leaf certificate does not parse as valid X.509',
      );
      await refused(obj, issuedStatus(leafFor(other)), 'leaf certificate was not issued to the requested public key');
      const bare = await putStatus({ ...obj, status: { conditions: [cond('Issued')], certificateChain: leaf.pem } });
      assert.equal(bare.code, 422);
      for (const want of [
        'status.notBefore: Required value: must be present and consistent with the issued certificate',
        'status.notAfter: Required value: must be present and consistent with the issued certificate',
        'status.beginRefreshAt: Required value: must be present and in the range [notbefore+10min, notafter-10min]',
      ]) {
        assert.ok(message(bare).includes(want), want);
      }
      await refused(
        obj,
        { ...good, notBefore: rfc3339(new Date(leaf.notBefore.getTime() + 1000)) },
        // time.Time prints as its String.
        ' +0000 UTC: must be set to the NotBefore time encoded in the leaf certificate',
      );
      await refused(
        obj,
        { ...good, notAfter: rfc3339(new Date(leaf.notAfter.getTime() - 1000)) },
        'status.notAfter: Invalid value: ',
      );
      // The CA backdates notBefore 5 minutes (to the second): no longer strictly within of the
      // server's clock, which has sub-second precision and has moved on.
      const stale = leafFor(key, 3600_000, Date.now());
      await refused(obj, issuedStatus(stale), "must be set to within 5 minutes of kube-apiserver's current time");
      await refused(
        obj,
        issuedStatus(leafFor(key, 30 * 60_000)),
        'status.certificateChain: Invalid value: 35m0s: leaf certificate lifetime must be >= 1 hour',
      );
      await refused(
        obj,
        { ...good, beginRefreshAt: rfc3339(new Date(leaf.notBefore.getTime() + 9 * 60_000)) },
        'status.beginRefreshAt: Invalid value: ',
      );
      await refused(
        obj,
        { ...good, beginRefreshAt: rfc3339(new Date(leaf.notAfter.getTime() - 9 * 60_000)) },
        'must be at least 10 minutes before status.notAfter',
      );
      await refused(
        obj,
        { ...good, certificateChain: `${leaf.pem}${encodePem('PUBLIC KEY', key.pkixPublicKey)}` },
        'issued certificate chain must consist entirely of CERTFICATE PEM blocks',
      );
      await refused(
        obj,
        { ...good, certificateChain: `${leaf.pem}${encodePem('CERTIFICATE', Buffer.from('junk'))}` },
        'intermediate certificate does not parse as valid X.509',
      );
      const r = await putStatus({ ...obj, status: { ...good, certificateChain: `${leaf.pem}${ca.certPem}` } });
      assert.equal(r.code, 200, r.body);
      const issued = JSON.parse(r.body);
      assert.equal(issued.status.notBefore, rfc3339(leaf.notBefore));
      await refused(
        issued,
        { ...issued.status, beginRefreshAt: rfc3339(new Date(leaf.notBefore.getTime() + 40 * 60_000)) },
        'immutable after PodCertificateRequest is issued, denied, or failed',
      );
    });

    it('Issued: the lifetime may not exceed spec.maxExpirationSeconds', async () => {
      const { key, body } = await pcrFor('RSA3072', FAKE_IDS, { maxExpirationSeconds: 3600 });
      const obj = await created(body);
      await refused(
        obj,
        issuedStatus(leafFor(key)),
        'status.certificateChain: Invalid value: 1h5m0s: leaf certificate lifetime must be <= spec.maxExpirationSeconds (3600)',
      );
    });
  });

  describe('kubelets: the Node authorizer and NodeRestriction', () => {
    let ids: Ids;
    let ids2: Ids;
    let mirrorUID: string;
    let ghostUID: string;
    before(async () => {
      const node = async (name: string) =>
        (await createdAt({ apiVersion: 'v1', kind: 'Node', metadata: { name } }, '/api/v1/nodes')).metadata
          .uid as string;
      const n1 = await node('node1');
      await node('node2');
      const sa = await createdAt(
        { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'pcr-sa' } },
        '/api/v1/namespaces/default/serviceaccounts',
      );
      const pod = async (name: string, nodeName: string, annotations: Json = {}, serviceAccountName = 'pcr-sa') =>
        (
          await createdAt(
            {
              apiVersion: 'v1',
              kind: 'Pod',
              metadata: { name, annotations },
              spec: { nodeName, serviceAccountName, containers: [{ name: 'c', image: 'busybox' }] },
            },
            '/api/v1/namespaces/default/pods',
          )
        ).metadata.uid as string;
      const podUID = await pod('pcr-pod', 'node1');
      const pod2UID = await pod('pcr-pod-2', 'node2');
      mirrorUID = await pod('pcr-mirror', 'node1', { 'kubernetes.io/config.mirror': 'abc' });
      ghostUID = await pod('pcr-ghost', 'node1', {}, 'ghost');
      ids = {
        podName: 'pcr-pod',
        podUID,
        serviceAccountName: 'pcr-sa',
        serviceAccountUID: sa.metadata.uid,
        nodeName: 'node1',
        nodeUID: n1,
      };
      ids2 = { ...ids, podName: 'pcr-pod-2', podUID: pod2UID };
    });

    // Objects other than PCRs, created as the admin.
    async function createdAt(body: Json, path: string): Promise<Json> {
      const r = await as(fx, undefined, 'POST', path, body);
      assert.equal(r.code, 201, r.body);
      return JSON.parse(r.body);
    }

    it('node1 creates a request for its pod, gets it and lists its own; node2 can do neither', async () => {
      const r = await create((await pcrFor('ED25519', ids)).body, node1);
      assert.equal(r.code, 201, r.body);
      const name = JSON.parse(r.body).metadata.name;
      await eventually(
        'node1 may get its request',
        async () => (await as(fx, node1, 'GET', `${PCRS}/${name}`)).code === 200,
      );
      const mine = await as(fx, node1, 'GET', `${PCRS}?fieldSelector=spec.nodeName%3Dnode1`);
      assert.equal(mine.code, 200, mine.body);
      assert.deepEqual(
        JSON.parse(mine.body).items.map((i: Json) => i.metadata.name),
        [name],
      );
      const k = await kubectl(node1, [
        'get',
        'podcertificaterequests',
        '--field-selector=spec.nodeName=node1',
        '-o',
        'name',
      ]);
      assert.equal(k.status, 0, k.err);
      assert.equal(k.out.trim(), `podcertificaterequest.certificates.k8s.io/${name}`);

      assert.equal((await as(fx, node2, 'GET', `${PCRS}/${name}`)).code, 403);
      const theirs = await as(fx, node2, 'GET', `${PCRS}?fieldSelector=spec.nodeName%3Dnode1`);
      assert.equal(theirs.code, 403, theirs.body);
      const own = await as(fx, node2, 'GET', `${PCRS}?fieldSelector=spec.nodeName%3Dnode2`);
      assert.equal(own.code, 200, own.body);
      assert.equal(JSON.parse(own.body).items.length, 0);
      const all = await as(fx, node1, 'GET', PCRS);
      assert.equal(all.code, 403);
      assert.match(message(all), /can only list\/watch podcertificaterequests with nodeName field selector/);
      // Nor may a node write status or delete.
      assert.equal((await as(fx, node1, 'DELETE', `${PCRS}/${name}`)).code, 403);
    });

    it('a node may get the ServiceAccount of a pod bound to it, and no other', async () => {
      await eventually(
        'node1 may read pcr-sa',
        async () => (await as(fx, node1, 'GET', '/api/v1/namespaces/default/serviceaccounts/pcr-sa')).code === 200,
      );
      assert.equal((await as(fx, node1, 'GET', '/api/v1/namespaces/default/serviceaccounts/default')).code, 403);
    });

    it('NodeRestriction: Forbidden for what the node may never ask, a plain error for what may be lag', async () => {
      const forbidden = async (body: Json, who: Client, want: string) => {
        const r = await create(body, who);
        assert.equal(r.code, 403, r.body);
        assert.equal(JSON.parse(r.body).reason, 'Forbidden');
        // Named by its generateName, as upstream names an object its mutating admission refuses.
        assert.match(message(r), /^podcertificaterequests\.certificates\.k8s\.io "req-" is forbidden: /);
        assert.ok(message(r).endsWith(want), message(r));
      };
      const plain = async (body: Json, who: Client, want: string) => {
        const r = await create(body, who);
        assert.equal(r.code, 500, r.body);
        const s = JSON.parse(r.body);
        assert.equal(s.reason, undefined);
        assert.equal(s.message, want);
      };
      await forbidden(
        (await pcrFor('ED25519', ids)).body,
        node2,
        'PodCertificateRequest.Spec.NodeName="node1", which is not the requesting node "node2"',
      );
      await forbidden(
        (await pcrFor('ED25519', { ...ids2, nodeName: 'node1' })).body,
        node1,
        'pod "default/pcr-pod-2" is not running on node "node1" named in the PodCertificateRequest',
      );
      await forbidden(
        (await pcrFor('ED25519', { ...ids, serviceAccountName: 'default' })).body,
        node1,
        'PodCertificateRequest for pod "default/pcr-pod" contains serviceAccountName ("default") that differs from running pod ("pcr-sa")',
      );
      await plain(
        (await pcrFor('ED25519', { ...ids, podUID: 'not-the-uid' })).body,
        node1,
        `PodCertificateRequest for pod "default/pcr-pod" contains pod UID ("not-the-uid") which differs from running pod "${ids.podUID}"`,
      );
      await plain(
        (await pcrFor('ED25519', { ...ids, serviceAccountUID: 'not-the-uid' })).body,
        node1,
        `PodCertificateRequest for pod "default/pcr-pod" names service account UID "not-the-uid", which differs from the running service account ("${ids.serviceAccountUID}")`,
      );
      await plain(
        (await pcrFor('ED25519', { ...ids, nodeUID: 'not-the-uid' })).body,
        node1,
        `PodCertificateRequest for pod "default/pcr-pod" names node UID "not-the-uid", inconsistent with the running node ("${ids.nodeUID}")`,
      );
      await forbidden(
        (await pcrFor('ED25519', { ...ids, podName: 'pcr-mirror', podUID: mirrorUID })).body,
        node1,
        'pod "default/pcr-mirror" is a mirror pod',
      );
      await plain(
        (await pcrFor('ED25519', { ...ids, podName: 'pcr-ghost', podUID: ghostUID, serviceAccountName: 'ghost' })).body,
        node1,
        'while retrieving service account "default/ghost" named in the PodCertificateRequest: serviceaccount "ghost" not found',
      );
      const node3 = await issueClient(fx, 'system:node:node3', ['system:nodes']);
      await plain(
        (await pcrFor('ED25519', { ...ids, nodeName: 'node3' })).body,
        node3,
        'while retrieving node "node3" named in the PodCertificateRequest: node "node3" not found',
      );
      await plain(
        (await pcrFor('ED25519', { ...ids, podName: 'missing' })).body,
        node1,
        'while retrieving pod "default/missing" named in the PodCertificateRequest: pod "missing" not found',
      );
      // The admin is no node: none of this applies.
      const r = await create((await pcrFor('ED25519', { ...ids, podName: 'missing' })).body);
      assert.equal(r.code, 201, r.body);
    });
  });

  it('bootstrap policy with the gate: system:node may create and read requests; the cleaner role and binding', async () => {
    const node = JSON.parse((await kubectl(fx, ['get', 'clusterrole', 'system:node', '-o', 'json'])).out);
    assert.ok(
      node.rules.some(
        (r: Json) =>
          r.resources?.includes('podcertificaterequests') &&
          JSON.stringify(r.verbs) === JSON.stringify(['create', 'get', 'list', 'watch']),
      ),
    );
    const role = await kubectl(fx, [
      'get',
      'clusterrole',
      'system:controller:podcertificaterequestcleaner',
      '-o',
      'json',
    ]);
    assert.equal(role.status, 0, role.err);
    assert.deepEqual(JSON.parse(role.out).rules, [
      {
        apiGroups: ['certificates.k8s.io'],
        resources: ['podcertificaterequests'],
        verbs: ['delete', 'get', 'list', 'watch'],
      },
    ]);
    const b = await kubectl(fx, [
      'get',
      'clusterrolebinding',
      'system:controller:podcertificaterequestcleaner',
      '-o',
      'json',
    ]);
    assert.equal(b.status, 0, b.err);
    const binding = JSON.parse(b.out);
    assert.equal(binding.roleRef.name, 'system:controller:podcertificaterequestcleaner');
    assert.ok(
      binding.subjects.some(
        (s: Json) =>
          s.kind === 'ServiceAccount' && s.namespace === 'kube-system' && s.name === 'podcertificaterequestcleaner',
      ),
    );
  });

  it("pods' podCertificate sources: upstream's rules with the gate on", async () => {
    const podWith = (name: string, source: Json, extra: Json[] = []) => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name },
      spec: {
        containers: [{ name: 'c', image: 'busybox' }],
        volumes: [{ name: 'certs', projected: { sources: [{ podCertificate: source }, ...extra] } }],
      },
    });
    const base = { signerName: SIGNER, keyType: 'ECDSAP256', credentialBundlePath: 'bundle.pem' };
    const cases: [Json, Json[], string][] = [
      [
        { ...base, keyType: 'RSA2048' },
        [],
        'spec.volumes[0].projected.sources[0].podCertificate.keyType: Unsupported value: "RSA2048": supported values: "RSA3072", "RSA4096", "ECDSAP256", "ECDSAP384", "ECDSAP521", "ED25519"',
      ],
      [
        { signerName: SIGNER, keyType: 'ED25519' },
        [],
        'spec.volumes[0].projected.sources[0].podCertificate: Required value: specify at least one of credentialBundlePath, keyPath, and certificateChainPath',
      ],
      [
        { ...base, maxExpirationSeconds: 100 },
        [],
        'spec.volumes[0].projected.sources[0].podCertificate.maxExpirationSeconds: Invalid value: 100: if provided, maxExpirationSeconds must be >= 3600',
      ],
      [
        { ...base, signerName: 'kubernetes.io/kube-apiserver-client-pod', maxExpirationSeconds: 86401 },
        [],
        'spec.volumes[0].projected.sources[0].podCertificate.maxExpirationSeconds: Invalid value: 86401: if provided, maxExpirationSeconds must be <= 86400',
      ],
      [
        { ...base, keyPath: '../key.pem' },
        [],
        `spec.volumes[0].projected.sources[0].podCertificate.keyPath: Invalid value: "../key.pem": must not contain '..'`,
      ],
      [
        { ...base, keyPath: 'bundle.pem' },
        [],
        'spec.volumes[0].projected: Invalid value: "bundle.pem": conflicting duplicate paths',
      ],
      [
        { ...base, userAnnotations: { plain: 'x' } },
        [],
        'spec.volumes[0].projected.sources[0].podCertificate.userAnnotations: Invalid value: "plain": must be a domain-prefixed key (such as "acme.io/foo")',
      ],
    ];
    let i = 0;
    for (const [source, extra, want] of cases) {
      const r = await curlPost(fx, '/api/v1/namespaces/default/pods', podWith(`pc-bad-${i++}`, source, extra));
      assert.equal(r.code, 422, r.body);
      assert.ok(message(r).includes(want), `${want}\n  in ${message(r)}`);
    }
    const ok = await curlPost(
      fx,
      '/api/v1/namespaces/default/pods',
      podWith('pc-ok', { ...base, maxExpirationSeconds: 7200, userAnnotations: { 'example.com/a': 'b' } }),
    );
    assert.equal(ok.code, 201, ok.body);
    assert.deepEqual(JSON.parse(ok.body).spec.volumes[0].projected.sources[0].podCertificate, {
      ...base,
      maxExpirationSeconds: 7200,
      userAnnotations: { 'example.com/a': 'b' },
    });
  });
});

function clusterRole(name: string, rules: Json[]): Json {
  return { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name }, rules };
}

function clusterRoleBinding(name: string, role: string, users: string[]): Json {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: { name },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role },
    subjects: users.map((u) => ({ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: u })),
  };
}
