// The webhook flags at start-up: upstream's defaults, and every bad value or bad kubeconfig is a
// configuration error naming the flag and the file (all reported at once, exit code 1), never a crash later.
import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { FlagError, parseFlags } from '@mkube/shared/flags';
import { APISERVER_FLAGS, runApiServer } from '../../src/main.ts';
import { configError, loadConfig, makePki, type Pki, tempDir } from '../server/fixture.ts';

describe('webhook flags at start-up', () => {
  let dir = '';
  let pki: Pki;
  before(() => {
    dir = tempDir('webhook-config');
    pki = makePki(dir);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const load = (extra: string[]) => loadConfig(pki, join(dir, 'data'), extra);
  const problem = (extra: string[]) => configError(() => load(extra));
  /** A kubeconfig in the PKI folder; `cluster` and `user` are YAML lines under them. */
  const kubeconfig = (name: string, cluster: string[], user: string[] = [], tail: string[] = []) => {
    const file = join(dir, name);
    writeFileSync(
      file,
      [
        'apiVersion: v1',
        'kind: Config',
        'clusters:',
        '- name: remote',
        '  cluster:',
        ...cluster.map((l) => `    ${l}`),
        'users:',
        '- name: me',
        '  user:',
        ...(user.length ? user.map((l) => `    ${l}`) : ['    {}']),
        ...tail,
        '',
      ].join('\n'),
    );
    return file;
  };
  const good = () =>
    kubeconfig(
      'good.conf',
      ['server: https://127.0.0.1:9443/review', 'certificate-authority: ca.crt'],
      ['client-certificate: admin.crt', 'client-key: admin.key'],
    );

  it('loads a kubeconfig (relative paths against its folder) with upstream’s defaults', () => {
    const c = load([
      `--authentication-token-webhook-config-file=${good()}`,
      '--authorization-mode=Node,Webhook,RBAC',
      `--authorization-webhook-config-file=${good()}`,
    ]);
    assert.deepEqual(c.authorizationModes, ['Node', 'Webhook', 'RBAC']);
    const t = c.tokenWebhook!;
    assert.equal(t.client.server, 'https://127.0.0.1:9443/review');
    assert.equal(t.client.caPem, readFileSync(pki.caCrt, 'utf8'));
    assert.equal(t.client.certPem, readFileSync(pki.adminCrt, 'utf8'));
    assert.deepEqual([t.version, t.cacheTtlMs, t.audiences], ['v1beta1', 120_000, []]);
    const a = c.authorizationWebhook!;
    assert.deepEqual([a.version, a.authorizedTtlMs, a.unauthorizedTtlMs], ['v1beta1', 300_000, 30_000]);
    assert.equal(load([]).tokenWebhook, undefined);
    assert.equal(load([]).authorizationWebhook, undefined);
  });

  it('the flags set version and TTLs; audiences are --api-audiences, else the service-account issuer', () => {
    const c = load([
      `--authentication-token-webhook-config-file=${good()}`,
      '--authentication-token-webhook-version=v1',
      '--authentication-token-webhook-cache-ttl=10s',
      '--authorization-mode=Webhook',
      `--authorization-webhook-config-file=${good()}`,
      '--authorization-webhook-version=v1',
      '--authorization-webhook-cache-authorized-ttl=1m30s',
      '--authorization-webhook-cache-unauthorized-ttl=0s',
      `--service-account-key-file=${join(dir, 'ca.key')}`,
      '--service-account-issuer=https://issuer.example',
    ]);
    assert.deepEqual([c.tokenWebhook?.version, c.tokenWebhook?.cacheTtlMs], ['v1', 10_000]);
    assert.deepEqual(c.tokenWebhook?.audiences, ['https://issuer.example']);
    const a = c.authorizationWebhook!;
    assert.deepEqual([a.version, a.authorizedTtlMs, a.unauthorizedTtlMs], ['v1', 90_000, 0]);
    const withAud = load([`--authentication-token-webhook-config-file=${good()}`, '--api-audiences=a,b']);
    assert.deepEqual(withAud.tokenWebhook?.audiences, ['a', 'b']);
  });

  it('Webhook mode needs its file and the file needs the mode (upstream’s words)', () => {
    assert.match(
      problem(['--authorization-mode=Node,Webhook']),
      /--authorization-webhook-config-file: authorization-mode Webhook's authorization config file not passed/,
    );
    assert.match(
      problem(['--authorization-mode=RBAC', `--authorization-webhook-config-file=${good()}`]),
      /cannot specify --authorization-webhook-config-file without mode Webhook/,
    );
  });

  it('bad versions and TTLs name their flag', () => {
    const m = problem([
      `--authentication-token-webhook-config-file=${good()}`,
      '--authentication-token-webhook-version=v2',
      '--authentication-token-webhook-cache-ttl=-1s',
      '--authorization-mode=Webhook',
      `--authorization-webhook-config-file=${good()}`,
      '--authorization-webhook-version=v1alpha1',
      '--authorization-webhook-cache-unauthorized-ttl=-5s',
    ]);
    assert.match(
      m,
      /--authentication-token-webhook-version: unsupported authentication webhook version "v2", supported versions are "v1", "v1beta1"/,
    );
    assert.match(
      m,
      /--authorization-webhook-version: unsupported webhook authorizer version "v1alpha1", supported versions are "v1", "v1beta1"/,
    );
    assert.match(m, /--authentication-token-webhook-cache-ttl: can not be negative/);
    assert.match(m, /--authorization-webhook-cache-unauthorized-ttl: can not be negative/);
    assert.throws(
      () => load(['--authorization-webhook-cache-authorized-ttl=soon']),
      (e: unknown) => {
        assert.ok(e instanceof FlagError);
        assert.match(e.message, /authorization-webhook-cache-authorized-ttl/);
        return true;
      },
    );
  });

  it('unreadable or invalid kubeconfigs and referenced files name the flag and the file', () => {
    const flag = (f: string) => [`--authentication-token-webhook-config-file=${f}`];
    const missing = join(dir, 'missing.conf');
    assert.match(
      problem(flag(missing)),
      new RegExp(`--authentication-token-webhook-config-file "${missing}": cannot read file: no such file`),
    );
    const yaml = join(dir, 'bad.conf');
    writeFileSync(yaml, 'clusters: [\n');
    assert.match(problem(flag(yaml)), new RegExp(`"${yaml}": not valid YAML`));
    const empty = join(dir, 'empty.conf');
    writeFileSync(empty, 'apiVersion: v1\nkind: Config\n');
    assert.match(problem(flag(empty)), new RegExp(`"${empty}": no cluster`));
    const ftp = kubeconfig('ftp.conf', ['server: ftp://example.com/']);
    assert.match(problem(flag(ftp)), /ftp\.conf": clusters\[0\]\.cluster\.server: not an http\(s\) URL/);
    const noCa = kubeconfig('noca.conf', ['server: https://x/', 'certificate-authority: nowhere/ca.crt']);
    assert.match(
      problem(flag(noCa)),
      new RegExp(`noca\\.conf": certificate-authority: cannot read ${join(dir, 'nowhere/ca.crt')}: no such file`),
    );
    writeFileSync(join(dir, 'garbage.crt'), 'not a certificate');
    const badCa = kubeconfig('badca.conf', ['server: https://x/', 'certificate-authority: garbage.crt']);
    assert.match(problem(flag(badCa)), /badca\.conf": certificate-authority: not a valid PEM certificate/);
    const noKey = kubeconfig('nokey.conf', ['server: https://x/'], ['client-certificate: admin.crt']);
    assert.match(problem(flag(noKey)), /nokey\.conf": client certificate given without a client key/);
    const mismatch = kubeconfig(
      'mismatch.conf',
      ['server: https://x/'],
      ['client-certificate: admin.crt', 'client-key: apiserver.key'],
    );
    const mm = problem(flag(mismatch));
    assert.match(mm, /mismatch\.conf": client-certificate\/client-key: .*key values mismatch/);
    assert.doesNotMatch(mm, /PRIVATE KEY/);
    const ctx = kubeconfig('ctx.conf', ['server: https://x/'], [], ['current-context: elsewhere']);
    assert.match(problem(flag(ctx)), /ctx\.conf": current-context: context "elsewhere" does not exist/);
    // A credential plugin would authenticate somehow; the webhook client would call anonymously.
    const exec = kubeconfig(
      'exec.conf',
      ['server: https://x/'],
      ['exec: {apiVersion: client.authentication.k8s.io/v1, command: login, interactiveMode: Never}'],
    );
    assert.match(problem(flag(exec)), /exec\.conf": user "me": exec: not supported by mkube's webhook client/);
    const authz = ['--authorization-mode=Webhook', `--authorization-webhook-config-file=${ftp}`];
    assert.match(problem(authz), /--authorization-webhook-config-file ".*ftp\.conf": clusters\[0\]/);
  });

  it('the apiserver refuses to start: every problem on stderr, exit code 1', async () => {
    const args = parseFlags(APISERVER_FLAGS, [
      '--bind-address=127.0.0.1',
      '--secure-port=0',
      `--data-dir=${join(dir, 'data')}`,
      `--tls-cert-file=${pki.serverCrt}`,
      `--tls-private-key-file=${pki.serverKey}`,
      '--authorization-mode=Node,Webhook',
      `--authentication-token-webhook-config-file=${join(dir, 'missing.conf')}`,
    ]);
    const written: string[] = [];
    const code = await runApiServer(args.flags, args.given, {
      stderr: { write: (s: string) => written.push(s) > 0 } as unknown as NodeJS.WritableStream,
    });
    const stderr = written.join('');
    assert.equal(code, 1, stderr);
    assert.match(stderr, /error: invalid apiserver configuration:/);
    assert.match(stderr, /--authorization-webhook-config-file: authorization-mode Webhook's authorization config/);
    assert.match(
      stderr,
      /--authentication-token-webhook-config-file ".*missing\.conf": cannot read file: no such file/,
    );
  });
});
