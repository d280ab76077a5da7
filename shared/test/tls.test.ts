// The TLS serving options every daemon shares: upstream's names and messages in, Node's options out;
// the --tls-sni-cert-key flag syntax, certificate names and server-name lookup.
import assert from 'node:assert/strict';
import { constants } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { connect, createServer, type Server } from 'node:tls';
import type { ConfigProblem } from '../src/flags/index.ts';
import {
  CIPHER_SUITES,
  certificateNames,
  INSECURE_CIPHER_NAMES,
  lookupServerName,
  nameIndex,
  parseNamedCertKey,
  serverTLSOptions,
  tlsServingOptions,
  tlsVersion,
  tlsVersionName,
} from '../src/tls/index.ts';
import { makePki, type Pki } from './client.fixture.js';

function load(min: string | undefined, suites: string[]) {
  const problems: ConfigProblem[] = [];
  const o = tlsServingOptions(min, suites, problems);
  return { o, problems: problems.map((p) => `--${p.flag}: ${p.message}`) };
}

describe('--tls-min-version', () => {
  it('maps Go constant names to Node versions, empty to TLS 1.2', () => {
    assert.equal(tlsVersion(''), 'TLSv1.2');
    assert.equal(tlsVersion('VersionTLS10'), 'TLSv1');
    assert.equal(tlsVersion('VersionTLS11'), 'TLSv1.1');
    assert.equal(tlsVersion('VersionTLS12'), 'TLSv1.2');
    assert.equal(tlsVersion('VersionTLS13'), 'TLSv1.3');
    assert.equal(tlsVersionName('TLSv1.3'), 'VersionTLS13');
    assert.deepEqual(load(undefined, []).o, {
      minVersion: 'TLSv1.2',
      minVersionName: '',
      cipherSuites: [],
      warnings: [],
    });
  });

  it('refuses anything else in upstream words', () => {
    for (const bad of ['TLS13', 'VersionTLS14', 'tls1.2', 'VersionSSL30'])
      assert.deepEqual(load(bad, []).problems, [`--tls-min-version: unknown tls version "${bad}"`]);
  });
});

describe('--tls-cipher-suites', () => {
  it('maps Go names to OpenSSL names, legacy CHACHA20 names included', () => {
    const { o, problems } = load('VersionTLS12', [
      'TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384',
      'TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256',
      'TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305',
      'TLS_RSA_WITH_AES_128_GCM_SHA256',
    ]);
    assert.deepEqual(problems, []);
    assert.equal(o.ciphers, 'ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-CHACHA20-POLY1305:AES128-GCM-SHA256');
    assert.deepEqual(serverTLSOptions(o), {
      minVersion: 'TLSv1.2',
      ciphers: o.ciphers,
      secureOptions: constants.SSL_OP_NO_TICKET,
    });
    assert.deepEqual(o.warnings, []);
  });

  it('names an unknown suite as upstream does, each one', () => {
    assert.deepEqual(load('', ['TLS_FOO', 'ECDHE-ECDSA-AES128-GCM-SHA256']).problems, [
      "--tls-cipher-suites: Cipher suite TLS_FOO not supported or doesn't exist",
      "--tls-cipher-suites: Cipher suite ECDHE-ECDSA-AES128-GCM-SHA256 not supported or doesn't exist",
    ]);
  });

  it('accepts the insecure suites OpenSSL still has with upstream warning, and refuses the ones it lacks', () => {
    const cbc = load('', ['TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256']);
    assert.deepEqual(cbc.problems, []);
    assert.deepEqual(cbc.o.warnings, ["Use of insecure cipher 'TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256' detected."]);
    const rc4 = load('', ['TLS_RSA_WITH_RC4_128_SHA']);
    assert.equal(rc4.problems.length, 1);
    assert.match(
      rc4.problems[0]!,
      /^--tls-cipher-suites: Cipher suite TLS_RSA_WITH_RC4_128_SHA \(OpenSSL RC4-SHA\) is not available in this Node\.js's OpenSSL /,
    );
    for (const n of INSECURE_CIPHER_NAMES) assert.equal(CIPHER_SUITES[n]!.insecure, true);
  });

  it('leaves TLS 1.3 alone: its suites by name, and a warning when the minimum is TLS 1.3', () => {
    const named = load('', ['TLS_AES_128_GCM_SHA256', 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256']);
    assert.equal(named.o.ciphers, 'ECDHE-ECDSA-AES128-GCM-SHA256');
    const t13 = load('VersionTLS13', ['TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256']);
    assert.deepEqual(t13.problems, []);
    assert.deepEqual(serverTLSOptions(t13.o), { minVersion: 'TLSv1.3', secureOptions: constants.SSL_OP_NO_TICKET });
    assert.deepEqual(t13.o.warnings, [
      'Warning: TLS 1.3 cipher suites are not configurable, ignoring --tls-cipher-suites',
    ]);
    // Only TLS 1.3 names: no TLS 1.2 suite is left to agree on, as in Go.
    const only13 = load('VersionTLS12', ['TLS_AES_256_GCM_SHA384']);
    assert.equal(only13.o.minVersion, 'TLSv1.3');
    assert.match(only13.o.warnings[0]!, /only TLS 1\.3 can be negotiated/);
  });
});

describe('--tls-sni-cert-key', () => {
  it('parses certfile,keyfile[:names] with NamedCertKey.Set messages', () => {
    assert.deepEqual(parseNamedCertKey('a.crt,a.key'), { certFile: 'a.crt', keyFile: 'a.key', names: [] });
    assert.deepEqual(parseNamedCertKey(' a.crt , a.key : *.foo.com, foo.com '), {
      certFile: 'a.crt',
      keyFile: 'a.key',
      names: ['*.foo.com', 'foo.com'],
    });
    assert.throws(() => parseNamedCertKey('a.crt'), /^Error: expected comma separated certificate and key file paths$/);
    assert.throws(() => parseNamedCertKey('a,b,c'), /expected comma separated certificate and key file paths/);
    assert.throws(() => parseNamedCertKey('a.crt,a.key:'), /^Error: empty names list is not allowed$/);
  });

  it('takes a certificate’s names from a domain CommonName and its DNS SANs, never an IP', () => {
    const names = (commonName: string, dnsNames: string[] = []) =>
      certificateNames({ subject: { commonName } as never, dnsNames });
    assert.deepEqual(names('alt.example', ['www.alt.example']), ['alt.example', 'www.alt.example']);
    assert.deepEqual(names('*.alt.example'), ['*.alt.example']);
    assert.deepEqual(names('10.0.0.1', ['a.example']), ['a.example']);
    assert.deepEqual(names('kube-apiserver'), ['kube-apiserver']);
    assert.deepEqual(names('Not A Domain'), []);
  });

  it('looks names up as crypto/tls does: exact, then one wildcard label; flag names and earlier certs win', () => {
    const a = { id: 'a', names: [], servedNames: ['a.example', '*.wild.example', 'shared.example'] };
    const b = { id: 'b', names: [], servedNames: ['shared.example', 'b.example'] };
    const c = { id: 'c', names: ['b.example'], servedNames: ['b.example'] };
    const index = nameIndex([a, b, c]);
    const pick = (n: string) => lookupServerName(index, n)?.id;
    assert.equal(pick('A.Example'), 'a');
    assert.equal(pick('x.wild.example'), 'a');
    assert.equal(pick('x.y.wild.example'), undefined);
    assert.equal(pick('shared.example'), 'a', 'the earlier certificate wins');
    assert.equal(pick('b.example'), 'c', 'a name given on the flag wins over extracted ones');
    assert.equal(pick('other.example'), undefined);
    assert.equal(pick(''), undefined);
  });
});

describe('serverTLSOptions on a real mutual-TLS server', () => {
  let pki: Pki;
  let server: Server;
  let port = 0;
  before(async () => {
    pki = makePki();
    server = createServer(
      {
        key: pki.serverKeyPem,
        cert: pki.serverCertPem,
        ca: pki.caPem,
        requestCert: true,
        rejectUnauthorized: false,
        ...serverTLSOptions(load('', []).o),
      },
      (s) => s.end('ok'),
    );
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  after(() => {
    server.close();
    pki.cleanup();
  });

  /** One connection with a client certificate: the sessions it was given and whether it resumed. */
  function dial(session?: Buffer): Promise<{ sessions: Buffer[]; reused: boolean; authorized: boolean }> {
    const client = pki.issueClient('system:node:n1', 'system:nodes');
    return new Promise((resolve, reject) => {
      const sessions: Buffer[] = [];
      const s = connect({
        port,
        host: '127.0.0.1',
        servername: 'localhost',
        ca: pki.caPem,
        cert: client.certPem,
        key: client.keyPem,
        ...(session ? { session } : {}),
      });
      s.on('session', (b) => sessions.push(b));
      s.on('data', () => {});
      s.on('error', reject);
      s.on('end', () => {
        resolve({ sessions, reused: s.isSessionReused(), authorized: s.authorized });
        s.destroy();
      });
    });
  }

  it('issues no resumable session: an offered one gets a full handshake, still authenticated', async () => {
    const first = await dial();
    assert.equal(first.authorized, true);
    assert.ok(first.sessions.length > 0, 'the client was handed a session to offer');
    const second = await dial(first.sessions.at(-1));
    assert.equal(second.reused, false, 'no stateless ticket to resume from');
    assert.equal(second.authorized, true);
  });
});
