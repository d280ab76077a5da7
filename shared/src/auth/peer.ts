// The TLS peer's certificate chain (DER, leaf first) for a Node request over HTTP/1.1 or HTTP/2:
// what the x509 authenticator reads, for the apiserver and the kubelet's 10250 alike.
import type { DetailedPeerCertificate, TLSSocket } from 'node:tls';

const MAX_CHAIN = 10;
const cache = new WeakMap<object, readonly Buffer[]>();

/** The connection's TLS socket of a Node IncomingMessage / Http2ServerRequest. */
export function tlsSocketOfRaw(raw: unknown): TLSSocket | undefined {
  const r = raw as { stream?: { session?: { socket?: unknown } }; socket?: unknown };
  const sock = r.stream?.session?.socket ?? r.socket;
  return sock && typeof (sock as TLSSocket).getPeerCertificate === 'function' ? (sock as TLSSocket) : undefined;
}

/** Read once per connection: the chain cannot change within a TLS session. */
export function peerCertificatesOf(raw: unknown): readonly Buffer[] {
  const sock = tlsSocketOfRaw(raw);
  if (!sock) return [];
  const hit = cache.get(sock);
  if (hit) return hit;
  const out: Buffer[] = [];
  const seen = new Set<string>();
  let cert = sock.getPeerCertificate(true) as Partial<DetailedPeerCertificate> | undefined;
  while (cert?.raw && out.length < MAX_CHAIN && !seen.has(cert.fingerprint256 ?? '')) {
    seen.add(cert.fingerprint256 ?? '');
    out.push(cert.raw);
    cert = cert.issuerCertificate;
  }
  cache.set(sock, out);
  return out;
}
