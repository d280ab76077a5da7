// peerCertificatesOf over real TLS: the chain the client sent (leaf, then its intermediates),
// read from an HTTP/2 and an HTTP/1.1 request, and what the x509 authenticator makes of it.
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { connect, createSecureServer, type Http2SecureServer, type Http2ServerRequest } from 'node:http2';
import { createServer, request as h1Request, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { AuthenticationError, peerCertificatesOf, x509Authenticator } from '../src/auth/index.js';
import { CertificateAuthority, encodePrivateKeyPem, generateKeyPair, parseCertificatePem } from '../src/pki/index.js';

const DAY = 86_400_000;

interface Issued {
  readonly certPem: string;
  readonly keyPem: string;
}

let root: CertificateAuthority;
let inter: CertificateAuthority;
let server: Issued;
let direct: Issued;
let viaInter: Issued;

async function leaf(ca: CertificateAuthority, cn: string, usage: 'client auth' | 'server auth'): Promise<Issued> {
  const key = await generateKeyPair();
  const cert = ca.issue({
    subject: { commonName: cn, organizations: ['g'] },
    publicKey: key.publicKey,
    usages: ['digital signature', usage],
    ipAddresses: usage === 'server auth' ? ['127.0.0.1'] : [],
    ttlMs: DAY,
  });
  return { certPem: cert.pem, keyPem: encodePrivateKeyPem(key) };
}

before(async () => {
  root = (await CertificateAuthority.createSelfSigned({ commonName: 'peer-root' })).ca;
  const interKey = await generateKeyPair();
  const interCert = root.issue({
    subject: { commonName: 'peer-inter' },
    publicKey: interKey.publicKey,
    usages: [],
    ttlMs: 10 * DAY,
    isCA: true,
  });
  inter = CertificateAuthority.fromPem(interCert.pem, encodePrivateKeyPem(interKey));
  server = await leaf(root, 'server', 'server auth');
  direct = await leaf(root, 'alice', 'client auth');
  viaInter = await leaf(inter, 'bob', 'client auth');
});

const tls = () => ({
  cert: server.certPem,
  key: server.keyPem,
  ca: root.certificate.pem,
  requestCert: true,
  // The authenticator decides, as the apiserver's does: the handshake lets any client in.
  rejectUnauthorized: false,
});

const cns = (chain: readonly Buffer[]) =>
  chain.map(
    (der) =>
      parseCertificatePem(`-----BEGIN CERTIFICATE-----\n${der.toString('base64')}\n-----END CERTIFICATE-----\n`).subject
        .commonName,
  );

describe('peerCertificatesOf', () => {
  const seen: (readonly Buffer[])[] = [];
  let h2: Http2SecureServer;
  let h1: Server;
  const port = (s: { address(): unknown }) => (s.address() as AddressInfo).port;
  before(async () => {
    h2 = createSecureServer(tls(), (req: Http2ServerRequest, res) => {
      seen.push(peerCertificatesOf(req));
      // Read twice: the second read is the per-connection cache, the same chain.
      assert.equal(peerCertificatesOf(req), seen.at(-1));
      res.end('ok');
    });
    h1 = createServer(tls(), (req: IncomingMessage, res) => {
      seen.push(peerCertificatesOf(req));
      res.end('ok');
    });
    await new Promise<void>((r) => h2.listen(0, '127.0.0.1', r));
    await new Promise<void>((r) => h1.listen(0, '127.0.0.1', r));
  });
  after(() => {
    h2.close();
    h1.close();
  });

  const overH2 = (client?: { cert: string; key: string }) =>
    new Promise<readonly Buffer[]>((resolve, reject) => {
      const s = connect(`https://127.0.0.1:${port(h2)}`, { ca: root.certificate.pem, ...client });
      s.on('error', reject);
      const r = s.request({ ':path': '/' });
      r.on('error', reject);
      r.resume();
      r.on('end', () => {
        s.close();
        resolve(seen.at(-1)!);
      });
    });
  const overH1 = (client: { cert: string; key: string }) =>
    new Promise<readonly Buffer[]>((resolve, reject) => {
      const r = h1Request(
        `https://127.0.0.1:${port(h1)}/`,
        { ca: root.certificate.pem, agent: false, ...client },
        (res) => {
          res.resume();
          res.on('end', () => resolve(seen.at(-1)!));
        },
      );
      r.on('error', reject);
      r.end();
    });

  // After the leaf and what the client sent, the TLS layer may append the root it verified with.
  const upToRoot = (chain: readonly Buffer[]) => cns(chain).filter((cn) => cn !== 'peer-root');

  it('the leaf first, over HTTP/2 and HTTP/1.1', async () => {
    for (const chain of [
      await overH2({ cert: direct.certPem, key: direct.keyPem }),
      await overH1({ cert: direct.certPem, key: direct.keyPem }),
    ]) {
      assert.deepEqual(upToRoot(chain), ['alice']);
      assert.ok(chain.length <= 2);
    }
  });

  it('the leaf and the intermediate the client sent, in order, over HTTP/2 and HTTP/1.1', async () => {
    const client = { cert: viaInter.certPem + inter.certificate.pem, key: viaInter.keyPem };
    assert.deepEqual(cns(await overH2(client)).slice(0, 2), ['bob', 'peer-inter']);
    assert.deepEqual(cns(await overH1(client)).slice(0, 2), ['bob', 'peer-inter']);
  });

  it('no client certificate: an empty chain', async () => {
    assert.deepEqual(await overH2(), []);
  });

  it('the x509 authenticator accepts the sent chain and refuses the leaf without its intermediate', async () => {
    const authn = x509Authenticator({ roots: [root.certificate] });
    const as = async (chain: readonly Buffer[]) =>
      authn.authenticate({ method: 'GET', path: '/', headers: {}, peerCertificates: chain });
    const full = await overH2({ cert: viaInter.certPem + inter.certificate.pem, key: viaInter.keyPem });
    assert.equal((await as(full))?.username, 'bob');
    const bare = await overH2({ cert: viaInter.certPem, key: viaInter.keyPem });
    assert.deepEqual(upToRoot(bare), ['bob']);
    await assert.rejects(as(bare), AuthenticationError);
  });
});
