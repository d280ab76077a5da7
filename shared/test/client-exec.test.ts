// Exec credential plugins in a kubeconfig (client-go's client.authentication.k8s.io), against a
// real apiserver: the mkube client made from the kubeconfig runs the plugin and is who the plugin
// says — the same file gives the real kubectl the same identity — runs it once for concurrent
// requests, again when the credential expired or was answered 401, uses a certificate it hands
// out, and fails with client-go's messages (never quoting what the plugin printed).
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { StatusError } from '@mkube/shared/apierrors';
import {
  ClientError,
  createClient,
  ExecAuthenticator,
  execPluginMetricsText,
  type KubeClient,
} from '@mkube/shared/client';
import { clientOptionsFrom, loadKubeconfig, parseKubeconfig, resolveCredentials } from '@mkube/shared/kubeconfig';
import { type Fixture, issueClient, kubectl, startFixture, tempDir } from '../../apiserver/test/server/fixture.ts';

const V1 = 'client.authentication.k8s.io/v1';
const V1BETA1 = 'client.authentication.k8s.io/v1beta1';

// Counts its runs, keeps what it was given (KUBERNETES_EXEC_INFO, args, PLUGIN_* env) and prints
// out.<run> if there is one, else out.
const PLUGIN = `#!/bin/bash
set -e
d="$(dirname "$0")"
n=$(( $(cat "$d/runs" 2>/dev/null || echo 0) + 1 ))
echo "$n" > "$d/runs"
printf '%s' "$KUBERNETES_EXEC_INFO" > "$d/info.$n"
printf '%s' "$*" > "$d/args.$n"
env | grep '^PLUGIN_' > "$d/env.$n" || true
if [ -f "$d/exit" ]; then exit "$(cat "$d/exit")"; fi
if [ -f "$d/out.$n" ]; then cat "$d/out.$n"; else cat "$d/out"; fi
`;

interface Who {
  username: string;
  groups: string[];
}

const cred = (status: Record<string, unknown> | undefined, apiVersion = V1) =>
  JSON.stringify({ apiVersion, kind: 'ExecCredential', ...(status ? { status } : {}) });

describe('exec credential plugins', () => {
  let fx: Fixture;
  let dir: string;
  let caB64: string;
  let n = 0;
  const clients: KubeClient[] = [];

  before(async () => {
    dir = tempDir('exec-plugin');
    const tokens = join(dir, 'tokens.csv');
    writeFileSync(tokens, 'good-token,plugin-user,p-1,"plugin-group"\nsecond-token,second-user,p-2\n');
    fx = await startFixture([`--token-auth-file=${tokens}`]);
    caB64 = readFileSync(fx.pki.caCrt).toString('base64');
  });
  after(async () => {
    await Promise.all(clients.map((c) => c.close({ graceMs: 0 })));
    await fx?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** A folder with the plugin and its outputs, and a kubeconfig whose user runs it. */
  function plugin(outputs: Record<string, string>, execYaml: string[] = [], clusterYaml: string[] = []) {
    const pd = join(dir, `p${++n}`);
    mkdirSync(pd);
    writeFileSync(join(pd, 'plugin.sh'), PLUGIN);
    chmodSync(join(pd, 'plugin.sh'), 0o755);
    for (const [f, text] of Object.entries(outputs)) writeFileSync(join(pd, f), text);
    const kubeconfig = join(pd, 'kubeconfig');
    writeFileSync(
      kubeconfig,
      [
        'apiVersion: v1',
        'kind: Config',
        'clusters:',
        '- name: mkube',
        '  cluster:',
        `    server: ${fx.url}`,
        `    certificate-authority-data: ${caB64}`,
        ...clusterYaml.map((l) => `    ${l}`),
        'users:',
        '- name: execuser',
        '  user:',
        '    exec:',
        // Relative, with a slash: clientcmd resolves it against the kubeconfig's folder.
        '      command: ./plugin.sh',
        ...(execYaml.some((l) => l.startsWith('apiVersion:')) ? [] : [`      apiVersion: ${V1}`]),
        ...(execYaml.some((l) => l.startsWith('interactiveMode:')) ? [] : ['      interactiveMode: Never']),
        ...execYaml.map((l) => `      ${l}`),
        'contexts:',
        '- name: mkube',
        '  context: {cluster: mkube, user: execuser}',
        'current-context: mkube',
        '',
      ].join('\n'),
    );
    const runs = () => Number(readFileSync(join(pd, 'runs'), 'utf8').trim() || 0);
    const read = (f: string) => readFileSync(join(pd, f), 'utf8');
    return { pd, kubeconfig, runs, read };
  }

  async function clientOf(kubeconfig: string): Promise<KubeClient> {
    const c = createClient(clientOptionsFrom(await resolveCredentials(await loadKubeconfig(kubeconfig))));
    clients.push(c);
    return c;
  }

  async function whoami(c: KubeClient): Promise<Who> {
    const r = await c.request<{ status: { userInfo: Who } }>(
      'POST',
      '/apis/authentication.k8s.io/v1/selfsubjectreviews',
      { body: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' } },
    );
    return r.status.userInfo;
  }

  it('a token from the plugin: the client and kubectl are its user; the plugin is told the cluster, its args and env', async () => {
    const p = plugin(
      { out: cred({ token: 'good-token' }) },
      ['args: [--region, eu]', 'env:', '- {name: PLUGIN_ROLE, value: reader}', 'provideClusterInfo: true'],
      ['extensions:', '- name: client.authentication.k8s.io/exec', '  extension: {audience: mkube-test}'],
    );
    const c = await clientOf(p.kubeconfig);
    const who = await whoami(c);
    assert.equal(who.username, 'plugin-user');
    assert.ok(who.groups.includes('plugin-group'), who.groups.join());
    assert.equal(p.runs(), 1);
    const info = JSON.parse(p.read('info.1'));
    assert.deepEqual(info, {
      apiVersion: V1,
      kind: 'ExecCredential',
      spec: {
        interactive: false,
        cluster: { server: fx.url, 'certificate-authority-data': caB64, config: { audience: 'mkube-test' } },
      },
    });
    assert.equal(p.read('args.1'), '--region eu');
    assert.equal(p.read('env.1').trim(), 'PLUGIN_ROLE=reader');

    // The real kubectl, same file: the same user (it runs the plugin itself).
    const k = await kubectl({ kubeconfig: p.kubeconfig, dir: fx.dir }, ['auth', 'whoami', '-o', 'json']);
    assert.equal(k.status, 0, k.err);
    assert.equal(JSON.parse(k.out).status.userInfo.username, 'plugin-user');
    assert.ok(p.runs() >= 2, 'kubectl ran the plugin');
    // kubectl told it the same cluster, and that it may not prompt (its stdin is no terminal).
    assert.deepEqual(JSON.parse(p.read(`info.${p.runs()}`)).spec, info.spec);
  });

  it('runs once for concurrent requests; again only after the credential expired', async () => {
    const soon = new Date(Date.now() + 1500).toISOString();
    const p = plugin({
      'out.1': cred({ token: 'good-token', expirationTimestamp: soon }),
      out: cred({ token: 'good-token', expirationTimestamp: '2999-01-01T00:00:00Z' }),
    });
    const c = await clientOf(p.kubeconfig);
    const all = await Promise.all(Array.from({ length: 8 }, () => whoami(c)));
    assert.ok(all.every((w) => w.username === 'plugin-user'));
    assert.equal(p.runs(), 1, 'eight concurrent requests share one plugin run');
    await whoami(c);
    assert.equal(p.runs(), 1, 'an unexpired credential is reused');
    await new Promise((r) => setTimeout(r, Date.parse(soon) - Date.now() + 100));
    await whoami(c);
    await whoami(c);
    assert.equal(p.runs(), 2, 'expired once: one new run, then the new credential is kept');
  });

  it('after a 401 the next request runs the plugin again, once, and gets through', async () => {
    const p = plugin({ 'out.1': cred({ token: 'revoked-token' }), out: cred({ token: 'second-token' }) });
    const c = await clientOf(p.kubeconfig);
    const first = await Promise.allSettled([whoami(c), whoami(c), whoami(c)]);
    for (const r of first) {
      assert.equal(r.status, 'rejected');
      assert.ok(r.reason instanceof StatusError && r.reason.code === 401, String(r.reason));
    }
    assert.equal(p.runs(), 1, 'the 401s do not run the plugin themselves');
    assert.equal((await whoami(c)).username, 'second-user');
    assert.equal((await whoami(c)).username, 'second-user');
    assert.equal(p.runs(), 2, 'three 401s on one credential: one new run');
  });

  it('a client certificate from the plugin is presented on the connection (v1beta1, no interactiveMode)', async () => {
    const issued = await issueClient(fx, 'exec-cert-user', ['exec-team']);
    const p = plugin(
      {
        out: cred(
          { clientCertificateData: readFileSync(issued.crt, 'utf8'), clientKeyData: readFileSync(issued.key, 'utf8') },
          V1BETA1,
        ),
      },
      [`apiVersion: ${V1BETA1}`, 'interactiveMode: IfAvailable'],
    );
    const c = await clientOf(p.kubeconfig);
    const who = await whoami(c);
    assert.equal(who.username, 'exec-cert-user');
    assert.ok(who.groups.includes('exec-team'));
    const k = await kubectl({ kubeconfig: p.kubeconfig, dir: fx.dir }, ['auth', 'whoami', '-o', 'json']);
    assert.equal(k.status, 0, k.err);
    assert.equal(JSON.parse(k.out).status.userInfo.username, 'exec-cert-user');
  });

  it('a token or certificate in the kubeconfig wins: the plugin never runs', async () => {
    const p = plugin({ out: cred({ token: 'second-token' }) });
    const cfg = parseKubeconfig(
      readFileSync(p.kubeconfig, 'utf8').replace('    exec:', '    token: good-token\n    exec:'),
      p.kubeconfig,
    );
    const c = createClient(clientOptionsFrom(await resolveCredentials(cfg)));
    clients.push(c);
    assert.equal((await whoami(c)).username, 'plugin-user');
    assert.throws(() => p.runs(), /ENOENT/);
  });

  it('a failing plugin fails the request with client-go’s message and never shows its output', async () => {
    const cases: { outputs: Record<string, string>; exec?: string[]; error: RegExp }[] = [
      {
        outputs: { out: '', exit: '3' },
        error: /getting credentials: exec: executable \S+plugin\.sh failed with exit code 3$/,
      },
      {
        outputs: { out: cred({ token: 'good-token' }, V1BETA1) },
        error:
          /exec plugin is configured to use API version client\.authentication\.k8s\.io\/v1, plugin returned version client\.authentication\.k8s\.io\/v1beta1/,
      },
      { outputs: { out: cred(undefined) }, error: /exec plugin didn't return a status field/ },
      { outputs: { out: cred({}) }, error: /exec plugin didn't return a token or cert\/key pair/ },
      {
        outputs: { out: cred({ clientCertificateData: readFileSync(fx.pki.adminCrt, 'utf8') }) },
        error: /exec plugin returned only certificate or key, not both/,
      },
      {
        outputs: {
          out: cred({
            clientCertificateData: readFileSync(fx.pki.adminCrt, 'utf8'),
            clientKeyData: readFileSync(fx.pki.serverKey, 'utf8'),
          }),
        },
        error: /failed parsing client key\/certificate/,
      },
      // A secret in output that is not JSON: the error says why, not what.
      { outputs: { out: '{"status": {"token": "s3cret-in-output"' }, error: /^(?!.*s3cret).*decoding stdout: /s },
      {
        outputs: { out: cred({ token: 'good-token' }) },
        exec: ['interactiveMode: Always'],
        error: /getting credentials: exec plugin cannot support interactive mode: standard input is not a terminal/,
      },
    ];
    for (const tc of cases) {
      const p = plugin(tc.outputs, tc.exec);
      const c = await clientOf(p.kubeconfig);
      await assert.rejects(whoami(c), (e: unknown) => {
        assert.ok(e instanceof ClientError, String(e));
        assert.equal(e.code, 'ECREDENTIALS');
        assert.match(e.message, tc.error);
        assert.ok(!e.message.includes('s3cret') && !e.message.includes('good-token'), e.message);
        return true;
      });
    }
  });

  it('a plugin that is not installed: "not found" with the install hint', async () => {
    const p = plugin({}, ['installHint: "install it with: apt-get install mkube-login"']);
    writeFileSync(p.kubeconfig, readFileSync(p.kubeconfig, 'utf8').replace('./plugin.sh', 'mkube-no-such-plugin'));
    const c = await clientOf(p.kubeconfig);
    await assert.rejects(whoami(c), (e: unknown) => {
      assert.ok(e instanceof ClientError && e.code === 'ECREDENTIALS', String(e));
      assert.match(e.message, /getting credentials: exec: executable mkube-no-such-plugin not found/);
      assert.match(e.message, /client-go credential plugin that is not installed/);
      assert.match(e.message, /install it with: apt-get install mkube-login$/);
      return true;
    });
  });

  it("counts runs, certificate rotations and the certificate's TTL as client-go's rest_client_exec_plugin_* series", async () => {
    const value = (text: string, series: string) => {
      const line = text.split('\n').find((l) => l.startsWith(`${series} `));
      return line === undefined ? 0 : Number(line.slice(series.length + 1));
    };
    const ok = 'rest_client_exec_plugin_call_total{call_status="no_error",code="0"}';
    const exit4 = 'rest_client_exec_plugin_call_total{call_status="plugin_execution_error",code="4"}';
    const missing = 'rest_client_exec_plugin_call_total{call_status="plugin_not_found_error",code="1"}';
    const rotations = 'rest_client_exec_plugin_certificate_rotation_age_count';
    const before = execPluginMetricsText();
    // Two certificates in turn: the first says it expires in half a second.
    const [a, b] = await Promise.all([issueClient(fx, 'rot-a'), issueClient(fx, 'rot-b')]);
    const certOf = (x: { crt: string; key: string }, exp?: Date) =>
      cred({
        clientCertificateData: readFileSync(x.crt, 'utf8'),
        clientKeyData: readFileSync(x.key, 'utf8'),
        ...(exp ? { expirationTimestamp: exp.toISOString().replace(/\.\d+Z$/, 'Z') } : {}),
      });
    const p = plugin({ 'out.1': certOf(a, new Date(Date.now() + 1000)), out: certOf(b) });
    const c = await clientOf(p.kubeconfig);
    assert.equal((await whoami(c)).username, 'rot-a');
    await new Promise((r) => setTimeout(r, 1200));
    assert.equal((await whoami(c)).username, 'rot-b');
    assert.equal(p.runs(), 2);
    // A plugin that fails, and one that is not there.
    const failing = plugin({ out: '', exit: '4' });
    await assert.rejects(whoami(await clientOf(failing.kubeconfig)));
    const gone = plugin({});
    writeFileSync(gone.kubeconfig, readFileSync(gone.kubeconfig, 'utf8').replace('./plugin.sh', 'mkube-not-here'));
    await assert.rejects(whoami(await clientOf(gone.kubeconfig)));

    const now = execPluginMetricsText();
    assert.equal(value(now, ok) - value(before, ok), 2);
    assert.equal(value(now, exit4) - value(before, exit4), 1);
    assert.equal(value(now, missing) - value(before, missing), 1);
    assert.equal(value(now, rotations) - value(before, rotations), 1, 'the first certificate was replaced');
    assert.match(now, /^# TYPE rest_client_exec_plugin_certificate_rotation_age histogram$/m);
    assert.match(now, /^rest_client_exec_plugin_certificate_rotation_age_bucket\{le="600"\} \d+$/m);
    // The shortest TTL of the certificates in use: the second one's (the first is gone).
    const ttl = value(now, 'rest_client_exec_plugin_ttl_seconds');
    const left = (Date.parse(new X509Certificate(readFileSync(b.crt)).validTo) - Date.now()) / 1000;
    assert.ok(Math.abs(ttl - left) < 120, `ttl ${ttl} against ${left}`);
  });

  it('a plugin that never answers fails the request at its deadline', async () => {
    const p = plugin({ out: cred({ token: 'good-token' }) });
    writeFileSync(join(p.pd, 'plugin.sh'), '#!/bin/bash\nsleep 30\n');
    const c = createClient({
      ...clientOptionsFrom(await resolveCredentials(await loadKubeconfig(p.kubeconfig))),
      timeoutMs: 500,
    });
    clients.push(c);
    await assert.rejects(whoami(c), (e: unknown) => e instanceof ClientError && e.code === 'ETIMEDOUT');
  });

  it('the authenticator alone: Always on a terminal is interactive and hands stdin over', async () => {
    const p = plugin({ out: cred({ token: 'good-token' }) });
    const a = new ExecAuthenticator(
      { command: join(p.pd, 'plugin.sh'), apiVersion: V1, interactiveMode: 'Always' },
      undefined,
      { stdinIsTerminal: true },
    );
    assert.deepEqual(await a.get(), { token: 'good-token' });
    assert.deepEqual(JSON.parse(p.read('info.1')).spec, { interactive: true });
  });
});

describe('exec in a kubeconfig: checked as clientcmd checks it', () => {
  const doc = (user: string) =>
    [
      'apiVersion: v1',
      'kind: Config',
      'clusters: [{name: c, cluster: {server: "https://127.0.0.1:6443"}}]',
      `users: [{name: alice, user: ${user}}]`,
      'contexts: [{name: x, context: {cluster: c, user: alice}}]',
      'current-context: x',
    ].join('\n');

  it('names the field and says what is wrong', () => {
    const bad: [string, RegExp][] = [
      [
        `{exec: {apiVersion: ${V1}, command: p}}`,
        /users\[0\]\.user\.exec\.interactiveMode: interactiveMode must be specified for alice to use exec authentication plugin/,
      ],
      [
        `{exec: {apiVersion: ${V1}, interactiveMode: Never}}`,
        /users\[0\]\.user\.exec\.command: command must be specified for alice/,
      ],
      ['{exec: {command: p}}', /users\[0\]\.user\.exec\.apiVersion: apiVersion must be specified for alice/],
      [
        '{exec: {command: p, apiVersion: client.authentication.k8s.io/v1alpha1}}',
        /exec plugin: invalid apiVersion "client\.authentication\.k8s\.io\/v1alpha1"/,
      ],
      [
        `{exec: {command: p, apiVersion: ${V1}, interactiveMode: Sometimes}}`,
        /invalid interactiveMode for alice: "Sometimes"/,
      ],
      [
        `{exec: {command: p, apiVersion: ${V1}, interactiveMode: Never, env: [{value: x}]}}`,
        /exec\.env\[0\]\.name: env variable name must be specified for alice/,
      ],
      [
        `{exec: {command: p, apiVersion: ${V1}, interactiveMode: Never}, auth-provider: {name: oidc}}`,
        /authProvider cannot be provided in combination with an exec plugin for alice/,
      ],
    ];
    for (const [user, error] of bad) assert.throws(() => parseKubeconfig(doc(user), '/tmp/k.conf'), error, user);
    const beta = parseKubeconfig(doc(`{exec: {command: p, apiVersion: ${V1BETA1}}}`));
    assert.equal(beta.users[0]!.user.exec!.interactiveMode, 'IfAvailable');
  });

  it('an in-tree auth provider is refused when its user is the one in use', async () => {
    const cfg = parseKubeconfig(doc('{auth-provider: {name: gcp}}'), '/tmp/k.conf');
    await assert.rejects(
      resolveCredentials(cfg),
      /users\[0\]\.user\.auth-provider: the in-tree auth provider "gcp" is not supported/,
    );
  });
});
