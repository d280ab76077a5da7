// The apiserver's client toward kubelets: HTTPS with the --kubelet-client-certificate identity,
// kubelet serving certificates verified against --kubelet-certificate-authority (when given) for
// the very address dialled, a connect timeout of --kubelet-timeout, and never a followed redirect.
// The client pair is read again when its files change (client-go's ReloadTLSFiles, which
// kube-apiserver sets for its kubelet client): every request dials anew, so the next one presents
// the new certificate. Streams already open (exec, logs -f) keep the handshake they made; upstream
// closes its pooled connections instead, which would cut them.

import type { IncomingHttpHeaders, IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { TLSSocket } from 'node:tls';
import { connect as tlsConnect } from 'node:tls';
import type { KubeletClientConfig } from '../config/config.js';
import type { KubeletLocation } from './location.js';
import { WebSocket, type WsSocket } from './ws.js';

/** The kubelet answered a WebSocket handshake with something other than 101. */
export class UpgradeRefused extends Error {
  constructor(
    readonly statusCode: number,
    readonly headers: IncomingHttpHeaders,
    readonly body: string,
  ) {
    super(`unexpected kubelet response ${statusCode} to an upgrade request`);
  }
}

/** Longest part of a refused answer read (genericrest maxReadLength). */
const MAX_ERROR_BODY = 50_000;

export interface KubeletRequest {
  readonly method: string;
  readonly location: KubeletLocation;
  /** Path and query, already encoded. */
  readonly path: string;
  readonly headers?: OutgoingHttpHeaders;
  readonly body?: Buffer;
  /** Aborting destroys the request (client went away). */
  readonly signal?: AbortSignal;
}

/** The client pair in use now. */
export type ClientPair = () => { readonly certPem?: string; readonly keyPem?: string };

export class KubeletClient {
  constructor(
    private readonly config: KubeletClientConfig,
    private readonly pair: ClientPair = () => config,
  ) {}

  private tls() {
    const c = this.config;
    const { certPem, keyPem } = this.pair();
    return {
      cert: certPem,
      key: keyPem,
      ca: c.caPem,
      // Without a CA, upstream skips verification entirely (InsecureSkipVerify).
      rejectUnauthorized: c.caPem !== undefined,
    };
  }

  url(location: KubeletLocation, path: string, scheme = 'https'): string {
    return `${scheme}://${location.hostPort}${path}`;
  }

  /** Resolves with the response head (body unread); rejects with Node's error (see dialErrorText). */
  request(r: KubeletRequest): Promise<IncomingMessage> {
    return new Promise((resolve, reject) => {
      const req = httpsRequest({
        host: r.location.host,
        port: r.location.port,
        method: r.method,
        path: r.path,
        headers: r.headers,
        agent: false,
        ...this.tls(),
      });
      const timeoutMs = this.config.timeoutMs;
      const timer =
        timeoutMs > 0
          ? setTimeout(() => {
              const e = Object.assign(new Error('i/o timeout'), { code: 'KUBELET_DIAL_TIMEOUT' });
              req.destroy(e);
            }, timeoutMs)
          : undefined;
      req.once('socket', (s) => {
        (s as TLSSocket).once('secureConnect', () => clearTimeout(timer));
      });
      const onAbort = () => req.destroy(Object.assign(new Error('client went away'), { code: 'ABORTED' }));
      if (r.signal?.aborted) onAbort();
      r.signal?.addEventListener('abort', onAbort, { once: true });
      req.once('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
      req.once('response', (res) => {
        clearTimeout(timer);
        res.once('close', () => r.signal?.removeEventListener('abort', onAbort));
        resolve(res);
      });
      req.end(r.body);
    });
  }

  /** Connects and completes the TLS handshake (certificate checks included), then hangs up. */
  probe(location: KubeletLocation): Promise<void> {
    return new Promise((resolve, reject) => {
      const s = tlsConnect({ host: location.host, port: location.port, ALPNProtocols: ['http/1.1'], ...this.tls() });
      const timer =
        this.config.timeoutMs > 0
          ? setTimeout(
              () => s.destroy(Object.assign(new Error('i/o timeout'), { code: 'KUBELET_DIAL_TIMEOUT' })),
              this.config.timeoutMs,
            )
          : undefined;
      s.once('secureConnect', () => {
        clearTimeout(timer);
        s.end();
        resolve();
      });
      s.once('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
    });
  }

  /** Opens a WebSocket to the kubelet; rejects with Node's error or UpgradeRefused. The socket is paused. */
  dialWebSocket(location: KubeletLocation, path: string, protocols: string[]): Promise<WsSocket> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(this.url(location, path, 'wss'), protocols, {
        ...this.tls(),
        handshakeTimeout: this.config.timeoutMs > 0 ? this.config.timeoutMs : undefined,
        perMessageDeflate: false,
        followRedirects: false,
      });
      let settled = false;
      ws.once('open', () => {
        settled = true;
        ws.pause();
        resolve(ws);
      });
      ws.once('unexpected-response', (req, res) => {
        settled = true;
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          if (size < MAX_ERROR_BODY) chunks.push(c);
          size += c.length;
        });
        const done = () => {
          req.destroy();
          reject(
            new UpgradeRefused(
              res.statusCode ?? 0,
              res.headers,
              Buffer.concat(chunks).subarray(0, MAX_ERROR_BODY).toString('utf8'),
            ),
          );
        };
        res.once('end', done);
        res.once('error', done);
      });
      ws.on('error', (e: Error) => {
        if (settled) return;
        settled = true;
        const timedOut = /handshake has timed out/.test(e.message);
        reject(timedOut ? Object.assign(e, { code: 'KUBELET_DIAL_TIMEOUT' }) : e);
      });
    });
  }
}
