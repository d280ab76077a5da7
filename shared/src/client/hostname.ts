// The server hostname check of a client TLS connection, without Node's detailed peer certificate.
//
// For every new session Node's TLS client calls getPeerCertificate(true) to hand
// checkServerIdentity the certificate: a JS object of the whole chain, each link with its names,
// key, modulus and fingerprints (~0.25 ms of CPU per handshake), of which the check reads the
// leaf's subject and subjectaltname. A process of many kubelet identities pays it once per identity
// and connection. So that one call on the socket gets the leaf alone (getPeerCertificate(false)):
// the same check, verdict, message and code, on the same fields. Later calls are Node's own.
// (getPeerX509Certificate would be cheaper still, but on a client it takes the leaf out of the
// session's peer chain, after which getPeerCertificate returns {}.)
import { TLSSocket } from 'node:tls';

/** Call right after tls.connect, before the handshake completes. */
export function leafOnlyForHostnameCheck(socket: TLSSocket): TLSSocket {
  const own = socket as TLSSocket & { getPeerCertificate: TLSSocket['getPeerCertificate'] };
  own.getPeerCertificate = ((_detailed?: boolean) => {
    restore(socket);
    return TLSSocket.prototype.getPeerCertificate.call(socket, false);
  }) as TLSSocket['getPeerCertificate'];
  // A resumed session skips the check: the override must not outlive the handshake either way.
  socket.once('secureConnect', () => restore(socket));
  socket.once('close', () => restore(socket));
  return socket;
}

function restore(socket: TLSSocket): void {
  if (Object.hasOwn(socket, 'getPeerCertificate'))
    delete (socket as { getPeerCertificate?: unknown }).getPeerCertificate;
}
