// A real HTTPS webhook service for the apiserver to call (its own CA, serving certificate and a
// client certificate for the apiserver, generated at run time). The service records every request
// as it arrived.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { makePki, type Pki } from '../server/fixture.ts';

export interface WebhookRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: Record<string, string | string[] | undefined>;
  /** The raw body text and its JSON. */
  readonly raw: string;
  // biome-ignore lint/suspicious/noExplicitAny: a review as sent, read field by field by the tests
  readonly body: any;
  /** The CN of the client certificate the apiserver presented (verified against the webhook's CA). */
  readonly clientCN?: string;
}

export interface WebhookAnswer {
  readonly status?: number;
  /** JSON to send; `raw` wins when set. */
  readonly json?: unknown;
  readonly raw?: string;
  /** Answer only after this long (a slow webhook). */
  readonly delayMs?: number;
}

// biome-ignore lint/suspicious/noExplicitAny: the review body as the apiserver sent it
export type Responder = (body: any, req: WebhookRequest) => WebhookAnswer;

export interface WebhookServer {
  readonly url: string;
  readonly pki: Pki;
  readonly requests: WebhookRequest[];
  respond: Responder;
  /**
   * Writes a kubeconfig for the apiserver to reach this service at `path`: the CA by file (or
   * inline), and a client certificate by file, or a bearer token instead.
   */
  kubeconfig(file: string, opts?: { path?: string; token?: string; inlineCA?: boolean; server?: string }): string;
  close(): Promise<void>;
}

export async function startWebhookServer(dir: string, respond: Responder): Promise<WebhookServer> {
  mkdirSync(dir, { recursive: true });
  const pki = makePki(dir, { cn: 'webhook-client', orgs: ['apiservers'] });
  const requests: WebhookRequest[] = [];
  const state = { respond };
  const server: Server = createServer(
    {
      cert: readFileSync(pki.serverCrt),
      key: readFileSync(pki.serverKey),
      ca: readFileSync(pki.caCrt),
      requestCert: true,
      // Token-authenticated kubeconfigs send no certificate; `authorized` says whether one was good.
      rejectUnauthorized: false,
    },
    (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        const socket = req.socket as TLSSocket;
        const peer = socket.authorized ? socket.getPeerCertificate() : undefined;
        let body: unknown;
        try {
          body = JSON.parse(raw);
        } catch {
          body = undefined;
        }
        const rec: WebhookRequest = {
          method: req.method ?? '',
          path: req.url ?? '',
          headers: { ...req.headers },
          raw,
          body,
          ...(peer?.subject?.CN ? { clientCN: String(peer.subject.CN) } : {}),
        };
        requests.push(rec);
        const a = state.respond(body, rec);
        const answer = () => {
          if (res.destroyed) return;
          res.writeHead(a.status ?? 200, { 'content-type': 'application/json' });
          res.end(a.raw ?? JSON.stringify(a.json ?? {}));
        };
        if (a.delayMs) setTimeout(answer, a.delayMs).unref();
        else answer();
      });
    },
  );
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  const url = `https://127.0.0.1:${port}`;
  return {
    url,
    pki,
    requests,
    get respond() {
      return state.respond;
    },
    set respond(r: Responder) {
      state.respond = r;
    },
    kubeconfig(file, opts = {}) {
      const ca = opts.inlineCA
        ? `    certificate-authority-data: ${readFileSync(pki.caCrt).toString('base64')}`
        : `    certificate-authority: ${pki.caCrt}`;
      const user = opts.token
        ? [`    token: ${opts.token}`]
        : [`    client-certificate: ${pki.adminCrt}`, `    client-key: ${pki.adminKey}`];
      writeFileSync(
        file,
        [
          'apiVersion: v1',
          'kind: Config',
          'clusters:',
          '- name: remote',
          '  cluster:',
          `    server: ${opts.server ?? url}${opts.path ?? '/'}`,
          ca,
          'users:',
          '- name: apiserver',
          '  user:',
          ...user,
          'current-context: webhook',
          'contexts:',
          '- name: webhook',
          '  context: {cluster: remote, user: apiserver}',
          '',
        ].join('\n'),
        { mode: 0o600 },
      );
      return file;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
