// A real HTTPS webhook service for the apiserver to call (its own CA, serving certificate and a
// client certificate for the apiserver, generated at run time), and an apiserver whose log the
// test can read. The service records every request as it arrived.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { parseFlags } from '@mkube/shared/flags';
import { createLogger } from '@mkube/shared/log';
import { APISERVER_FLAGS, loadApiServerConfig } from '../../src/config/index.ts';
import { startApiServer } from '../../src/server/server.ts';
import {
  type ExtraArgs,
  type Fixture,
  makePki,
  type Pki,
  serverArgs,
  tempDir,
  writeKubeconfig,
} from '../server/fixture.ts';

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
        res.writeHead(a.status ?? 200, { 'content-type': 'application/json' });
        res.end(a.raw ?? JSON.stringify(a.json ?? {}));
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

export interface LoggedFixture extends Fixture {
  /** Every log line the apiserver wrote, as text. */
  readonly logs: string[];
}

/** startFixture's apiserver, with its log kept for the test to read. */
export async function startLoggedFixture(extraArgs: ExtraArgs): Promise<LoggedFixture> {
  const dir = tempDir('webhook-apiserver');
  const pki = makePki(dir);
  const extra = typeof extraArgs === 'function' ? extraArgs(pki) : extraArgs;
  const parsed = parseFlags(APISERVER_FLAGS, serverArgs(pki, join(dir, 'data'), extra));
  const config = loadApiServerConfig(parsed.flags, parsed.given);
  const logs: string[] = [];
  const log = createLogger({ name: 'kube-apiserver', destination: { write: (s: string) => logs.push(s) } as never });
  const server = await startApiServer(config, { log, drainTimeoutMs: 3000 });
  const url = `https://127.0.0.1:${server.port}`;
  const kubeconfig = join(dir, 'admin.conf');
  writeKubeconfig(kubeconfig, url, pki);
  return {
    dir,
    pki,
    server,
    url,
    kubeconfig,
    logs,
    async close() {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A kubeconfig for `fx` that authenticates with a bearer token only (no client certificate). */
export function tokenKubeconfig(fx: Pick<Fixture, 'dir' | 'url' | 'pki'>, name: string, token: string): string {
  const file = join(fx.dir, `${name}.conf`);
  writeFileSync(
    file,
    [
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      '- name: mkube',
      '  cluster:',
      `    server: ${fx.url}`,
      `    certificate-authority: ${fx.pki.caCrt}`,
      'users:',
      `- name: ${name}`,
      '  user:',
      `    token: ${token}`,
      'contexts:',
      '- name: mkube',
      `  context: {cluster: mkube, user: ${name}}`,
      'current-context: mkube',
      '',
    ].join('\n'),
    { mode: 0o600 },
  );
  return file;
}
