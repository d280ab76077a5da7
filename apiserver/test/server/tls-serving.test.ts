// The apiserver's TLS serving options as auditors check them, with the real openssl s_client and
// curl: --tls-min-version, --tls-cipher-suites (Go names, OpenSSL underneath), --tls-sni-cert-key
// (the certificate picked by the ClientHello's server name, the default for any other name), and
// start-up errors naming the flag and file.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { MKUBE_BIN } from '../../../e2e/src/harness.ts';
import { assertOnlyAES256, assertTLS13Only, sClient } from '../../../shared/test/helpers/tlsprobe.ts';
import {
  configError,
  type Fixture,
  issueFromCa,
  loadConfig,
  makePki,
  type Pki,
  run,
  serverArgs,
  startFixture,
  tempDir,
} from './fixture.ts';

/** An EC serving certificate from the fixture's CA, `name`.crt/.key in the PKI folder. */
const issueServing = (pki: Pki, name: string, subject: string, sans: string) =>
  issueFromCa(pki.dir, name, subject, `subjectAltName=${sans}\nextendedKeyUsage=serverAuth\n`);

const portOf = (fx: Fixture) => fx.server.port;

/** curl to `name`:port resolved to 127.0.0.1, verifying the certificate against the CA for that name. */
async function curlAs(fx: Fixture, name: string, path: string) {
  const r = await run('curl', [
    '-sS',
    '--max-time',
    '10',
    '--cacert',
    fx.pki.caCrt,
    '--cert',
    fx.pki.adminCrt,
    '--key',
    fx.pki.adminKey,
    '--resolve',
    `${name}:${portOf(fx)}:127.0.0.1`,
    '-w',
    '\n%{http_code} %{http_version}',
    `https://${name}:${portOf(fx)}${path}`,
  ]);
  const nl = r.stdout.lastIndexOf('\n');
  const [code = '0', version = ''] = r.stdout.slice(nl + 1).split(' ');
  return { exit: r.status, code: Number(code), version, body: r.stdout.slice(0, nl), stderr: r.stderr };
}

describe('apiserver --tls-min-version', () => {
  let fx: Fixture;
  before(async () => {
    fx = await startFixture(['--tls-min-version=VersionTLS13']);
  });
  after(async () => fx?.close());

  it('refuses a TLS 1.2 client and serves TLS 1.3 (openssl s_client, curl)', async () => {
    await assertTLS13Only(portOf(fx));
    const r = await curlAs(fx, 'localhost', '/version');
    assert.equal(r.code, 200, r.stderr);
    const t12 = await run('curl', ['-sS', '--tls-max', '1.2', '--cacert', fx.pki.caCrt, `${fx.url}/version`]);
    assert.notEqual(t12.status, 0, 'curl limited to TLS 1.2 fails');
  });
});

describe('apiserver --tls-cipher-suites and --tls-sni-cert-key', () => {
  let fx: Fixture;
  before(async () => {
    fx = await startFixture((pki) => {
      const alt = issueServing(pki, 'alt', '/CN=alt.example', 'DNS:alt.example,DNS:www.alt.example');
      const explicit = issueServing(pki, 'explicit', '/CN=explicit', 'DNS:ignored.example');
      return [
        '--tls-cipher-suites=TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384',
        `--tls-sni-cert-key=${alt.crt},${alt.key}`,
        `--tls-sni-cert-key=${explicit.crt},${explicit.key}:*.wild.example`,
      ];
    });
  });
  after(async () => fx?.close());

  it('serves only the listed TLS 1.2 suite, with the default and with an SNI certificate', async () => {
    await assertOnlyAES256(portOf(fx));
    const sni = await sClient(portOf(fx), [
      '-tls1_2',
      '-cipher',
      'ECDHE-ECDSA-AES128-GCM-SHA256',
      '-servername',
      'alt.example',
    ]);
    assert.equal(sni.ok, false, 'the SNI certificate carries the same cipher suites');
  });

  it('picks the certificate by server name (its SANs, or the names on the flag), else the default', async () => {
    const subject = async (name: string) => (await sClient(portOf(fx), ['-servername', name])).subject;
    assert.equal(await subject('alt.example'), 'CN = alt.example');
    assert.equal(await subject('www.alt.example'), 'CN = alt.example');
    assert.equal(await subject('foo.wild.example'), 'CN = explicit');
    assert.equal(await subject('ignored.example'), 'CN = kube-apiserver', 'flag names replace the certificate’s');
    assert.equal(await subject('unknown.example'), 'CN = kube-apiserver');
    assert.equal((await sClient(portOf(fx), [])).subject, 'CN = kube-apiserver', 'no SNI: the default');
  });

  it('serves curl on the SNI name over HTTP/2, verified for that name, with client certificates', async () => {
    const r = await curlAs(fx, 'alt.example', '/api/v1/namespaces');
    assert.equal(r.code, 200, `${r.stderr}\n${r.body}`);
    assert.equal(r.version, '2');
    assert.match(r.body, /"kind":\s*"NamespaceList"/);
    // The default certificate does not name alt.example's neighbours: curl refuses them.
    const other = await curlAs(fx, 'unknown.example', '/version');
    assert.equal(other.code, 0);
    assert.match(other.stderr, /certificate|SSL/i);
  });
});

describe('apiserver --tls-sni-cert-key naming an IP address', () => {
  let fx: Fixture;
  before(async () => {
    fx = await startFixture((pki) => {
      const byIp = issueServing(pki, 'by-ip', '/CN=by-ip', 'IP:127.0.0.1');
      const alt = issueServing(pki, 'alt-ip', '/CN=alt.example', 'DNS:alt.example');
      // An address is served only when named on the flag: upstream ignores the IP SANs of certificates.
      return [`--tls-sni-cert-key=${byIp.crt},${byIp.key}:127.0.0.1`, `--tls-sni-cert-key=${alt.crt},${alt.key}`];
    });
  });
  after(async () => fx?.close());

  it('a ClientHello without a server name gets the certificate of the address it reached; names still win', async () => {
    const subject = async (args: string[]) => (await sClient(portOf(fx), args)).subject;
    assert.equal(await subject(['-noservername']), 'CN = by-ip');
    assert.equal(await subject(['-servername', 'alt.example']), 'CN = alt.example');
    assert.equal(
      await subject(['-servername', 'unknown.example']),
      'CN = kube-apiserver',
      'an unknown name: the default',
    );
    // curl sends no server name for an IP and verifies the certificate for 127.0.0.1.
    const r = await run('curl', [
      '-sS',
      '--cacert',
      fx.pki.caCrt,
      '--cert',
      fx.pki.adminCrt,
      '--key',
      fx.pki.adminKey,
      '-w',
      '%{http_code}',
      '-o',
      '/dev/null',
      `https://127.0.0.1:${portOf(fx)}/version`,
    ]);
    assert.equal(r.stdout, '200', r.stderr);
  });
});

describe('apiserver TLS start-up errors', () => {
  const dir = tempDir('tls-config');
  const pki = makePki(dir);
  const data = join(dir, 'data');
  after(() => execFileSync('rm', ['-rf', dir]));

  it('defaults to TLS 1.2 and OpenSSL’s suites', () => {
    const tls = loadConfig(pki, data, []).serving.tls;
    assert.deepEqual(tls, { minVersion: 'TLSv1.2', minVersionName: '', cipherSuites: [], warnings: [] });
  });

  it('names the flag with upstream’s words for an unknown version or suite', () => {
    assert.match(
      configError(() => loadConfig(pki, data, ['--tls-min-version=VersionTLS14'])),
      /^--tls-min-version: unknown tls version "VersionTLS14"$/m,
    );
    assert.match(
      configError(() =>
        loadConfig(pki, data, ['--tls-cipher-suites=TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,TLS_NOPE']),
      ),
      /^--tls-cipher-suites: Cipher suite TLS_NOPE not supported or doesn't exist$/m,
    );
    assert.match(
      configError(() => loadConfig(pki, data, ['--tls-cipher-suites=TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA'])),
      /^--tls-cipher-suites: Cipher suite TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA \(OpenSSL ECDHE-RSA-DES-CBC3-SHA\) is not available/m,
    );
  });

  it('names the flag and the file for a bad --tls-sni-cert-key', () => {
    const missing = join(dir, 'missing.crt');
    assert.match(
      configError(() => loadConfig(pki, data, [`--tls-sni-cert-key=${missing},${pki.serverKey}`])),
      new RegExp(`^--tls-sni-cert-key "${missing}": cannot read file: no such file$`, 'm'),
    );
    assert.match(
      configError(() => loadConfig(pki, data, [`--tls-sni-cert-key=${pki.serverCrt},${pki.adminKey}`])),
      /^--tls-sni-cert-key ".*admin\.key": private key does not match public key in --tls-sni-cert-key ".*apiserver\.crt"$/m,
    );
    assert.match(
      configError(() => loadConfig(pki, data, [`--tls-sni-cert-key=${pki.serverCrt}`])),
      /^--tls-sni-cert-key: invalid argument ".*": expected comma separated certificate and key file paths$/m,
    );
    assert.match(
      configError(() => loadConfig(pki, data, [`--tls-sni-cert-key=${pki.serverCrt},${pki.serverKey}:`])),
      /empty names list is not allowed/,
    );
  });

  it('stops `mkube apiserver` with exit 1 and the message', () => {
    const r = spawnSync(
      process.execPath,
      [MKUBE_BIN, 'apiserver', ...serverArgs(pki, data, ['--tls-cipher-suites=TLS_NOPE'])],
      { encoding: 'utf8', timeout: 30_000 },
    );
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /--tls-cipher-suites: Cipher suite TLS_NOPE not supported or doesn't exist/);
  });
});
