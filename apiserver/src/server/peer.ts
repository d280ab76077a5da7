// The TLS peer's certificate chain (DER, leaf first) for a request over HTTP/1.1 or HTTP/2.
import type { TLSSocket } from 'node:tls';
import type { FastifyRequest } from 'fastify';

const MAX_CHAIN = 10;
const cache = new WeakMap<object, readonly Buffer[]>();

/** The connection's TLS socket: for HTTP/2 the session's, for HTTP/1.1 the request's. */
export function tlsSocketOf(request: FastifyRequest): TLSSocket | undefined {
  const raw = request.raw as unknown as { stream?: { session?: { socket?: unknown } }; socket?: unknown };
  const sock = raw.stream?.session?.socket ?? raw.socket;
  return sock && typeof (sock as TLSSocket).getPeerCertificate === 'function' ? (sock as TLSSocket) : undefined;
}

/** Read once per connection: the chain cannot change within a TLS session. */
export function peerCertificates(request: FastifyRequest): readonly Buffer[] {
  const sock = tlsSocketOf(request);
  if (!sock) return [];
  const hit = cache.get(sock);
  if (hit) return hit;
  const out: Buffer[] = [];
  const seen = new Set<string>();
  let cert = sock.getPeerCertificate(true) as Partial<import('node:tls').DetailedPeerCertificate> | undefined;
  while (cert?.raw && out.length < MAX_CHAIN && !seen.has(cert.fingerprint256 ?? '')) {
    seen.add(cert.fingerprint256 ?? '');
    out.push(cert.raw);
    cert = cert.issuerCertificate;
  }
  cache.set(sock, out);
  return out;
}
