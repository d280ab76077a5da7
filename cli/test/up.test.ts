// `mkube up` as a user runs it: a whole cluster (apiserver, controller-manager, two kubelets as
// processes) from an empty data dir, used with kubectl and curl, stopped with Ctrl-C leaving no
// process behind; re-run on the same data dir (no new CSRs); --detach with `mkube down`; --reset.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { tempDir } from './helpers.ts';

async function freePort(): Promise<number> {
  return new Promise((res) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => res(port));
    });
  });
}

interface Up {
  readonly child: ChildProcess;
  readonly out: () => string;
  readonly exited: Promise<number | null>;
}

async function up(args: string[]): Promise<Up> {
  const child = spawn(process.execPath, ['cli/bin/mkube.js', 'up', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
  const deadline = Date.now() + 90_000;
  while (!out.includes('Ctrl-C stops') && Date.now() < deadline && child.exitCode === null)
    await new Promise((r) => setTimeout(r, 100));
  return { child, out: () => out, exited };
}

// `--` ends pgrep's options: the patterns start with a dash.
const pgrep = (pattern: string) => spawnSync('pgrep', ['-f', '--', pattern], { encoding: 'utf8' }).stdout.trim();

describe('mkube up', () => {
  const t = tempDir('up');
  const dir = join(t.dir, 'cluster');
  after(() => {
    // A failed check may leave a detached cluster running: stop it before its folder goes.
    spawnSync(process.execPath, ['cli/bin/mkube.js', 'down', `--data-dir=${dir}`], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    t.cleanup();
  });
  let port: number;
  let kubeletPort: number;
  let kcmPort: number;
  let schedPort: number;
  let msPort: number;
  const kubectl = (args: string[]) =>
    spawnSync('kubectl', ['--kubeconfig', join(dir, 'admin.conf'), ...args], {
      encoding: 'utf8',
      env: { ...process.env, HOME: t.dir },
      timeout: 30_000,
    });
  const flags = () => [
    `--data-dir=${dir}`,
    `--apiserver-bind-port=${port}`,
    `--kubelet-port=${kubeletPort}`,
    `--controller-manager-port=${kcmPort}`,
    `--scheduler-port=${schedPort}`,
    `--metrics-server-port=${msPort}`,
  ];

  it('brings up two nodes by TLS bootstrap, shows each step, serves kubectl and curl, and Ctrl-C leaves nothing', async () => {
    port = await freePort();
    kubeletPort = await freePort();
    kcmPort = await freePort();
    schedPort = await freePort();
    msPort = await freePort();
    // Extra daemon flags, as kubeadm's extraArgs: each must reach its daemon and take effect.
    const u = await up([
      ...flags(),
      '--apiserver-arg=--strict-transport-security-directives=max-age=31536000',
      '--controller-manager-arg=--profiling=false',
      '--kubelet-arg=--streaming-connection-idle-timeout=5m',
    ]);
    const out = u.out();
    assert.match(out, /\[apiserver\] ready at https:\/\/127\.0\.0\.1:\d+/, out);
    assert.match(out, /\[bootstrap-token\] created token [a-z0-9]{6} \(24h\)/);
    assert.match(out, /\[controller-manager\] leading/);
    for (const n of ['node1', 'node2']) {
      for (const kind of ['client', 'serving']) {
        const m = new RegExp(`\\[${n}\\] CSR (csr-\\w+) \\(kubelet ${kind}\\) created by (\\S+)`).exec(out);
        assert.ok(m, `${n} ${kind} CSR shown:\n${out}`);
        assert.match(out, new RegExp(`\\[${n}\\] CSR ${m[1]} approved: AutoApproved`));
        assert.match(out, new RegExp(`\\[${n}\\] CSR ${m[1]} issued`));
      }
      assert.match(out, new RegExp(`\\[${n}\\] Ready, serving the kubelet API on https://127\\.0\\.0\\.\\d:\\d+`));
    }
    assert.match(out, /export KUBECONFIG=.*admin\.conf/);

    const nodes = kubectl([
      'get',
      'nodes',
      '-o',
      'jsonpath={range .items[*]}{.metadata.name}={.status.conditions[?(@.type=="Ready")].status} {end}',
    ]);
    assert.equal(nodes.stdout.trim(), 'node1=True node2=True', nodes.stderr);
    const csrs = kubectl(['get', 'csr', '--no-headers']);
    assert.equal(csrs.stdout.trim().split('\n').length, 4);
    assert.ok(
      csrs.stdout
        .trim()
        .split('\n')
        .every((l) => l.includes('Approved,Issued')),
      csrs.stdout,
    );

    // The static pod example, through the apiserver to the kubelet.
    let logs = '';
    for (let i = 0; i < 100 && !/hello from hello-node1 on node1/.test(logs); i++) {
      await new Promise((r) => setTimeout(r, 100));
      logs = kubectl(['logs', 'hello-node1']).stdout;
    }
    assert.match(logs, /hello from hello-node1 on node1/);
    const exec = kubectl(['exec', 'hello-node2', '--', 'sh', '-c', 'echo hi; exit 3']);
    assert.equal(exec.status, 3, exec.stderr);
    assert.equal(exec.stdout, 'hi\n');

    // Anonymous stays out of the apiserver's secrets and out of the kubelet.
    const curl = (url: string, extra: string[] = []) =>
      spawnSync(
        'curl',
        ['-s', '-o', '/dev/null', '-w', '%{http_code}', '--cacert', join(dir, 'pki/ca.crt'), ...extra, url],
        {
          encoding: 'utf8',
        },
      ).stdout;
    assert.equal(curl(`https://127.0.0.1:${port}/version`), '200');
    assert.equal(curl(`https://127.0.0.1:${port}/api/v1/secrets`), '403');
    const kubeletUrl = /curl .* (https:\/\/127\.0\.0\.\d+:\d+\/pods)/.exec(out)?.[1];
    assert.ok(kubeletUrl, 'a curl line to a kubelet is printed');
    assert.equal(curl(kubeletUrl), '401');
    const asApiserver = [
      '--cert',
      join(dir, 'pki/apiserver-kubelet-client.crt'),
      '--key',
      join(dir, 'pki/apiserver-kubelet-client.key'),
    ];
    assert.equal(curl(kubeletUrl, asApiserver), '200');
    // kubeadm's front proxy: X-Remote-User is believed from front-proxy-client's certificate and from no other.
    const fromProxy = (cert: string, key: string) =>
      curl(`https://127.0.0.1:${port}/api/v1/namespaces/kube-system/secrets`, [
        '--cert',
        cert,
        '--key',
        key,
        '-H',
        'X-Remote-User: front-proxied-admin',
        '-H',
        'X-Remote-Group: system:masters',
      ]);
    assert.equal(fromProxy(join(dir, 'pki/front-proxy-client.crt'), join(dir, 'pki/front-proxy-client.key')), '200');
    // A node's own client certificate (the cluster CA's): the headers are ignored, it stays system:node:node1.
    const nodeCert = join(dir, 'nodes/node1/pki/kubelet-client-current.pem');
    assert.equal(fromProxy(nodeCert, nodeCert), '403');
    assert.equal(
      spawnSync(
        'curl',
        [
          '-s',
          '--cacert',
          join(dir, 'pki/ca.crt'),
          '--cert',
          join(dir, 'pki/front-proxy-client.crt'),
          '--key',
          join(dir, 'pki/front-proxy-client.key'),
          '-H',
          'X-Remote-User: someone',
          '-H',
          'Content-Type: application/json',
          '--data-binary',
          '{"apiVersion":"authentication.k8s.io/v1","kind":"SelfSubjectReview"}',
          `https://127.0.0.1:${port}/apis/authentication.k8s.io/v1/selfsubjectreviews`,
        ],
        { encoding: 'utf8' },
      ).stdout.includes('"username":"someone"'),
      true,
      'the front proxy asserts the user',
    );

    // The controller-manager's secure port (self-signed for localhost, so -k), authentication and
    // authorization delegated to the apiserver: health for anyone, /metrics only for who may.
    const kcm = (path: string, extra: string[] = []) => {
      const r = spawnSync('curl', ['-sk', '-w', '\n%{http_code}', ...extra, `https://127.0.0.1:${kcmPort}${path}`], {
        encoding: 'utf8',
      });
      const i = r.stdout.lastIndexOf('\n');
      return { body: r.stdout.slice(0, i), code: r.stdout.slice(i + 1) };
    };
    assert.deepEqual(kcm('/healthz'), { body: 'ok', code: '200' });
    assert.match(kcm('/healthz?verbose').body, /\[\+\]leaderElection ok/);
    const anon = kcm('/metrics');
    assert.equal(anon.code, '403');
    assert.equal(JSON.parse(anon.body).message, 'forbidden: User "system:anonymous" cannot get path "/metrics"');
    const raw = (conf: string, field: string) =>
      kubectl([
        'config',
        'view',
        '--raw',
        `--kubeconfig=${join(dir, conf)}`,
        '-o',
        `jsonpath={.users[0].user.${field}}`,
      ]).stdout;
    const token = raw('bootstrap-kubelet.conf', 'token');
    const asToken = kcm('/metrics', ['-H', `Authorization: Bearer ${token}`]);
    assert.equal(asToken.code, '403', 'the token is known to the apiserver (TokenReview) but may not read metrics');
    assert.match(JSON.parse(asToken.body).message, new RegExp(`User "system:bootstrap:${token.split('.')[0]}"`));
    assert.equal(kcm('/metrics', ['-H', 'Authorization: Bearer abcdef.0123456789abcdef']).code, '401');
    const adminCrt = join(t.dir, 'admin.crt');
    const adminKey = join(t.dir, 'admin.key');
    writeFileSync(adminCrt, Buffer.from(raw('admin.conf', 'client-certificate-data'), 'base64'));
    writeFileSync(adminKey, Buffer.from(raw('admin.conf', 'client-key-data'), 'base64'), { mode: 0o600 });
    const asAdmin = kcm('/metrics', ['--cert', adminCrt, '--key', adminKey]);
    assert.equal(asAdmin.code, '200', asAdmin.body);
    assert.match(asAdmin.body, /^leader_election_master_status\{name="kube-controller-manager"\} 1$/m);
    // The extra flags took: the controller-manager serves no profiles, the apiserver sends HSTS, the
    // kubelets close idle streams after 5 m.
    assert.equal(kcm('/debug/pprof/cmdline', ['--cert', adminCrt, '--key', adminKey]).code, '404');
    const headers = spawnSync(
      'curl',
      ['-s', '-D', '-', '-o', '/dev/null', '--cacert', join(dir, 'pki/ca.crt'), `https://127.0.0.1:${port}/version`],
      {
        encoding: 'utf8',
      },
    ).stdout;
    assert.match(headers, /^strict-transport-security: max-age=31536000\r$/im);
    const configz = spawnSync(
      'curl',
      ['-s', '--cacert', join(dir, 'pki/ca.crt'), ...asApiserver, kubeletUrl.replace(/\/pods$/, '/configz')],
      {
        encoding: 'utf8',
      },
    ).stdout;
    assert.equal(JSON.parse(configz).kubeletconfig.streamingConnectionIdleTimeout, '5m0s');

    u.child.kill('SIGINT');
    assert.equal(await u.exited, 0, u.out());
    for (const d of ['node1', 'node2', 'controller-manager', 'apiserver'])
      assert.match(u.out(), new RegExp(`\\[${d}\\] stopped`));
    assert.equal(pgrep(`--secure-port=${port}`), '', 'no apiserver left');
    assert.equal(pgrep(`--kubeconfig=${join(dir, 'controller-manager.conf')}`), '', 'no controller-manager left');
    assert.equal(pgrep(`--root-dir=${join(dir, 'nodes')}`), '', 'no kubelet left');
    // This cluster's pod processes: their working directory is under its data dir (another cluster
    // on the machine, a concurrent test's or a user's, runs the same hello pods).
    const podsLeft = pgrep('hello from \\$POD_NAME')
      .split('\n')
      .filter((pid) => {
        try {
          return pid !== '' && realpathSync(`/proc/${pid}/cwd`).startsWith(realpathSync(dir));
        } catch {
          return false;
        }
      });
    assert.deepEqual(podsLeft, [], 'no pod process left');
  });

  it('re-running reuses the data dir: same CA, the same nodes, no new CSRs', async () => {
    const ca = readFileSync(join(dir, 'pki/ca.crt'), 'utf8');
    const u = await up(flags());
    assert.match(u.out(), /\[bootstrap-token\] reusing token/);
    assert.doesNotMatch(u.out(), /CSR csr-/);
    assert.match(u.out(), /\[node1\] Ready/);
    assert.match(u.out(), /\[node2\] Ready/);
    assert.equal(readFileSync(join(dir, 'pki/ca.crt'), 'utf8'), ca);
    assert.equal(kubectl(['get', 'csr', '--no-headers']).stdout.trim().split('\n').length, 4);
    // A second `up` on a running data dir is refused.
    const again = spawnSync(process.execPath, ['cli/bin/mkube.js', 'up', ...flags()], { encoding: 'utf8' });
    assert.equal(again.status, 1);
    assert.match(again.stderr, /a cluster is already running from .* "mkube down" stops it/);
    u.child.kill('SIGTERM');
    assert.equal(await u.exited, 0);
  });

  it('--detach returns once the cluster is up; mkube down stops it; --reset starts over', async () => {
    // With the example audit policy: the apiserver records who did what in <data-dir>/logs/audit.log.
    // With an AuthenticationConfiguration that lets anonymous requests reach only the health paths.
    const authn = join(t.dir, 'authn.yaml');
    writeFileSync(
      authn,
      'apiVersion: apiserver.config.k8s.io/v1beta1\nkind: AuthenticationConfiguration\nanonymous:\n  enabled: true\n  conditions: [{path: /livez}, {path: /readyz}, {path: /healthz}]\n',
    );
    // And an AuthorizationConfiguration in place of --authorization-mode (Node and RBAC, as kubeadm's).
    const authz = join(t.dir, 'authz.yaml');
    writeFileSync(
      authz,
      'apiVersion: apiserver.config.k8s.io/v1\nkind: AuthorizationConfiguration\nauthorizers:\n- {type: Node, name: node}\n- {type: RBAC, name: rbac}\n',
    );
    // And an AdmissionConfiguration whose PodSecurity enforces baseline where namespaces say nothing.
    const admission = join(t.dir, 'admission.yaml');
    writeFileSync(
      admission,
      'apiVersion: apiserver.config.k8s.io/v1\nkind: AdmissionConfiguration\nplugins:\n- name: PodSecurity\n  configuration:\n    apiVersion: pod-security.admission.config.k8s.io/v1\n    kind: PodSecurityConfiguration\n    defaults: {enforce: baseline}\n',
    );
    const d = spawnSync(
      process.execPath,
      [
        'cli/bin/mkube.js',
        'up',
        ...flags(),
        '--detach',
        '--audit-policy-file=deploy/audit-policy.yaml',
        `--authentication-config=${authn}`,
        `--authorization-config=${authz}`,
        `--admission-control-config-file=${admission}`,
      ],
      { encoding: 'utf8', timeout: 120_000 },
    );
    assert.equal(d.status, 0, d.stdout + d.stderr);
    assert.match(d.stdout, /Running in the background \(pid \d+\); "mkube down --data-dir=.*" stops it\./);
    assert.equal(kubectl(['get', 'nodes', '--no-headers']).stdout.trim().split('\n').length, 2);
    const anon = (path: string) =>
      spawnSync(
        'curl',
        [
          '-s',
          '-o',
          '/dev/null',
          '-w',
          '%{http_code}',
          '--cacert',
          join(dir, 'pki/ca.crt'),
          `https://127.0.0.1:${port}${path}`,
        ],
        { encoding: 'utf8' },
      ).stdout;
    assert.equal(anon('/livez'), '200');
    assert.equal(anon('/version'), '401', 'anonymous only where the configuration allows it');
    const apiserverArgs = spawnSync('pgrep', ['-af', '--', `--secure-port=${port}`], { encoding: 'utf8' }).stdout;
    assert.match(apiserverArgs, /--authorization-config=\S+authz\.yaml/);
    assert.match(apiserverArgs, /--admission-control-config-file=\S+admission\.yaml/);
    const privileged = kubectl(['run', 'priv', '--image=busybox', '--privileged', '--restart=Never']);
    assert.notEqual(privileged.status, 0);
    assert.match(privileged.stderr, /violates PodSecurity "baseline:latest": privileged/);
    assert.doesNotMatch(apiserverArgs, /--authorization-mode/);
    const down = spawnSync(process.execPath, ['cli/bin/mkube.js', 'down', `--data-dir=${dir}`], {
      encoding: 'utf8',
      timeout: 120_000,
    });
    assert.equal(down.status, 0, down.stderr);
    assert.match(down.stdout, /stopped the cluster running from/);
    assert.equal(pgrep(`--secure-port=${port}`), '');
    assert.equal(pgrep(`--root-dir=${join(dir, 'nodes')}`), '');
    // Read once the cluster is down, so a failed check leaves nothing running.
    const audited = readFileSync(join(dir, 'logs', 'audit.log'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l));
    assert.ok(
      audited.some(
        (e) =>
          e.verb === 'list' &&
          e.objectRef?.resource === 'nodes' &&
          e.user.username === 'kubernetes-admin' &&
          e.stage === 'ResponseComplete' &&
          e.responseStatus.code === 200,
      ),
      'kubectl get nodes is in the audit log',
    );
    // The policy's rules as written: the kubelets' heartbeats are left out, other writes carry their body.
    assert.ok(
      !audited.some((e) => e.objectRef?.resource === 'leases' && e.user.groups?.includes('system:nodes')),
      'no node Lease renewals',
    );
    assert.ok(
      audited.some((e) => e.verb === 'update' && e.level === 'Request' && e.requestObject?.metadata?.name),
      'writes at Request level with their body',
    );

    const oldCa = readFileSync(join(dir, 'pki/ca.crt'), 'utf8');
    const r = spawnSync(process.execPath, ['cli/bin/mkube.js', 'up', ...flags(), '--reset', '--detach', '--nodes=1'], {
      encoding: 'utf8',
      timeout: 120_000,
    });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.notEqual(readFileSync(join(dir, 'pki/ca.crt'), 'utf8'), oldCa, 'a new CA');
    assert.match(r.stdout, /\[node1\] CSR csr-\w+ \(kubelet client\) created/);
    spawnSync(process.execPath, ['cli/bin/mkube.js', 'down', `--data-dir=${dir}`], {
      encoding: 'utf8',
      timeout: 120_000,
    });
    assert.equal(pgrep(`--secure-port=${port}`), '');
  });

  it("refuses bad --feature-gates and --runtime-config before anything starts, with the daemons' messages", () => {
    const fresh = join(t.dir, 'never');
    for (const [flag, want] of [
      ['--feature-gates=ClusterTrustBundel=true', /--feature-gates: unrecognized feature gate: ClusterTrustBundel/],
      ['--runtime-config=example.com/v1=true', /--runtime-config: unknown api groups example\.com/],
      ['--apiserver-arg=profiling=false', /--apiserver-arg: "profiling=false" is not a flag \(expected --name=value\)/],
    ] as const) {
      // Bounded: a flag it wrongly accepts brings a cluster up, which SIGTERM stops with its daemons.
      const r = spawnSync(process.execPath, ['cli/bin/mkube.js', 'up', `--data-dir=${fresh}`, flag], {
        encoding: 'utf8',
        timeout: 60_000,
      });
      assert.equal(r.status, 1, r.stdout);
      assert.match(r.stderr, want);
      assert.throws(() => readFileSync(join(fresh, 'pki/ca.crt')), /ENOENT/, 'no PKI was written');
    }
  });

  it('refuses to --reset a folder that is not an mkube data dir', () => {
    const precious = join(t.dir, 'precious');
    mkdirSync(precious);
    writeFileSync(join(precious, 'notes.txt'), 'keep me');
    const r = spawnSync(process.execPath, ['cli/bin/mkube.js', 'up', `--data-dir=${precious}`, '--reset'], {
      encoding: 'utf8',
    });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /does not look like an mkube data dir/);
    assert.equal(readFileSync(join(precious, 'notes.txt'), 'utf8'), 'keep me');
  });
});
