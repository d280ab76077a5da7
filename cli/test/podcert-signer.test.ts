// `mkube podcert-signer` as a user runs it, against a real apiserver serving certificates.k8s.io/v1beta1
// PodCertificateRequests (gate and runtime config on) under Node,RBAC, signing as a user bound to the
// ClusterRole its help documents: it makes its CA once (key 0600) and reuses it, issues pending
// requests of its signer only — a chain openssl verifies against the CA, a leaf for the requested
// key with the SPIFFE ID of the service account, the times the apiserver's status validation wants,
// lifetimes capped by --max-lifetime — publishes its CA as a ClusterTrustBundle, and a user without
// `sign` is refused by the apiserver, which it logs and retries without stopping. Bad flags and a
// half-made CA folder are errors before anything runs.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import type { PodCertificateKeyType, PodCertificateRequest } from '@mkube/shared/api';
import { createClient, type KubeClient } from '@mkube/shared/client';
import { CertificateAuthority, encodePem, generatePodCertificateKey, signProofOfPossession } from '@mkube/shared/pki';
import { type Fixture, issueClient, kubectl, startFixture, waitFor } from '../../apiserver/test/server/fixture.ts';
import { main } from '../src/main.ts';
import { openssl, opensslStatus, runCli, tempDir } from './helpers.ts';

const SIGNER = 'example.com/spiffe';
/** Another signer the signer's user may also sign for: only its own filtering keeps it away. */
const OTHER = 'example.com/other';
const PCRS = { group: 'certificates.k8s.io', version: 'v1beta1', resource: 'podcertificaterequests' } as const;
const NS = 'default';

interface RunningSigner {
  out(): string;
  err(): string;
  /** Whether main() has returned. */
  ended(): boolean;
  stop(): Promise<{ code: number; out: string; err: string }>;
}

/** `mkube podcert-signer …` in this process, until stop(). */
async function startSigner(args: string[]): Promise<RunningSigner> {
  const ac = new AbortController();
  let out = '';
  let err = '';
  let ended = false;
  const stdout = new PassThrough().on('data', (d) => (out += d));
  const stderr = new PassThrough().on('data', (d) => (err += d));
  const done = main(['podcert-signer', ...args], { stdout, stderr, signal: ac.signal }).then((code) => {
    ended = true;
    return code;
  });
  await waitFor(
    'the signer to start',
    () => (out.includes('podcert-signer: signing for') || ended ? true : undefined),
    15_000,
  );
  assert.ok(!ended, `the signer ended at once: ${err}`);
  return {
    out: () => out,
    err: () => err,
    ended: () => ended,
    async stop() {
      ac.abort();
      const code = await done;
      return { code, out, err };
    },
  };
}

/** runCli, but a signer that starts when it should have refused is stopped after 5 s (code 0). */
async function bounded(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const stdout = new PassThrough().on('data', (d) => (out += d));
  const stderr = new PassThrough().on('data', (d) => (err += d));
  const code = await main(argv, { stdout, stderr, signal: AbortSignal.timeout(5000) });
  return { code, out, err };
}

const pcrs = (c: KubeClient) => c.resource<PodCertificateRequest>({ ...PCRS, namespace: NS });

/** A request as a kubelet makes one; as an admin, any pod, node and service account UIDs will do. */
async function createPcr(
  admin: KubeClient,
  o: { signerName?: string; keyType?: PodCertificateKeyType; maxExpirationSeconds?: number; sa?: string } = {},
): Promise<{ pcr: PodCertificateRequest; publicKeyPem: string }> {
  const key = await generatePodCertificateKey(o.keyType ?? 'ECDSAP256');
  const podUID = randomUUID();
  const pcr = await pcrs(admin).create({
    apiVersion: 'certificates.k8s.io/v1beta1',
    kind: 'PodCertificateRequest',
    metadata: { generateName: 'req-', namespace: NS },
    spec: {
      signerName: o.signerName ?? SIGNER,
      podName: 'app-0',
      podUID,
      serviceAccountName: o.sa ?? 'app',
      serviceAccountUID: randomUUID(),
      nodeName: 'node-1',
      nodeUID: randomUUID(),
      ...(o.maxExpirationSeconds ? { maxExpirationSeconds: o.maxExpirationSeconds } : {}),
      pkixPublicKey: key.pkixPublicKey.toString('base64'),
      proofOfPossession: signProofOfPossession(key.privateKey, podUID).toString('base64'),
    },
  });
  return { pcr, publicKeyPem: encodePem('PUBLIC KEY', key.pkixPublicKey) };
}

const conditionTypes = (p: PodCertificateRequest) => (p.status?.conditions ?? []).map((c) => c.type);

const issued = (admin: KubeClient, name: string) =>
  waitFor(
    `${name} issued`,
    async () => {
      const p = await pcrs(admin).get(name);
      return conditionTypes(p).includes('Issued') ? p : undefined;
    },
    15_000,
  );

/** The PEM blocks of a chain, in order. */
const pemBlocks = (chain: string) =>
  chain.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n/g) ?? [];

/** openssl's date ("Dec  6 02:14:00 2026 GMT") as epoch ms. */
const opensslDate = (leaf: string, which: 'startdate' | 'enddate') =>
  Date.parse(
    openssl(['x509', '-noout', `-${which}`], leaf)
      .split('=')[1]!
      .trim(),
  );

function clusterRole(name: string, signerNames: string[], signVerbs: string[]): string {
  return JSON.stringify({
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRole',
    metadata: { name },
    rules: [
      { apiGroups: ['certificates.k8s.io'], resources: ['podcertificaterequests'], verbs: ['get', 'list', 'watch'] },
      { apiGroups: ['certificates.k8s.io'], resources: ['podcertificaterequests/status'], verbs: ['update'] },
      { apiGroups: ['certificates.k8s.io'], resources: ['clustertrustbundles'], verbs: ['get', 'create', 'update'] },
      ...(signVerbs.length
        ? [
            {
              apiGroups: ['certificates.k8s.io'],
              resources: ['signers'],
              resourceNames: signerNames,
              verbs: signVerbs,
            },
          ]
        : []),
    ],
  });
}

describe('mkube podcert-signer: flags', () => {
  const t = tempDir('podcert-flags');
  // Never contacted: the flag errors come first.
  const kubeconfig = join(t.dir, 'kubeconfig');
  writeFileSync(
    kubeconfig,
    'apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]\n' +
      'users: [{name: u, user: {token: abc}}]\ncontexts: [{name: x, context: {cluster: c, user: u}}]\ncurrent-context: x\n',
  );
  after(() => t.cleanup());

  it("is listed in mkube's commands, and its help documents the ClusterRole it needs", async () => {
    const root = await runCli(['--help']);
    assert.match(root.out, /\n {2}podcert-signer +Run a demo signer for PodCertificateRequests/);
    const help = await runCli(['podcert-signer', '--help']);
    assert.equal(help.code, 0);
    for (const want of [
      /resources: \[podcertificaterequests\]\n +verbs: \[get, list, watch\]/,
      /resources: \[podcertificaterequests\/status\]\n +verbs: \[update\]/,
      /resources: \[signers\]\n +resourceNames: \[SIGNER-NAME\].*\n +verbs: \[sign\]/,
      /--feature-gates=PodCertificateRequest=true/,
      /--runtime-config=certificates\.k8s\.io\/v1beta1=true/,
      /--max-lifetime duration +The longest certificate issued.*\(default "24h"\)/,
      /--trust-domain string +The SPIFFE trust domain \(default "cluster\.local"\)/,
    ]) {
      assert.match(help.out, want);
    }
  });

  it('refuses bad flags, naming them', async () => {
    const run = (...a: string[]) => bounded(['podcert-signer', ...a]);
    const cases: [string[], RegExp][] = [
      [[`--signer-name=${SIGNER}`], /^error: --kubeconfig is required\n$/],
      [[`--kubeconfig=${kubeconfig}`], /^error: --signer-name is required/],
      [
        [`--kubeconfig=${kubeconfig}`, '--signer-name=example.com'],
        /--signer-name: Invalid value: "example\.com": must be a fully qualified domain and path of the form 'example\.com\/signer-name'/,
      ],
      [
        [`--kubeconfig=${kubeconfig}`, '--signer-name=example/x'],
        /--signer-name: Invalid value: "example": should be a domain with at least two segments separated by dots/,
      ],
      [
        [`--kubeconfig=${kubeconfig}`, '--signer-name=Example.com/x'],
        /--signer-name: Invalid value: "Example\.com": validating label "Example": a lowercase RFC 1123 label/,
      ],
      [
        [`--kubeconfig=${kubeconfig}`, `--signer-name=${SIGNER}`, '--trust-domain=Cluster.Local'],
        /--trust-domain: invalid value "Cluster\.Local"/,
      ],
      [
        [`--kubeconfig=${kubeconfig}`, `--signer-name=${SIGNER}`, '--max-lifetime=30m'],
        /--max-lifetime must be at least 1h/,
      ],
      [
        [`--kubeconfig=${kubeconfig}`, `--signer-name=${SIGNER}`, `--ca-cert-file=${kubeconfig}`],
        /--ca-cert-file and --ca-key-file go together/,
      ],
      [[`--kubeconfig=${join(t.dir, 'missing')}`, `--signer-name=${SIGNER}`], /^error: --kubeconfig .*missing/],
    ];
    for (const [args, want] of cases) {
      const r = await run(...args);
      assert.equal(r.code, 1, args.join(' '));
      assert.match(r.err, want, args.join(' '));
    }
  });

  it("refuses CA files whose key is not the certificate's", async () => {
    const a = await CertificateAuthority.createSelfSigned({ commonName: 'a' });
    const b = await CertificateAuthority.createSelfSigned({ commonName: 'b' });
    writeFileSync(join(t.dir, 'a.crt'), a.certPem);
    writeFileSync(join(t.dir, 'b.key'), b.keyPem, { mode: 0o600 });
    const r = await bounded([
      'podcert-signer',
      `--kubeconfig=${kubeconfig}`,
      `--signer-name=${SIGNER}`,
      `--ca-cert-file=${join(t.dir, 'a.crt')}`,
      `--ca-key-file=${join(t.dir, 'b.key')}`,
    ]);
    assert.equal(r.code, 1);
    assert.match(r.err, /^error: .*b\.key: private key does not match certificate .*a\.crt\n$/);
  });

  it('a folder holding half a CA is refused and left as it was', async () => {
    const dir = join(t.dir, 'half');
    mkdirSync(dir);
    writeFileSync(join(dir, 'ca.key'), 'not really a key\n', { mode: 0o600 });
    const r = await bounded([
      'podcert-signer',
      `--kubeconfig=${kubeconfig}`,
      `--signer-name=${SIGNER}`,
      `--ca-dir=${dir}`,
    ]);
    assert.equal(r.code, 1);
    assert.match(r.err, /half\/ca\.key exists but .*half\/ca\.crt does not: refusing to replace a CA/);
    assert.equal(readFileSync(join(dir, 'ca.key'), 'utf8'), 'not really a key\n');
    assert.equal(existsSync(join(dir, 'ca.crt')), false);
  });
});

describe('mkube podcert-signer against a real apiserver', () => {
  const t = tempDir('podcert-signer');
  const caDir = join(t.dir, 'ca');
  const caCrt = join(caDir, 'ca.crt');
  let fx: Fixture;
  let admin: KubeClient;
  let signerConf: string;
  let signer: RunningSigner;
  const signerArgs = () => [
    `--kubeconfig=${signerConf}`,
    `--signer-name=${SIGNER}`,
    `--ca-dir=${caDir}`,
    '--max-lifetime=3h',
    '--publish-trust-bundle',
  ];

  before(async () => {
    fx = await startFixture([
      '--authorization-mode=Node,RBAC',
      '--feature-gates=PodCertificateRequest=true,ClusterTrustBundle=true',
      '--runtime-config=certificates.k8s.io/v1beta1=true',
    ]);
    admin = createClient({
      server: fx.url,
      caPem: readFileSync(fx.pki.caCrt, 'utf8'),
      clientCertPem: readFileSync(fx.pki.adminCrt, 'utf8'),
      clientKeyPem: readFileSync(fx.pki.adminKey, 'utf8'),
    });
    signerConf = (await issueClient(fx, 'podcert-signer')).kubeconfig;
    const role = join(t.dir, 'role.json');
    writeFileSync(role, clusterRole('podcert-signer', [SIGNER, OTHER], ['sign', 'attest']));
    for (const args of [
      ['create', '-f', role],
      ['create', 'clusterrolebinding', 'podcert-signer', '--clusterrole=podcert-signer', '--user=podcert-signer'],
    ]) {
      const r = await kubectl(fx, args);
      assert.equal(r.status, 0, r.err);
    }
    signer = await startSigner(signerArgs());
  });
  after(async () => {
    if (signer && !signer.ended()) {
      const r = await signer.stop();
      assert.equal(r.code, 0, r.err);
    }
    await admin?.close();
    await fx?.close();
    t.cleanup();
  });

  it('makes its CA once in --ca-dir, the key private', () => {
    assert.match(
      signer.out(),
      new RegExp(`signing for ${SIGNER} with the CA in .*ca\\.crt \\(new\\); trust domain cluster\\.local`),
    );
    assert.equal(statSync(join(caDir, 'ca.key')).mode & 0o777, 0o600);
    assert.match(openssl(['x509', '-noout', '-subject'], readFileSync(caCrt, 'utf8')), /mkube-podcert-signer-ca/);
  });

  it('issues a pending request: a chain to its CA, the requested key, the SPIFFE ID, the times validation wants', async () => {
    const { pcr, publicKeyPem } = await createPcr(admin, { maxExpirationSeconds: 7200 });
    const name = pcr.metadata!.name!;
    const before = Date.now();
    const done = await issued(admin, name);
    const st = done.status!;
    assert.deepEqual(
      st.conditions?.map(({ type, status, reason }) => ({ type, status, reason })),
      [{ type: 'Issued', status: 'True', reason: 'Issued' }],
    );
    assert.match(st.conditions?.[0]?.lastTransitionTime ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    const blocks = pemBlocks(st.certificateChain!);
    assert.equal(blocks.length, 2);
    assert.equal(blocks.join(''), st.certificateChain);
    const [leaf, caInChain] = blocks as [string, string];
    assert.equal(caInChain, readFileSync(caCrt, 'utf8'));
    const leafFile = join(t.dir, `${name}.pem`);
    writeFileSync(leafFile, leaf);
    const verify = opensslStatus(['verify', '-CAfile', caCrt, '-purpose', 'sslclient', leafFile]);
    assert.equal(verify.status, 0, verify.out);
    assert.match(verify.out, /: OK/);
    assert.equal(opensslStatus(['verify', '-CAfile', caCrt, '-purpose', 'sslserver', leafFile]).status, 0);
    assert.equal(openssl(['x509', '-noout', '-pubkey'], leaf), publicKeyPem);
    const text = openssl(['x509', '-noout', '-text'], leaf);
    assert.match(
      text,
      /X509v3 Subject Alternative Name: critical\n\s+URI:spiffe:\/\/cluster\.local\/ns\/default\/sa\/app\n/,
    );
    assert.match(text, /X509v3 Key Usage: critical\n\s+Digital Signature\n/);
    assert.match(
      text,
      /X509v3 Extended Key Usage: \n\s+TLS Web Server Authentication, TLS Web Client Authentication\n/,
    );
    assert.match(text, /Subject: *\n/);
    // notBefore/notAfter are the leaf's; notBefore is near now; the lifetime is the request's 2 h.
    const nb = opensslDate(leaf, 'startdate');
    const na = opensslDate(leaf, 'enddate');
    assert.equal(Date.parse(st.notBefore!), nb);
    assert.equal(Date.parse(st.notAfter!), na);
    assert.ok(nb > before - 5 * 60_000 && nb < Date.now() + 5 * 60_000, st.notBefore);
    assert.equal(na - nb, 7200_000);
    assert.equal(Date.parse(st.beginRefreshAt!), nb + 3600_000);
    assert.match(
      signer.err(),
      new RegExp(`default/${name}: issued spiffe://cluster\\.local/ns/default/sa/app, valid until`),
    );
  });

  it('caps the lifetime at --max-lifetime and signs every key type', async () => {
    for (const keyType of ['ED25519', 'RSA3072', 'ECDSAP384', 'ECDSAP521'] as const) {
      const { pcr, publicKeyPem } = await createPcr(admin, { keyType, sa: 'worker' });
      assert.equal(pcr.spec.maxExpirationSeconds, 86400, 'defaulted by the apiserver');
      const st = (await issued(admin, pcr.metadata!.name!)).status!;
      const leaf = pemBlocks(st.certificateChain!)[0]!;
      assert.equal(openssl(['x509', '-noout', '-pubkey'], leaf), publicKeyPem, keyType);
      const nb = Date.parse(st.notBefore!);
      assert.equal(Date.parse(st.notAfter!) - nb, 3 * 3600_000, keyType);
      assert.equal(Date.parse(st.beginRefreshAt!), nb + 1.5 * 3600_000, keyType);
      assert.match(
        openssl(['x509', '-noout', '-ext', 'subjectAltName'], leaf),
        /URI:spiffe:\/\/cluster\.local\/ns\/default\/sa\/worker/,
      );
    }
  });

  it("leaves other signers' requests alone", async () => {
    const other = await createPcr(admin, { signerName: OTHER });
    const mine = await createPcr(admin);
    await issued(admin, mine.pcr.metadata!.name!);
    await new Promise((r) => setTimeout(r, 1000));
    const name = other.pcr.metadata!.name!;
    assert.deepEqual((await pcrs(admin).get(name)).status ?? {}, {});
    assert.ok(!signer.err().includes(name), signer.err());
  });

  it('signs with --ca-cert-file and --ca-key-file: the request left pending is issued by that CA', async () => {
    const { certPem, keyPem } = await CertificateAuthority.createSelfSigned({ commonName: 'given-ca' });
    const certFile = join(t.dir, 'given.crt');
    const keyFile = join(t.dir, 'given.key');
    writeFileSync(certFile, certPem);
    writeFileSync(keyFile, keyPem, { mode: 0o600 });
    const given = await startSigner([
      `--kubeconfig=${signerConf}`,
      `--signer-name=${OTHER}`,
      `--ca-cert-file=${certFile}`,
      `--ca-key-file=${keyFile}`,
    ]);
    try {
      assert.match(given.out(), new RegExp(`signing for ${OTHER} with the CA in ${certFile}; trust domain`));
      const pending = (await pcrs(admin).list()).items.filter((p) => p.spec.signerName === OTHER);
      assert.equal(pending.length, 1);
      const st = (await issued(admin, pending[0]!.metadata!.name!)).status!;
      assert.equal(pemBlocks(st.certificateChain!)[1], certPem);
      assert.equal(existsSync(join(t.dir, 'given')), false);
    } finally {
      const r = await given.stop();
      assert.equal(r.code, 0, r.err);
    }
  });

  it('publishes its CA as the ClusterTrustBundle named after the signer and the hash', async () => {
    const hash = openssl(['dgst', '-sha256', '-r', caCrt]).slice(0, 24);
    const name = `example.com:spiffe:${hash}`;
    assert.match(signer.err(), new RegExp(`ClusterTrustBundle ${name}: created`));
    const r = await kubectl(fx, [
      'get',
      'clustertrustbundle',
      name,
      '-o',
      'jsonpath={.spec.signerName} {.spec.trustBundle}',
    ]);
    assert.equal(r.status, 0, r.err);
    assert.equal(r.out, `${SIGNER} ${readFileSync(caCrt, 'utf8')}`);
  });

  it('a restart reuses the CA in --ca-dir, and its bundle', async () => {
    const ca = readFileSync(caCrt, 'utf8');
    const stopped = await signer.stop();
    assert.equal(stopped.code, 0, stopped.err);
    signer = await startSigner(signerArgs());
    assert.match(signer.out(), /with the CA in .*ca\.crt; trust domain/);
    assert.equal(readFileSync(caCrt, 'utf8'), ca);
    await waitFor(
      'bundle checked',
      () => (/ClusterTrustBundle \S+: unchanged/.test(signer.err()) ? true : undefined),
      15_000,
    );
    const { pcr } = await createPcr(admin);
    const st = (await issued(admin, pcr.metadata!.name!)).status!;
    assert.equal(pemBlocks(st.certificateChain!)[1], ca);
  });

  it('without `sign` the apiserver refuses it: logged clearly, retried, still running; issued once granted', async () => {
    const signerName = 'example.com/unsigned';
    const conf = (await issueClient(fx, 'nosign-signer')).kubeconfig;
    const role = join(t.dir, 'nosign.json');
    writeFileSync(role, clusterRole('nosign-signer', [signerName], []));
    for (const args of [
      ['create', '-f', role],
      ['create', 'clusterrolebinding', 'nosign-signer', '--clusterrole=nosign-signer', '--user=nosign-signer'],
    ]) {
      assert.equal((await kubectl(fx, args)).status, 0);
    }
    const refused = await startSigner([`--kubeconfig=${conf}`, `--signer-name=${signerName}`, `--ca-dir=${caDir}`]);
    try {
      const { pcr } = await createPcr(admin, { signerName });
      const name = pcr.metadata!.name!;
      const line = await waitFor(
        'the refusal logged',
        () =>
          refused
            .err()
            .split('\n')
            .find((l) => l.includes(`default/${name}:`)),
        15_000,
      );
      assert.equal(
        line,
        `podcert-signer: default/${name}: writing the status: PodCertificateRequest.certificates.k8s.io "${name}" is invalid: ` +
          `spec.signerName: Forbidden: User "nosign-signer" is not permitted to "sign" for signer "${signerName}" (will retry)`,
      );
      await new Promise((r) => setTimeout(r, 1000));
      assert.equal(refused.ended(), false);
      assert.ok(
        refused
          .err()
          .split('\n')
          .filter((l) => l.includes(`default/${name}: writing the status`)).length >= 2,
        'retried',
      );
      assert.deepEqual((await pcrs(admin).get(name)).status ?? {}, {});
      // A binding to sign for it: the next retry goes through.
      const grant = join(t.dir, 'grant.json');
      writeFileSync(
        grant,
        JSON.stringify({
          apiVersion: 'rbac.authorization.k8s.io/v1',
          kind: 'ClusterRole',
          metadata: { name: 'nosign-grant' },
          rules: [
            {
              apiGroups: ['certificates.k8s.io'],
              resources: ['signers'],
              resourceNames: ['example.com/*'],
              verbs: ['sign'],
            },
          ],
        }),
      );
      assert.equal((await kubectl(fx, ['create', '-f', grant])).status, 0);
      const b = await kubectl(fx, [
        'create',
        'clusterrolebinding',
        'nosign-grant',
        '--clusterrole=nosign-grant',
        '--user=nosign-signer',
      ]);
      assert.equal(b.status, 0, b.err);
      await issued(admin, name);
    } finally {
      const r = await refused.stop();
      assert.equal(r.code, 0, r.err);
    }
  });
});
