// The client's hostname check on the leaf alone: the same verdicts and errors as Node's check on
// the detailed certificate, no detailed certificate built for it, and the real one afterwards.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import tls, { type DetailedPeerCertificate, type TLSSocket } from 'node:tls';
import { leafOnlyForHostnameCheck } from '../src/client/hostname.js';
import { CertificateAuthority, encodePrivateKeyPem, generateKeyPair } from '../src/pki/index.js';

const DAY = 86_400_000;
let caPem: string;
let servers: tls.Server[] = [];
const ports: Record<'sans' | 'cnOnly', number> = { sans: 0, cnOnly: 0 };

async function listen(certPem: string, keyPem: string): Promise<number> {
  const server = tls.createServer({ cert: certPem, key: keyPem }, (s) => s.end());
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  servers.push(server);
  return (server.address() as AddressInfo).port;
}

before(async () => {
  const { ca, certPem } = await CertificateAuthority.createSelfSigned({ commonName: 'hostname-ca' });
  caPem = certPem;
  const usages = ['digital signature', 'server auth'] as const;
  const key = await generateKeyPair();
  const sans = ca.issue({
    subject: { commonName: 'apiserver' },
    dnsNames: ['api.example', '*.wild.example'],
    ipAddresses: ['127.0.0.1'],
    publicKey: key.publicKey,
    usages: [...usages],
    ttlMs: DAY,
  });
  ports.sans = await listen(sans.pem, encodePrivateKeyPem(key));
  const cnOnly = ca.issue({
    subject: { commonName: 'legacy.example' },
    publicKey: key.publicKey,
    usages: [...usages],
    ttlMs: DAY,
  });
  ports.cnOnly = await listen(cnOnly.pem, encodePrivateKeyPem(key));
});

after(() => {
  for (const s of servers) s.close();
  servers = [];
});

interface Outcome {
  readonly ok: boolean;
  readonly error?: Error & { code?: string };
  /** Calls of the detailed getPeerCertificate during the handshake. */
  readonly detailedCalls: number;
  readonly peerAfter?: DetailedPeerCertificate;
}

async function connect(port: number, servername: string, leafOnly: boolean): Promise<Outcome> {
  let detailedCalls = 0;
  const original = tls.TLSSocket.prototype.getPeerCertificate;
  tls.TLSSocket.prototype.getPeerCertificate = function (this: TLSSocket, detailed?: boolean) {
    if (detailed) detailedCalls++;
    return original.call(this, detailed as true);
  } as TLSSocket['getPeerCertificate'];
  try {
    const socket = tls.connect({
      host: '127.0.0.1',
      port,
      ca: caPem,
      ...(servername === '127.0.0.1' ? {} : { servername }),
    });
    if (leafOnly) leafOnlyForHostnameCheck(socket);
    const error = await once(socket, 'secureConnect').then(
      () => undefined,
      (e: Error) => e,
    );
    const calls = detailedCalls;
    const peerAfter = error ? undefined : socket.getPeerCertificate(true);
    socket.destroy();
    return { ok: !error, error, detailedCalls: calls, peerAfter };
  } finally {
    tls.TLSSocket.prototype.getPeerCertificate = original;
  }
}

describe('hostname check on the leaf alone', () => {
  const cases: [string, 'sans' | 'cnOnly', string][] = [
    ['an IP SAN', 'sans', '127.0.0.1'],
    ['a DNS SAN', 'sans', 'api.example'],
    ['a DNS SAN in another case', 'sans', 'API.Example'],
    ['a wildcard SAN', 'sans', 'node1.wild.example'],
    ['a wildcard two labels deep', 'sans', 'a.b.wild.example'],
    ['a wildcard’s bare domain', 'sans', 'wild.example'],
    ['a name not in the SANs', 'sans', 'other.example'],
    ['a CN-only certificate (Node falls back to the CN)', 'cnOnly', 'legacy.example'],
    ['a CN-only certificate under another name', 'cnOnly', 'other.example'],
  ];
  for (const [what, server, name] of cases) {
    it(`agrees with Node's checkServerIdentity for ${what} (${name})`, async () => {
      const node = await connect(ports[server], name, false);
      const ours = await connect(ports[server], name, true);
      console.log(
        JSON.stringify({
          node: [node.ok, node.error?.message, node.detailedCalls, Object.keys(node.peerAfter ?? {}).length],
          ours: [ours.ok, ours.error?.message, ours.detailedCalls, Object.keys(ours.peerAfter ?? {}).length],
        }),
      );
      assert.equal(ours.ok, node.ok);
      assert.equal(ours.error?.message, node.error?.message);
      assert.equal(ours.error?.code, node.error?.code);
      if (ours.ok) {
        assert.ok(ours.peerAfter?.raw && ours.peerAfter.fingerprint256, 'the real certificate after the handshake');
        assert.ok(ours.peerAfter.issuerCertificate, 'with its chain');
      }
    });
  }

  it('builds no detailed certificate for the check, whatever its verdict', async () => {
    assert.equal((await connect(ports.sans, '127.0.0.1', false)).detailedCalls, 1);
    assert.equal((await connect(ports.sans, '127.0.0.1', true)).detailedCalls, 0);
    const miss = await connect(ports.sans, 'other.example', true);
    assert.equal(miss.ok, false);
    assert.equal(miss.detailedCalls, 0);
    assert.equal(miss.error?.code, 'ERR_TLS_CERT_ALTNAME_INVALID');
  });
});
