// The kubelet's TLS listener: a plain TCP server in front of an https.Server that has no
// certificate until one is issued. Until then each connection is answered with a TLS
// internal_error alert and the kubelet's log line — callers see upstream's
// `remote error: tls: internal error`. Certificates are swapped with setSecureContext: the
// listener stays up and open connections keep the certificate they shook hands with. The TLS
// options (tlsMinVersion, tlsCipherSuites) go with every context: setSecureContext would drop them.
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import type { Logger } from '@mkube/shared/log';
import { listenBacklog } from '@mkube/shared/net';
import {
  DEFAULT_MIN_VERSION,
  keepUnverifiedPeersReadable,
  serverTLSOptions,
  type TLSServingOptions,
} from '@mkube/shared/tls';

const DEFAULT_TLS: TLSServingOptions = {
  minVersion: DEFAULT_MIN_VERSION,
  minVersionName: '',
  cipherSuites: [],
  warnings: [],
};

// TLS record: alert (21), TLS 1.2, length 2, fatal (2), internal_error (80).
const INTERNAL_ERROR_ALERT = Buffer.from([0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x50]);

export interface ServingPair {
  readonly certPem: string;
  readonly keyPem: string;
}

export class KubeletListener {
  readonly https: HttpsServer;
  readonly #front: NetServer;
  readonly #sockets = new Set<Socket>();
  #pair: ServingPair | undefined;
  #refusedSince = 0;
  #refusedCount = 0;

  constructor(
    private clientCAPem: string | undefined,
    private readonly log: Logger,
    private readonly tls: TLSServingOptions = DEFAULT_TLS,
  ) {
    this.https = createHttpsServer({
      requestCert: true,
      rejectUnauthorized: false,
      ...serverTLSOptions(tls),
      ...(clientCAPem ? { ca: clientCAPem } : {}),
    });
    keepUnverifiedPeersReadable(this.https);
    this.https.on('tlsClientError', (err, sock) =>
      this.log.debug({ remote: sock.remoteAddress, err: err.message }, 'TLS handshake error'),
    );
    this.#front = createNetServer((sock) => this.#accept(sock));
  }

  get hasCertificate(): boolean {
    return this.#pair !== undefined;
  }

  /** Installs (or replaces) the serving certificate for every new connection. */
  setCertificate(pair: ServingPair): void {
    this.https.setSecureContext({
      cert: pair.certPem,
      key: pair.keyPem,
      ...serverTLSOptions(this.tls),
      ...(this.clientCAPem ? { ca: this.clientCAPem } : {}),
    });
    this.#pair = pair;
  }

  /** A reloaded --client-ca-file: new handshakes offer its CA names (open connections keep theirs). */
  setClientCA(pem: string): void {
    this.clientCAPem = pem;
    if (this.#pair) this.setCertificate(this.#pair);
  }

  #accept(sock: Socket): void {
    this.#sockets.add(sock);
    sock.once('close', () => this.#sockets.delete(sock));
    sock.on('error', () => {});
    if (this.#pair) {
      this.https.emit('connection', sock);
      return;
    }
    this.#logRefusal(sock);
    sock.setTimeout(5000, () => sock.destroy());
    // Wait for the ClientHello, so the client reads the alert instead of a reset.
    sock.once('data', () => sock.end(INTERNAL_ERROR_ALERT));
  }

  #logRefusal(sock: Socket): void {
    const now = Date.now();
    this.#refusedCount++;
    if (now - this.#refusedSince < 1000) return;
    this.log.warn(
      { refusedSinceLastLog: this.#refusedCount },
      `http: TLS handshake error from ${sock.remoteAddress}:${sock.remotePort}: no serving certificate available for the kubelet`,
    );
    this.#refusedSince = now;
    this.#refusedCount = 0;
  }

  listen(port: number, address: string): Promise<number> {
    return new Promise((resolve, reject) => {
      this.#front.once('error', reject);
      this.#front.listen(port, address, listenBacklog(), () => {
        this.#front.off('error', reject);
        const a = this.#front.address();
        resolve(typeof a === 'object' && a ? a.port : port);
      });
    });
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.#front.close(() => resolve()));
    for (const s of this.#sockets) s.destroy();
    this.https.close();
  }
}
