// ClusterTrustBundles (certificates.k8s.io/v1beta1) behind --feature-gates and --runtime-config, through
// the real server with RBAC and the Node authorizer, the real kubectl and curl.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  configError,
  curl,
  curlPost,
  type Fixture,
  issueClient,
  kubectl,
  loadConfig,
  makePki,
  startFixture,
  tempDir,
} from './fixture.ts';

const CTB_ARGS = [
  '--authorization-mode=Node,RBAC',
  '--feature-gates=ClusterTrustBundle=true',
  '--runtime-config=certificates.k8s.io/v1beta1/clustertrustbundles=true',
];
const PATH = '/apis/certificates.k8s.io/v1beta1/clustertrustbundles';

function bundleFile(dir: string, name: string, trustBundle: string, signerName?: string): string {
  const file = join(dir, `${name.replaceAll(':', '_')}.json`);
  writeFileSync(
    file,
    JSON.stringify({
      apiVersion: 'certificates.k8s.io/v1beta1',
      kind: 'ClusterTrustBundle',
      metadata: { name },
      spec: { ...(signerName ? { signerName } : {}), trustBundle },
    }),
  );
  return file;
}

describe('ClusterTrustBundles are off by default, as in kube-apiserver 1.33', () => {
  let fx: Fixture;
  before(async () => {
    fx = await startFixture();
  });
  after(async () => fx?.close());

  it('neither served nor discovered without the gate and the runtime config', async () => {
    assert.equal((await curl(fx, PATH)).code, 404);
    const group = JSON.parse((await curl(fx, '/apis/certificates.k8s.io')).body);
    assert.deepEqual(
      group.versions.map((v: { version: string }) => v.version),
      ['v1'],
    );
    assert.equal((await curl(fx, '/apis/apiregistration.k8s.io/v1/apiservices/v1beta1.certificates.k8s.io')).code, 404);
  });

  it('without ClusterTrustBundleProjection a pod loses its clusterTrustBundle sources (dropDisabledFields)', async () => {
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'ctb-gated' },
      spec: {
        containers: [{ name: 'c', image: 'busybox' }],
        volumes: [
          {
            name: 'trust',
            projected: {
              sources: [
                { clusterTrustBundle: { name: 'some-bundle', path: 'ca.pem' } },
                { serviceAccountToken: { path: 'token' } },
              ],
            },
          },
        ],
      },
    };
    const r = await curlPost(fx, '/api/v1/namespaces/default/pods', pod);
    assert.equal(r.code, 201, r.body);
    // The token source got its default lifetime; the bundle source is left empty, as upstream.
    assert.deepEqual(JSON.parse(r.body).spec.volumes[0].projected.sources, [
      {},
      { serviceAccountToken: { path: 'token', expirationSeconds: 3600 } },
    ]);
    const short = structuredClone(pod);
    short.metadata.name = 'short-token';
    short.spec.volumes[0]!.projected.sources = [
      { serviceAccountToken: { path: 'token', expirationSeconds: 60 } },
    ] as never;
    const bad = await curlPost(fx, '/api/v1/namespaces/default/pods', short);
    assert.equal(bad.code, 422, bad.body);
    assert.match(
      JSON.parse(bad.body).message,
      /spec\.volumes\[0\]\.projected\.sources\[0\]\.serviceAccountToken\.expirationSeconds: Invalid value: 60: may not specify a duration less than 10 minutes/,
    );
  });
});

describe('--runtime-config and --feature-gates: what they refuse at start-up', () => {
  const dir = tempDir('runtime-config');
  const pki = makePki(dir);
  const err = (extra: string[]) => configError(() => loadConfig(pki, join(dir, 'data'), extra));

  it('the gate alone, or the version alone, serves nothing', () => {
    const gate = loadConfig(pki, join(dir, 'data'), ['--feature-gates=ClusterTrustBundle=true']);
    assert.equal(gate.apiCatalog.find('certificates.k8s.io', 'v1beta1', 'clustertrustbundles'), undefined);
    const version = loadConfig(pki, join(dir, 'data'), ['--runtime-config=certificates.k8s.io/v1beta1=true']);
    assert.equal(version.apiCatalog.find('certificates.k8s.io', 'v1beta1', 'clustertrustbundles'), undefined);
    const both = loadConfig(pki, join(dir, 'data'), [
      '--feature-gates=ClusterTrustBundle=true',
      '--runtime-config=api/beta=true',
    ]);
    assert.ok(both.apiCatalog.find('certificates.k8s.io', 'v1beta1', 'clustertrustbundles'));
  });

  it('refuses what kube-apiserver refuses, with its messages', () => {
    assert.match(err(['--runtime-config=example.com/v1=true']), /runtime-config.*unknown api groups example\.com/);
    assert.match(
      err(['--runtime-config=certificates.k8s.io/v1alpha1=true']),
      /group version certificates\.k8s\.io\/v1alpha1 that has not been registered/,
    );
    assert.match(err(['--runtime-config=api/all=false']), /invalid key with only api\/all=false/);
    assert.match(err(['--runtime-config=api/beta=yes']), /invalid value api\/beta=yes/);
    assert.match(err(['--runtime-config=certificates.k8s.io/v1/CSRs=false']), /resource is always lowercase plural/);
    assert.match(
      err(['--runtime-config=certificates.k8s.io/v1=maybe']),
      /invalid value of certificates\.k8s\.io\/v1: maybe/,
    );
    assert.match(
      err(['--feature-gates=ClusterTrustBundel=true']),
      /feature-gates.*unrecognized feature gate: ClusterTrustBundel/,
    );
    assert.match(err(['--feature-gates=ClusterTrustBundle=on']), /invalid value of ClusterTrustBundle=on/);
  });

  it('a resource can be switched off, and the core group is `v1` or `api/v1`', () => {
    const c = loadConfig(pki, join(dir, 'data'), [
      '--runtime-config=api/v1/configmaps=false,coordination.k8s.io/v1=false',
    ]);
    assert.equal(c.apiCatalog.find('', 'v1', 'configmaps'), undefined);
    assert.ok(c.apiCatalog.find('', 'v1', 'secrets'));
    assert.equal(c.apiCatalog.group('coordination.k8s.io'), undefined);
  });
});

describe('ClusterTrustBundles served (ClusterTrustBundle=true, certificates.k8s.io/v1beta1/clustertrustbundles=true)', () => {
  let fx: Fixture;
  let ca: string;
  let ca2: string;
  let leaf: string;
  let bob: { kubeconfig: string; dir: string };
  let node: { kubeconfig: string; dir: string };
  before(async () => {
    fx = await startFixture(CTB_ARGS);
    ca = readFileSync(fx.pki.caCrt, 'utf8');
    // A second CA, and a certificate that is not a CA (the apiserver's serving certificate).
    const other = makePki(tempDir('ctb-ca2'), undefined, '/CN=other-ca');
    ca2 = readFileSync(other.caCrt, 'utf8');
    leaf = readFileSync(fx.pki.serverCrt, 'utf8');
    bob = await issueClient(fx, 'bob', []);
    node = await issueClient(fx, 'system:node:n1', ['system:nodes']);
    for (const args of [
      ['create', 'clusterrole', 'ctb-writer', '--verb=create,get,list,update,patch', '--resource=clustertrustbundles'],
      ['create', 'clusterrolebinding', 'bob-ctb', '--clusterrole=ctb-writer', '--user=bob'],
    ]) {
      const r = await kubectl(fx, args);
      assert.equal(r.status, 0, r.err);
    }
  });
  after(async () => fx?.close());
  const asBob = (args: string[]) => kubectl(bob, args);

  it('is discovered beside certificates.k8s.io/v1, which stays preferred, and registered as an APIService', async () => {
    const group = JSON.parse((await curl(fx, '/apis/certificates.k8s.io')).body);
    assert.deepEqual(
      group.versions.map((v: { version: string }) => v.version),
      ['v1', 'v1beta1'],
    );
    assert.equal(group.preferredVersion.version, 'v1');
    const agg = JSON.parse(
      (await curl(fx, '/apis', ['-H', 'Accept: application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList']))
        .body,
    );
    const certs = agg.items.find((g: { metadata: { name: string } }) => g.metadata.name === 'certificates.k8s.io');
    assert.deepEqual(
      certs.versions.map((v: { version: string; resources: { resource: string }[] }) => [
        v.version,
        v.resources.map((r) => r.resource),
      ]),
      [
        ['v1', ['certificatesigningrequests']],
        ['v1beta1', ['clustertrustbundles']],
      ],
    );
    const r = await kubectl(fx, [
      'get',
      'apiservice',
      'v1beta1.certificates.k8s.io',
      '-o',
      'jsonpath={.spec.versionPriority}',
    ]);
    assert.equal(r.status, 0, r.err);
    assert.equal(r.out, '9');
    const res = await kubectl(fx, ['api-resources', '--api-group=certificates.k8s.io', '-o', 'name']);
    assert.deepEqual(res.out.trim().split('\n').sort(), [
      'certificatesigningrequests.certificates.k8s.io',
      'clustertrustbundles.certificates.k8s.io',
    ]);
  });

  it('kubectl creates and lists bundles, with the SignerName column and a spec.signerName field selector', async () => {
    let r = await kubectl(fx, ['create', '-f', bundleFile(fx.dir, 'example.com:foo:one', ca, 'example.com/foo')]);
    assert.equal(r.status, 0, r.err);
    r = await kubectl(fx, ['create', '-f', bundleFile(fx.dir, 'plain-roots', `${ca}${ca2}`)]);
    assert.equal(r.status, 0, r.err);
    r = await kubectl(fx, ['get', 'clustertrustbundles']);
    assert.equal(r.status, 0, r.err);
    assert.match(r.out, /^NAME\s+SIGNERNAME\n/);
    assert.match(r.out, /example\.com:foo:one\s+example\.com\/foo/);
    assert.match(r.out, /plain-roots\s+<none>/);
    r = await kubectl(fx, [
      'get',
      'clustertrustbundles',
      '--field-selector=spec.signerName=example.com/foo',
      '-o',
      'name',
    ]);
    assert.equal(r.out.trim(), 'clustertrustbundle.certificates.k8s.io/example.com:foo:one');
  });

  it("refuses what upstream's validation refuses, naming the rule", async () => {
    const cases: [string, string, string | undefined, RegExp][] = [
      ['example.com:bar:x', ca, 'example.com/foo', /must be named with prefix example\.com:foo:/],
      ['has:colon', ca, undefined, /without signer name must not have ":" in its name/],
      ['leaf', leaf, undefined, /entry 0 does not have the CA bit set/],
      ['dup', `${ca}${ca2}${ca}`, undefined, /duplicate trust anchor \(indices \[0 2\]\)/],
      ['empty', 'no PEM here', undefined, /at least one trust anchor must be provided/],
      ['key', `-----BEGIN FOO-----\nAAAA\n-----END FOO-----\n`, undefined, /entry 0 has bad block type: FOO/],
      [
        'headers',
        ca.replace('-----BEGIN CERTIFICATE-----\n', '-----BEGIN CERTIFICATE-----\nProc-Type: 4,ENCRYPTED\n\n'),
        undefined,
        /entry 0 has PEM block headers/,
      ],
      ['example.com:x', ca, 'example.com', /spec\.signerName: Invalid value/],
    ];
    for (const [name, bundle, signer, want] of cases) {
      const r = await kubectl(fx, ['create', '-f', bundleFile(fx.dir, name, bundle, signer)]);
      assert.notEqual(r.status, 0, `${name} was accepted`);
      assert.match(r.err, /The ClusterTrustBundle ".*" is invalid/, name);
      assert.match(r.err, want, name);
    }
  });

  it('spec.signerName is immutable', async () => {
    const r = await kubectl(fx, [
      'patch',
      'clustertrustbundle',
      'example.com:foo:one',
      '--type=merge',
      '-p',
      '{"spec":{"signerName":"example.com/other"}}',
    ]);
    assert.notEqual(r.status, 0);
    assert.match(r.err, /spec\.signerName: Invalid value: "example\.com\/other": field is immutable/);
  });

  it('ClusterTrustBundleAttest: tying a bundle to a signer needs `attest` on it, by name or domain/*', async () => {
    let r = await asBob(['create', '-f', bundleFile(fx.dir, 'example.com:foo:bob', ca, 'example.com/foo')]);
    assert.notEqual(r.status, 0);
    assert.match(
      r.err,
      /clustertrustbundles\.certificates\.k8s\.io "example\.com:foo:bob" is forbidden: user not permitted to attest for signerName "example\.com\/foo"/,
    );
    // A bundle tied to no signer needs only create.
    r = await asBob(['create', '-f', bundleFile(fx.dir, 'bobs-roots', ca)]);
    assert.equal(r.status, 0, r.err);
    // Updating someone else's signer bundle is attesting too (but not a metadata-only GC-field change).
    r = await asBob([
      'patch',
      'clustertrustbundle',
      'example.com:foo:one',
      '--type=merge',
      '-p',
      JSON.stringify({ spec: { trustBundle: ca2 } }),
    ]);
    assert.notEqual(r.status, 0);
    assert.match(r.err, /user not permitted to attest/);
    r = await asBob([
      'patch',
      'clustertrustbundle',
      'example.com:foo:one',
      '--type=merge',
      '-p',
      '{"metadata":{"finalizers":["example.com/keep"]}}',
    ]);
    assert.equal(r.status, 0, r.err);
    // `signers` is not a served resource, so kubectl create clusterrole cannot name it: a manifest can.
    const role = join(fx.dir, 'attest.json');
    writeFileSync(
      role,
      JSON.stringify({
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRole',
        metadata: { name: 'attest-example' },
        rules: [
          {
            apiGroups: ['certificates.k8s.io'],
            resources: ['signers'],
            resourceNames: ['example.com/*'],
            verbs: ['attest'],
          },
        ],
      }),
    );
    for (const args of [
      ['create', '-f', role],
      ['create', 'clusterrolebinding', 'bob-attest', '--clusterrole=attest-example', '--user=bob'],
    ]) {
      const c = await kubectl(fx, args);
      assert.equal(c.status, 0, c.err);
    }
    r = await asBob(['create', '-f', bundleFile(fx.dir, 'example.com:foo:bob', ca, 'example.com/foo')]);
    assert.equal(r.status, 0, r.err);
    r = await kubectl(fx, [
      'patch',
      'clustertrustbundle',
      'example.com:foo:one',
      '--type=merge',
      '-p',
      '{"metadata":{"finalizers":null}}',
    ]);
    assert.equal(r.status, 0, r.err);
  });

  it('kubelets read bundles (the Node authorizer, and system:node), and the publisher controller has its role', async () => {
    const r = await kubectl(node, ['get', 'clustertrustbundles', '-o', 'name']);
    assert.equal(r.status, 0, r.err);
    assert.match(r.out, /example\.com:foo:one/);
    const denied = await kubectl(node, ['create', '-f', bundleFile(fx.dir, 'node-made', ca)]);
    assert.notEqual(denied.status, 0);
    assert.match(denied.err, /forbidden/);
    const role = JSON.parse((await kubectl(fx, ['get', 'clusterrole', 'system:node', '-o', 'json'])).out);
    assert.ok(
      role.rules.some(
        (x: { resources?: string[]; verbs: string[] }) =>
          x.resources?.includes('clustertrustbundles') && x.verbs.join() === 'get,list,watch',
      ),
    );
    const sar = join(fx.dir, 'sar.json');
    writeFileSync(
      sar,
      JSON.stringify({
        apiVersion: 'authorization.k8s.io/v1',
        kind: 'SubjectAccessReview',
        spec: {
          user: 'system:serviceaccount:kube-system:kube-apiserver-serving-clustertrustbundle-publisher',
          resourceAttributes: {
            group: 'certificates.k8s.io',
            resource: 'signers',
            verb: 'attest',
            name: 'kubernetes.io/kube-apiserver-serving',
          },
        },
      }),
    );
    const publisher = await kubectl(fx, ['create', '-f', sar, '-o', 'jsonpath={.status.allowed}']);
    assert.equal(publisher.out, 'true', publisher.err);
  });
});
