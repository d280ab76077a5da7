// The `podCertificate` projected volume source (PodCertificateRequest, KEP-4317), end to end: a real
// apiserver serving certificates.k8s.io/v1beta1 with Node,RBAC and NodeRestriction, a kubelet with the
// gate that requests certificates with its node identity, one without the gate, and a small signer
// in the test that watches the requests with admin credentials and issues, denies or fails them.
import assert from 'node:assert/strict';
import { createPrivateKey, createPublicKey, X509Certificate } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  type Event,
  metaTime,
  type Node,
  type Pod,
  type PodCertificateRequest,
  type ServiceAccount,
  type VolumeProjection,
} from '@mkube/shared/api';
import { ListWatcher } from '@mkube/shared/client';
import {
  CertificateAuthority,
  decodePemBlocks,
  parsePodCertificatePublicKey,
  verifyProofOfPossession,
} from '@mkube/shared/pki';
import type { PassiveClock } from '../src/podcertificate/manager.ts';
import { curlKubelet, type NodeCluster, startNodeCluster, type TestKubelet, until } from './fixture.ts';

const ISSUER = 'example.com/issuer';
const REFUSER = 'example.com/refuser';
const FAILER = 'example.com/failer';
const PCRS = { group: 'certificates.k8s.io', version: 'v1beta1', resource: 'podcertificaterequests' } as const;
const MIN = 60_000;

/** A clock the test moves forward, for the kubelet's refresh and assumed-deleted deadlines. */
class SkewedClock implements PassiveClock {
  offsetMs = 0;
  now(): number {
    return Date.now() + this.offsetMs;
  }
}

/** The SPKI of a PEM private key, to compare with a certificate's. */
const spkiOfKey = (pem: string) =>
  createPublicKey(createPrivateKey(pem)).export({ type: 'spki', format: 'der' }).toString('base64');
const spkiOfCert = (pem: string) =>
  new X509Certificate(pem).publicKey.export({ type: 'spki', format: 'der' }).toString('base64');

const certsOf = (pem: string) =>
  [...pem.matchAll(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n/g)].map((m) => m[0]);

/**
 * The test's signer: issues from its own CA (the leaf then the CA, with a comment between them the
 * kubelet must drop), denies for REFUSER, and holds requests while `hold` is set.
 */
class TestSigner {
  hold = false;
  readonly held = new Map<string, PodCertificateRequest>();
  /** When each request's status was written (ms), by name. */
  readonly decidedAt = new Map<string, number>();
  /** beginRefreshAt as minutes after notBefore; half the lifetime when unset. */
  refreshAfterMin: number | undefined;
  readonly #done = new Set<string>();
  readonly #stop = new AbortController();

  constructor(
    private readonly c: NodeCluster,
    private readonly ca: CertificateAuthority,
    private readonly caPem: string,
  ) {}

  start(): void {
    const pcrs = () => this.c.admin.resource<PodCertificateRequest>(PCRS);
    const lw = new ListWatcher<PodCertificateRequest>({
      source: { list: (o) => pcrs().list(o), watch: (o) => pcrs().watch(o) },
      handlers: {
        onAdd: (p) => void this.#consider(p),
        onUpdate: (_o, p) => void this.#consider(p),
        onDelete: (p) => this.held.delete(p.metadata!.name!),
      },
    });
    void lw.run(this.#stop.signal);
  }

  stop(): void {
    this.#stop.abort();
  }

  /** Decides every held request now. */
  async release(): Promise<void> {
    this.hold = false;
    const held = [...this.held.values()];
    this.held.clear();
    for (const p of held) await this.#decide(p);
  }

  async #consider(p: PodCertificateRequest): Promise<void> {
    const name = p.metadata!.name!;
    if (this.#done.has(name) || p.status?.conditions?.length) return;
    if (this.hold && p.spec.signerName === ISSUER) {
      this.held.set(name, p);
      return;
    }
    await this.#decide(p);
  }

  async #decide(p: PodCertificateRequest): Promise<void> {
    const name = p.metadata!.name!;
    if (this.#done.has(name)) return;
    this.#done.add(name);
    const now = new Date();
    let status: PodCertificateRequest['status'];
    if (p.spec.signerName === FAILER) {
      status = {
        conditions: [
          {
            type: 'Failed',
            status: 'True',
            reason: 'SignerError',
            message: 'the HSM is "down"',
            lastTransitionTime: metaTime(now),
          },
        ],
      };
    } else if (p.spec.signerName === REFUSER) {
      status = {
        conditions: [
          {
            type: 'Denied',
            status: 'True',
            reason: 'NotAllowed',
            message: 'this signer refuses "everyone"',
            lastTransitionTime: metaTime(now),
          },
        ],
      };
    } else {
      // The CA backdates notBefore 5 minutes; the apiserver wants it within 5 minutes of its clock.
      const maxSeconds = p.spec.maxExpirationSeconds ?? 86400;
      const ttlMs = maxSeconds >= 8 * 3600 ? maxSeconds * 1000 : (maxSeconds - 300) * 1000;
      const leaf = this.ca.issue({
        subject: { commonName: `${p.metadata!.namespace}:${p.spec.podName}` },
        publicKey: Buffer.from(p.spec.pkixPublicKey, 'base64'),
        usages: ['digital signature', 'client auth'],
        ttlMs,
        now: new Date(now.getTime() + 4 * MIN),
      });
      const life = leaf.notAfter.getTime() - leaf.notBefore.getTime();
      const refreshAt = leaf.notBefore.getTime() + (this.refreshAfterMin ? this.refreshAfterMin * MIN : life / 2);
      status = {
        conditions: [
          {
            type: 'Issued',
            status: 'True',
            reason: 'Issued',
            message: 'issued by the test signer',
            lastTransitionTime: metaTime(now),
          },
        ],
        certificateChain: `${leaf.pem}# the CA follows\n${this.caPem}`,
        notBefore: metaTime(leaf.notBefore),
        beginRefreshAt: metaTime(new Date(refreshAt)),
        notAfter: metaTime(leaf.notAfter),
      };
    }
    await this.c.admin
      .resource<PodCertificateRequest>({ ...PCRS, namespace: p.metadata!.namespace! })
      .updateSubresource(name, 'status', { ...p, status });
    this.decidedAt.set(name, Date.now());
  }
}

describe('podCertificate projected volumes (PodCertificateRequest)', () => {
  let c: NodeCluster;
  let on: TestKubelet;
  let off: TestKubelet;
  let signer: TestSigner;
  let caPem: string;
  const clock = new SkewedClock();

  before(async () => {
    c = await startNodeCluster({
      apiserverArgs: () => [
        '--feature-gates=PodCertificateRequest=true',
        '--runtime-config=certificates.k8s.io/v1beta1=true',
      ],
    });
    [on, off] = await Promise.all([
      // A long sync period: only the manager's nudge brings a new certificate to the files quickly.
      c.startKubelet('node-pcr', {
        extra: ['--feature-gates=PodCertificateRequest=true', '--sync-frequency=10m'],
        clock,
      }),
      c.startKubelet('node-plain'),
    ]);
    await Promise.all([on.kubelet.ready, off.kubelet.ready]);
    const made = await CertificateAuthority.createSelfSigned({ commonName: 'pod-ca' });
    caPem = made.certPem;
    signer = new TestSigner(c, made.ca, caPem);
    signer.start();
  });
  after(async () => {
    signer?.stop();
    await c?.close();
  });

  const pods = () => c.admin.resource<Pod>({ group: '', version: 'v1', resource: 'pods', namespace: 'default' });
  const pcrs = () => c.admin.resource<PodCertificateRequest>({ ...PCRS, namespace: 'default' });
  const podWith = (name: string, node: string, sources: VolumeProjection[], defaultMode?: number) =>
    pods().create({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name },
      spec: {
        nodeName: node,
        // Named: ServiceAccount admission, which would name it, is off in this fixture.
        serviceAccountName: 'default',
        automountServiceAccountToken: false,
        volumes: [{ name: 'certs', projected: { sources, ...(defaultMode ? { defaultMode } : {}) } }],
        containers: [
          {
            name: 'app',
            image: 'busybox',
            command: ['sleep', '120'],
            volumeMounts: [{ name: 'certs', mountPath: '/etc/certs' }],
          },
        ],
      },
    });
  const pathOf = (k: TestKubelet, p: Pod, file: string) =>
    join(k.rootDir, 'pods', `default_${p.metadata.name}_${p.metadata.uid}`, 'etc', 'certs', file);
  const fileOf = (k: TestKubelet, p: Pod, file: string) => {
    const path = pathOf(k, p, file);
    return existsSync(path) ? readFileSync(path, 'utf8') : undefined;
  };
  const requestsOf = async (p: Pod) =>
    (await pcrs().list()).items
      .filter((r) => r.spec.podUID === p.metadata.uid)
      .sort((a, b) => (a.metadata!.creationTimestamp! < b.metadata!.creationTimestamp! ? -1 : 1));
  const waiting = (name: string, message: string) =>
    until(`${name} waiting with ${JSON.stringify(message)}`, async () => {
      const s = (await pods().get(name)).status?.containerStatuses?.[0]?.state?.waiting;
      return s?.reason === 'ContainerCreating' && s.message === message ? true : undefined;
    });
  const running = (name: string) =>
    until(`${name} Running`, async () => ((await pods().get(name)).status?.phase === 'Running' ? true : undefined));
  const eventsOf = async (p: Pod) =>
    (
      await c.admin.resource<Event>({ group: '', version: 'v1', resource: 'events', namespace: 'default' }).list()
    ).items.filter((e) => e.involvedObject?.uid === p.metadata.uid);
  const metrics = async () =>
    (await curlKubelet(on, '/metrics', { caCrt: c.fx.pki.caCrt, cert: c.fx.pki.adminCrt, key: c.fx.pki.adminKey }))
      .body;
  const gone = async (name: string) => {
    await pods().delete(name, { gracePeriodSeconds: 0 });
  };

  it('keeps the pod in ContainerCreating until issued, then runs it with the key and chain', async () => {
    signer.hold = true;
    const p = await podWith(
      'tls',
      'node-pcr',
      [
        { podCertificate: { signerName: ISSUER, keyType: 'ECDSAP256', credentialBundlePath: 'bundle.pem' } },
        {
          podCertificate: {
            signerName: ISSUER,
            keyType: 'ED25519',
            keyPath: 'ed/tls.key',
            certificateChainPath: 'ed/tls.crt',
            maxExpirationSeconds: 7200,
            userAnnotations: { 'example.com/purpose': 'test' },
          },
        },
      ],
      0o640,
    );
    const uid = p.metadata.uid!;
    const reqs = await until('two requests', async () => {
      const r = await requestsOf(p);
      return r.length === 2 ? r : undefined;
    });
    await waiting('tls', 'MountVolume.SetUp failed for volume "certs" : credential bundle is not issued yet');

    // The requests, as upstream's kubelet writes them.
    const sa = await c.admin
      .resource<ServiceAccount>({ group: '', version: 'v1', resource: 'serviceaccounts', namespace: 'default' })
      .get('default');
    const node = await c.admin.resource<Node>({ group: '', version: 'v1', resource: 'nodes' }).get('node-pcr');
    const byKeyType = new Map(
      reqs.map((r) => [parsePodCertificatePublicKey(Buffer.from(r.spec.pkixPublicKey, 'base64')).type, r]),
    );
    const ec = byKeyType.get('ec')!;
    const ed = byKeyType.get('ed25519')!;
    assert.ok(ec && ed, 'one ECDSA and one Ed25519 request');
    for (const r of reqs) {
      assert.equal(r.metadata?.generateName, 'req-');
      assert.match(r.metadata!.name!, /^req-[a-z0-9]{5}$/);
      assert.deepEqual(r.metadata?.ownerReferences, [{ apiVersion: 'core/v1', kind: 'Pod', name: 'tls', uid }]);
      assert.equal(r.spec.signerName, ISSUER);
      assert.equal(r.spec.podName, 'tls');
      assert.equal(r.spec.podUID, uid);
      assert.equal(r.spec.serviceAccountName, 'default');
      assert.equal(r.spec.serviceAccountUID, sa.metadata?.uid);
      assert.equal(r.spec.nodeName, 'node-pcr');
      assert.equal(r.spec.nodeUID, node.metadata?.uid);
      const pub = parsePodCertificatePublicKey(Buffer.from(r.spec.pkixPublicKey, 'base64'));
      assert.ok(
        verifyProofOfPossession(pub, uid, Buffer.from(r.spec.proofOfPossession, 'base64')),
        'proof of possession',
      );
    }
    assert.equal(ec.spec.maxExpirationSeconds, 86400, 'defaulted by the apiserver');
    assert.equal(ec.spec.unverifiedUserAnnotations, undefined);
    assert.equal(ed.spec.maxExpirationSeconds, 7200);
    assert.deepEqual(ed.spec.unverifiedUserAnnotations, { 'example.com/purpose': 'test' });
    assert.equal(
      (parsePodCertificatePublicKey(Buffer.from(ec.spec.pkixPublicKey, 'base64')) as { curve: string }).curve,
      'P-256',
    );
    assert.match(
      await metrics(),
      /^kubelet_podcertificate_states\{signer_name="example.com\/issuer",state="not_yet_issued"\} 2$/m,
    );

    // Still waiting some seconds on (the volume retries back off meanwhile), then issued.
    await new Promise((r) => setTimeout(r, 6000));
    assert.equal(fileOf(on, p, 'bundle.pem'), undefined);
    assert.equal((await pods().get('tls')).status?.phase, 'Pending');
    await signer.release();
    const issuedAt = Math.max(signer.decidedAt.get(ec.metadata!.name!)!, signer.decidedAt.get(ed.metadata!.name!)!);
    const bundle = await until(
      'the credential files',
      async () => fileOf(on, p, 'ed/tls.crt') && fileOf(on, p, 'bundle.pem'),
    );
    assert.ok(Date.now() - issuedAt < 3000, `the files came ${Date.now() - issuedAt} ms after the certificates`);
    await running('tls');

    // The bundle: the PKCS#8 key, then the chain re-encoded without what lay between the blocks.
    const blocks = decodePemBlocks(bundle);
    assert.deepEqual(
      blocks.map((b) => b.type),
      ['PRIVATE KEY', 'CERTIFICATE', 'CERTIFICATE'],
    );
    assert.ok(!bundle.includes('# the CA follows'));
    const [leaf, caCert] = certsOf(bundle);
    assert.equal(caCert, caPem);
    assert.equal(spkiOfKey(bundle), spkiOfCert(leaf!), 'the key is the leaf’s');
    assert.equal(spkiOfCert(leaf!), Buffer.from(ec.spec.pkixPublicKey, 'base64').toString('base64'));
    const edKey = fileOf(on, p, 'ed/tls.key')!;
    const edChain = fileOf(on, p, 'ed/tls.crt')!;
    // One PKCS#8 block and nothing else (not SEC1, not PKCS#1).
    assert.deepEqual(
      decodePemBlocks(edKey).map((b) => b.type),
      ['PRIVATE KEY'],
    );
    assert.equal(createPrivateKey(edKey).asymmetricKeyType, 'ed25519');
    assert.equal(certsOf(edChain).length, 2);
    assert.equal(spkiOfKey(edKey), spkiOfCert(certsOf(edChain)[0]!));
    // The volume's mode, for the key files too.
    for (const f of ['bundle.pem', 'ed/tls.key', 'ed/tls.crt'])
      assert.equal(statSync(pathOf(on, p, f)).mode & 0o777, 0o640, f);
    assert.match(
      await metrics(),
      /^kubelet_podcertificate_states\{signer_name="example.com\/issuer",state="fresh"\} 2$/m,
    );
    await gone('tls');
  });

  it('a denied request keeps the pod from starting, with upstream’s message and a Warning event', async () => {
    const p = await podWith('refused', 'node-pcr', [
      { podCertificate: { signerName: REFUSER, keyType: 'ECDSAP384', credentialBundlePath: 'bundle.pem' } },
    ]);
    await waiting(
      'refused',
      'MountVolume.SetUp failed for volume "certs" : PodCertificateRequest was permanently denied: reason="NotAllowed" message="this signer refuses \\"everyone\\""',
    );
    const [req] = await requestsOf(p);
    const denied = await until('the Denied event', async () => (await eventsOf(p)).find((e) => e.reason === 'Denied'));
    assert.equal(denied.type, 'Warning');
    // Upstream passes the condition's reason as Eventf's format: Go appends the real message as EXTRA.
    assert.equal(
      denied.message,
      `NotAllowed%!(EXTRA string=PodCertificateRequest default/${req!.metadata!.name} was denied, reason="NotAllowed", message="this signer refuses \\"everyone\\"")`,
    );
    assert.ok((await eventsOf(p)).some((e) => e.reason === 'FailedMount' && e.message?.includes('permanently denied')));
    assert.match(
      await metrics(),
      /^kubelet_podcertificate_states\{signer_name="example.com\/refuser",state="denied"\} 1$/m,
    );
    // Permanent: no second request.
    await new Promise((r) => setTimeout(r, 2000));
    assert.equal((await requestsOf(p)).length, 1);
    assert.equal((await pods().get('refused')).status?.phase, 'Pending');
    await gone('refused');
  });

  it('a failed request keeps the pod from starting for good, with upstream’s message and a Warning event', async () => {
    const p = await podWith('failing', 'node-pcr', [
      { podCertificate: { signerName: FAILER, keyType: 'ECDSAP256', credentialBundlePath: 'bundle.pem' } },
    ]);
    await waiting(
      'failing',
      'MountVolume.SetUp failed for volume "certs" : PodCertificateRequest was permanently failed: reason="SignerError" message="the HSM is \\"down\\""',
    );
    const [req] = await requestsOf(p);
    const failed = await until('the Failed event', async () => (await eventsOf(p)).find((e) => e.reason === 'Failed'));
    assert.equal(failed.type, 'Warning');
    assert.equal(
      failed.message,
      `SignerError%!(EXTRA string=PodCertificateRequest default/${req!.metadata!.name} failed, reason="SignerError", message="the HSM is \\"down\\"")`,
    );
    assert.match(
      await metrics(),
      /^kubelet_podcertificate_states\{signer_name="example.com\/failer",state="failed"\} 1$/m,
    );
    await new Promise((r) => setTimeout(r, 2000));
    assert.equal((await requestsOf(p)).length, 1, 'no second request');
    assert.equal((await pods().get('failing')).status?.phase, 'Pending');
    await gone('failing');
  });

  it('an RSA 3072 key: PKCS#8 in the bundle, an RSA-PSS proof over the pod UID, the leaf for that key', async () => {
    const p = await podWith('rsa', 'node-pcr', [
      { podCertificate: { signerName: ISSUER, keyType: 'RSA3072', credentialBundlePath: 'bundle.pem' } },
    ]);
    const bundle = await until('the RSA bundle', async () => fileOf(on, p, 'bundle.pem'));
    await running('rsa');
    const [req] = await requestsOf(p);
    const pub = parsePodCertificatePublicKey(Buffer.from(req!.spec.pkixPublicKey, 'base64'));
    assert.equal(pub.type, 'rsa');
    assert.ok(verifyProofOfPossession(pub, p.metadata.uid!, Buffer.from(req!.spec.proofOfPossession, 'base64')));
    const blocks = decodePemBlocks(bundle);
    assert.equal(blocks[0]?.type, 'PRIVATE KEY', 'PKCS#8 first');
    const key = createPrivateKey(bundle);
    assert.equal(key.asymmetricKeyType, 'rsa');
    assert.equal(key.asymmetricKeyDetails?.modulusLength, 3072);
    assert.equal(spkiOfKey(bundle), spkiOfCert(certsOf(bundle)[0]!));
    await gone('rsa');
  });

  it('past notAfter with no new certificate: the old one stays, with a CertificateExpired Warning once', async () => {
    const p = await podWith('expiring', 'node-pcr', [
      {
        podCertificate: {
          signerName: ISSUER,
          keyType: 'ECDSAP256',
          credentialBundlePath: 'b.pem',
          maxExpirationSeconds: 3600,
        },
      },
    ]);
    const first = await until('the credential', async () => fileOf(on, p, 'b.pem'));
    await running('expiring');
    const [req1] = await requestsOf(p);
    const notAfter = Date.parse((await pcrs().get(req1!.metadata!.name!)).status!.notAfter!);
    // Past notAfter, the signer holding the refresh: the kubelet keeps what it has and says so.
    clock.offsetMs = notAfter - Date.now() + 5 * MIN;
    signer.hold = true;
    try {
      await pcrs().delete(req1!.metadata!.name!);
      const expired = await until('the expired event', async () =>
        (await eventsOf(p)).find((e) => e.reason === 'CertificateExpired'),
      );
      assert.equal(expired.type, 'Warning');
      assert.equal(expired.message, 'PodCertificate expired');
      assert.equal(fileOf(on, p, 'b.pem'), first);
      await new Promise((r) => setTimeout(r, 1500));
      assert.equal(
        (await eventsOf(p)).filter((e) => e.reason === 'CertificateExpired').reduce((n, e) => n + (e.count ?? 1), 0),
        1,
        'once',
      );
    } finally {
      await signer.release();
      clock.offsetMs = 0;
    }
    await gone('expiring');
  });

  it('from beginRefreshAt a new key is requested; the old credential is served until it is issued', async () => {
    signer.refreshAfterMin = 30;
    const p = await podWith('rotating', 'node-pcr', [
      {
        podCertificate: {
          signerName: ISSUER,
          keyType: 'ECDSAP256',
          credentialBundlePath: 'b.pem',
          maxExpirationSeconds: 3600,
        },
      },
    ]);
    const first = await until('the first credential', async () => fileOf(on, p, 'b.pem'));
    await running('rotating');
    const [req1] = await requestsOf(p);
    assert.equal(req1!.spec.maxExpirationSeconds, 3600);

    // 50 minutes on: past beginRefreshAt (30 min after notBefore, plus up to 5 min of jitter) and
    // overdue, not yet expired. The cleaner-like deletion of the issued request brings the pass at once.
    clock.offsetMs = 50 * MIN;
    signer.hold = true;
    await pcrs().delete(req1!.metadata!.name!);
    const req2 = await until('the refresh request', async () => {
      const r = await requestsOf(p);
      return r.length === 1 && r[0]!.metadata!.name !== req1!.metadata!.name ? r[0] : undefined;
    });
    assert.notEqual(req2.spec.pkixPublicKey, req1!.spec.pkixPublicKey, 'a new key');
    assert.equal(req2.metadata?.generateName, 'req-');
    const overdue = await until('the overdue event', async () =>
      (await eventsOf(p)).find((e) => e.reason === 'CertificateOverdueForRefresh'),
    );
    assert.equal(overdue.message, 'PodCertificate refresh overdue');
    assert.equal(overdue.type, 'Warning');
    // Pending: the pod keeps its credential.
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(fileOf(on, p, 'b.pem'), first);
    assert.equal((await pods().get('rotating')).status?.phase, 'Running');

    await signer.release();
    const issuedAt = signer.decidedAt.get(req2.metadata!.name!)!;
    const second = await until('the refreshed credential', async () => {
      const f = fileOf(on, p, 'b.pem');
      return f && f !== first ? f : undefined;
    });
    assert.ok(
      Date.now() - issuedAt < 3000,
      `the refreshed files came ${Date.now() - issuedAt} ms after the certificate`,
    );
    assert.notEqual(spkiOfKey(second), spkiOfKey(first));
    assert.equal(spkiOfKey(second), spkiOfCert(certsOf(second)[0]!));
    assert.equal(spkiOfCert(certsOf(second)[0]!), Buffer.from(req2.spec.pkixPublicKey, 'base64').toString('base64'));
    assert.ok(!(await eventsOf(p)).some((e) => e.reason === 'CertificateExpired'));
    clock.offsetMs = 0;
    signer.refreshAfterMin = undefined;
    await gone('rotating');
  });

  it('a request gone from the watch for 10 minutes is assumed deleted and made again', async () => {
    signer.hold = true;
    const p = await podWith('lost', 'node-pcr', [
      { podCertificate: { signerName: ISSUER, keyType: 'ED25519', credentialBundlePath: 'b.pem' } },
    ]);
    const [req1] = await until('the request', async () => {
      const r = await requestsOf(p);
      return r.length === 1 ? r : undefined;
    });
    // Deleted while pending, and still recent: the kubelet waits (it may be informer lag).
    await pcrs().delete(req1!.metadata!.name!);
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal((await requestsOf(p)).length, 0);
    // 16 minutes on (10 plus up to 5 of jitter): made again, with a new key.
    clock.offsetMs = 16 * MIN;
    const req2 = await until('the new request', async () => (await requestsOf(p))[0], 30_000);
    assert.notEqual(req2.spec.pkixPublicKey, req1!.spec.pkixPublicKey);
    clock.offsetMs = 0;
    await signer.release();
    await until('the credential', async () => fileOf(on, p, 'b.pem'));
    await running('lost');
    await gone('lost');
  });

  it('a kubelet without the gate refuses the source, as upstream’s no-op manager', async () => {
    const p = await podWith('gated', 'node-plain', [
      { podCertificate: { signerName: ISSUER, keyType: 'ECDSAP256', credentialBundlePath: 'b.pem' } },
    ]);
    await waiting('gated', 'MountVolume.SetUp failed for volume "certs" : unimplemented');
    assert.equal((await requestsOf(p)).length, 0);
    await gone('gated');
  });
});
