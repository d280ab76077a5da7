// A server that asks for client certificates but decides on them itself (rejectUnauthorized: false,
// as Go's VerifyClientCertIfGiven) must still be able to read from a client whose certificate failed
// OpenSSL's check. One failure breaks that in Node 20: a certificate whose issuer *name* is a trusted
// CA's but whose signature is not that CA's (an X.509 v1 certificate, with no key identifiers, gets
// that far) leaves the signature check's error (`ASN1_item_verify_ctx: EVP lib`) on OpenSSL's error
// queue after the handshake. The queue outlives the handshake, and TLSWrap's next SSL_read takes the
// stale entry for its own failure: the connection is reset before the first request is read, where
// kube-apiserver answers 401. Asking TLSWrap for the peer's certificate clears the queue when it
// returns (ClearErrorOnReturn), and 'secureConnection' is emitted synchronously from the handshake's
// end, before any application data is read — so asking there drops the stale entry.
// getPeerX509Certificate only wraps what OpenSSL holds (getPeerCertificate would build an object).
import type { Server as NetServer } from 'node:net';
import type { TLSSocket } from 'node:tls';

/** Keeps connections whose client certificate failed verification readable, so they get a 401. */
export function keepUnverifiedPeersReadable(server: NetServer): void {
  server.on('secureConnection', (socket: TLSSocket) => {
    // Verified peers leave nothing on the queue; only a failed check needs the clearing call.
    if (!socket.authorized) socket.getPeerX509Certificate();
  });
}
