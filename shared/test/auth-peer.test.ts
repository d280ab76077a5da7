// peerCertificatesOf over real TLS: the chain the client sent (leaf, then its intermediates),
// read from an HTTP/2 and an HTTP/1.1 request, and what the x509 authenticator makes of it.
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { connect, createSecureServer, type Http2SecureServer, type Http2ServerRequest } from 'node:http2';
import { createServer, request as h1Request, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import {
  AuthenticationError,
  peerCertificatesOf,
  peerLeafOf,
  requestHeaderAuthenticator,
  sessionPeerCertificate,
  tlsSocketOfRaw,
  x509Authenticator,
} from '../src/auth/index.js';
import { tlv } from '../src/pki/der.js';
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
  // The leaf read from the TLS session, before anything else touched the connection's certificates.
  const leaves: (readonly Buffer[])[] = [];
  const fromSession: (Buffer | null | undefined)[] = [];
  const sessionLeaf = (req: unknown) => {
    const session = tlsSocketOfRaw(req)?.getSession();
    return session ? sessionPeerCertificate(session) : undefined;
  };
  let h2: Http2SecureServer;
  let h1: Server;
  const port = (s: { address(): unknown }) => (s.address() as AddressInfo).port;
  before(async () => {
    h2 = createSecureServer(tls(), (req: Http2ServerRequest, res) => {
      fromSession.push(sessionLeaf(req));
      leaves.push(peerLeafOf(req));
      assert.equal(peerLeafOf(req), leaves.at(-1));
      seen.push(peerCertificatesOf(req));
      // Read twice: the second read is the per-connection cache, the same chain.
      assert.equal(peerCertificatesOf(req), seen.at(-1));
      res.end('ok');
    });
    h1 = createServer(tls(), (req: IncomingMessage, res) => {
      fromSession.push(sessionLeaf(req));
      leaves.push(peerLeafOf(req));
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

  it("peerLeafOf: the handshake's leaf from the TLS session, byte for byte, over HTTP/2 and HTTP/1.1", async () => {
    for (const [via, client] of [
      [overH2, { cert: direct.certPem, key: direct.keyPem }],
      [overH1, { cert: direct.certPem, key: direct.keyPem }],
      [overH2, { cert: viaInter.certPem + inter.certificate.pem, key: viaInter.keyPem }],
      [overH1, { cert: viaInter.certPem + inter.certificate.pem, key: viaInter.keyPem }],
    ] as const) {
      const chain = await via(client);
      const leaf = leaves.at(-1)!;
      assert.equal(leaf.length, 1);
      assert.deepEqual(leaf[0], chain[0]);
      // Read from the session itself, not from OpenSSL's copy.
      assert.deepEqual(fromSession.at(-1), chain[0]);
    }
    await overH2();
    assert.deepEqual(leaves.at(-1), []);
    assert.equal(fromSession.at(-1), null);
  });

  it('sessionPeerCertificate: null for a session without a peer, undefined for bytes that are no session', () => {
    // SEQUENCE { INTEGER 1, INTEGER 0x0304, [1] { INTEGER 5 } }: a session with no [3].
    const int = (...b: number[]) => tlv(0x02, Buffer.from(b));
    const noPeer = tlv(0x30, int(1), int(3, 4), tlv(0xa1, int(5)));
    assert.equal(sessionPeerCertificate(noPeer), null);
    assert.equal(sessionPeerCertificate(Buffer.from('not a session')), undefined);
    assert.equal(sessionPeerCertificate(Buffer.from('3003a30100', 'hex')), undefined);
  });

  it('the x509 authenticator, handed the leaf alone, verifies with the chain the peer sent', async () => {
    const authn = x509Authenticator({ roots: [root.certificate] });
    const full = await overH2({ cert: viaInter.certPem + inter.certificate.pem, key: viaInter.keyPem });
    const leaf = leaves.at(-1)!;
    let asked = 0;
    const as = (withChain: boolean) =>
      authn.authenticate({
        method: 'GET',
        path: '/',
        headers: {},
        peerCertificates: leaf,
        ...(withChain
          ? {
              peerChain: () => {
                asked++;
                return full;
              },
            }
          : {}),
      });
    await assert.rejects(as(false), AuthenticationError);
    assert.equal((await as(true))?.username, 'bob');
    assert.equal(asked, 1);
    // The connection is remembered by its leaf array: the chain is not asked for again.
    assert.equal((await as(true))?.username, 'bob');
    assert.equal(asked, 1);
    // A leaf its roots sign needs no chain.
    await overH2({ cert: direct.certPem, key: direct.keyPem });
    const alice = leaves.at(-1)!;
    const user = await authn.authenticate({
      method: 'GET',
      path: '/',
      headers: {},
      peerCertificates: alice,
      peerChain: () => assert.fail('the chain was read for a leaf the roots sign'),
    });
    assert.equal(user?.username, 'alice');
  });

  it('the request-header authenticator reads no certificate without a user header, and verifies with the sent chain', async () => {
    const authn = requestHeaderAuthenticator({
      roots: [root.certificate],
      allowedNames: [],
      usernameHeaders: ['X-Remote-User'],
      groupHeaders: ['X-Remote-Group'],
      extraHeaderPrefixes: ['X-Remote-Extra-'],
    });
    const full = await overH2({ cert: viaInter.certPem + inter.certificate.pem, key: viaInter.keyPem });
    const leaf = leaves.at(-1)!;
    const none = await authn.authenticate({
      method: 'GET',
      path: '/',
      headers: {},
      peerCertificates: [Buffer.from('not a certificate')],
      peerChain: () => assert.fail('the chain was read without a user header'),
    });
    assert.equal(none, null);
    const headers = { 'x-remote-user': 'carol', 'x-remote-group': 'dev' };
    assert.equal(await authn.authenticate({ method: 'GET', path: '/', headers, peerCertificates: leaf }), null);
    const user = await authn.authenticate({
      method: 'GET',
      path: '/',
      headers,
      peerCertificates: leaf,
      peerChain: () => full,
    });
    assert.equal(user?.username, 'carol');
    assert.deepEqual(user?.groups, ['dev']);
  });
});
