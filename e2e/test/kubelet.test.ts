// The whole path as separate processes, as on separate machines: `mkube apiserver`,
// `mkube controller-manager` and `mkube kubelet` joined by token discovery (`mkube token create
// --print-join-command`). Then, with the real kubectl and curl: the node Ready with certificates
// openssl verifies, 10250's authn/authz, `kubectl logs -f` and `kubectl exec` through the apiserver
// to a process pod (exit code 3), a kill -9 and restart of the kubelet, and the apiserver failing
// closed once its kubelet CA is wrong.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { encodePrivateKeyPem, generateKeyPair } from '@mkube/shared/pki';
import { CertificateFileStore } from '../../kubelet/src/certificate/store.ts';
import {
  type Apiserver,
  cleanup,
  curl,
  type Daemon,
  freePort,
  kubectl,
  kubectlBinary,
  makePki,
  type Pki,
  runMkube,
  startApiserver,
  startDaemon,
  tempDir,
  waitFor,
} from '../src/harness.ts';
import { issueWindow } from '../src/window.ts';

const POD = `apiVersion: v1
kind: Pod
metadata:
  name: counter
  namespace: default
spec:
  nodeName: e2e-node
  containers:
  - name: main
    image: busybox
    command: ["sh", "-c", "i=0; while true; do echo tick $i; i=$((i+1)); sleep 0.2; done"]
`;

function apiFlags(pki: Pki, kubeletCA = pki.caCrt): string[] {
  return [
    '--authorization-mode=Node,RBAC',
    '--enable-admission-plugins=NodeRestriction',
    '--enable-bootstrap-token-auth',
    `--kubelet-client-certificate=${pki.path('pki/apiserver-kubelet-client.crt')}`,
    `--kubelet-client-key=${pki.path('pki/apiserver-kubelet-client.key')}`,
    `--kubelet-certificate-authority=${kubeletCA}`,
    '--kubelet-preferred-address-types=InternalIP,Hostname',
  ];
}

describe('kubelet process: join, 10250, logs and exec through the apiserver', () => {
  let pki: Pki;
  let work: string;
  let api: Apiserver;
  let kcm: Daemon;
  let kubelet: Daemon;
  let port: number;
  let kubeletPort: number;
  let joinArgs: string[];
  const root = () => join(work, 'node');
  /** A SPDY upgrade POST to a pod subresource as the holder of `cert` (a combined PEM). */
  const spdyUpgradeAs = (cert: string, podPath: string, protocol: string) =>
    curl(pki, [
      '-s',
      '--http1.1',
      '-X',
      'POST',
      '-H',
      'Connection: Upgrade',
      '-H',
      'Upgrade: SPDY/3.1',
      '-H',
      `X-Stream-Protocol-Version: ${protocol}`,
      '--cert',
      cert,
      `${api.url}/api/v1/namespaces/default/pods/${podPath}`,
    ]);
  /** `mkube kubelet` joining by token discovery as `name`, its files under `dir`. */
  const joinArgsFor = (name: string, dir: string, p: number | string = 0) => [
    'kubelet',
    ...joinArgs,
    `--bootstrap-kubeconfig=${join(dir, 'bootstrap-kubelet.conf')}`,
    `--kubeconfig=${join(dir, 'kubelet.conf')}`,
    `--root-dir=${dir}`,
    `--hostname-override=${name}`,
    '--node-ip=127.0.0.1',
    '--address=127.0.0.1',
    `--port=${p}`,
    `--client-ca-file=${pki.caCrt}`,
    '--rotate-server-certificates',
  ];
  const kubeletArgs = () => joinArgsFor('e2e-node', root(), kubeletPort);
  const readyOf = (name: string) =>
    kubectl(pki.adminConf, ['get', 'node', name, '-o', 'jsonpath={.status.conditions[?(@.type=="Ready")].status}'])
      .stdout === 'True';
  const nodeReady = () => readyOf('e2e-node');
  const startKcm = () =>
    startDaemon([
      'controller-manager',
      '--secure-port=0',
      `--kubeconfig=${pki.path('controller-manager.conf')}`,
      `--cluster-signing-cert-file=${pki.caCrt}`,
      `--cluster-signing-key-file=${pki.path('pki/ca.key')}`,
      '--use-service-account-credentials=true',
      '--controllers=*,bootstrapsigner,tokencleaner',
      '--leader-elect=false',
    ]);

  before(async () => {
    port = await freePort();
    kubeletPort = await freePort();
    pki = makePki(port);
    work = tempDir('kubelet');
    mkdirSync(root());
    api = await startApiserver(pki, port, join(work, 'data'), apiFlags(pki));
    kcm = startKcm();
    // kubeadm's cluster-info: the CA and server, signed per token by the bootstrap signer.
    const info = join(work, 'cluster-info.conf');
    writeFileSync(
      info,
      `apiVersion: v1\nkind: Config\nclusters:\n- name: ""\n  cluster:\n    certificate-authority-data: ${Buffer.from(readFileSync(pki.caCrt)).toString('base64')}\n    server: ${api.url}\ncontexts: []\ncurrent-context: ""\npreferences: {}\nusers: []\n`,
    );
    const cm = kubectl(pki.adminConf, [
      'create',
      'configmap',
      'cluster-info',
      '-n',
      'kube-public',
      `--from-file=kubeconfig=${info}`,
    ]);
    assert.equal(cm.status, 0, cm.stderr);
    const tok = runMkube(['token', 'create', '--print-join-command', `--kubeconfig=${pki.adminConf}`]);
    assert.equal(tok.status, 0, tok.stderr);
    const line = tok.stdout.trim();
    assert.match(
      line,
      /^mkube kubelet --server=https:\/\/127\.0\.0\.1:\d+ --bootstrap-token=[a-z0-9]{6}\.[a-z0-9]{16} --discovery-token-ca-cert-hash=sha256:[0-9a-f]{64}$/,
    );
    joinArgs = line.split(' ').slice(2);
    kubelet = startDaemon(kubeletArgs());
    await waitFor(nodeReady, 30_000, () => `node not Ready:\n${kubelet.logs().slice(-3000)}`);
  });

  after(async () => {
    await kubelet?.stop();
    await kcm?.stop();
    await api?.stop();
    cleanup(work, pki?.dir);
  });

  it('joined by token discovery: both certificates from the cluster CA, the serving one with the IP SAN', () => {
    for (const f of ['kubelet-client-current.pem', 'kubelet-server-current.pem']) {
      const file = join(root(), 'pki', f);
      const verify = spawnSyncText('openssl', ['verify', '-CAfile', pki.caCrt, file]);
      assert.match(verify, /: OK$/m);
    }
    const text = spawnSyncText('openssl', [
      'x509',
      '-noout',
      '-text',
      '-in',
      join(root(), 'pki', 'kubelet-server-current.pem'),
    ]);
    assert.match(text, /IP Address:127\.0\.0\.1/);
    assert.match(text, /DNS:e2e-node/);
    assert.match(text, /Subject: O\s?=\s?system:nodes, CN\s?=\s?system:node:e2e-node/);
  });

  it('10250: no certificate 401, another node 403, the apiserver-kubelet-client 200', () => {
    const url = `https://127.0.0.1:${kubeletPort}/pods`;
    const none = curl(pki, ['-s', '-o', '/dev/null', '-w', '%{http_code}', url]);
    assert.equal(none.stdout, '401');
    const other = runMkube([
      'kubeconfig',
      'user',
      '--client-name=system:node:intruder',
      '--org=system:nodes',
      `--dir=${pki.dir}`,
      `--server=${api.url}`,
    ]);
    assert.equal(other.status, 0, other.stderr);
    const cert = /client-certificate-data: (\S+)/.exec(other.stdout)![1]!;
    const key = /client-key-data: (\S+)/.exec(other.stdout)![1]!;
    writeFileSync(join(work, 'intruder.crt'), Buffer.from(cert, 'base64'));
    writeFileSync(join(work, 'intruder.key'), Buffer.from(key, 'base64'), { mode: 0o600 });
    const intruder = curl(pki, [
      '-s',
      '-w',
      '\n%{http_code}',
      '--cert',
      join(work, 'intruder.crt'),
      '--key',
      join(work, 'intruder.key'),
      url,
    ]);
    assert.equal(
      intruder.stdout,
      'Forbidden (user=system:node:intruder, verb=get, resource=nodes, subresource(s)=[pods proxy])\n\n403',
    );
    const ok = curl(pki, [
      '-s',
      '-o',
      '/dev/null',
      '-w',
      '%{http_code}',
      '--cert',
      pki.path('pki/apiserver-kubelet-client.crt'),
      '--key',
      pki.path('pki/apiserver-kubelet-client.key'),
      url,
    ]);
    assert.equal(ok.stdout, '200');
  });

  it('kubectl logs and logs -f reach a process pod through the apiserver', async () => {
    const podFile = join(work, 'pod.yaml');
    writeFileSync(podFile, POD);
    assert.equal(kubectl(pki.adminConf, ['apply', '-f', podFile]).status, 0);
    await waitFor(
      () => kubectl(pki.adminConf, ['get', 'pod', 'counter', '-o', 'jsonpath={.status.phase}']).stdout === 'Running',
      20_000,
      () => `pod not Running:\n${kubelet.logs().slice(-2000)}`,
    );
    await waitFor(
      () => /tick 2/.test(kubectl(pki.adminConf, ['logs', 'counter']).stdout),
      10_000,
      () => 'no log lines',
    );
    const tail = kubectl(pki.adminConf, ['logs', 'counter', '--tail=1']);
    assert.match(tail.stdout, /^tick \d+\n$/);
    // -f keeps streaming: lines written after the command started arrive.
    const ticksOf = (out: string): number[] => [...out.matchAll(/tick (\d+)/g)].map((m) => Number(m[1]));
    const seen = await followUntil(
      pki.adminConf,
      ['logs', '-f', 'counter', '--tail=1'],
      (out) => ticksOf(out).length >= 4,
      20_000,
    );
    const ticks = ticksOf(seen);
    assert.ok(ticks.length >= 4, `followed lines: ${JSON.stringify(seen)}`);
    assert.deepEqual(
      ticks,
      ticks.map((_, i) => ticks[0]! + i),
      'consecutive lines, as the pod wrote them',
    );
  });

  it('kubectl exec runs in the pod and reports exit code 3', () => {
    const r = kubectl(pki.adminConf, ['exec', 'counter', '--', 'sh', '-c', 'echo hi; exit 3']);
    assert.equal(r.status, 3, r.stderr);
    assert.equal(r.stdout, 'hi\n');
    const it = kubectl(pki.adminConf, ['exec', '-i', 'counter', '--', 'sh', '-c', 'read x; echo got $x'], {
      input: 'stdin-line\n',
    });
    assert.equal(it.status, 0, it.stderr);
    assert.equal(it.stdout, 'got stdin-line\n');
  });

  it('kubectl exec -it on a real terminal (script(1) gives kubectl a pty): output and exit code 3', () => {
    const cmd = `kubectl --kubeconfig ${pki.adminConf} exec -it counter -- sh -c 'echo hi; exit 3'`;
    const r = spawnSync('script', ['-qec', cmd, '/dev/null'], {
      encoding: 'utf8',
      input: '',
      timeout: 30_000,
      env: { ...process.env, HOME: work },
    });
    assert.equal(r.status, 3, `${r.stdout}${r.stderr}`);
    assert.match(r.stdout, /hi\r?\n/);
    assert.match(r.stdout, /command terminated with exit code 3/);
  });

  it('kubectl over SPDY (1.27, and 1.33 with WebSockets off): output, stderr, stdin, 880 kB, exit codes', () => {
    const old = kubectlBinary('1.27');
    assert.ok(old, 'kubectl.1.27 sits beside kubectl');
    // -v=6 logs the upgrade: a POST answered 101 is SPDY (the WebSocket upgrade is a GET).
    const r = kubectl(pki.adminConf, ['-v=6', 'exec', 'counter', '--', 'sh', '-c', 'echo hi; echo err >&2; exit 3'], {
      bin: old,
    });
    assert.equal(r.status, 3, r.stderr);
    assert.equal(r.stdout, 'hi\n');
    assert.match(r.stderr, /POST\W.*\/exec\?.*101 Switching Protocols/);
    assert.match(r.stderr, /^err$/m);
    assert.match(r.stderr, /command terminated with exit code 3/);
    const it = kubectl(pki.adminConf, ['exec', '-i', 'counter', '--', 'sh', '-c', 'read x; read y; echo got $x $y'], {
      bin: old,
      input: 'one\ntwo\n',
    });
    assert.equal(it.status, 0, it.stderr);
    assert.equal(it.stdout, 'got one two\n');
    // Far past SPDY's 64 KiB initial window: kubectl's spdystream never sends WINDOW_UPDATE.
    const big = kubectl(pki.adminConf, ['exec', 'counter', '--', 'sh', '-c', 'yes 0123456789 | head -n 80000'], {
      bin: old,
    });
    assert.equal(big.status, 0, big.stderr);
    assert.equal(big.stdout, '0123456789\n'.repeat(80_000));
    const forced = kubectl(pki.adminConf, ['-v=6', 'exec', 'counter', '--', 'sh', '-c', 'echo via-spdy; exit 4'], {
      env: { KUBECTL_REMOTE_COMMAND_WEBSOCKETS: 'false' },
    });
    assert.equal(forced.status, 4, forced.stderr);
    assert.equal(forced.stdout, 'via-spdy\n');
    assert.match(forced.stderr, /POST\W.*\/exec\?.*101 Switching Protocols/);
  });

  it('exec over SPDY is authorized as create pods/exec and negotiated as the kubelet does', () => {
    const url = `${api.url}/api/v1/namespaces/default/pods/counter/exec?command=true&stdout=true`;
    const spdy = ['-s', '--http1.1', '-X', 'POST', '-H', 'Connection: Upgrade', '-H', 'Upgrade: SPDY/3.1'];
    // The node the pod runs on may read the pod, not exec into it.
    const nodeCert = join(root(), 'pki', 'kubelet-client-current.pem');
    const node = curl(pki, [...spdy, '-H', 'X-Stream-Protocol-Version: v4.channel.k8s.io', '--cert', nodeCert, url]);
    const denied = JSON.parse(node.stdout) as { code: number; message: string };
    assert.equal(denied.code, 403);
    assert.match(denied.message, /User "system:node:e2e-node" cannot create resource "pods\/exec"/);
    const admin = [
      '--cert',
      pki.path('pki/apiserver-kubelet-client.crt'),
      '--key',
      pki.path('pki/apiserver-kubelet-client.key'),
    ];
    const noVersion = JSON.parse(curl(pki, [...spdy, ...admin, url]).stdout) as { code: number; message: string };
    assert.deepEqual(
      [noVersion.code, noVersion.message],
      [400, 'unable to upgrade: X-Stream-Protocol-Version is required'],
    );
    const unknown = JSON.parse(
      curl(pki, [...spdy, ...admin, '-H', 'X-Stream-Protocol-Version: v9.channel.k8s.io', url]).stdout,
    ) as { code: number; message: string };
    assert.equal(unknown.code, 403);
    assert.match(unknown.message, /unable to negotiate protocol: client supports \[v9\.channel\.k8s\.io\]/);
  });

  it('kubectl attach streams the running process from now on (WebSocket and SPDY) and ends when it exits', async () => {
    const ticksOf = (out: string): number[] => [...out.matchAll(/tick (\d+)/g)].map((m) => Number(m[1]));
    const before = Math.max(...ticksOf(kubectl(pki.adminConf, ['logs', 'counter']).stdout));
    for (const bin of ['kubectl', kubectlBinary('1.27')!]) {
      const seen = ticksOf(
        await followUntil(pki.adminConf, ['attach', 'counter'], (o) => ticksOf(o).length >= 3, 20_000, bin),
      );
      assert.ok(seen.length >= 3, `${bin}: ${JSON.stringify(seen)}`);
      assert.deepEqual(
        seen,
        seen.map((_, i) => seen[0]! + i),
        `${bin}: consecutive lines`,
      );
      assert.ok(seen[0]! > before, `${bin}: no scrollback (first ${seen[0]}, logs had ${before})`);
    }
    const brief = join(work, 'brief.yaml');
    writeFileSync(
      brief,
      POD.replace('name: counter', 'name: brief')
        .replace(/command: .*/, 'command: ["sh", "-c", "sleep 4; echo bye; exit 0"]')
        .replace('  containers:', '  restartPolicy: Never\n  containers:'),
    );
    assert.equal(kubectl(pki.adminConf, ['apply', '-f', brief]).status, 0);
    await waitFor(
      () => kubectl(pki.adminConf, ['get', 'pod', 'brief', '-o', 'jsonpath={.status.phase}']).stdout === 'Running',
      20_000,
      () => 'brief pod not Running',
    );
    const r = kubectl(pki.adminConf, ['attach', 'brief']);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, 'bye\n');
    const node = spdyUpgradeAs(
      join(root(), 'pki', 'kubelet-client-current.pem'),
      'counter/attach?stdout=true',
      'v4.channel.k8s.io',
    );
    assert.match(JSON.parse(node.stdout).message, /cannot create resource "pods\/attach"/);
  });

  it('kubectl port-forward (1.33 through its WebSocket tunnel, 1.27 over SPDY): 3 MB intact, parallel connections, refusals', async () => {
    const webPort = await freePort();
    const web = join(work, 'web.yaml');
    writeFileSync(
      web,
      POD.replace('name: counter', 'name: web').replace(
        /command: .*/,
        `command: ["sh", "-c", "head -c 3000000 /dev/urandom > big.bin && sha256sum big.bin > big.sum && exec python3 -m http.server ${webPort} --bind 127.0.0.1"]`,
      ),
    );
    assert.equal(kubectl(pki.adminConf, ['apply', '-f', web]).status, 0);
    await waitFor(
      async () => (await fetch(`http://127.0.0.1:${webPort}/big.sum`).catch(() => undefined))?.status === 200,
      20_000,
      () => 'web pod not serving',
    );
    const sum = (await (await fetch(`http://127.0.0.1:${webPort}/big.sum`)).text()).split(' ')[0];
    const sha = (b: ArrayBuffer) => createHash('sha256').update(Buffer.from(b)).digest('hex');
    for (const [bin, upgrade] of [
      ['kubectl', /verb="GET" url="\S+\/portforward" status="101 Switching Protocols"/],
      [kubectlBinary('1.27')!, /POST \S+\/portforward 101 Switching Protocols/],
    ] as const) {
      const pf = await portForward(pki.adminConf, bin, ['-v=6', 'pod/web', `:${webPort}`, ':1']);
      try {
        assert.match(pf.stderr(), upgrade, `${bin} upgraded as expected`);
        const [local, closed] = pf.ports;
        const bodies = await Promise.all(
          [0, 1, 2].map(async () => sha(await (await fetch(`http://127.0.0.1:${local}/big.bin`)).arrayBuffer())),
        );
        assert.deepEqual(bodies, [sum, sum, sum], bin);
        // Nothing listens on port 1 in the pod: the kubelet's error comes back on the error stream.
        await fetch(`http://127.0.0.1:${closed}/`).then(
          () => assert.fail('a refused port answered'),
          () => undefined,
        );
        await waitFor(
          () =>
            /an error occurred forwarding \d+ -> 1: error forwarding port 1 to pod web, uid [-0-9a-f]+: .*connection refused/.test(
              pf.stderr(),
            ),
          10_000,
          () => `${bin}: no refusal in ${pf.stderr()}`,
        );
      } finally {
        pf.stop();
      }
    }
    const node = spdyUpgradeAs(
      join(root(), 'pki', 'kubelet-client-current.pem'),
      'web/portforward',
      'portforward.k8s.io',
    );
    assert.match(JSON.parse(node.stdout).message, /cannot create resource "pods\/portforward"/);
  });

  it('kill -9 at any point of a bootstrap, then a restart, ends Ready', async () => {
    const crashRoot = join(work, 'crash-node');
    mkdirSync(crashRoot);
    const args = () => joinArgsFor('e2e-crash', crashRoot);
    // Kill points spread over the whole bootstrap (process start to serving takes about a second).
    for (const delay of [150, 600, 900, 1200, 1600, 2200]) {
      const d = startDaemon(args());
      await new Promise((r) => setTimeout(r, delay));
      await d.kill9();
    }
    const last = startDaemon(args());
    try {
      await waitFor(
        () => readyOf('e2e-crash'),
        30_000,
        () => last.logs().slice(-3000),
      );
      for (const f of ['kubelet-client-current.pem', 'kubelet-server-current.pem']) {
        assert.match(spawnSyncText('openssl', ['verify', '-CAfile', pki.caCrt, join(crashRoot, 'pki', f)]), /: OK$/m);
      }
      // Never a 0-byte or half-written PEM, whatever the kill point.
      for (const f of readdirSync(join(crashRoot, 'pki'))) {
        const text = readFileSync(join(crashRoot, 'pki', f), 'utf8');
        assert.ok(text.length > 0 && /-----END [A-Z ]+-----\n$/.test(text), `${f} is whole`);
      }
    } finally {
      await last.stop();
    }
  });

  it('kill -9 around a client certificate rotation, then a restart, ends Ready on a valid certificate', async () => {
    const crashRoot = join(work, 'crash-node');
    const pkiDir = join(crashRoot, 'pki');
    // A client certificate that lives 10 s (the controller-manager never issues one under 10
    // minutes): the kubelet rotates it 7-9 s after its notBefore. Kill it before, around and after.
    const key = await generateKeyPair();
    const notBefore = new Date(Date.now() - 1000);
    const pem = await issueWindow(
      pki.caCrt,
      pki.path('pki/ca.key'),
      key,
      'system:node:e2e-crash',
      ['system:nodes'],
      notBefore,
      new Date(notBefore.getTime() + 10_000),
    );
    await new CertificateFileStore(pkiDir, 'kubelet-client', { info: () => {}, warn: () => {} }).update(
      pem,
      encodePrivateKeyPem(key),
    );
    const start = Date.now();
    for (const at of [5000, 7500, 8500]) {
      const d = startDaemon(joinArgsFor('e2e-crash', crashRoot));
      await new Promise((r) => setTimeout(r, Math.max(300, start + at - Date.now())));
      await d.kill9();
    }
    const last = startDaemon(joinArgsFor('e2e-crash', crashRoot));
    try {
      await waitFor(
        () =>
          /node is Ready/.test(last.logs()) &&
          /: OK$/m.test(
            spawnSyncText('openssl', ['verify', '-CAfile', pki.caCrt, join(pkiDir, 'kubelet-client-current.pem')]),
          ),
        40_000,
        () => last.logs().slice(-3000),
      );
      const cert = spawnSyncText('openssl', [
        'x509',
        '-noout',
        '-enddate',
        '-in',
        join(pkiDir, 'kubelet-client-current.pem'),
      ]);
      const notAfter = Date.parse(cert.replace('notAfter=', '').trim());
      assert.ok(notAfter > Date.now() + 3600_000, `a new, long-lived client certificate: ${cert}`);
      for (const f of readdirSync(pkiDir)) {
        const text = readFileSync(join(pkiDir, f), 'utf8');
        assert.ok(text.length > 0 && /-----END [A-Z ]+-----\n$/.test(text), `${f} is whole`);
      }
    } finally {
      await last.stop();
    }
  });

  it('kill -9 of the apiserver and then of the controller-manager in the middle of a bootstrap: the node ends Ready, nothing lost', async () => {
    const root = join(work, 'chaos-node');
    mkdirSync(root);
    const marker = kubectl(pki.adminConf, ['create', 'configmap', 'chaos-marker', '--from-literal=k=v']);
    assert.equal(marker.status, 0, marker.stderr);
    const csrsBefore = kubectl(pki.adminConf, ['get', 'csr', '-o', 'name']).stdout.trim().split('\n');
    const node = startDaemon(joinArgsFor('e2e-chaos', root));
    try {
      // The apiserver dies while the kubelet is starting its bootstrap, and comes back on the same data.
      await new Promise((r) => setTimeout(r, 700));
      await api.kill9();
      await new Promise((r) => setTimeout(r, 1000));
      api = await startApiserver(pki, port, api.dataDir, apiFlags(pki));
      // Then the controller-manager dies before it could approve everything, and comes back.
      await kcm.kill9();
      await new Promise((r) => setTimeout(r, 1000));
      kcm = startKcm();
      await waitFor(
        () => readyOf('e2e-chaos'),
        60_000,
        () => `${node.logs().slice(-3000)}\n--- kcm:\n${kcm.logs().slice(-1500)}`,
      );
      // Nothing written before the crashes is lost; every CSR there was is still there.
      assert.equal(kubectl(pki.adminConf, ['get', 'cm', 'chaos-marker', '-o', 'jsonpath={.data.k}']).stdout, 'v');
      const csrsAfter = kubectl(pki.adminConf, ['get', 'csr', '-o', 'name']).stdout.trim().split('\n');
      for (const name of csrsBefore) assert.ok(csrsAfter.includes(name), `${name} survived`);
      assert.ok(nodeReady(), 'the first node is still Ready');
    } finally {
      await node.stop();
    }
  });

  it('after kill -9 and restart the kubelet is Ready again on its stored certificates (no new CSR)', async () => {
    const before = kubectl(pki.adminConf, ['get', 'csr', '-o', 'name']).stdout.trim().split('\n').length;
    await kubelet.kill9();
    kubelet = startDaemon(kubeletArgs());
    await waitFor(
      () => /kubelet server listening/.test(kubelet.logs()) && /node is Ready/.test(kubelet.logs()),
      30_000,
      () => kubelet.logs().slice(-2000),
    );
    assert.ok(nodeReady());
    assert.match(kubelet.logs(), /using the existing kubeconfig/);
    const afterCount = kubectl(pki.adminConf, ['get', 'csr', '-o', 'name']).stdout.trim().split('\n').length;
    assert.equal(afterCount, before);
    await waitFor(
      () => /tick/.test(kubectl(pki.adminConf, ['logs', 'counter', '--tail=1']).stdout),
      20_000,
      () => 'pod not back',
    );
  });

  it('fails closed when the apiserver does not trust the kubelet serving certificate', async () => {
    await api.stop();
    // Any other CA: the front-proxy CA that pki init wrote.
    api = await startApiserver(pki, port, api.dataDir, apiFlags(pki, pki.path('pki/front-proxy-ca.crt')));
    const logs = kubectl(pki.adminConf, ['logs', 'counter', '--tail=1']);
    assert.notEqual(logs.status, 0);
    assert.match(logs.stderr, /x509: certificate signed by unknown authority/);
    const exec = kubectl(pki.adminConf, ['exec', 'counter', '--', 'true']);
    assert.notEqual(exec.status, 0);
    assert.match(exec.stderr, /error dialing backend: .*x509: certificate signed by unknown authority/);
  });
});

function spawnSyncText(bin: string, args: string[]): string {
  const r = spawnSync(bin, args, { encoding: 'utf8' });
  return `${r.stdout}${r.stderr}`;
}

/** Runs kubectl for `ms` and returns what it printed (then kills it). */
/** Runs kubectl until its output satisfies `enough` or `maxMs` passes (a busy machine starts it slowly). */
/** `kubectl port-forward` running: the local ports it chose, in the order asked, and its stderr so far. */
async function portForward(
  kubeconfig: string,
  bin: string,
  args: string[],
): Promise<{ ports: number[]; stderr(): string; stop(): void }> {
  const p = spawn(bin, ['--kubeconfig', kubeconfig, 'port-forward', '--address=127.0.0.1', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  p.stdout.on('data', (d) => {
    out += d;
  });
  p.stderr.on('data', (d) => {
    err += d;
  });
  const want = args.filter((a) => a.includes(':')).length;
  const ports = () => [...out.matchAll(/Forwarding from 127\.0\.0\.1:(\d+)/g)].map((m) => Number(m[1]));
  await waitFor(
    () => ports().length >= want,
    20_000,
    () => `port-forward did not start: ${out}${err}`,
  );
  return { ports: ports(), stderr: () => err, stop: () => p.kill('SIGTERM') };
}

function followUntil(
  kubeconfig: string,
  args: string[],
  enough: (out: string) => boolean,
  maxMs: number,
  bin = 'kubectl',
): Promise<string> {
  return new Promise((resolve) => {
    const p = spawn(bin, ['--kubeconfig', kubeconfig, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d) => {
      out += d;
      if (enough(out)) p.kill('SIGTERM');
    });
    const timer = setTimeout(() => p.kill('SIGTERM'), maxMs);
    p.once('exit', () => {
      clearTimeout(timer);
      resolve(out);
    });
  });
}
