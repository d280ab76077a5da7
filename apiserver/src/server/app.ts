// The HTTPS server: fastify over HTTP/2 and HTTP/1.1 (ALPN), TLS 1.2+, client certificates requested
// but judged by the authenticators. Bodies are raw Buffers of any content type; every error is a Status.
import type { Http2SecureServer } from 'node:http2';
import type { TLSSocket } from 'node:tls';
import fastifyWebsocket from '@fastify/websocket';
import type { Authenticator, Authorizer, UserInfo } from '@mkube/shared/auth';
import type { Logger } from '@mkube/shared/log';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest, LogController } from 'fastify';
import type { ServingConfig } from '../config/config.js';
import type { RequestInfo } from '../request/requestinfo.js';
import { runChain } from './chain.js';
import { fromFastifyError, MAX_REQUEST_BODY_BYTES, notFoundStatus, sendStatus } from './errors.js';
import { peerCertificates } from './peer.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the handler chain before any route runs. */
    mkube: { info: RequestInfo; user: UserInfo } | null;
  }
}

export interface AppDeps {
  readonly serving: ServingConfig;
  /** PEM bundle sent to clients as acceptable issuers; absent: any client certificate may be offered. */
  readonly clientCAPem?: string;
  readonly authenticator: Authenticator;
  readonly authorizer: Authorizer;
  readonly log: Logger;
}

export interface App {
  readonly fastify: FastifyInstance;
  /** Destroys every open connection (the last step of a shutdown that ran out of time). */
  destroyConnections(): void;
}

export async function buildApp(deps: AppDeps): Promise<App> {
  const app = Fastify({
    http2: true,
    https: {
      allowHTTP1: true,
      cert: deps.serving.certPem,
      key: deps.serving.keyPem,
      ca: deps.clientCAPem,
      requestCert: true,
      rejectUnauthorized: false,
      minVersion: 'TLSv1.2',
    },
    bodyLimit: MAX_REQUEST_BODY_BYTES,
    loggerInstance: deps.log.child({ component: 'http' }),
    // One line per request is noise at default verbosity; failures are logged where they happen.
    logController: new LogController({ disableRequestLogging: true }),
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 1000 },
    return503OnClosing: true,
  }) as unknown as FastifyInstance;

  const sockets = new Set<TLSSocket>();
  (app.server as unknown as Http2SecureServer).on('secureConnection', (s: TLSSocket) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });

  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
  app.decorateRequest('mkube', null);

  app.setErrorHandler((err, request, reply) => {
    const status = fromFastifyError(err);
    if (status.code >= 500) request.log.error({ err, url: request.url }, 'request failed');
    if (!reply.sent) sendStatus(reply, status.toStatus());
  });
  app.setNotFoundHandler((_request, reply) => sendStatus(reply, notFoundStatus()));

  app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    const outcome = await runChain(
      {
        method: request.method,
        url: request.url,
        path: request.url.split('?')[0] ?? '/',
        headers: request.headers,
        peerCertificates: peerCertificates(request),
      },
      deps,
    );
    if (!outcome.ok) return sendStatus(reply, outcome.error.toStatus());
    request.mkube = { info: outcome.info, user: outcome.user };
  });

  await app.register(fastifyWebsocket);
  return {
    fastify: app,
    destroyConnections() {
      for (const s of sockets) s.destroy();
    },
  };
}
