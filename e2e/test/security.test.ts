// The security regression suite: a whole cluster from `mkube up` (every daemon its own process,
// mutual TLS, highest verbosity), attacked the ways a Kubernetes operator fears. Each case asserts
// the exact denial — HTTP code, Status reason and message, TLS failure — and that nothing changed.
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { type ClientHttp2Stream, connect as connectH2 } from 'node:http2';
import { createServer as createHttpsServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { connect, createServer as createTlsServer } from 'node:tls';
import {
  CertificateAuthority,
  createCsrPem,
  encodePrivateKeyPem,
  generateKeyPair,
  type SubjectAltNames,
} from '@mkube/shared/pki';
import WebSocket from 'ws';
import { type Credential, httpsRequest, type Reply, startSecurityCluster, type UpCluster } from '../src/cluster.ts';
import { freePort, MKUBE_BIN, REPO_ROOT } from '../src/harness.ts';

const CSR_PATH = '/apis/certificates.k8s.io/v1/certificatesigningrequests';
const b64 = (s: string) => Buffer.from(s).toString('base64');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function expectStatus(r: Reply, code: number, reason: string, message?: string | RegExp): void {
  assert.equal(r.status, code, r.text);
  assert.equal(r.json?.kind, 'Status', r.text);
  assert.equal(r.json?.reason, reason, r.text);
  if (typeof message === 'string') assert.equal(r.json?.message, message);
  else if (message) assert.match(String(r.json?.message), message);
}

describe('security regression suite', () => {
  let c: UpCluster;
  let admin: Credential;
  let node1: UpCluster['nodes'][number];
  let node2: UpCluster['nodes'][number];
  let foreignCA: CertificateAuthority;
  const work = mkdtempSync(join(tmpdir(), 'mkube-sec-'));
  const fakes: Server[] = [];

  const csrBody = async (
    name: string,
    o: { cn: string; orgs?: string[]; sans?: SubjectAltNames; signer: string; usages: string[] },
  ) => {
    const key = await generateKeyPair();
    const pem = await createCsrPem(key, { commonName: o.cn, organizations: o.orgs ?? [] }, o.sans ?? {});
    return {
      apiVersion: 'certificates.k8s.io/v1',
      kind: 'CertificateSigningRequest',
      metadata: { name },
      spec: { request: b64(pem), signerName: o.signer, usages: o.usages },
    };
  };
  const getCsr = async (name: string) =>
    (await c.req(admin, 'GET', `${CSR_PATH}/${name}`)).json as {
      status?: { conditions?: { type: string; reason?: string; message?: string }[]; certificate?: string };
    };
  const conditionsOf = async (name: string) =>
    ((await getCsr(name)).status?.conditions ?? []).map((x) => `${x.type}/${x.reason}`);
  const approveAsAdmin = async (name: string) => {
    const csr = (await c.req(admin, 'GET', `${CSR_PATH}/${name}`)).json!;
    const status = (csr.status ?? {}) as { conditions?: unknown[] };
    const body = {
      ...csr,
      status: {
        ...status,
        conditions: [
          ...(status.conditions ?? []),
          { type: 'Approved', status: 'True', reason: 'AdminSaysSo', message: 'test' },
        ],
      },
    };
    const r = await c.req(admin, 'PUT', `${CSR_PATH}/${name}/approval`, body);
    assert.equal(r.status, 200, r.text);
  };
  const waitFor = async <T>(what: string, fn: () => Promise<T | undefined>, ms = 15_000): Promise<T> => {
    const deadline = Date.now() + ms;
    for (;;) {
      const v = await fn();
      if (v !== undefined) return v;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await sleep(100);
    }
  };
  const foreign = async (cn: string, orgs: string[] = []): Promise<Credential> => {
    const key = await generateKeyPair();
    const cert = foreignCA.issue({
      subject: { commonName: cn, organizations: orgs },
      publicKey: key.publicKey,
      usages: ['digital signature', 'client auth'],
      ttlMs: 3600_000,
    });
    const base = join(work, `foreign-${cn.replace(/\W/g, '_')}`);
    writeFileSync(`${base}.crt`, cert.pem);
    writeFileSync(`${base}.key`, encodePrivateKeyPem(key), { mode: 0o600 });
    return { cert: `${base}.crt`, key: `${base}.key` };
  };
  /**
   * An X.509 v1 client certificate (no extensions, so no key identifiers) whose issuer is the cluster
   * CA's name but whose signature is another key's: OpenSSL gets as far as checking that signature.
   */
  const foreignV1 = (cn: string, orgs: string[] = []): Credential => {
    const dir = mkdtempSync(join(work, 'v1-'));
    const caName = `/${new X509Certificate(c.caPem).subject.split('\n').join('/')}`;
    const openssl = (args: string[]) => {
      const r = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8', timeout: 20_000 });
      assert.equal(r.status, 0, r.stderr);
    };
    const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
    openssl(['req', '-x509', ...ec, '-subj', caName, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '1']);
    const subject = `/CN=${cn}${orgs.map((o) => `/O=${o}`).join('')}`;
    openssl(['req', '-new', ...ec, '-subj', subject, '-keyout', 'v1.key', '-out', 'v1.csr']);
    openssl([
      'x509',
      '-req',
      '-in',
      'v1.csr',
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-set_serial',
      '7',
      '-days',
      '1',
      '-out',
      'v1.crt',
    ]);
    const cert = join(dir, 'v1.crt');
    assert.equal(new X509Certificate(readFileSync(cert)).issuer, new X509Certificate(c.caPem).subject);
    return { cert, key: join(dir, 'v1.key') };
  };
  let caFile: string | undefined;
  const clusterCAFile = () => {
    if (!caFile) {
      caFile = join(work, 'cluster-ca.crt');
      writeFileSync(caFile, c.caPem);
    }
    return caFile;
  };
  /** curl trusting the cluster CA, with a client certificate when given: its exit, the answer, HTTP version. */
  const curlAs = async (cred: Credential | undefined, url: string, extra: string[] = []) => {
    const certArgs = cred ? ['--cert', cred.cert!, '--key', cred.key!] : [];
    const r = await run('curl', [
      ...['-sS', ...extra, '--cacert', clusterCAFile(), ...certArgs],
      ...['-w', '\n%{http_code} %{http_version}', url],
    ]);
    const at = r.stdout.lastIndexOf('\n');
    const [code, version] = r.stdout.slice(at + 1).split(' ');
    return { exit: r.status, stderr: r.stderr, body: r.stdout.slice(0, at), code: Number(code), version };
  };
  const tokenSecret = (id: string, secret: string, data: Record<string, string>, ns = 'kube-system') => ({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: `bootstrap-token-${id}`, namespace: ns },
    type: 'bootstrap.kubernetes.io/token',
    data: Object.fromEntries(
      Object.entries({ 'token-id': id, 'token-secret': secret, ...data }).map(([k, v]) => [k, b64(v)]),
    ),
  });
  const kubectl = (args: string[]) =>
    spawnSync('kubectl', ['--kubeconfig', c.adminConf, ...args], {
      encoding: 'utf8',
      timeout: 30_000,
      env: { ...process.env, HOME: work },
    });
  // The fake kubelets live in this process: kubectl must not block its event loop.
  const kubectlAsync = (args: string[], bin = 'kubectl') =>
    new Promise<{ status: number; stdout: string; stderr: string }>((resolve) => {
      execFile(
        bin,
        ['--kubeconfig', c.adminConf, ...args],
        { encoding: 'utf8', timeout: 30_000, env: { ...process.env, HOME: work } },
        (err, stdout, stderr) =>
          resolve({ status: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
      );
    });
  const kubeletUrl = (n: { ip: string }, path: string) => `https://${n.ip}:${c.kubeletPort}${path}`;

  before(async () => {
    c = await startSecurityCluster('security');
    admin = await c.issue('kubernetes-admin', ['kubeadm:cluster-admins']);
    [node1, node2] = c.nodes as [UpCluster['nodes'][number], UpCluster['nodes'][number]];
    assert.ok(node1 && node2, c.output());
    foreignCA = (await CertificateAuthority.createSelfSigned({ commonName: 'kubernetes' })).ca;
    // A pod on node2 that references a secret (for node isolation), created as the admin.
    assert.equal(
      (
        await c.req(admin, 'POST', '/api/v1/namespaces/default/secrets', {
          apiVersion: 'v1',
          kind: 'Secret',
          metadata: { name: 'node2-secret' },
          stringData: { pw: 'hunter2-very-secret' },
        })
      ).status,
      201,
    );
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'on-node2' },
      spec: {
        nodeName: 'node2',
        containers: [
          {
            name: 'main',
            image: 'busybox',
            command: ['sh', '-c', 'while true; do echo on-node2; sleep 1; done'],
            env: [{ name: 'PW', valueFrom: { secretKeyRef: { name: 'node2-secret', key: 'pw' } } }],
          },
        ],
      },
    };
    const pr = await c.req(admin, 'POST', '/api/v1/namespaces/default/pods', pod);
    assert.equal(pr.status, 201, pr.text);
  });
  after(async () => {
    for (const f of fakes) f.close();
    await c?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  // ---- the happy path first: what every denial below is measured against --------------------
  it('P1 bootstrap → both nodes Ready → kubectl logs and exec (exit 3) through the apiserver', async () => {
    const nodes = kubectl([
      'get',
      'nodes',
      '-o',
      'jsonpath={range .items[*]}{.metadata.name}={.status.conditions[?(@.type=="Ready")].status} {end}',
    ]);
    assert.equal(nodes.stdout.trim(), 'node1=True node2=True');
    await waitFor('pod logs', async () => (/on-node2/.test(kubectl(['logs', 'on-node2']).stdout) ? true : undefined));
    const ex = kubectl(['exec', 'hello-node1', '--', 'sh', '-c', 'echo hi; exit 3']);
    assert.equal(ex.status, 3, ex.stderr);
    assert.equal(ex.stdout, 'hi\n');
  });

  // ---- apiserver authentication ----------------------------------------------------------------
  it('A1 anonymous cannot list secrets (403 Forbidden, upstream message)', async () => {
    expectStatus(
      await c.req({}, 'GET', '/api/v1/secrets'),
      403,
      'Forbidden',
      'secrets is forbidden: User "system:anonymous" cannot list resource "secrets" in API group "" at the cluster scope',
    );
  });
  it('A2 a client certificate from another CA with the same CA name is 401', async () => {
    expectStatus(
      await c.req(await foreign('kubernetes-admin', ['system:masters']), 'GET', '/api/v1/secrets'),
      401,
      'Unauthorized',
    );
  });
  it("A11 an X.509 v1 client certificate in the cluster CA's name, signed by another key: 401 over HTTP/1.1 and HTTP/2, not a reset", async () => {
    const cred = foreignV1('kubernetes-admin', ['system:masters']);
    for (const proto of ['--http1.1', '--http2']) {
      const r = await curlAs(cred, `${c.server}/api/v1/secrets`, [proto]);
      assert.equal(r.exit, 0, `${proto}: curl exit ${r.exit}: ${r.stderr}`);
      assert.equal(`${r.code} ${r.version}`, `401 ${proto === '--http2' ? '2' : '1.1'}`, r.body);
      assert.equal((JSON.parse(r.body) as { reason: string }).reason, 'Unauthorized');
    }
    // kubectl (Go's TLS and HTTP/2) gets the same answer.
    const k = spawnSync(
      'kubectl',
      [
        ...['--server', c.server, '--certificate-authority', clusterCAFile()],
        ...['--client-certificate', cred.cert!, '--client-key', cred.key!, 'get', 'secrets'],
      ],
      { encoding: 'utf8', timeout: 30_000, env: { ...process.env, HOME: work, KUBECONFIG: '/dev/null' } },
    );
    assert.equal(k.status, 1);
    assert.match(k.stderr, /You must be logged in to the server/);
  });
  it('A12 no spelling of a secrets path gets past RBAC for a user who may read only discovery (/api/*)', async () => {
    const bob = await c.issue('bob', []);
    const variants = [
      ...['/api/v1/secrets', '/api//v1/secrets', '/api/v1//secrets', '/api/v1/secrets/', '/api/./v1/secrets'],
      ...[
        '/api/v1/./secrets',
        '/api/x/../v1/secrets',
        '/apis/../api/v1/secrets',
        '/api/v1%2Fsecrets',
        '/API/v1/secrets',
      ],
      ...['/api/v1/namespaces//kube-system/secrets', '/api/v1/namespaces/kube-system//secrets', '/api/v1/%73ecrets'],
      ...[
        '/api/v1/namespaces/kube-system/secrets/../secrets',
        '/healthz/../api/v1/secrets',
        '/version/../api/v1/secrets',
      ],
      ...['/api/v1/namespaces/kube-system/secrets?watch=1&timeoutSeconds=1', '/openapi/v3/../../api/v1/secrets'],
    ];
    for (const proto of ['--http1.1', '--http2']) {
      for (const path of variants) {
        const r = await curlAs(bob, `${c.server}${path}`, [proto, '--path-as-is']);
        assert.ok([403, 404].includes(r.code), `${proto} ${path}: ${r.code} ${r.body.slice(0, 200)}`);
        assert.doesNotMatch(r.body, /"kind":"Secret/, `${proto} ${path}`);
      }
    }
    // The control: discovery is bob's, and the admin lists the secrets.
    assert.equal((await curlAs(bob, `${c.server}/api/v1`)).code, 200);
    assert.match((await c.req(admin, 'GET', '/api/v1/secrets')).text, /"kind":"SecretList"/);
  });
  it('A13 a flood of held requests from one user is cut off by API Priority and Fairness, and starves no one else', async () => {
    // A priority level of the operator's own for the flooder and a bystander, pinned to its nominal
    // seats (it neither lends nor borrows, so the periodic borrowing cannot move its limit during the
    // case); one user is one flow, dealt onto 6 of its 128 queues of 50. POSTs whose bodies never
    // finish hold what they take.
    const FC = '/apis/flowcontrol.apiserver.k8s.io/v1';
    const flooder = await c.issue('flooder', []);
    const bystander = await c.issue('bystander', []);
    const masters = await c.issue('breakglass', ['system:masters']);
    const level = {
      apiVersion: 'flowcontrol.apiserver.k8s.io/v1',
      kind: 'PriorityLevelConfiguration',
      metadata: { name: 'a13-flood' },
      spec: {
        type: 'Limited',
        limited: {
          nominalConcurrencyShares: 20,
          lendablePercent: 0,
          borrowingLimitPercent: 0,
          limitResponse: { type: 'Queue', queuing: { queues: 128, handSize: 6, queueLengthLimit: 50 } },
        },
      },
    };
    const schema = {
      apiVersion: 'flowcontrol.apiserver.k8s.io/v1',
      kind: 'FlowSchema',
      metadata: { name: 'a13-flood' },
      spec: {
        priorityLevelConfiguration: { name: 'a13-flood' },
        matchingPrecedence: 500,
        distinguisherMethod: { type: 'ByUser' },
        rules: [
          {
            subjects: ['flooder', 'bystander'].map((name) => ({ kind: 'User', user: { name } })),
            resourceRules: [
              { verbs: ['*'], apiGroups: ['*'], resources: ['*'], namespaces: ['*'], clusterScope: true },
            ],
            nonResourceRules: [{ verbs: ['*'], nonResourceURLs: ['*'] }],
          },
        ],
      },
    };
    assert.equal((await c.req(admin, 'POST', `${FC}/prioritylevelconfigurations`, level)).status, 201);
    const created = await c.req(admin, 'POST', `${FC}/flowschemas`, schema);
    assert.equal(created.status, 201, created.text);
    const schemaUid = (created.json as { metadata: { uid: string } }).metadata.uid;
    // The flooder may write ConfigMaps, or authorization would answer each request (403) at once.
    const binding = {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: 'flooder-edit', namespace: 'default' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'edit' },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'flooder' }],
    };
    assert.equal(
      (await c.req(admin, 'POST', '/apis/rbac.authorization.k8s.io/v1/namespaces/default/rolebindings', binding))
        .status,
      201,
    );
    try {
      // The dispatcher follows the store: wait until the flooder is classified by the new schema.
      let classified = false;
      for (let i = 0; i < 100 && !classified; i++) {
        classified = (await c.req(flooder, 'GET', '/version')).headers['x-kubernetes-pf-flowschema-uid'] === schemaUid;
        if (!classified) await sleep(50);
      }
      assert.ok(classified, 'the flooder is classified by a13-flood');
      const gauge = async (name: string) => {
        const m = (await c.req(admin, 'GET', '/metrics')).text;
        const line = new RegExp(`^apiserver_flowcontrol_${name}\\{priority_level="a13-flood"\\} (\\d+)$`, 'm').exec(m);
        assert.ok(line, `${name} of a13-flood in /metrics`);
        return Number(line[1]);
      };
      const seats = await gauge('current_limit_seats');
      assert.equal(seats, await gauge('nominal_limit_seats'), 'neither lent nor borrowed');
      const expectRejected = 400 - seats - 6 * 50;
      assert.ok(expectRejected > 0, `${seats} seats`);
      await flood(flooder, bystander, masters, schemaUid, expectRejected);
    } finally {
      await c.req(admin, 'DELETE', '/apis/rbac.authorization.k8s.io/v1/namespaces/default/rolebindings/flooder-edit');
      await c.req(admin, 'DELETE', `${FC}/flowschemas/a13-flood`);
      await c.req(admin, 'DELETE', `${FC}/prioritylevelconfigurations/a13-flood`);
    }
  });
  /** A13's flood: 400 held POSTs, the rejections, who is served meanwhile, and fair queuing for the bystander. */
  async function flood(
    flooder: Credential,
    bystander: Credential,
    masters: Credential,
    schemaUid: string,
    expectRejected: number,
  ): Promise<void> {
    const h2 = (cred: Credential) => {
      const s = connectH2(c.server, { ca: c.caPem, cert: readFileSync(cred.cert!), key: readFileSync(cred.key!) });
      s.on('error', () => {});
      return s;
    };
    const answerOf = (stream: ClientHttp2Stream) =>
      new Promise<{ status: number; body: string; fs?: string }>((resolve) => {
        let status = 0;
        let fs: string | undefined;
        let body = '';
        stream.on('response', (h) => {
          status = Number(h[':status']);
          fs = h['x-kubernetes-pf-flowschema-uid'] as string | undefined;
        });
        stream.setEncoding('utf8');
        stream.on('data', (d: string) => (body += d));
        stream.on('close', () => resolve({ status, body, ...(fs ? { fs } : {}) }));
        stream.on('error', () => {});
      });
    const sessions = [h2(flooder), h2(flooder), h2(flooder), h2(flooder)];
    const held: ClientHttp2Stream[] = [];
    const answers: Promise<{ status: number; body: string; fs?: string }>[] = [];
    try {
      for (let i = 0; i < 400; i++) {
        const stream = sessions[i % 4]!.request({
          ':method': 'POST',
          ':path': '/api/v1/namespaces/default/configmaps',
          'content-type': 'application/json',
        });
        stream.write('{"apiVersion":"v1",');
        held.push(stream);
        answers.push(answerOf(stream));
      }
      // Past the level's seats and 6 × 50 waiting, the rest is 429 at once, named as the schema's.
      const rejected: { status: number; body: string; fs?: string }[] = [];
      for (const a of answers) void a.then((r) => r.status === 429 && rejected.push(r));
      const deadline = Date.now() + 10_000;
      while (rejected.length < expectRejected && Date.now() < deadline) await sleep(50);
      assert.ok(
        rejected.length >= expectRejected,
        `${rejected.length} of the flood rejected, ${expectRejected} expected`,
      );
      assert.equal(rejected[0]!.body, 'Too many requests, please try again later.\n');
      assert.equal(rejected[0]!.fs, schemaUid);
      // Other levels are untouched: the nodes (node-high, system), system:masters (exempt) and the
      // admin (global-default) are served at once.
      const t0 = Date.now();
      assert.equal((await c.req(node1.cred, 'GET', '/api/v1/nodes/node1')).status, 200);
      assert.equal((await c.req(masters, 'GET', '/api/v1/namespaces/default/configmaps')).status, 200);
      assert.equal((await c.req(admin, 'GET', '/api/v1/namespaces/default')).status, 200);
      assert.ok(Date.now() - t0 < 5_000, 'served without waiting behind the flood');
      // The bystander shares the level but is another flow: it waits for a seat, and then fair
      // queuing serves it ahead of the flooder's queued requests, whose flow has had far more than its
      // share (FIFO would answer it after all ~300).
      const bystanderSession = h2(bystander);
      try {
        const bystanderGet = bystanderSession.request({ ':method': 'GET', ':path': '/version' });
        const bystanderAnswer = answerOf(bystanderGet);
        let bystanderDone = false;
        void bystanderAnswer.then(() => (bystanderDone = true));
        await sleep(300);
        assert.equal(bystanderDone, false, 'every seat of the level is held by the flood');
        let floodServed = 0;
        let floodServedBefore = -1;
        for (const a of answers) void a.then((r) => r.status === 201 && floodServed++);
        void bystanderAnswer.then(() => (floodServedBefore = floodServed));
        for (const [i, stream] of held.entries())
          if (!stream.closed) stream.end(`"kind":"ConfigMap","metadata":{"name":"flood-${i}"}}`);
        const a = await bystanderAnswer;
        assert.equal(a.status, 200, a.body);
        assert.equal(a.fs, schemaUid);
        assert.ok(floodServedBefore < 150, `${floodServedBefore} of the flood answered before the bystander`);
      } finally {
        bystanderSession.destroy();
      }
    } finally {
      for (const s of sessions) s.destroy();
    }
    // The flood's seats and queue places are given back when its client goes.
    let ok = false;
    for (let i = 0; i < 50 && !ok; i++) {
      ok = (await c.req(flooder, 'GET', '/version')).status !== 429;
      if (!ok) await sleep(100);
    }
    assert.ok(ok, 'the flooder is served again once its connections are gone');
    const floodCms = (await c.req(admin, 'GET', '/api/v1/namespaces/default/configmaps')).json as {
      items: { metadata: { name: string } }[];
    };
    for (const cm of floodCms.items.filter((x) => x.metadata.name.startsWith('flood-')))
      await c.req(admin, 'DELETE', `/api/v1/namespaces/default/configmaps/${cm.metadata.name}`);
  }
  it('A3 an expired client certificate from the cluster CA is 401', async () => {
    const cred = await c.issue('expired-admin', ['kubeadm:cluster-admins'], {
      notBefore: new Date(Date.now() - 7200_000),
      notAfter: new Date(Date.now() - 3600_000),
    });
    expectStatus(await c.req(cred, 'GET', '/api/v1/secrets'), 401, 'Unauthorized');
  });
  it('A4 a not-yet-valid client certificate from the cluster CA is 401', async () => {
    const cred = await c.issue('future-admin', ['kubeadm:cluster-admins'], {
      notBefore: new Date(Date.now() + 3600_000),
      notAfter: new Date(Date.now() + 7200_000),
    });
    expectStatus(await c.req(cred, 'GET', '/api/v1/secrets'), 401, 'Unauthorized');
  });
  it('A5 a server-auth-only certificate is not a client credential (401)', async () => {
    const cred = await c.issue('server-as-client', ['kubeadm:cluster-admins'], { usage: 'server auth' });
    expectStatus(await c.req(cred, 'GET', '/api/v1/secrets'), 401, 'Unauthorized');
  });
  it('A6 front-proxy headers from an unauthenticated client are ignored', async () => {
    const r = await c.req({}, 'GET', '/api/v1/secrets', undefined, {
      'X-Remote-User': 'kubernetes-admin',
      'X-Remote-Group': 'system:masters',
    });
    expectStatus(r, 403, 'Forbidden', /User "system:anonymous"/);
  });
  it('A7 a forged service-account JWT (signed with another key) is 401', async () => {
    const header = Buffer.from(JSON.stringify({ alg: 'RS256', kid: 'x' })).toString('base64url');
    const claims = Buffer.from(
      JSON.stringify({
        iss: 'https://kubernetes.default.svc.cluster.local',
        sub: 'system:serviceaccount:kube-system:default',
        aud: ['https://kubernetes.default.svc.cluster.local'],
        exp: Math.floor(Date.now() / 1000) + 600,
      }),
    ).toString('base64url');
    expectStatus(
      await c.req(
        { token: `${header}.${claims}.${Buffer.from('sig').toString('base64url')}` },
        'GET',
        '/api/v1/secrets',
      ),
      401,
      'Unauthorized',
    );
  });

  it("A9 the apiserver's /debug/pprof is for cluster admins: 403 for a node, a profile for the admin", async () => {
    const denied = await c.req(node2.cred, 'GET', '/debug/pprof/cmdline');
    expectStatus(
      denied,
      403,
      'Forbidden',
      'forbidden: User "system:node:node2" cannot get path "/debug/pprof/cmdline"',
    );
    const ok = await c.req(admin, 'GET', '/debug/pprof/');
    assert.equal(ok.status, 200);
    assert.match(ok.text, /href='profile'/);
  });

  it("A10 the apiserver's log verbosity (PUT /debug/flags/v) is for cluster admins: 403 for a node", async () => {
    const denied = await c.req(node2.cred, 'PUT', '/debug/flags/v', '9');
    expectStatus(denied, 403, 'Forbidden', 'forbidden: User "system:node:node2" cannot put path "/debug/flags/v"');
    // The control: the admin may, and puts it back.
    for (const v of ['2', '0']) {
      const ok = await c.req(admin, 'PUT', '/debug/flags/v', v);
      assert.equal(ok.status, 200);
      assert.equal(ok.text, `successfully set klog.logging.verbosity to ${v}\n`);
    }
  });

  it("A8 the controller-manager's secure port believes X-Remote-* only from the front proxy's certificate", async () => {
    // The controller-manager serves a self-signed certificate (kubeadm's): -k, as kubeadm's probes do.
    const kcm = async (cred: Credential, headers: Record<string, string>) => {
      const args = ['-sk', '-o', '-', '-w', '\n%{http_code}', '--cert', cred.cert!, '--key', cred.key!];
      for (const [h, v] of Object.entries(headers)) args.push('-H', `${h}: ${v}`);
      const { stdout } = await new Promise<{ stdout: string }>((resolve, reject) =>
        execFile(
          'curl',
          [...args, `https://${c.controllerManager.host}:${c.controllerManager.port}/metrics`],
          { encoding: 'utf8' },
          (err, out) => (err ? reject(err) : resolve({ stdout: out })),
        ),
      );
      const at = stdout.lastIndexOf('\n');
      return { code: Number(stdout.slice(at + 1)), body: stdout.slice(0, at) };
    };
    const masters = { 'X-Remote-User': 'mallory', 'X-Remote-Group': 'system:masters' };
    const proxy = {
      cert: join(c.dir, 'pki', 'front-proxy-client.crt'),
      key: join(c.dir, 'pki', 'front-proxy-client.key'),
    };
    const asProxy = await kcm(proxy, masters);
    assert.equal(asProxy.code, 200, asProxy.body.slice(0, 200));
    // A cluster-CA client (a node) sending the same headers is itself, not mallory.
    const asNode = await kcm(c.nodes[0]!.cred, masters);
    assert.equal(asNode.code, 403, asNode.body);
    assert.match(asNode.body, /User \\"system:node:node1\\" cannot get path \\"\/metrics\\"/);
    // The front proxy's certificate without headers is no one the cluster CA knows: 401.
    assert.equal((await kcm(proxy, {})).code, 401);
  });

  // ---- bootstrap tokens --------------------------------------------------------------------------
  describe('bootstrap tokens', () => {
    before(async () => {
      const mk = async (id: string, secret: string, data: Record<string, string>, ns?: string) => {
        if (ns && ns !== 'kube-system')
          await c.req(admin, 'POST', `/api/v1/namespaces`, {
            apiVersion: 'v1',
            kind: 'Namespace',
            metadata: { name: ns },
          });
        const r = await c.req(
          admin,
          'POST',
          `/api/v1/namespaces/${ns ?? 'kube-system'}/secrets`,
          tokenSecret(id, secret, data, ns),
        );
        assert.equal(r.status, 201, r.text);
      };
      await mk('expird', '0123456789abcdef', {
        'usage-bootstrap-authentication': 'true',
        expiration: '2020-01-01T00:00:00Z',
      });
      await mk('nousag', '0123456789abcdef', { 'usage-bootstrap-signing': 'true' });
      await mk('wrngns', '0123456789abcdef', { 'usage-bootstrap-authentication': 'true' }, 'default');
      const mismatched = tokenSecret('mismat', '0123456789abcdef', { 'usage-bootstrap-authentication': 'true' });
      mismatched.data['token-id'] = b64('other1');
      assert.equal((await c.req(admin, 'POST', '/api/v1/namespaces/kube-system/secrets', mismatched)).status, 201);
    });
    const denied = async (token: string) => expectStatus(await c.req({ token }, 'GET', CSR_PATH), 401, 'Unauthorized');
    it('B1 a malformed token is 401', () => denied('not-a-token'));
    it('B2 an unknown token id is 401', () => denied('zzzzzz.0123456789abcdef'));
    it('B3 the right id with a wrong secret is 401', () =>
      denied(`${c.bootstrapToken.split('.')[0]}.ffffffffffffffff`));
    it('B4 an expired token is 401', () => denied('expird.0123456789abcdef'));
    it('B5 a token without usage-bootstrap-authentication is 401', () => denied('nousag.0123456789abcdef'));
    it('B6 a token Secret outside kube-system is 401', () => denied('wrngns.0123456789abcdef'));
    it('B7 a token Secret whose token-id does not match its name is 401', () => denied('mismat.0123456789abcdef'));
    it('B8 a valid token may create and read CSRs (the allowed scope)', async () => {
      const r = await c.req(
        { token: c.bootstrapToken },
        'POST',
        CSR_PATH,
        await csrBody('sec-b8', {
          cn: 'system:node:b8',
          orgs: ['system:nodes'],
          signer: 'kubernetes.io/kube-apiserver-client-kubelet',
          usages: ['digital signature', 'client auth'],
        }),
      );
      assert.equal(r.status, 201, r.text);
      assert.equal((await c.req({ token: c.bootstrapToken }, 'GET', `${CSR_PATH}/sec-b8`)).status, 200);
    });
    it('B9 a valid token cannot read kube-system secrets', async () => {
      expectStatus(
        await c.req({ token: c.bootstrapToken }, 'GET', '/api/v1/namespaces/kube-system/secrets'),
        403,
        'Forbidden',
        /User "system:bootstrap:[a-z0-9]{6}" cannot list resource "secrets"/,
      );
    });
    it('B10 a valid token cannot list nodes or create pods', async () => {
      expectStatus(await c.req({ token: c.bootstrapToken }, 'GET', '/api/v1/nodes'), 403, 'Forbidden');
      expectStatus(
        await c.req({ token: c.bootstrapToken }, 'POST', '/api/v1/namespaces/default/pods', {
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { name: 'x' },
          spec: { containers: [{ name: 'c', image: 'busybox' }] },
        }),
        403,
        'Forbidden',
      );
    });
    it('B11 a valid token cannot approve a CSR (no approve verb on any signer); the CSR stays pending', async () => {
      // Not a node name: nothing auto-approves it.
      const body = await csrBody('sec-b11', {
        cn: 'someone',
        orgs: ['system:nodes'],
        signer: 'kubernetes.io/kube-apiserver-client-kubelet',
        usages: ['digital signature', 'client auth'],
      });
      assert.equal((await c.req({ token: c.bootstrapToken }, 'POST', CSR_PATH, body)).status, 201);
      const cur = (await c.req(admin, 'GET', `${CSR_PATH}/sec-b11`)).json!;
      const r = await c.req({ token: c.bootstrapToken }, 'PUT', `${CSR_PATH}/sec-b11/approval`, {
        ...cur,
        status: { conditions: [{ type: 'Approved', status: 'True', reason: 'Self', message: 'me' }] },
      });
      expectStatus(r, 403, 'Forbidden', /cannot update resource "certificatesigningrequests\/approval"/);
      await sleep(500);
      assert.deepEqual(await conditionsOf('sec-b11'), []);
    });
    it('B12 a valid token cannot write a certificate into its CSR status', async () => {
      const cur = (await c.req(admin, 'GET', `${CSR_PATH}/sec-b11`)).json!;
      const r = await c.req({ token: c.bootstrapToken }, 'PUT', `${CSR_PATH}/sec-b11/status`, {
        ...cur,
        status: { certificate: b64('x') },
      });
      expectStatus(r, 403, 'Forbidden');
      assert.equal((await getCsr('sec-b11')).status?.certificate, undefined);
    });
  });

  // ---- CSR spoofing --------------------------------------------------------------------------------
  describe('CSR spoofing', () => {
    const clientSigner = 'kubernetes.io/kube-apiserver-client-kubelet';
    it('C1 node1 asking for a client certificate as node2 is never approved (it lacks nodeclient)', async () => {
      const r = await c.req(
        node1.cred,
        'POST',
        CSR_PATH,
        await csrBody('sec-c1', {
          cn: 'system:node:node2',
          orgs: ['system:nodes'],
          signer: clientSigner,
          usages: ['digital signature', 'client auth'],
        }),
      );
      assert.equal(r.status, 201, r.text);
      await sleep(1500);
      const csr = await getCsr('sec-c1');
      assert.deepEqual(csr.status?.conditions ?? [], []);
      assert.equal(csr.status?.certificate, undefined);
    });
    it('C2 O=system:masters through the kube-apiserver-client signer is refused at creation', async () => {
      const r = await c.req(
        { token: c.bootstrapToken },
        'POST',
        CSR_PATH,
        await csrBody('sec-c2', {
          cn: 'evil',
          orgs: ['system:masters'],
          signer: 'kubernetes.io/kube-apiserver-client',
          usages: ['digital signature', 'client auth'],
        }),
      );
      expectStatus(
        r,
        403,
        'Forbidden',
        /use of kubernetes.io\/kube-apiserver-client signer with system:masters group is not allowed/,
      );
      assert.equal((await c.req(admin, 'GET', `${CSR_PATH}/sec-c2`)).status, 404);
    });
    for (const [id, what, spec] of [
      [
        'C3',
        'O=system:masters next to system:nodes',
        {
          cn: 'system:node:c3',
          orgs: ['system:nodes', 'system:masters'],
          usages: ['digital signature', 'client auth'],
        },
      ],
      [
        'C4',
        'an extra server auth usage',
        { cn: 'system:node:c4', orgs: ['system:nodes'], usages: ['digital signature', 'client auth', 'server auth'] },
      ],
      [
        'C5',
        'a DNS SAN on a client CSR',
        {
          cn: 'system:node:c5',
          orgs: ['system:nodes'],
          usages: ['digital signature', 'client auth'],
          sans: { dnsNames: ['c5.example.com'] },
        },
      ],
    ] as const) {
      it(`${id} a kubelet client CSR with ${what} is not auto-approved, and the signer fails it even when approved`, async () => {
        const name = `sec-${id.toLowerCase()}`;
        const r = await c.req(
          { token: c.bootstrapToken },
          'POST',
          CSR_PATH,
          await csrBody(name, { ...spec, orgs: [...spec.orgs], usages: [...spec.usages], signer: clientSigner }),
        );
        assert.equal(r.status, 201, r.text);
        await sleep(1000);
        assert.deepEqual(await conditionsOf(name), [], 'the approver leaves it alone');
        await approveAsAdmin(name);
        const conds = await waitFor('signer verdict', async () => {
          const cs = await conditionsOf(name);
          return cs.some((x) => x.startsWith('Failed')) ? cs : undefined;
        });
        assert.deepEqual(conds, ['Approved/AdminSaysSo', 'Failed/SignerValidationFailure']);
        assert.equal((await getCsr(name)).status?.certificate, undefined);
      });
    }
    const servingSigner = 'kubernetes.io/kubelet-serving';
    for (const [id, what, spec, reason] of [
      [
        'C6',
        "another node's IP",
        { cn: 'system:node:node1', sans: { ipAddresses: ['NODE2'], dnsNames: ['node1'] } },
        'IPAddressNotOwnedByNode',
      ],
      [
        'C7',
        'a foreign DNS name',
        { cn: 'system:node:node1', sans: { ipAddresses: ['NODE1'], dnsNames: ['evil.example.com'] } },
        'DNSNameNotOwnedByNode',
      ],
      [
        'C8',
        "another node's name as CN",
        { cn: 'system:node:node2', sans: { ipAddresses: ['NODE2'] } },
        'CommonNameMismatch',
      ],
      [
        'C9',
        'a look-alike DNS prefix',
        { cn: 'system:node:node1', sans: { ipAddresses: ['NODE1'], dnsNames: ['node10'] } },
        'DNSNameNotOwnedByNode',
      ],
    ] as const) {
      it(`${id} a serving CSR from node1 for ${what} is Denied (${reason})`, async () => {
        const name = `sec-${id.toLowerCase()}`;
        const body = await csrBody(name, {
          cn: spec.cn,
          orgs: ['system:nodes'],
          sans: {
            ...spec.sans,
            ipAddresses: spec.sans.ipAddresses.map((ip) =>
              ip === 'NODE1' ? node1.ip : ip === 'NODE2' ? node2.ip : ip,
            ),
          } as SubjectAltNames,
          signer: servingSigner,
          usages: ['digital signature', 'server auth'],
        });
        assert.equal((await c.req(node1.cred, 'POST', CSR_PATH, body)).status, 201);
        const conds = await waitFor('denied', async () => {
          const cs = await conditionsOf(name);
          return cs.length ? cs : undefined;
        });
        assert.deepEqual(conds, [`Denied/${reason}`]);
        assert.equal((await getCsr(name)).status?.certificate, undefined);
      });
    }
    it('C10 node1 cannot approve its own pending CSR', async () => {
      const cur = (await c.req(admin, 'GET', `${CSR_PATH}/sec-c1`)).json!;
      const r = await c.req(node1.cred, 'PUT', `${CSR_PATH}/sec-c1/approval`, {
        ...cur,
        status: { conditions: [{ type: 'Approved', status: 'True', reason: 'Self', message: 'me' }] },
      });
      expectStatus(
        r,
        403,
        'Forbidden',
        /User "system:node:node1" cannot update resource "certificatesigningrequests\/approval"/,
      );
      assert.deepEqual(await conditionsOf('sec-c1'), []);
    });

    it("C11 the controller-manager's own identity cannot approve or sign: the controllers' roles are their ServiceAccounts'", async () => {
      // mkube up runs the controllers as kube-system/<controller> (--use-service-account-credentials),
      // so the kcm's client certificate, like upstream's, holds no CSR rights of its own.
      const kcm = await c.issue('system:kube-controller-manager', []);
      const cur = (await c.req(admin, 'GET', `${CSR_PATH}/sec-c1`)).json!;
      const approve = await c.req(kcm, 'PUT', `${CSR_PATH}/sec-c1/approval`, {
        ...cur,
        status: { conditions: [{ type: 'Approved', status: 'True', reason: 'Kcm', message: 'as the kcm' }] },
      });
      expectStatus(
        approve,
        403,
        'Forbidden',
        /User "system:kube-controller-manager" cannot update resource "certificatesigningrequests\/approval"/,
      );
      const sign = await c.req(kcm, 'PUT', `${CSR_PATH}/sec-c1/status`, { ...cur, status: { certificate: b64('x') } });
      expectStatus(
        sign,
        403,
        'Forbidden',
        /User "system:kube-controller-manager" cannot update resource "certificatesigningrequests\/status"/,
      );
      assert.deepEqual(await conditionsOf('sec-c1'), []);
      const sa = await c.req(admin, 'GET', '/api/v1/namespaces/kube-system/serviceaccounts/certificate-controller');
      assert.equal(sa.status, 200, 'the certificate controllers work as kube-system/certificate-controller');
    });
  });

  // ---- node isolation ------------------------------------------------------------------------------
  describe('node isolation', () => {
    it("N1 node1 cannot read a secret used only by node2's pod", async () => {
      expectStatus(
        await c.req(node1.cred, 'GET', '/api/v1/namespaces/default/secrets/node2-secret'),
        403,
        'Forbidden',
        /no relationship found between node 'node1' and this object/,
      );
    });
    it("N2 node1 cannot write node2's status; node2 is unchanged", async () => {
      const r = await c.req(
        node1.cred,
        'PATCH',
        '/api/v1/nodes/node2/status',
        { status: { conditions: [{ type: 'Ready', status: 'False' }] } },
        { 'content-type': 'application/merge-patch+json' },
      );
      expectStatus(r, 403, 'Forbidden');
      const now = (await c.req(admin, 'GET', '/api/v1/nodes/node2')).json as {
        status: { conditions: { type: string; status: string }[] };
      };
      assert.equal(now.status.conditions.find((x) => x.type === 'Ready')?.status, 'True');
    });
    it("N3 node1 cannot renew node2's Lease", async () => {
      const lease = (await c.req(admin, 'GET', '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/node2'))
        .json!;
      const r = await c.req(
        node1.cred,
        'PUT',
        '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/node2',
        lease,
      );
      expectStatus(r, 403, 'Forbidden');
    });
    it('N9 node1 lists only its own pods (spec.nodeName), never every pod, and reads no other Node; a review agrees', async () => {
      for (const path of ['/api/v1/pods', '/api/v1/pods?fieldSelector=spec.nodeName%3Dnode2']) {
        expectStatus(
          await c.req(node1.cred, 'GET', path),
          403,
          'Forbidden',
          /can only list\/watch pods with spec.nodeName field selector/,
        );
      }
      const own = await c.req(node1.cred, 'GET', '/api/v1/pods?fieldSelector=spec.nodeName%3Dnode1');
      assert.equal(own.status, 200, own.text);
      const items = (own.json as { items: { spec: { nodeName: string } }[] }).items;
      assert.ok(items.length > 0 && items.every((p) => p.spec.nodeName === 'node1'));
      expectStatus(
        await c.req(node1.cred, 'GET', '/api/v1/nodes/node2'),
        403,
        'Forbidden',
        /node 'node1' cannot read 'node2', only its own Node object/,
      );
      // A SubjectAccessReview with the same selector answers as the request: node2's pods refused.
      const review = async (rawSelector: string) =>
        (
          await c.req(admin, 'POST', '/apis/authorization.k8s.io/v1/subjectaccessreviews', {
            apiVersion: 'authorization.k8s.io/v1',
            kind: 'SubjectAccessReview',
            spec: {
              user: 'system:node:node1',
              groups: ['system:nodes', 'system:authenticated'],
              resourceAttributes: { verb: 'list', resource: 'pods', fieldSelector: { rawSelector } },
            },
          })
        ).json as { status: { allowed: boolean; reason?: string } };
      const other = await review('spec.nodeName=node2');
      assert.equal(other.status.allowed, false);
      assert.equal(other.status.reason, 'can only list/watch pods with spec.nodeName field selector');
      assert.equal((await review('spec.nodeName=node1')).status.allowed, true);
    });
    it('N4 node1 cannot give itself a node-restriction.kubernetes.io/ label', async () => {
      const r = await c.req(
        node1.cred,
        'PATCH',
        '/api/v1/nodes/node1',
        { metadata: { labels: { 'node-restriction.kubernetes.io/trusted': 'yes' } } },
        { 'content-type': 'application/merge-patch+json' },
      );
      expectStatus(r, 403, 'Forbidden', /is not allowed to modify labels: node-restriction.kubernetes.io\/trusted/);
      const n = (await c.req(admin, 'GET', '/api/v1/nodes/node1')).json as {
        metadata: { labels: Record<string, string> };
      };
      assert.equal(n.metadata.labels['node-restriction.kubernetes.io/trusted'], undefined);
    });
    it('N5 node1 cannot change its own taints', async () => {
      const r = await c.req(
        node1.cred,
        'PATCH',
        '/api/v1/nodes/node1',
        { spec: { taints: [{ key: 'x', effect: 'NoSchedule' }] } },
        { 'content-type': 'application/merge-patch+json' },
      );
      expectStatus(r, 403, 'Forbidden', /is not allowed to modify taints/);
    });
    it("N6 node1 cannot delete node2's pod; it keeps running", async () => {
      expectStatus(await c.req(node1.cred, 'DELETE', '/api/v1/namespaces/default/pods/on-node2'), 403, 'Forbidden');
      assert.equal((await c.req(admin, 'GET', '/api/v1/namespaces/default/pods/on-node2')).status, 200);
    });
    it('N7 node1 cannot create a pod that is not a mirror pod', async () => {
      const r = await c.req(node1.cred, 'POST', '/api/v1/namespaces/default/pods', {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'sneaky' },
        spec: { nodeName: 'node1', containers: [{ name: 'c', image: 'busybox' }] },
      });
      expectStatus(r, 403, 'Forbidden', /can only create mirror pods/);
    });
    it('N8 node1 cannot create a mirror pod bound to node2', async () => {
      const r = await c.req(node1.cred, 'POST', '/api/v1/namespaces/default/pods', {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'sneaky2', annotations: { 'kubernetes.io/config.mirror': 'x' } },
        spec: { nodeName: 'node2', containers: [{ name: 'c', image: 'busybox' }] },
      });
      expectStatus(r, 403, 'Forbidden', /can only create pods with spec.nodeName set to itself/);
    });
    it('N10 node2 cannot add an ephemeral container to its own pod (a process of its choosing in it); the admin can', async () => {
      const path = '/api/v1/namespaces/default/pods/on-node2/ephemeralcontainers';
      const debug = (name: string) => ({
        spec: { ephemeralContainers: [{ name, image: 'busybox', command: ['sh', '-c', 'exit 0'] }] },
      });
      const smp = { 'content-type': 'application/strategic-merge-patch+json' };
      const denied = /User "system:node:node2" cannot (patch|update) resource "pods\/ephemeralcontainers"/;
      expectStatus(await c.req(node2.cred, 'PATCH', path, debug('bynode'), smp), 403, 'Forbidden', denied);
      const pod = (await c.req(admin, 'GET', path)).json as { spec: { ephemeralContainers?: unknown[] } };
      pod.spec.ephemeralContainers = debug('bynode').spec.ephemeralContainers;
      expectStatus(await c.req(node2.cred, 'PUT', path, pod), 403, 'Forbidden', denied);
      // The control: the same patch from the admin is taken, and node2's kubelet runs it once.
      assert.equal((await c.req(admin, 'PATCH', path, debug('byadmin'), smp)).status, 200);
      let state: { terminated?: { exitCode: number } } | undefined;
      for (let i = 0; i < 100 && !state?.terminated; i++) {
        const now = (await c.req(admin, 'GET', '/api/v1/namespaces/default/pods/on-node2')).json as {
          spec: { ephemeralContainers?: { name: string }[] };
          status: { ephemeralContainerStatuses?: { name: string; state: typeof state }[] };
        };
        assert.deepEqual(
          now.spec.ephemeralContainers?.map((e) => e.name),
          ['byadmin'],
        );
        state = now.status.ephemeralContainerStatuses?.find((e) => e.name === 'byadmin')?.state;
        if (!state?.terminated) await sleep(200);
      }
      assert.equal(state?.terminated?.exitCode, 0);
      // Not even the admin gets one into a static pod (its mirror is not the pod the kubelet runs).
      expectStatus(
        await c.req(admin, 'PATCH', '/api/v1/namespaces/default/pods/hello-node1/ephemeralcontainers', debug('x'), smp),
        422,
        'Invalid',
        /static pods do not support ephemeral containers/,
      );
    });
  });

  // ---- the scheduler: who may place a pod ----------------------------------------------------------
  describe('scheduler', () => {
    let scheduler: Credential;
    type PodView = {
      spec: { nodeName?: string };
      status?: { phase?: string; conditions?: { type: string; status: string; reason?: string; message?: string }[] };
    };
    const podPath = (name: string) => `/api/v1/namespaces/default/pods/${name}`;
    const getPod = async (name: string) => (await c.req(admin, 'GET', podPath(name))).json as PodView;
    const createPod = async (name: string, spec: Record<string, unknown>) => {
      const r = await c.req(admin, 'POST', '/api/v1/namespaces/default/pods', {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name },
        spec: { containers: [{ name: 'main', image: 'busybox', command: ['sh', '-c', 'sleep 3600'] }], ...spec },
      });
      assert.equal(r.status, 201, r.text);
    };
    const binding = (pod: string, node: string) => ({
      apiVersion: 'v1',
      kind: 'Binding',
      metadata: { name: pod },
      target: { apiVersion: 'v1', kind: 'Node', name: node },
    });
    const eventsFor = async (pod: string) =>
      (
        (
          await c.req(
            admin,
            'GET',
            `/api/v1/namespaces/default/events?fieldSelector=${encodeURIComponent(`involvedObject.name=${pod}`)}`,
          )
        ).json as { items: { type: string; reason: string; message: string; source?: { component?: string } }[] }
      ).items;
    before(async () => {
      // The identity kubeadm's scheduler.conf carries.
      scheduler = await c.issue('system:kube-scheduler', []);
    });

    it('SC1 a pod without a node is placed by the scheduler on a Ready node, runs there, and a Scheduled event says where', async () => {
      await createPod('sched-free', {});
      const node = await waitFor(
        'the pod bound',
        async () => (await getPod('sched-free')).spec.nodeName || undefined,
        30_000,
      );
      assert.ok(['node1', 'node2'].includes(node), node);
      const scheduled = (await getPod('sched-free')).status?.conditions?.find((x) => x.type === 'PodScheduled');
      assert.equal(scheduled?.status, 'True');
      await waitFor(
        'the pod running',
        async () => ((await getPod('sched-free')).status?.phase === 'Running' ? true : undefined),
        30_000,
      );
      const ev = await waitFor('the Scheduled event', async () =>
        (await eventsFor('sched-free')).find((e) => e.reason === 'Scheduled'),
      );
      assert.equal(ev.type, 'Normal');
      assert.equal(ev.message, `Successfully assigned default/sched-free to ${node}`);
      assert.equal(ev.source?.component, 'default-scheduler');
      assert.equal((await c.req(admin, 'DELETE', podPath('sched-free'))).status, 200);
    });

    it('SC2 a node cannot bind a pending pod to itself (pods/binding nor the legacy bindings); the scheduler identity can, once', async () => {
      // Another scheduler's pod, so the default scheduler leaves it pending.
      await createPod('sched-held', { schedulerName: 'e2e-nobody' });
      expectStatus(
        await c.req(node1.cred, 'POST', `${podPath('sched-held')}/binding`, binding('sched-held', 'node1')),
        403,
        'Forbidden',
        /^pods "sched-held" is forbidden: User "system:node:node1" cannot create resource "pods\/binding" in API group "" in the namespace "default"/,
      );
      expectStatus(
        await c.req(node1.cred, 'POST', '/api/v1/namespaces/default/bindings', binding('sched-held', 'node1')),
        403,
        'Forbidden',
        /^bindings.* is forbidden: User "system:node:node1" cannot create resource "bindings" in API group "" in the namespace "default"/,
      );
      assert.equal((await getPod('sched-held')).spec.nodeName ?? '', '', 'still unbound');
      const ok = await c.req(scheduler, 'POST', `${podPath('sched-held')}/binding`, binding('sched-held', 'node2'));
      assert.equal(ok.status, 201, ok.text);
      assert.equal(ok.json?.status, 'Success');
      assert.equal((await getPod('sched-held')).spec.nodeName, 'node2');
      // Bound is bound: a second binding, to any node, is a conflict and changes nothing.
      expectStatus(
        await c.req(scheduler, 'POST', `${podPath('sched-held')}/binding`, binding('sched-held', 'node1')),
        409,
        'Conflict',
        /pod sched-held is already assigned to node "node2"/,
      );
      assert.equal((await getPod('sched-held')).spec.nodeName, 'node2');
      assert.equal((await c.req(admin, 'DELETE', podPath('sched-held'))).status, 200);
    });

    it('SC3 the scheduler identity reads no Secrets, creates no pods and writes no Nodes', async () => {
      expectStatus(
        await c.req(scheduler, 'GET', '/api/v1/namespaces/default/secrets/node2-secret'),
        403,
        'Forbidden',
        'secrets "node2-secret" is forbidden: User "system:kube-scheduler" cannot get resource "secrets" in API group "" in the namespace "default"',
      );
      const pod = {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'by-scheduler' },
        spec: { nodeName: 'node1', containers: [{ name: 'c', image: 'busybox' }] },
      };
      expectStatus(await c.req(scheduler, 'POST', '/api/v1/namespaces/default/pods', pod), 403, 'Forbidden');
      expectStatus(
        await c.req(
          scheduler,
          'PATCH',
          '/api/v1/nodes/node1',
          { metadata: { labels: { x: 'y' } } },
          { 'content-type': 'application/merge-patch+json' },
        ),
        403,
        'Forbidden',
      );
    });

    it("SC4 a pod no node fits stays Pending with upstream's FitError in its PodScheduled condition and a FailedScheduling event", async () => {
      await createPod('sched-nowhere', { nodeSelector: { 'e2e.mkube.io/nowhere': 'true' } });
      const want =
        "0/2 nodes are available: 2 node(s) didn't match Pod's node affinity/selector. preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling.";
      const cond = await waitFor(
        'the Unschedulable condition',
        async () =>
          (await getPod('sched-nowhere')).status?.conditions?.find(
            (x) => x.type === 'PodScheduled' && x.status === 'False',
          ),
        30_000,
      );
      assert.equal(cond.reason, 'Unschedulable');
      assert.equal(cond.message, want);
      const ev = await waitFor('the FailedScheduling event', async () =>
        (await eventsFor('sched-nowhere')).find((e) => e.reason === 'FailedScheduling'),
      );
      assert.equal(ev.type, 'Warning');
      assert.equal(ev.message, want);
      assert.equal((await getPod('sched-nowhere')).spec.nodeName ?? '', '');
      assert.equal((await c.req(admin, 'DELETE', podPath('sched-nowhere'))).status, 200);
    });

    it("SC5 the scheduler's secure port: /healthz for anyone, /metrics 403 for a node and 200 for the admin", async () => {
      const get = async (path: string, cred?: Credential) => {
        const args = ['-sk', '-o', '-', '-w', '\n%{http_code}'];
        if (cred) args.push('--cert', cred.cert!, '--key', cred.key!);
        const { stdout } = await new Promise<{ stdout: string }>((resolve, reject) =>
          execFile(
            'curl',
            [...args, `https://${c.scheduler.host}:${c.scheduler.port}${path}`],
            { encoding: 'utf8' },
            (err, out) => (err ? reject(err) : resolve({ stdout: out })),
          ),
        );
        const at = stdout.lastIndexOf('\n');
        return { code: Number(stdout.slice(at + 1)), body: stdout.slice(0, at) };
      };
      const health = await get('/healthz');
      assert.deepEqual(health, { code: 200, body: 'ok' });
      const anon = await get('/metrics');
      assert.equal(anon.code, 403, anon.body);
      const asNode = await get('/metrics', node1.cred);
      assert.equal(asNode.code, 403, asNode.body);
      assert.match(asNode.body, /User \\"system:node:node1\\" cannot get path \\"\/metrics\\"/);
      const asAdmin = await get('/metrics', admin);
      assert.equal(asAdmin.code, 200, asAdmin.body.slice(0, 200));
      assert.match(
        asAdmin.body,
        /^scheduler_schedule_attempts_total\{profile="default-scheduler",result="scheduled"\} [1-9]/m,
      );
    });
  });

  // ---- workloads: controllers create pods as their own ServiceAccounts; nodes may not drive them ---
  describe('workloads', () => {
    type Owned = {
      metadata: { name: string; ownerReferences?: { kind: string; name: string; controller?: boolean }[] };
      spec?: { nodeName?: string; containers?: { image?: string }[] };
      status?: { phase?: string };
    };
    const list = async (path: string) => ((await c.req(admin, 'GET', path)).json as { items: Owned[] }).items;
    const ownedBy = (o: Owned) => o.metadata.ownerReferences?.find((r) => r.controller);
    const podsOf = async (selector: string) =>
      list(`/api/v1/namespaces/default/pods?labelSelector=${encodeURIComponent(selector)}`);
    const ok = async (args: string[]) => {
      const r = await kubectlAsync(args);
      assert.equal(r.status, 0, `kubectl ${args.join(' ')}: ${r.stderr}${r.stdout}`);
      return r.stdout;
    };

    after(async () => {
      // The cases after these count pods and events per node: leave none of these behind.
      await kubectlAsync(['delete', 'daemonset/agent', 'job/hello', 'job/fails', '--ignore-not-found', '--wait=true']);
    });

    it('W1 kubectl create deployment → rollout status → pods Running on real kubelets, owned through a ReplicaSet', async () => {
      await ok([
        'create',
        'deployment',
        'web',
        '--image=busybox',
        '--replicas=2',
        '--',
        'sh',
        '-c',
        'echo serving; sleep 3600',
      ]);
      await ok(['rollout', 'status', 'deployment/web', '--timeout=90s']);
      const rss = await list('/apis/apps/v1/namespaces/default/replicasets?labelSelector=app%3Dweb');
      assert.equal(rss.length, 1);
      const rs = rss[0]!;
      assert.deepEqual(ownedBy(rs), { ...ownedBy(rs), kind: 'Deployment', name: 'web', controller: true });
      const pods = await podsOf('app=web');
      assert.equal(pods.length, 2);
      for (const p of pods) {
        assert.equal(ownedBy(p)?.kind, 'ReplicaSet');
        assert.equal(ownedBy(p)?.name, rs.metadata.name);
        assert.match(p.metadata.name, new RegExp(`^${rs.metadata.name}-[a-z0-9]{5}$`));
        assert.ok(['node1', 'node2'].includes(p.spec?.nodeName ?? ''), p.spec?.nodeName);
        assert.equal(p.status?.phase, 'Running');
      }
      // The log comes from a kubelet, through the apiserver's client certificate.
      await waitFor('deployment logs', async () =>
        /serving/.test((await kubectlAsync(['logs', 'deployment/web'])).stdout) ? true : undefined,
      );
      const cols = await ok(['get', 'deployment', 'web', '--no-headers']);
      assert.match(cols, /^web\s+2\/2\s+2\s+2\s+\S+\n$/);
    });

    it('W2 kubectl scale, set image, rollout history and undo drive the Deployment and its ReplicaSets', async () => {
      await ok(['scale', 'deployment/web', '--replicas=3']);
      await ok(['rollout', 'status', 'deployment/web', '--timeout=90s']);
      assert.equal((await podsOf('app=web')).filter((p) => p.status?.phase === 'Running').length, 3);
      await ok(['set', 'image', 'deployment/web', 'busybox=busybox:1.36']);
      await ok(['rollout', 'status', 'deployment/web', '--timeout=120s']);
      const rss = await list('/apis/apps/v1/namespaces/default/replicasets?labelSelector=app%3Dweb');
      assert.equal(rss.length, 2);
      const sizes = await ok([
        'get',
        'rs',
        '-l',
        'app=web',
        '-o',
        'jsonpath={range .items[*]}{.spec.template.spec.containers[0].image}={.spec.replicas} {end}',
      ]);
      assert.deepEqual(sizes.trim().split(' ').sort(), ['busybox:1.36=3', 'busybox=0']);
      await waitFor(
        'old pods gone',
        async () => {
          const pods = await podsOf('app=web');
          return pods.length === 3 && pods.every((p) => p.spec?.containers?.[0]?.image === 'busybox:1.36')
            ? true
            : undefined;
        },
        60_000,
      );
      assert.match(await ok(['rollout', 'history', 'deployment/web']), /^1\s.*\n2\s/m);
      await ok(['rollout', 'undo', 'deployment/web']);
      await ok(['rollout', 'status', 'deployment/web', '--timeout=120s']);
      const image = await ok(['get', 'deployment', 'web', '-o', 'jsonpath={.spec.template.spec.containers[0].image}']);
      assert.equal(image, 'busybox');
      const revision = await ok([
        'get',
        'deployment',
        'web',
        '-o',
        'jsonpath={.metadata.annotations.deployment\\.kubernetes\\.io/revision}',
      ]);
      assert.equal(revision, '3');
    });

    it('W3 a node cannot create, scale or write the status of a Deployment (403, nothing changed)', async () => {
      const create = await c.req(node1.cred, 'POST', '/apis/apps/v1/namespaces/default/deployments', {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'evil' },
        spec: {
          selector: { matchLabels: { app: 'evil' } },
          template: { metadata: { labels: { app: 'evil' } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } },
        },
      });
      expectStatus(
        create,
        403,
        'Forbidden',
        'deployments.apps is forbidden: User "system:node:node1" cannot create resource "deployments" in API group "apps" in the namespace "default"',
      );
      const scale = await c.req(
        node1.cred,
        'PATCH',
        '/apis/apps/v1/namespaces/default/deployments/web/scale',
        { spec: { replicas: 50 } },
        { 'content-type': 'application/merge-patch+json' },
      );
      expectStatus(
        scale,
        403,
        'Forbidden',
        'deployments.apps "web" is forbidden: User "system:node:node1" cannot patch resource "deployments/scale" in API group "apps" in the namespace "default"',
      );
      const status = await c.req(
        node1.cred,
        'PATCH',
        '/apis/apps/v1/namespaces/default/deployments/web/status',
        { status: { availableReplicas: 0 } },
        { 'content-type': 'application/merge-patch+json' },
      );
      expectStatus(status, 403, 'Forbidden', /cannot patch resource "deployments\/status"/);
      const scaled = (await c.req(admin, 'GET', '/apis/apps/v1/namespaces/default/deployments/web/scale')).json as {
        kind: string;
        apiVersion: string;
        spec: { replicas: number };
        status: { selector: string };
      };
      assert.deepEqual(
        [scaled.apiVersion, scaled.kind, scaled.spec.replicas, scaled.status.selector],
        ['autoscaling/v1', 'Scale', 3, 'app=web'],
      );
    });

    it('W4 a Job runs to completion on a kubelet and kubectl logs job/… reads it; a failing one stops at its backoffLimit', async () => {
      await ok(['create', 'job', 'hello', '--image=busybox', '--', 'sh', '-c', 'echo hello from a job']);
      await ok(['wait', '--for=condition=complete', 'job/hello', '--timeout=90s']);
      assert.equal(await ok(['logs', 'job/hello']), 'hello from a job\n');
      const job = (await c.req(admin, 'GET', '/apis/batch/v1/namespaces/default/jobs/hello')).json as {
        status: { succeeded?: number; failed?: number; completionTime?: string };
      };
      assert.equal(job.status.succeeded, 1);
      assert.ok(job.status.completionTime);
      const [pod] = await podsOf('batch.kubernetes.io/job-name=hello');
      assert.equal(pod?.status?.phase, 'Succeeded');
      assert.deepEqual((pod as { metadata: { finalizers?: string[] } }).metadata.finalizers ?? [], []);

      const failing = await c.req(admin, 'POST', '/apis/batch/v1/namespaces/default/jobs', {
        apiVersion: 'batch/v1',
        kind: 'Job',
        metadata: { name: 'fails' },
        spec: {
          backoffLimit: 0,
          template: {
            spec: {
              restartPolicy: 'Never',
              containers: [{ name: 'c', image: 'busybox', command: ['sh', '-c', 'exit 4'] }],
            },
          },
        },
      });
      assert.equal(failing.status, 201, failing.text);
      await ok(['wait', '--for=condition=failed', 'job/fails', '--timeout=90s']);
      const reason = await ok([
        'get',
        'job',
        'fails',
        '-o',
        'jsonpath={.status.conditions[?(@.type=="Failed")].reason}: {.status.conditions[?(@.type=="Failed")].message}',
      ]);
      assert.equal(reason, 'BackoffLimitExceeded: Job has reached the specified backoff limit');
    });

    it('W5 a DaemonSet runs one pod on each node, placed by the scheduler', async () => {
      const ds = await c.req(admin, 'POST', '/apis/apps/v1/namespaces/default/daemonsets', {
        apiVersion: 'apps/v1',
        kind: 'DaemonSet',
        metadata: { name: 'agent' },
        spec: {
          selector: { matchLabels: { app: 'agent' } },
          template: {
            metadata: { labels: { app: 'agent' } },
            spec: { containers: [{ name: 'agent', image: 'busybox', command: ['sh', '-c', 'sleep 3600'] }] },
          },
        },
      });
      assert.equal(ds.status, 201, ds.text);
      await ok(['rollout', 'status', 'daemonset/agent', '--timeout=90s']);
      const pods = await podsOf('app=agent');
      assert.deepEqual(pods.map((p) => p.spec?.nodeName).sort(), ['node1', 'node2']);
      assert.ok(pods.every((p) => p.status?.phase === 'Running' && ownedBy(p)?.kind === 'DaemonSet'));
    });

    it('W6 deleting the Deployment deletes its ReplicaSets and pods (garbage collector, background)', async () => {
      await ok(['delete', 'deployment', 'web', '--wait=false']);
      await waitFor('web pods gone', async () => ((await podsOf('app=web')).length === 0 ? true : undefined), 90_000);
      assert.equal((await list('/apis/apps/v1/namespaces/default/replicasets?labelSelector=app%3Dweb')).length, 0);
    });
  });

  // ---- RBAC escalation -----------------------------------------------------------------------------
  describe('RBAC escalation', () => {
    let mallory: Credential;
    before(async () => {
      mallory = await c.issue('mallory', ['devs']);
      const role = {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'Role',
        metadata: { name: 'rbac-writer', namespace: 'default' },
        rules: [
          {
            apiGroups: ['rbac.authorization.k8s.io'],
            resources: ['roles', 'rolebindings'],
            verbs: ['create', 'get', 'list'],
          },
          // R5: may patch ConfigMaps, never create them.
          { apiGroups: [''], resources: ['configmaps'], verbs: ['patch', 'get'] },
        ],
      };
      assert.equal(
        (await c.req(admin, 'POST', '/apis/rbac.authorization.k8s.io/v1/namespaces/default/roles', role)).status,
        201,
      );
      const rb = {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'RoleBinding',
        metadata: { name: 'mallory-rbac', namespace: 'default' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'rbac-writer' },
        subjects: [{ kind: 'User', name: 'mallory', apiGroup: 'rbac.authorization.k8s.io' }],
      };
      assert.equal(
        (await c.req(admin, 'POST', '/apis/rbac.authorization.k8s.io/v1/namespaces/default/rolebindings', rb)).status,
        201,
      );
    });
    it('R1 a user who may create Roles cannot create one granting what they lack', async () => {
      const r = await c.req(mallory, 'POST', '/apis/rbac.authorization.k8s.io/v1/namespaces/default/roles', {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'Role',
        metadata: { name: 'steal' },
        rules: [{ apiGroups: [''], resources: ['secrets'], verbs: ['get'] }],
      });
      expectStatus(r, 403, 'Forbidden', /is attempting to grant RBAC permissions not currently held/);
      assert.equal(
        (await c.req(admin, 'GET', '/apis/rbac.authorization.k8s.io/v1/namespaces/default/roles/steal')).status,
        404,
      );
    });
    it('R2 a user who may create RoleBindings cannot bind cluster-admin without bind', async () => {
      const r = await c.req(mallory, 'POST', '/apis/rbac.authorization.k8s.io/v1/namespaces/default/rolebindings', {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'RoleBinding',
        metadata: { name: 'steal' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' },
        subjects: [{ kind: 'User', name: 'mallory', apiGroup: 'rbac.authorization.k8s.io' }],
      });
      expectStatus(r, 403, 'Forbidden');
      assert.equal((await c.req(mallory, 'GET', '/api/v1/namespaces/default/secrets')).status, 403);
    });
    it('R3 without impersonate, Impersonate-* headers cannot make a user an admin, a node or a service account', async () => {
      const path = '/api/v1/namespaces/kube-system/secrets';
      for (const [headers, what] of [
        [
          { 'Impersonate-User': 'kubernetes-admin', 'Impersonate-Group': 'system:masters' },
          /users "kubernetes-admin" is forbidden: User "mallory" cannot impersonate resource "users"/,
        ],
        [
          { 'Impersonate-User': 'system:node:node1', 'Impersonate-Group': 'system:nodes' },
          /users "system:node:node1" is forbidden/,
        ],
        [
          { 'Impersonate-User': 'system:serviceaccount:kube-system:default' },
          /serviceaccounts "default" is forbidden: .* in the namespace "kube-system"/,
        ],
        [{ 'Impersonate-Group': 'system:masters' }, /without impersonating a user/],
      ] as const) {
        const r = await c.req(mallory, 'GET', path, undefined, { ...headers });
        assert.ok(r.status === 403 || r.status === 500, `${JSON.stringify(headers)}: ${r.status}`);
        assert.match(String(r.json?.message), what);
        assert.doesNotMatch(r.text, /"kind":"SecretList"/);
      }
      // The admin, who may impersonate, gets exactly the impersonated user's rights.
      const asMallory = await c.req(admin, 'GET', path, undefined, { 'Impersonate-User': 'mallory' });
      expectStatus(asMallory, 403, 'Forbidden', /User "mallory" cannot list resource "secrets"/);
    });
    it('R5 a user who may only patch cannot create through server-side apply', async () => {
      const path = '/api/v1/namespaces/default/configmaps/mallory-applied?fieldManager=mallory';
      const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'mallory-applied' }, data: { a: '1' } };
      const applyAs = (who: Credential) =>
        c.req(who, 'PATCH', path, cm, { 'content-type': 'application/apply-patch+yaml' });
      expectStatus(
        await applyAs(mallory),
        403,
        'Forbidden',
        /configmaps "mallory-applied" is forbidden: User "mallory" cannot create resource "configmaps"/,
      );
      assert.equal((await c.req(admin, 'GET', '/api/v1/namespaces/default/configmaps/mallory-applied')).status, 404);
      // Once it exists, the patch mallory holds is enough to apply to it.
      assert.equal((await applyAs(admin)).status, 201);
      const r = await c.req(
        mallory,
        'PATCH',
        `${path}&force=true`,
        { ...cm, data: { a: '2' } },
        {
          'content-type': 'application/apply-patch+yaml',
        },
      );
      assert.equal(r.status, 200, r.text);
      assert.equal((r.json as { data?: { a?: string } }).data?.a, '2');
    });
    it('R4 a user who may write admission policies cannot point one at Secrets it cannot read (paramKind, paramRef)', async () => {
      const cr = {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRole',
        metadata: { name: 'policy-writer' },
        rules: [
          {
            apiGroups: ['admissionregistration.k8s.io'],
            resources: ['validatingadmissionpolicies', 'validatingadmissionpolicybindings'],
            verbs: ['create', 'get'],
          },
        ],
      };
      const crb = {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRoleBinding',
        metadata: { name: 'mallory-policy-writer' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'policy-writer' },
        subjects: [{ kind: 'User', name: 'mallory', apiGroup: 'rbac.authorization.k8s.io' }],
      };
      assert.equal((await c.req(admin, 'POST', '/apis/rbac.authorization.k8s.io/v1/clusterroles', cr)).status, 201);
      assert.equal(
        (await c.req(admin, 'POST', '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings', crb)).status,
        201,
      );
      const vap = '/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicies';
      const policy = (name: string, paramKind?: unknown) => ({
        apiVersion: 'admissionregistration.k8s.io/v1',
        kind: 'ValidatingAdmissionPolicy',
        metadata: { name },
        spec: {
          ...(paramKind ? { paramKind } : {}),
          matchConstraints: {
            resourceRules: [
              { apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE'], resources: ['configmaps'] },
            ],
          },
          validations: [{ expression: 'true', ...(paramKind ? { messageExpression: 'string(params.data)' } : {}) }],
        },
      });
      const r = await c.req(mallory, 'POST', vap, policy('read-secrets', { apiVersion: 'v1', kind: 'Secret' }));
      expectStatus(
        r,
        422,
        'Invalid',
        /spec\.paramKind: Forbidden: user &\{mallory .*\} must have "get" permission on all objects of the referenced paramKind \(kind=Secret, apiVersion=v1\)/,
      );
      assert.equal((await c.req(admin, 'GET', `${vap}/read-secrets`)).status, 404);
      // The admin's policy may take Secrets; mallory still cannot bind it to one.
      assert.equal(
        (await c.req(admin, 'POST', vap, policy('admin-secrets', { apiVersion: 'v1', kind: 'Secret' }))).status,
        201,
      );
      const b = await c.req(
        mallory,
        'POST',
        '/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicybindings',
        {
          apiVersion: 'admissionregistration.k8s.io/v1',
          kind: 'ValidatingAdmissionPolicyBinding',
          metadata: { name: 'steal' },
          spec: {
            policyName: 'admin-secrets',
            validationActions: ['Deny'],
            paramRef: { name: 'token', namespace: 'kube-system', parameterNotFoundAction: 'Allow' },
          },
        },
      );
      expectStatus(
        b,
        422,
        'Invalid',
        /spec\.paramRef: Forbidden: .* does not have "get" permission on the object referenced by paramRef/,
      );
      // A policy without parameters is mallory's to write.
      const plain = await c.req(mallory, 'POST', vap, policy('plain'));
      assert.equal(plain.status, 201, plain.text);
    });
  });

  // ---- the kubelet's 10250 -------------------------------------------------------------------------
  describe('kubelet API', () => {
    const kreq = (cred: Credential, path: string, method = 'GET') =>
      httpsRequest(kubeletUrl(node1, path), { ...cred, caPem: c.caPem }, method);
    it('K1 no client certificate: 401 Unauthorized', async () => {
      const r = await kreq({}, '/pods');
      assert.equal(r.status, 401);
      assert.equal(r.text, 'Unauthorized');
    });
    it("K2 node2's certificate on node1's kubelet: 403 naming user, verb and subresource", async () => {
      const r = await kreq(node2.cred, '/pods');
      assert.equal(r.status, 403);
      assert.equal(
        r.text,
        'Forbidden (user=system:node:node2, verb=get, resource=nodes, subresource(s)=[pods proxy])\n',
      );
      const s = await kreq(node2.cred, '/stats/summary');
      assert.equal(s.text, 'Forbidden (user=system:node:node2, verb=get, resource=nodes, subresource(s)=[stats])\n');
      const m = await kreq(node2.cred, '/metrics/resource');
      assert.equal(m.text, 'Forbidden (user=system:node:node2, verb=get, resource=nodes, subresource(s)=[metrics])\n');
    });
    it('K3 a service-account token without nodes/proxy: 403', async () => {
      assert.equal(
        (
          await c.req(admin, 'POST', '/api/v1/namespaces/default/serviceaccounts', {
            apiVersion: 'v1',
            kind: 'ServiceAccount',
            metadata: { name: 'robot' },
          })
        ).status,
        201,
      );
      const tr = await c.req(admin, 'POST', '/api/v1/namespaces/default/serviceaccounts/robot/token', {
        apiVersion: 'authentication.k8s.io/v1',
        kind: 'TokenRequest',
        spec: { expirationSeconds: 600 },
      });
      const token = (tr.json as { status: { token: string } }).status.token;
      const r = await kreq({ token }, '/pods');
      assert.equal(r.status, 403);
      assert.equal(
        r.text,
        'Forbidden (user=system:serviceaccount:default:robot, verb=get, resource=nodes, subresource(s)=[pods proxy])\n',
      );
    });
    it('K4 a certificate from another CA: 401', async () => {
      assert.equal(
        (await kreq(await foreign('kube-apiserver-kubelet-client', ['kubeadm:cluster-admins']), '/pods')).status,
        401,
      );
    });
    it("K5 exec with node2's certificate is refused before the WebSocket upgrade", async () => {
      const err = await new Promise<string>((resolve) => {
        const ws = new WebSocket(
          kubeletUrl(node1, '/exec/default/hello-node1/hello?command=id&output=1'),
          ['v5.channel.k8s.io'],
          {
            ca: c.caPem,
            cert: node2.cred.cert ? readFileSync(node2.cred.cert, 'utf8') : undefined,
            key: readFileSync(node2.cred.key!, 'utf8'),
          },
        );
        ws.on('open', () => resolve('opened'));
        ws.on('error', (e) => resolve(e.message));
      });
      assert.equal(err, 'Unexpected server response: 403');
    });
    it("K7 attach and port-forward with node2's certificate are refused before the WebSocket upgrade", async () => {
      for (const [path, protocol] of [
        ['/attach/default/hello-node1/hello?output=1', 'v5.channel.k8s.io'],
        ['/portForward/default/hello-node1?port=80', 'portforward.mkube.io'],
      ] as const) {
        const err = await new Promise<string>((resolve) => {
          const ws = new WebSocket(kubeletUrl(node1, path), [protocol], {
            ca: c.caPem,
            cert: node2.cred.cert ? readFileSync(node2.cred.cert, 'utf8') : undefined,
            key: readFileSync(node2.cred.key!, 'utf8'),
          });
          ws.on('open', () => resolve('opened'));
          ws.on('error', (e) => resolve(e.message));
        });
        assert.equal(err, 'Unexpected server response: 403', path);
      }
    });
    it("K8 the legacy /run with no credentials or node2's certificate: 401 / 403, and the command never runs", async () => {
      const dir = mkdtempSync(join(tmpdir(), 'mkube-k8-'));
      const touch = (name: string) => `/run/default/hello-node1/hello?cmd=touch%20${join(dir, name)}`;
      try {
        assert.equal((await kreq({}, touch('anonymous'), 'POST')).status, 401);
        const r = await kreq(node2.cred, touch('node2'), 'POST');
        assert.equal(r.status, 403);
        assert.equal(
          r.text,
          'Forbidden (user=system:node:node2, verb=create, resource=nodes, subresource(s)=[proxy])\n',
        );
        // The control: an admin's request does run it, so the files' absence above means something.
        assert.equal((await kreq(admin, touch('admin'), 'POST')).status, 200);
        assert.deepEqual(readdirSync(dir), ['admin']);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
    it("K7 /debug/pprof (the kubelet's command line, profiles) is nodes/proxy: 403 for node2 and a plain token", async () => {
      const denied = await kreq(node2.cred, '/debug/pprof/cmdline');
      assert.equal(denied.status, 403);
      assert.equal(
        denied.text,
        'Forbidden (user=system:node:node2, verb=get, resource=nodes, subresource(s)=[proxy])\n',
      );
      const tr = await c.req(admin, 'POST', '/api/v1/namespaces/default/serviceaccounts/robot/token', {
        apiVersion: 'authentication.k8s.io/v1',
        kind: 'TokenRequest',
        spec: { expirationSeconds: 600 },
      });
      const token = (tr.json as { status: { token: string } }).status.token;
      assert.equal((await kreq({ token }, '/debug/pprof/heap')).status, 403);
      // The control: the cluster admin reads the kubelet's own command line.
      const ok = await kreq(admin, '/debug/pprof/cmdline');
      assert.equal(ok.status, 200);
      assert.match(ok.text.split('\0').join(' '), /mkube\.js kubelet .*--config=/);
    });
    it("K9 the kubelet's verbosity and /checkpoint: nodes/proxy and nodes/checkpoint, 403 for node2", async () => {
      const flags = await httpsRequest(
        kubeletUrl(node1, '/debug/flags/v'),
        { ...node2.cred, caPem: c.caPem },
        'PUT',
        '9',
      );
      assert.equal(flags.status, 403);
      assert.equal(
        flags.text,
        'Forbidden (user=system:node:node2, verb=update, resource=nodes, subresource(s)=[proxy])\n',
      );
      const ckpt = await kreq(node2.cred, '/checkpoint/default/on-node2/main', 'POST');
      assert.equal(ckpt.status, 403);
      assert.equal(
        ckpt.text,
        'Forbidden (user=system:node:node2, verb=create, resource=nodes, subresource(s)=[checkpoint])\n',
      );
      // The control: the cluster admin reaches both (and the runtime says it cannot checkpoint).
      const ok = await httpsRequest(kubeletUrl(node1, '/debug/flags/v'), { ...admin, caPem: c.caPem }, 'PUT', '0');
      assert.equal(ok.status, 200);
      assert.equal((await kreq(admin, '/checkpoint/default/nope/main', 'POST')).status, 404);
    });
    it("K10 an X.509 v1 certificate in the cluster CA's name, signed by another key: 401, not a reset", async () => {
      const cred = foreignV1('kube-apiserver-kubelet-client', ['kubeadm:cluster-admins']);
      // curl sends its request right behind the handshake, where a reset would show.
      const r = await curlAs(cred, kubeletUrl(node1, '/pods'));
      assert.equal(r.exit, 0, `curl exit ${r.exit}: ${r.stderr}`);
      assert.deepEqual([r.code, r.body], [401, 'Unauthorized']);
    });
    it('K11 no spelling of a path reaches a kubelet handler without authentication and authorization', async () => {
      // As Go's ServeMux, the unclean ones are redirected (301) to their clean path, which then meets
      // the filter like any other; the rest are 404 or go through the filter — never to the handler.
      const variants = [
        ...['/pods', '/pods/', '/pods?x=1', '/Pods', '//pods', '/pods%2F', '/./pods', '/%2e/pods', '/%70ods'],
        ...['/exec/../pods', '/runningpods/../pods', '/metrics/../pods', '/logs/../pods', '/pods/.', '/configz'],
        ...['/debug/pprof/../../pods', '/runningpods/', '/healthz/../configz', '/stats/../pods', '/checkpoint/../pods'],
      ];
      const ask = (path: string, cred?: Credential) => curlAs(cred, kubeletUrl(node1, path), ['--path-as-is']);
      for (const path of variants) {
        const anon = await ask(path);
        assert.ok([301, 401, 404].includes(anon.code), `${path} without credentials: ${anon.code} ${anon.body}`);
        const other = await ask(path, node2.cred);
        assert.ok([301, 403, 404].includes(other.code), `${path} as node2: ${other.code} ${other.body}`);
        if (anon.code === 301) assert.match(anon.body, /^<a href="\/[^".]*">Moved Permanently<\/a>\.\n\n$/, path);
        for (const b of [anon.body, other.body]) assert.doesNotMatch(b, /PodList|kubeletconfig|pprof/, path);
      }
      // The control: the apiserver's kubelet client reads the clean path.
      assert.match((await ask('/pods', admin)).body, /"kind":"PodList"/);
    });
    it('K6 the kubelet serves no read-only port (10255)', async () => {
      const r = await new Promise<string>((resolve) => {
        const s = connect({ host: node1.ip, port: 10255 }, () => resolve('open'));
        s.on('error', (e) => resolve((e as NodeJS.ErrnoException).code ?? 'error'));
      });
      assert.equal(r, 'ECONNREFUSED');
    });
  });

  // ---- the apiserver dialling kubelets ---------------------------------------------------------------
  describe('apiserver → kubelet', () => {
    const fakeNode = async (
      name: string,
      ip: string,
      pair: { cert: string; key: string },
      handler: (path: string) => { status: number; headers?: Record<string, string>; body: string },
    ) => {
      const port = await freePort();
      const srv = createHttpsServer(
        { cert: pair.cert, key: pair.key, requestCert: true, rejectUnauthorized: false },
        (req, res) => {
          const h = handler(req.url ?? '/');
          res.writeHead(h.status, h.headers ?? {});
          res.end(h.body);
        },
      );
      await new Promise<void>((r) => srv.listen(port, ip, () => r()));
      fakes.push(srv);
      const node = {
        apiVersion: 'v1',
        kind: 'Node',
        metadata: { name },
        status: {
          addresses: [{ type: 'InternalIP', address: ip }],
          daemonEndpoints: { kubeletEndpoint: { Port: port } },
        },
      };
      assert.equal((await c.req(admin, 'POST', '/api/v1/nodes', node)).status, 201);
      const pod = {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: `pod-${name}` },
        spec: { nodeName: name, containers: [{ name: 'main', image: 'busybox' }] },
      };
      assert.equal((await c.req(admin, 'POST', '/api/v1/namespaces/default/pods', pod)).status, 201);
    };
    const selfSigned = async () => {
      const { certPem, keyPem } = await CertificateAuthority.createSelfSigned({ commonName: 'fake-kubelet' });
      return { cert: certPem, key: keyPem };
    };
    const clusterServing = async (ip: string) => {
      const cred = await c.issue('system:node:fake', ['system:nodes'], { usage: 'server auth', ips: [ip] });
      return { cert: readFileSync(cred.cert!, 'utf8'), key: readFileSync(cred.key!, 'utf8') };
    };
    it('F1 a kubelet presenting a self-signed certificate: kubectl logs fails closed (unknown authority)', async () => {
      let hits = 0;
      const ip = c.hostAddress(1);
      await fakeNode('fake-selfsigned', ip, await selfSigned(), () => {
        hits++;
        return { status: 200, body: 'SHOULD NOT BE SEEN\n' };
      });
      const r = await kubectlAsync(['logs', 'pod-fake-selfsigned']);
      assert.notEqual(r.status, 0);
      assert.match(
        r.stderr,
        new RegExp(
          `Get "https://${ip.replace(/\./g, '\\.')}:\\d+/containerLogs/default/pod-fake-selfsigned/main": tls: failed to verify certificate: x509: certificate signed by unknown authority`,
        ),
      );
      assert.equal(hits, 0);
      assert.doesNotMatch(r.stdout, /SHOULD NOT BE SEEN/);
    });
    it("F2 a kubelet presenting a cluster-CA certificate for another IP: fails closed with Go's message", async () => {
      let hits = 0;
      const ip = c.hostAddress(2);
      await fakeNode('fake-wrongip', ip, await clusterServing('127.0.0.99'), () => {
        hits++;
        return { status: 200, body: 'SHOULD NOT BE SEEN\n' };
      });
      const r = await kubectlAsync(['logs', 'pod-fake-wrongip']);
      assert.notEqual(r.status, 0);
      assert.ok(r.stderr.includes(`x509: certificate is valid for 127.0.0.99, not ${ip}`), r.stderr);
      assert.equal(hits, 0);
    });
    it('F3 a kubelet answering with a redirect: the apiserver does not follow it (CVE-2020-8559)', async () => {
      let targetHits = 0;
      const target = createHttpServer((_req, res) => {
        targetHits++;
        res.end('secret-from-elsewhere');
      });
      const tport = await freePort();
      // The redirect target is where the apiserver could reach it.
      const ip = c.hostAddress(3);
      await new Promise<void>((r) => target.listen(tport, ip, () => r()));
      try {
        await fakeNode('fake-redirect', ip, await clusterServing(ip), () => ({
          status: 302,
          headers: { location: `http://${ip}:${tport}/steal` },
          body: '',
        }));
        const r = await c.req(admin, 'GET', '/api/v1/nodes/fake-redirect/proxy/anything');
        assert.equal(r.status, 302);
        await kubectlAsync(['logs', 'pod-fake-redirect']);
        await sleep(300);
        assert.equal(targetHits, 0, 'the redirect target was never contacted by the apiserver');
      } finally {
        target.close();
      }
    });
    it('F4 exec to a kubelet that fails TLS verification never upgrades the client', async () => {
      const r = await kubectlAsync(['exec', 'pod-fake-selfsigned', '--', 'true']);
      assert.notEqual(r.status, 0);
      assert.match(r.stderr, /error dialing backend: .*x509: certificate signed by unknown authority/);
    });
    it('F5 exec over SPDY (kubectl 1.27) and port-forward to that kubelet fail the same way, before any upgrade', async () => {
      const old = join(
        dirname(realpathSync(spawnSync('sh', ['-c', 'command -v kubectl'], { encoding: 'utf8' }).stdout.trim())),
        'kubectl.1.27',
      );
      const ex = await kubectlAsync(['exec', 'pod-fake-selfsigned', '--', 'true'], old);
      assert.notEqual(ex.status, 0);
      assert.match(ex.stderr, /error dialing backend: .*x509: certificate signed by unknown authority/);
      // kubectl port-forwards only to a Running pod: the fake kubelet never reports one.
      const path = '/api/v1/namespaces/default/pods/pod-fake-selfsigned';
      const pod = (await c.req(admin, 'GET', path)).json as Record<string, unknown>;
      const ran = await c.req(admin, 'PUT', `${path}/status`, { ...pod, status: { phase: 'Running' } });
      assert.equal(ran.status, 200, ran.text);
      const pf = await kubectlAsync(['port-forward', 'pod-fake-selfsigned', ':80'], old);
      assert.notEqual(pf.status, 0);
      assert.match(pf.stderr, /error dialing backend: .*x509: certificate signed by unknown authority/);
    });
  });

  // ---- 1.33's bound tokens, CONNECT admission, Pod Security, the TLS options, the kubelet's --config ----
  /** A command's exit code and output, stdin closed, without blocking the event loop. */
  const run = (bin: string, args: string[], timeout = 30_000) =>
    new Promise<{ status: number; stdout: string; stderr: string }>((resolve) => {
      const child = execFile(
        bin,
        args,
        { encoding: 'utf8', timeout, env: { ...process.env, HOME: work } },
        (err, stdout, stderr) =>
          resolve({ status: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr }),
      );
      child.stdin?.end();
    });
  const create = async (path: string, body: unknown) => {
    const r = await c.req(admin, 'POST', path, body);
    assert.equal(r.status, 201, r.text);
    return r.json as { metadata: { uid: string } };
  };
  const uidOf = async (path: string) =>
    ((await c.req(admin, 'GET', path)).json as { metadata: { uid: string } }).metadata.uid;
  const sleeper = (name: string, nodeName?: string, securityContext?: object) => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name },
    spec: {
      ...(nodeName ? { nodeName } : {}),
      containers: [
        { name: 'main', image: 'busybox', command: ['sh', '-c', 'while true; do sleep 1; done'], securityContext },
      ],
    },
  });
  /** A namespace with its `default` ServiceAccount (ServiceAccount admission refuses pods without it). */
  const namespace = async (name: string, labels: Record<string, string>) => {
    await create('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } });
    await waitFor(`${name}/default`, async () =>
      (await c.req(admin, 'GET', `/api/v1/namespaces/${name}/serviceaccounts/default`)).status === 200
        ? true
        : undefined,
    );
  };

  describe('bound service-account tokens', () => {
    type UserInfo = { username: string; extra?: Record<string, string[]> };
    /** A kubeconfig whose user is a bearer token in a file (0600, under the suite's temp folder). */
    const tokenKubeconfig = (name: string, token: string) => {
      const tokenFile = join(work, `${name}.token`);
      writeFileSync(tokenFile, token, { mode: 0o600 });
      const conf = join(work, `${name}.kubeconfig`);
      const kubeconfig = {
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [{ name: 'c', cluster: { server: c.server, 'certificate-authority-data': b64(c.caPem) } }],
        users: [{ name: 'u', user: { tokenFile } }],
        contexts: [{ name: 'x', context: { cluster: 'c', user: 'u' } }],
        'current-context': 'x',
      };
      writeFileSync(conf, JSON.stringify(kubeconfig), { mode: 0o600 });
      return conf;
    };
    const whoami = async (conf: string): Promise<UserInfo> => {
      const r = await run('kubectl', ['--kubeconfig', conf, 'auth', 'whoami', '-o', 'json']);
      assert.equal(r.status, 0, r.stderr);
      return (JSON.parse(r.stdout) as { status: { userInfo: UserInfo } }).status.userInfo;
    };
    /** The extras without credential-id, after checking it names the token's jti as upstream does. */
    const extrasOf = (u: UserInfo, token: string) => {
      const { jti } = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as { jti: string };
      const extra = { ...u.extra };
      assert.deepEqual(extra['authentication.kubernetes.io/credential-id'], [`JTI=${jti}`]);
      delete extra['authentication.kubernetes.io/credential-id'];
      return extra;
    };
    const unauthorized = async (what: string, token: string, conf: string) => {
      await waitFor(what, async () => {
        const r = await c.req({ token }, 'POST', '/apis/authentication.k8s.io/v1/selfsubjectreviews', {
          apiVersion: 'authentication.k8s.io/v1',
          kind: 'SelfSubjectReview',
        });
        return r.status === 401 ? true : undefined;
      });
      const r = await run('kubectl', ['--kubeconfig', conf, 'auth', 'whoami']);
      assert.equal(r.status, 1);
      assert.equal(r.stderr, 'error: You must be logged in to the server (Unauthorized)\n');
    };

    it('S1 the token the kubelet projects into a pod on node1 names pod and node, and is 401 once the pod is deleted', async () => {
      const pod = await create('/api/v1/namespaces/default/pods', sleeper('sec-s1', 'node1'));
      const uid = pod.metadata.uid;
      // Where node1's kubelet writes it: <root-dir>/pods/<ns>_<name>_<uid>/volumes/kube-api-access-<5>/token.
      const volumes = join(node1.rootDir, 'pods', `default_sec-s1_${uid}`, 'volumes');
      const tokenPath = await waitFor(
        'the kube-api-access token on node1',
        async () => {
          const v = existsSync(volumes)
            ? readdirSync(volumes).find((d) => /^kube-api-access-[a-z0-9]{5}$/.test(d))
            : '';
          return v && existsSync(join(volumes, v, 'token')) ? join(volumes, v, 'token') : undefined;
        },
        30_000,
      );
      const token = readFileSync(tokenPath, 'utf8');
      const conf = tokenKubeconfig('s1', token);
      const u = await whoami(conf);
      assert.equal(u.username, 'system:serviceaccount:default:default');
      assert.deepEqual(extrasOf(u, token), {
        'authentication.kubernetes.io/node-name': ['node1'],
        'authentication.kubernetes.io/node-uid': [await uidOf('/api/v1/nodes/node1')],
        'authentication.kubernetes.io/pod-name': ['sec-s1'],
        'authentication.kubernetes.io/pod-uid': [uid],
      });
      assert.equal((await c.req(admin, 'DELETE', '/api/v1/namespaces/default/pods/sec-s1')).status, 200);
      await unauthorized('the pod-bound token to be refused', token, conf);
      await waitFor('the token file to be removed from node1', async () => (existsSync(tokenPath) ? undefined : true));
    });

    it("S2 node1's credentials cannot get a token bound to node2's pod, an unbound one or a Node-bound one (403)", async () => {
      const own = await create('/api/v1/namespaces/default/pods', sleeper('sec-s2', 'node1'));
      const path = '/api/v1/namespaces/default/serviceaccounts/default/token';
      // An issued token never reaches a failure message.
      const request = async (boundObjectRef?: Record<string, string>): Promise<Reply> => {
        const r = await c.req(node1.cred, 'POST', path, {
          apiVersion: 'authentication.k8s.io/v1',
          kind: 'TokenRequest',
          spec: boundObjectRef ? { boundObjectRef } : {},
        });
        return { ...r, text: r.text.replace(/"token":"[^"]*"/g, '"token":"<redacted>"') };
      };
      // What node1's kubelet does, allowed (once the Node authorizer's graph has the pod): its own pod's token.
      await waitFor('a token for node1 bound to its own pod', async () =>
        (await request({ apiVersion: 'v1', kind: 'Pod', name: 'sec-s2', uid: own.metadata.uid })).status === 201
          ? true
          : undefined,
      );
      const node2Pod = await uidOf('/api/v1/namespaces/default/pods/on-node2');
      const node1Uid = await uidOf('/api/v1/nodes/node1');
      for (const [ref, message] of [
        [
          { apiVersion: 'v1', kind: 'Pod', name: 'on-node2', uid: node2Pod },
          'node requested token bound to a pod scheduled on a different node',
        ],
        [undefined, 'node requested token not bound to a pod'],
        [{ apiVersion: 'v1', kind: 'Node', name: 'node1', uid: node1Uid }, 'node requested token not bound to a pod'],
      ] as const) {
        expectStatus(await request(ref), 403, 'Forbidden', `serviceaccounts "default" is forbidden: ${message}`);
      }
      assert.equal((await c.req(admin, 'DELETE', '/api/v1/namespaces/default/pods/sec-s2')).status, 200);
    });

    it('S3 a token bound to a Node authenticates only while that Node (that uid) exists', async () => {
      const nodePath = '/api/v1/nodes/sec-s3';
      const nodeObj = { apiVersion: 'v1', kind: 'Node', metadata: { name: 'sec-s3' } };
      const node = await create('/api/v1/nodes', nodeObj);
      const t = await kubectlAsync([
        'create',
        'token',
        'default',
        '--bound-object-kind=Node',
        '--bound-object-name=sec-s3',
        '--duration=10m',
      ]);
      assert.equal(t.status, 0, t.stderr);
      const token = t.stdout.trim();
      const conf = tokenKubeconfig('s3', token);
      const u = await whoami(conf);
      assert.equal(u.username, 'system:serviceaccount:default:default');
      assert.deepEqual(extrasOf(u, token), {
        'authentication.kubernetes.io/node-name': ['sec-s3'],
        'authentication.kubernetes.io/node-uid': [node.metadata.uid],
      });
      assert.equal((await c.req(admin, 'DELETE', nodePath)).status, 200);
      await unauthorized('the Node-bound token to be refused', token, conf);
      // A Node of the same name again (another uid) does not bring the token back.
      await create('/api/v1/nodes', nodeObj);
      const again = await c.req({ token }, 'GET', '/api/v1/namespaces/default/pods');
      expectStatus(again, 401, 'Unauthorized');
      assert.equal((await c.req(admin, 'DELETE', nodePath)).status, 200);
    });
  });

  describe('admission', () => {
    const VAP = '/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicies';
    const VAPB = '/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicybindings';
    it('V1 a ValidatingAdmissionPolicy on pods/exec (CONNECT) refuses a shell in a labelled namespace; other commands still run', async () => {
      await namespace('sec-v1', { 'mkube-e2e/exec-policy': 'enforced' });
      await create('/api/v1/namespaces/sec-v1/pods', sleeper('v1-pod', 'node1'));
      await waitFor(
        'v1-pod Running',
        async () =>
          ((await c.req(admin, 'GET', '/api/v1/namespaces/sec-v1/pods/v1-pod')).json as { status?: { phase?: string } })
            .status?.phase === 'Running'
            ? true
            : undefined,
        30_000,
      );
      await create(VAP, {
        apiVersion: 'admissionregistration.k8s.io/v1',
        kind: 'ValidatingAdmissionPolicy',
        metadata: { name: 'sec-v1-no-shell' },
        spec: {
          failurePolicy: 'Fail',
          matchConstraints: {
            resourceRules: [
              { apiGroups: [''], apiVersions: ['v1'], operations: ['CONNECT'], resources: ['pods/exec'] },
            ],
          },
          validations: [
            {
              expression: "!(object.command[0] in ['sh', 'bash'])",
              messageExpression: "'no shell in ' + request.namespace + ': ' + object.command[0]",
            },
          ],
        },
      });
      await create(VAPB, {
        apiVersion: 'admissionregistration.k8s.io/v1',
        kind: 'ValidatingAdmissionPolicyBinding',
        metadata: { name: 'sec-v1-no-shell-binding' },
        spec: {
          policyName: 'sec-v1-no-shell',
          validationActions: ['Deny'],
          matchResources: { namespaceSelector: { matchLabels: { 'mkube-e2e/exec-policy': 'enforced' } } },
        },
      });
      const denied =
        "ValidatingAdmissionPolicy 'sec-v1-no-shell' with binding 'sec-v1-no-shell-binding' denied request: no shell in sec-v1: sh";
      const execPath = (cmd: string[]) =>
        `/api/v1/namespaces/sec-v1/pods/v1-pod/exec?${cmd.map((x) => `command=${encodeURIComponent(x)}`).join('&')}&stdout=true`;
      const exec = (ns: string, pod: string, cmd: string[]) => kubectlAsync(['exec', '-n', ns, pod, '--', ...cmd]);
      try {
        // The policy reaches the apiserver's watch-fed cache: admitted before anything is dialled, 422 Invalid.
        const r = await waitFor('the policy to apply', async () => {
          const r = await c.req(admin, 'POST', execPath(['sh', '-c', 'id']));
          return r.status === 400 ? undefined : r;
        });
        expectStatus(r, 422, 'Invalid', `pods "v1-pod" is forbidden: ${denied}`);
        const sh = await exec('sec-v1', 'v1-pod', ['sh', '-c', 'echo hi']);
        assert.equal(sh.status, 1);
        assert.equal(sh.stdout, '');
        assert.equal(sh.stderr, `The pods "v1-pod" is invalid: : ${denied}\n`);
        // Any other command is admitted (the raw request gets as far as the upgrade) and runs end to end.
        expectStatus(await c.req(admin, 'POST', execPath(['id'])), 400, 'BadRequest', 'Upgrade request required');
        const expr = await exec('sec-v1', 'v1-pod', ['expr', '6', '*', '7']);
        assert.equal(expr.status, 0, expr.stderr);
        assert.equal(expr.stdout, '42\n');
        const ls = await exec('sec-v1', 'v1-pod', ['ls', '/nonexistent-v1']);
        assert.equal(ls.status, 2, ls.stderr);
        assert.match(ls.stderr, /command terminated with exit code 2\n$/);
        // Outside the binding's namespaces a shell still runs.
        const elsewhere = await exec('default', 'hello-node1', ['sh', '-c', 'echo elsewhere; exit 4']);
        assert.equal(elsewhere.status, 4, elsewhere.stderr);
        assert.equal(elsewhere.stdout, 'elsewhere\n');
      } finally {
        await c.req(admin, 'DELETE', `${VAPB}/sec-v1-no-shell-binding`);
        await c.req(admin, 'DELETE', `${VAP}/sec-v1-no-shell`);
      }
      const back = await waitFor('the policy to be gone', async () => {
        const r = await exec('sec-v1', 'v1-pod', ['sh', '-c', 'echo back']);
        return r.status === 0 ? r : undefined;
      });
      assert.equal(back.stdout, 'back\n');
    });

    it("PS1 Pod Security: a privileged pod in an enforce=restricted namespace is 403 with upstream's message", async () => {
      await namespace('sec-ps1', { 'pod-security.kubernetes.io/enforce': 'restricted' });
      const pods = '/api/v1/namespaces/sec-ps1/pods';
      expectStatus(
        await c.req(admin, 'POST', pods, sleeper('ps1-privileged', 'node1', { privileged: true })),
        403,
        'Forbidden',
        'pods "ps1-privileged" is forbidden: violates PodSecurity "restricted:latest": ' +
          'privileged (container "main" must not set securityContext.privileged=true), ' +
          'allowPrivilegeEscalation != false (container "main" must set securityContext.allowPrivilegeEscalation=false), ' +
          'unrestricted capabilities (container "main" must set securityContext.capabilities.drop=["ALL"]), ' +
          'runAsNonRoot != true (pod or container "main" must set securityContext.runAsNonRoot=true), ' +
          'seccompProfile (pod or container "main" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")',
      );
      assert.equal((await c.req(admin, 'GET', `${pods}/ps1-privileged`)).status, 404);
      // The same pod as restricted wants it is admitted (left unscheduled: the process kubelet would run it as root).
      await create(
        pods,
        sleeper('ps1-restricted', undefined, {
          allowPrivilegeEscalation: false,
          capabilities: { drop: ['ALL'] },
          runAsNonRoot: true,
          seccompProfile: { type: 'RuntimeDefault' },
        }),
      );
    });
  });

  describe('TLS versions and the kubelet configuration file', () => {
    const sClient = (host: string, port: number, version: string) =>
      run(
        'openssl',
        ['s_client', '-connect', `${host}:${port}`, `-${version}`, '-cipher', 'DEFAULT:@SECLEVEL=0'],
        10_000,
      );
    it('T1 every TLS port (apiserver, controller-manager, metrics-server, each kubelet) refuses TLS 1.0 and 1.1 and speaks TLS 1.2', async () => {
      // The client does offer the old versions: a server that allows them negotiates each one.
      const { certPem, keyPem } = await CertificateAuthority.createSelfSigned({ commonName: 'tls-control' });
      const control = createTlsServer(
        { cert: certPem, key: keyPem, minVersion: 'TLSv1', ciphers: 'DEFAULT:@SECLEVEL=0' },
        (s) => s.end(),
      );
      await new Promise<void>((r) => control.listen(0, '127.0.0.1', () => r()));
      try {
        const port = (control.address() as AddressInfo).port;
        for (const [v, protocol] of [
          ['tls1', 'TLSv1'],
          ['tls1_1', 'TLSv1.1'],
        ] as const) {
          const r = await sClient('127.0.0.1', port, v);
          assert.equal(r.status, 0, r.stderr);
          assert.ok(
            r.stdout.split('\n').some((l) => l.trim() === `Protocol  : ${protocol}`),
            r.stdout,
          );
        }
      } finally {
        control.close();
      }
      const targets: [string, string, number][] = [
        ['apiserver', new URL(c.server).hostname, c.port],
        ['controller-manager', c.controllerManager.host, c.controllerManager.port],
        ...(c.metricsServer
          ? [['metrics-server', c.metricsServer.host, c.metricsServer.port] as [string, string, number]]
          : []),
        ...c.nodes.map((n): [string, string, number] => [`kubelet ${n.name}`, n.ip, c.kubeletPort]),
      ];
      for (const [what, host, port] of targets) {
        for (const v of ['tls1', 'tls1_1']) {
          const r = await sClient(host, port, v);
          assert.equal(r.status, 1, `${what} -${v}`);
          // The server's protocol_version alert (70), received: not a client unable to offer the version.
          assert.match(r.stderr, /:tlsv1 alert protocol version:.*SSL alert number 70$/m, `${what} -${v}: ${r.stderr}`);
          assert.match(r.stdout, /New, \(NONE\), Cipher is \(NONE\)/, `${what} -${v}`);
        }
        const ok = await sClient(host, port, 'tls1_2');
        assert.equal(ok.status, 0, `${what}: ${ok.stderr}`);
        assert.match(ok.stdout, /New, TLSv1\.2, Cipher is ECDHE-/, what);
      }
    });

    it('T2 the kubelets run from their KubeletConfiguration: /configz shows anonymous off and Webhook authorization', async () => {
      type Configz = {
        kubeletconfig: {
          authentication?: { anonymous?: { enabled?: boolean }; webhook?: { enabled?: boolean } };
          authorization?: { mode?: string };
          readOnlyPort?: number;
          rotateCertificates?: boolean;
          serverTLSBootstrap?: boolean;
          staticPodPath?: string;
        };
      };
      for (const n of c.nodes) {
        const r = await c.req(admin, 'GET', `/api/v1/nodes/${n.name}/proxy/configz`);
        assert.equal(r.status, 200, r.text);
        const kc = (r.json as Configz).kubeletconfig;
        assert.equal(kc.authentication?.anonymous?.enabled, false, n.name);
        assert.equal(kc.authentication?.webhook?.enabled, true, n.name);
        assert.equal(kc.authorization?.mode, 'Webhook', n.name);
        assert.equal(kc.readOnlyPort, 0, n.name);
        // Only the file sets these (v1beta1 defaults them to false and none; no flag names them).
        assert.equal(kc.rotateCertificates, true, n.name);
        assert.equal(kc.serverTLSBootstrap, true, n.name);
        assert.match(String(kc.staticPodPath), /\/manifests$/, n.name);
        const anon = await httpsRequest(kubeletUrl(n, '/configz'), { caPem: c.caPem });
        assert.equal(anon.status, 401, n.name);
        assert.equal(anon.text, 'Unauthorized');
      }
      // A node's credentials reach no kubelet's configz through the apiserver.
      expectStatus(
        await c.req(node1.cred, 'GET', '/api/v1/nodes/node2/proxy/configz'),
        403,
        'Forbidden',
        'nodes "node2" is forbidden: User "system:node:node1" cannot get resource "nodes/proxy" in API group "" at the cluster scope',
      );
    });
  });

  // ---- joining ---------------------------------------------------------------------------------------
  it('D1 a bootstrap join with a wrong CA pin stops before sending the token: no CSR, no kubeconfig', async () => {
    const before = (await c.req(admin, 'GET', CSR_PATH)).json as { items: unknown[] };
    const root = join(work, 'join-wrong-pin');
    const r = spawnSync(
      process.execPath,
      [
        MKUBE_BIN,
        'kubelet',
        `--server=${c.server}`,
        `--bootstrap-token=${c.bootstrapToken}`,
        `--discovery-token-ca-cert-hash=sha256:${'ab'.repeat(32)}`,
        `--bootstrap-kubeconfig=${join(root, 'b.conf')}`,
        `--kubeconfig=${join(root, 'k.conf')}`,
        `--root-dir=${root}`,
        '--address=127.0.0.30',
        '--port=0',
      ],
      { cwd: REPO_ROOT, encoding: 'utf8', timeout: 60_000 },
    );
    assert.equal(r.status, 1, r.stderr);
    assert.match(
      r.stderr,
      /cluster CA found in cluster-info ConfigMap is invalid: none of the public keys "sha256:[0-9a-f]{64}" are pinned/,
    );
    assert.equal(existsSync(join(root, 'b.conf')), false);
    assert.equal(existsSync(join(root, 'k.conf')), false);
    const afterList = (await c.req(admin, 'GET', CSR_PATH)).json as { items: unknown[] };
    assert.equal(afterList.items.length, before.items.length);
  });

  // ---- TLS surface -----------------------------------------------------------------------------------
  it('H1 2,000 handshakes with random SNI leave the serving certificates unchanged', async () => {
    const fingerprint = (host: string, port: number, servername: string) =>
      new Promise<string>((resolve, reject) => {
        const s = connect({ host, port, servername, ca: c.caPem, checkServerIdentity: () => undefined }, () => {
          const fp = s.getPeerCertificate().fingerprint256;
          s.destroy();
          resolve(fp);
        });
        s.on('error', reject);
      });
    const targets = [
      { host: new URL(c.server).hostname, port: c.port },
      { host: node1.ip, port: c.kubeletPort },
    ];
    const before = await Promise.all(targets.map((t) => fingerprint(t.host, t.port, 'kubernetes')));
    const deadline = Date.now() + 60_000;
    let done = 0;
    const seen = new Set<string>();
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (done < 2000 && Date.now() < deadline) {
          done++;
          const t = targets[done % 2]!;
          const sni = `${Math.random().toString(36).slice(2)}.evil.example`;
          seen.add(`${t.host}:${await fingerprint(t.host, t.port, sni)}`);
        }
      }),
    );
    assert.ok(done >= 2000, `${done} handshakes in the time limit`);
    assert.deepEqual([...seen].sort(), targets.map((t, i) => `${t.host}:${before[i]}`).sort());
  });

  // ---- last: nothing secret in any log ---------------------------------------------------------------
  it('L1 no token, secret or private key appears in any daemon log at the highest verbosity', async () => {
    const logs = `${c.logs()}\n${c.output()}`;
    assert.ok(logs.length > 10_000, 'the logs are verbose');
    const tokenSecretPart = c.bootstrapToken.split('.')[1]!;
    for (const needle of [
      tokenSecretPart,
      '0123456789abcdef',
      'hunter2-very-secret',
      'PRIVATE KEY',
      'Bearer ',
      'eyJhbGciOi',
    ]) {
      assert.equal(logs.includes(needle), false, `"${needle}" appears in a log`);
    }
  });
});
