// The TLS peer's certificate chain (DER, leaf first) for a Node request over HTTP/1.1 or HTTP/2:
// what the x509 authenticator reads, for the apiserver and the kubelet's 10250 alike.
import type { X509Certificate } from 'node:crypto';
import type { TLSSocket } from 'node:tls';
import { ctxCons, DerSeq, rawOf, readRoot, TAG } from '../pki/der.js';

const MAX_CHAIN = 10;
const chains = new WeakMap<object, readonly Buffer[]>();
const leaves = new WeakMap<object, readonly Buffer[]>();

/** The connection's TLS socket of a Node IncomingMessage / Http2ServerRequest. */
export function tlsSocketOfRaw(raw: unknown): TLSSocket | undefined {
  const r = raw as { stream?: { session?: { socket?: unknown } }; socket?: unknown };
  const sock = r.stream?.session?.socket ?? r.socket;
  return sock && typeof (sock as TLSSocket).getPeerX509Certificate === 'function' ? (sock as TLSSocket) : undefined;
}

/**
 * The peer's whole chain: its leaf, then the intermediates it presented (and the root, when the
 * TLS layer verified the chain with one). Read once per connection, since the chain cannot change
 * within a TLS session. Dear: Node's X509Certificate copies each certificate (OpenSSL 3 re-decodes
 * its public key), ~200 µs per connection; peerLeafOf is the cheap read.
 */
export function peerCertificatesOf(raw: unknown): readonly Buffer[] {
  const sock = tlsSocketOfRaw(raw);
  if (!sock) return [];
  const hit = chains.get(sock);
  if (hit) return hit;
  const out: Buffer[] = [];
  const seen = new Set<string>();
  let cert: X509Certificate | undefined = sock.getPeerX509Certificate();
  while (cert && out.length < MAX_CHAIN && !seen.has(cert.fingerprint256)) {
    seen.add(cert.fingerprint256);
    out.push(cert.raw);
    cert = cert.issuerCertificate;
  }
  chains.set(sock, out);
  return out;
}

/**
 * The peer's leaf alone ([] when it sent none), read from the TLS session OpenSSL serialises: the
 * session holds the very certificate the handshake checked, as DER, for ~10 µs instead of
 * peerCertificatesOf's copy. Intermediates are not in a session; an authenticator whose roots do
 * not sign the leaf asks for the whole chain (AuthnRequest.peerChain).
 */
export function peerLeafOf(raw: unknown): readonly Buffer[] {
  const sock = tlsSocketOfRaw(raw);
  if (!sock) return [];
  const hit = leaves.get(sock);
  if (hit) return hit;
  const chain = chains.get(sock);
  const session = chain || typeof sock.getSession !== 'function' ? undefined : sock.getSession();
  const leaf = session ? sessionPeerCertificate(session) : undefined;
  session?.fill(0); // it also holds the session's secrets
  // Same array on every request of the connection: authenticators remember a connection by it.
  const out = leaf === undefined ? (chain ?? peerCertificatesOf(raw)).slice(0, 1) : leaf === null ? [] : [leaf];
  leaves.set(sock, out);
  return out;
}

/**
 * The peer certificate of an OpenSSL SSL_SESSION in its ASN.1 form (ssl_asn1.c: a SEQUENCE whose
 * optional `[3] EXPLICIT Certificate` is the peer's): a copy of its DER, null when the session has
 * none, undefined when the bytes are not such a session (then the caller asks OpenSSL instead).
 */
export function sessionPeerCertificate(session: Uint8Array): Buffer | null | undefined {
  try {
    const seq = new DerSeq(session, readRoot(session, TAG.SEQUENCE));
    while (!seq.done) {
      const t = seq.next();
      if (t.tag !== ctxCons(3)) continue;
      const inner = new DerSeq(session, t);
      const cert = inner.next(TAG.SEQUENCE);
      inner.end();
      return Buffer.from(rawOf(session, cert));
    }
    return null;
  } catch {
    return undefined;
  }
}
