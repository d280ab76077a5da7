// The HTTPS server: fastify over HTTP/2 and HTTP/1.1 (ALPN), TLS 1.2+ (or --tls-min-version, with
// --tls-cipher-suites), --tls-sni-cert-key certificates by server name, client certificates requested
// but judged by the authenticators. Bodies are raw Buffers of any content type; every error is a Status.
import { randomUUID } from 'node:crypto';
import type { Http2SecureServer, Http2ServerRequest, Http2ServerResponse } from 'node:http2';
import fastifyWebsocket from '@fastify/websocket';
import type { Authenticator, Authorizer, UserInfo } from '@mkube/shared/auth';
import type { Verbosity } from '@mkube/shared/debugflags';
import type { Logger } from '@mkube/shared/log';
import { keepUnverifiedPeersReadable, serverTLSOptions } from '@mkube/shared/tls';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest, LogController } from 'fastify';
import { type Auditor, noteSwitchingProtocols } from '../audit/index.js';
import type { ServingConfig } from '../config/config.js';
import type { ApiServerMetrics } from '../metrics/index.js';
import type { RequestInfo } from '../request/requestinfo.js';
import { auditRequest, auditRequestBody, auditResponseBody } from './audit.js';
import { AuthenticationRecord } from './authncontext.js';
import { requestInfoOf, runChain } from './chain.js';
import { trackConnections } from './connections.js';
import { corsHeaders } from './cors.js';
import { armRequestDeadline } from './deadline.js';
import { fromFastifyError, MAX_REQUEST_BODY_BYTES, notFoundStatus, sendStatus } from './errors.js';
import type { GateFactory } from './flowgate.js';
import { registerProbabilisticGoaway } from './goaway.js';
import { readUndeclaredBodies } from './h2body.js';
import { registerHttpLog } from './httplog.js';
import { TOO_MANY_REQUESTS_TEXT } from './maxinflight.js';
import { peerCertificates, peerLeaf } from './peer.js';
import { lazyRequestLogger } from './requestlog.js';
import { sniSelection } from './sni.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the handler chain before any route runs. */
    mkube: { info: RequestInfo; user: UserInfo } | null;
  }
}

/** The Audit-ID header as the client sent it (kept whole, as upstream), else a new UUID. */
function auditIdOf(header: string | string[] | undefined): string {
  const v = Array.isArray(header) ? header[0] : header;
  return v || randomUUID();
}

export interface AppDeps {
  /** API Priority and Fairness, or max-in-flight (--enable-priority-and-fairness=false). */
  readonly concurrencyGate?: GateFactory;
  /** --goaway-chance (0: off). */
  readonly goawayChance?: number;
  /** -v, as /debug/flags/v changes it: at 3 and above a line per request (httplog). */
  readonly verbosity?: Verbosity;
  readonly serving: ServingConfig;
  /** PEM bundle sent to clients as acceptable issuers; absent: any client certificate may be offered. */
  readonly clientCAPem?: string;
  /** Front-proxy headers: removed once authentication has run, whoever sent them. */
  readonly isRequestHeader?: (name: string) => boolean;
  readonly authenticator: Authenticator;
  readonly authorizer: Authorizer;
  /** --audit-policy-file with --audit-log-path; absent: no auditing. */
  readonly auditor?: Auditor;
  /** --cors-allowed-origins, compiled (empty: no CORS). */
  readonly corsAllowedOrigins?: readonly RegExp[];
  /** --strict-transport-security-directives as the header's value. */
  readonly hsts?: string;
  /** --request-timeout in ms (0: none; absent: upstream's 1m). */
  readonly requestTimeoutMs?: number;
  /** Counts every answered request (/metrics). */
  readonly metrics?: ApiServerMetrics;
  readonly log: Logger;
}

export interface App {
  readonly fastify: FastifyInstance;
  /**
   * A shutdown's first step, as Go's Server.Shutdown: GOAWAY on every HTTP/2 connection (its
   * client closes it once its streams are done) and idle HTTP/1.1 connections closed, so the
   * server's close waits only for requests still running.
   */
  goAwayAll(): void;
  /** Destroys every open connection (the last step of a shutdown that ran out of time). */
  destroyConnections(): void;
  /**
   * Handshakes from now on use this serving pair and offer these client CAs (a reloaded
   * --tls-cert-file or --client-ca-file); open connections keep what they negotiated.
   */
  updateTLS(serving: { certPem: string; keyPem: string }, clientCAPem: string | undefined): void;
}

/** Header name (lower-cased) → every value, in order, from Node's flat rawHeaders (HTTP/1.1 and HTTP/2). */
function distinctHeaders(raw: readonly string[]): Record<string, string | string[]> {
  const out: Record<string, string[]> = {};
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    if (name.startsWith(':')) continue;
    const list = out[name] ?? [];
    list.push(raw[i + 1]!);
    out[name] = list;
  }
  // Single values as plain strings, as Node presents them.
  return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, v.length === 1 ? v[0]! : v]));
}

export async function buildApp(deps: AppDeps): Promise<App> {
  for (const w of deps.serving.tls.warnings) deps.log.warn(w);
  const sni = sniSelection(deps);
  const { SNICallback } = sni;
  const app = Fastify({
    http2: true,
    https: {
      allowHTTP1: true,
      cert: deps.serving.certPem,
      key: deps.serving.keyPem,
      ca: deps.clientCAPem,
      requestCert: true,
      rejectUnauthorized: false,
      ...serverTLSOptions(deps.serving.tls),
      ...(SNICallback ? { SNICallback } : {}),
    },
    bodyLimit: MAX_REQUEST_BODY_BYTES,
    loggerInstance: deps.log.child({ component: 'http' }),
    // One line per request is noise at default verbosity; failures are logged where they happen.
    logController: new LogController({ disableRequestLogging: true }),
    childLoggerFactory: lazyRequestLogger,
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 1000 },
    return503OnClosing: true,
    // go-restful routes answer no HEAD (405); the plain handlers list HEAD among their methods.
    exposeHeadRoutes: false,
  }) as unknown as FastifyInstance;

  // "Expect: 100-continue" (curl asks it for large bodies): Node would answer 100 before any handler
  // ran, so a client sending more than the limit gets its 413 while still uploading and, on a
  // busy machine, a reset instead. As Go's server, 100 goes out only for a body that may be read;
  // an oversized one is answered (authentication first, then 413) without being sent at all.
  const server = app.server as unknown as Http2SecureServer;
  sni.install(server);
  keepUnverifiedPeersReadable(server);
  server.on('checkContinue', (req: Http2ServerRequest, res: Http2ServerResponse) => {
    const length = Number(req.headers['content-length'] ?? Number.NaN);
    if (!(length > MAX_REQUEST_BODY_BYTES)) res.writeContinue();
    server.emit('request', req, res);
  });

  const connections = trackConnections(server);

  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
  app.decorateRequest('mkube', null);

  app.setErrorHandler((err, request, reply) => {
    const status = fromFastifyError(err);
    if (status.code >= 500) request.log.error({ err, url: request.url }, 'request failed');
    if (!reply.sent) sendStatus(reply, status.toStatus());
  });
  app.setNotFoundHandler((_request, reply) => sendStatus(reply, notFoundStatus()));

  // WithHSTS and WithCORS sit outside authentication: a preflight needs no credentials.
  const cors = deps.corsAllowedOrigins ?? [];
  if (cors.length > 0 || deps.hsts) {
    app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
      // On the raw response, so hijacked ones (watches, proxies) carry them too.
      if (deps.hsts) reply.raw.setHeader('strict-transport-security', deps.hsts);
      const origin = request.headers.origin;
      const allowed = corsHeaders(cors, typeof origin === 'string' ? origin : undefined, request.method);
      if (!allowed) return;
      for (const [k, v] of Object.entries(allowed.headers)) reply.raw.setHeader(k, v);
      if (allowed.preflight) return reply.code(204).send();
    });
  }
  // Outside authentication, as upstream's filter: any HTTP/2 request may draw it.
  registerProbabilisticGoaway(app, deps.goawayChance ?? 0);
  app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    const authn = new AuthenticationRecord();
    const view = {
      method: request.method,
      url: request.url,
      path: request.url.split('?')[0] ?? '/',
      // Repeated headers stay separate values (X-Remote-Group twice is two groups), as in Go.
      headers: distinctHeaders(request.raw.rawHeaders),
      peerCertificates: peerLeaf(request),
      peerChain: () => peerCertificates(request),
      context: authn,
    };
    const outcome = await runChain(view, deps, deps.concurrencyGate?.(reply.raw));
    // WithAuditInit, audited or not: the client's Audit-ID (a front proxy's) or a new one, echoed
    // on the raw response so handlers that write their own headers (watch, logs, proxy) send it too.
    const auditId = auditIdOf(request.headers['audit-id']);
    reply.raw.setHeader('Audit-Id', auditId);
    if (deps.auditor) auditRequest(deps.auditor, request, reply, view, outcome, authn.annotations, auditId);
    authn.sendWarnings(reply);
    if (outcome.ok === false && outcome.tooManyRequests) {
      // upstream's tooManyRequests: plain text, Retry-After, not a Status.
      return reply
        .code(429)
        .header('retry-after', String(outcome.tooManyRequests.retryAfterSeconds))
        .header('content-type', 'text/plain; charset=utf-8')
        .header('x-content-type-options', 'nosniff')
        .send(TOO_MANY_REQUESTS_TEXT);
    }
    if (!outcome.ok) return sendStatus(reply, outcome.error.toStatus());
    // Consumed (or untrusted): nothing after authentication may see the front proxy's headers.
    if (deps.isRequestHeader)
      for (const h of Object.keys(request.headers)) if (deps.isRequestHeader(h)) delete request.headers[h];
    // Consumed by impersonation, as upstream clears them (only a request that impersonated has any).
    if (outcome.authenticatedUser)
      for (const h of Object.keys(request.headers)) if (h.startsWith('impersonate-')) delete request.headers[h];
    request.mkube = { info: outcome.info, user: outcome.user };
    armRequestDeadline(request, reply, outcome.info, deps.requestTimeoutMs ?? 60_000);
  });

  readUndeclaredBodies(app);
  if (deps.verbosity) registerHttpLog(app, deps.verbosity, deps.log);

  const metrics = deps.metrics;
  if (metrics) {
    app.addHook('onResponse', async (request, reply) => {
      const info = request.mkube?.info ?? requestInfoOf({ method: request.method, url: request.url });
      const contentType = String(request.headers['content-type'] ?? '');
      const dryRun = /[?&]dryRun=All(&|$)/.test(request.url);
      metrics.observe(info, request.method, contentType, dryRun, reply.statusCode, reply.elapsedTime / 1000);
    });
  }

  if (deps.auditor) {
    app.addHook('preHandler', async (request) => auditRequestBody(request));
    app.addHook('onSend', async (request, reply, payload) => {
      auditResponseBody(request, reply, payload);
      return payload;
    });
  }
  await app.register(fastifyWebsocket);
  // A WebSocket's 101 is written by ws, not through the reply: the audit record hears of it here.
  if (deps.auditor) {
    (app as unknown as { websocketServer: import('node:events').EventEmitter }).websocketServer.on(
      'headers',
      (_headers: string[], req: import('node:http').IncomingMessage) => noteSwitchingProtocols(req),
    );
  }
  return {
    fastify: app,
    goAwayAll: () => connections.goAwayAll(),
    destroyConnections: () => connections.destroyAll(),
    updateTLS(serving, clientCAPem) {
      server.setSecureContext({
        cert: serving.certPem,
        key: serving.keyPem,
        ca: clientCAPem,
        ...serverTLSOptions(deps.serving.tls),
      });
      sni.update(serving, clientCAPem);
    },
  };
}
