// kube-controller-manager's secure port (10257): HTTPS with delegated authentication and
// authorization in front of /healthz, /livez and /readyz (with their checks), /metrics and /configz.
// Every request is authenticated and authorized before routing, so an unknown path is 403 for a
// caller who may not see it and 404 for one who may, as in any k8s.io/apiserver server.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { newInternalError, newUnauthorized, type StatusError } from '@mkube/shared/apierrors';
import {
  type Attributes,
  type Authenticator,
  type Authorizer,
  forbiddenError,
  nonResourceAttributes,
  peerCertificatesOf,
  peerLeafOf,
  type UserInfo,
} from '@mkube/shared/auth';
import {
  DEBUG_FLAG_V_PATH,
  DEBUG_FLAGS_PATH,
  debugFlagsIndex,
  readFlagBody,
  serveDebugFlagV,
  type Verbosity,
} from '@mkube/shared/debugflags';
import type { Logger } from '@mkube/shared/log';
import { listenBacklog } from '@mkube/shared/net';
import { type Profiler, pprofName } from '@mkube/shared/pprof';
import { serverTLSOptions, type TLSServingOptions } from '@mkube/shared/tls';

/** A named health check; a thrown error or false is a failure. */
export interface HealthCheck {
  readonly name: string;
  check(): boolean;
}

/** An API served beside the fixed paths (metrics-server's metrics.k8s.io), authorized as resources. */
export interface ApiHandler {
  /** The request's resource attributes when it names one of the API's resources; undefined otherwise. */
  resourceAttributes(user: UserInfo, method: string, url: URL): Attributes | undefined;
  /** Answers what authorization let through; false when the path is not the API's (the fixed paths then). */
  serve(req: IncomingMessage, res: ServerResponse, url: URL, user: UserInfo): Promise<boolean>;
}

export interface SecureServerDeps {
  readonly bindAddress: string;
  readonly port: number;
  readonly certPem: string;
  readonly keyPem: string;
  /** --tls-min-version and --tls-cipher-suites. */
  readonly tls: TLSServingOptions;
  readonly authenticator: Authenticator;
  readonly authorizer: Authorizer;
  readonly checks: readonly HealthCheck[];
  readonly metrics: () => string;
  readonly configz: () => unknown;
  /** --profiling: /debug/pprof, authorized as any non-resource path. */
  readonly profiler?: Profiler;
  /** --profiling: /debug/flags/v (verb put), as NewBaseHandler installs it beside pprof. */
  readonly verbosity?: Verbosity;
  readonly api?: ApiHandler;
  readonly log: Logger;
}

export interface SecureServer {
  readonly address: string;
  readonly port: number;
  /** New handshakes get this pair (a reloaded --tls-cert-file); open connections keep theirs. */
  setCertificate(pair: { certPem: string; keyPem: string }): void;
  close(): Promise<void>;
}

const HEALTH = ['/healthz', '/livez', '/readyz'];

/** The health endpoint `path` is, or is a single check under ('/healthz/ping'). */
function healthRoot(path: string): string | undefined {
  return HEALTH.find((h) => path === h || path.startsWith(`${h}/`));
}

function send(res: import('node:http').ServerResponse, code: number, type: string, body: string): void {
  res.writeHead(code, {
    'content-type': type,
    'cache-control': 'no-cache, private',
    'x-content-type-options': 'nosniff',
  });
  res.end(body);
}

function sendStatus(res: import('node:http').ServerResponse, err: StatusError): void {
  send(res, err.code, 'application/json', `${JSON.stringify(err.toStatus())}\n`);
}

/** The healthz handler's text: "ok", or per check with ?verbose and on failure (reasons withheld, as upstream). */
export function healthResponse(
  path: string,
  query: URLSearchParams,
  checks: readonly HealthCheck[],
): { code: number; body: string } {
  const root = healthRoot(path) ?? '/healthz';
  const single = path.slice(root.length + 1);
  const all = [{ name: 'ping', check: () => true }, ...checks];
  const run = (c: HealthCheck): boolean => {
    try {
      return c.check();
    } catch {
      return false;
    }
  };
  if (single) {
    const c = all.find((x) => x.name === single);
    if (!c) return { code: 404, body: '404 page not found\n' };
    return run(c) ? { code: 200, body: 'ok' } : { code: 500, body: 'internal server error: check failed\n' };
  }
  const exclude = new Set(query.getAll('exclude'));
  const results = all.filter((c) => !exclude.has(c.name)).map((c) => ({ name: c.name, ok: run(c) }));
  const failed = results.some((r) => !r.ok);
  const name = root.slice(1);
  if (!failed && !query.has('verbose')) return { code: 200, body: 'ok' };
  const lines = results.map((r) => (r.ok ? `[+]${r.name} ok` : `[-]${r.name} failed: reason withheld`));
  return {
    code: failed ? 500 : 200,
    body: `${lines.join('\n')}\n${name} check ${failed ? 'failed' : 'passed'}\n`,
  };
}

export async function startSecureServer(d: SecureServerDeps): Promise<SecureServer> {
  const server: Server = createServer({
    cert: d.certPem,
    key: d.keyPem,
    requestCert: true,
    rejectUnauthorized: false,
    ...serverTLSOptions(d.tls),
  });
  server.on('request', (req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'https://localhost');
      const path = url.pathname;
      let user: UserInfo | null;
      try {
        user = await d.authenticator.authenticate({
          method: req.method ?? 'GET',
          path,
          // Each header line apart: a front proxy sends one X-Remote-Group line per group.
          headers: req.headersDistinct,
          peerCertificates: peerLeafOf(req),
          peerChain: () => peerCertificatesOf(req),
        });
      } catch {
        user = null;
      }
      if (!user) return sendStatus(res, newUnauthorized());
      // A non-resource request's verb is its method in lower case (RequestInfoFactory).
      const attrs =
        d.api?.resourceAttributes(user, req.method ?? 'GET', url) ??
        nonResourceAttributes(user, (req.method ?? 'GET').toLowerCase(), path);
      try {
        const r = await d.authorizer.authorize(attrs);
        if (r.decision !== 'Allow') return sendStatus(res, forbiddenError(attrs, r.reason));
      } catch (e) {
        d.log.error({ err: (e as Error).message, path }, 'authorization error');
        return sendStatus(res, newInternalError(e));
      }
      if (d.verbosity && path === DEBUG_FLAG_V_PATH) {
        const body = await readFlagBody(req);
        const r = typeof body !== 'string' ? body : serveDebugFlagV(req.method ?? 'GET', body, d.verbosity);
        res.writeHead(r.code, r.headers);
        return res.end(r.body);
      }
      if (d.verbosity && (path === DEBUG_FLAGS_PATH || path.startsWith(`${DEBUG_FLAGS_PATH}/`))) {
        const r = debugFlagsIndex();
        res.writeHead(r.code, r.headers);
        return res.end(r.body);
      }
      if (d.api && (await d.api.serve(req, res, url, user))) return;
      // As upstream's PathRecorderMux handlers, which look at no method: what authorization let
      // through is answered whatever its verb (POST /healthz is an always-allowed path's "ok").
      if (healthRoot(path)) {
        const h = healthResponse(path, url.searchParams, d.checks);
        return send(res, h.code, 'text/plain; charset=utf-8', h.body);
      }
      if (path === '/metrics') return send(res, 200, 'text/plain; version=0.0.4; charset=utf-8', d.metrics());
      if (path === '/configz') return send(res, 200, 'application/json', `${JSON.stringify(d.configz())}\n`);
      if (d.profiler && pprofName(path) !== undefined) {
        const r = await d.profiler.serveRequest(req.url ?? '/', res);
        res.writeHead(r.code, r.headers);
        return res.end(r.body);
      }
      return send(res, 404, 'text/plain; charset=utf-8', '404 page not found\n');
    })().catch((e: unknown) => {
      d.log.error({ err: (e as Error).message }, 'secure port handler failed');
      if (!res.headersSent) sendStatus(res, newInternalError(e));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(d.port, d.bindAddress, listenBacklog(), () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address() as AddressInfo;
  d.log.info({ address: `${addr.address}:${addr.port}` }, 'serving securely');
  return {
    address: addr.address,
    port: addr.port,
    setCertificate(pair) {
      // setSecureContext replaces every TLS option: the serving ones go with it.
      server.setSecureContext({ cert: pair.certPem, key: pair.keyPem, ...serverTLSOptions(d.tls) });
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
