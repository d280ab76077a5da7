// The aggregator's proxy (kube-aggregator pkg/apiserver/handler_proxy.go): a request for a remote
// APIService's group version goes, after this apiserver authenticated and authorized it, to an
// endpoint of the APIService's Service, with the user in front-proxy headers (X-Remote-User,
// X-Remote-Uid, X-Remote-Group, X-Remote-Extra-*) and the client's own credentials removed.
import type { IncomingHttpHeaders, IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import { type Agent, request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';
import type { UserInfo } from '@mkube/shared/auth';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { goDialError } from '../util/dialerror.js';
import { HOP_BY_HOP } from '../util/hopbyhop.js';
import type { ServiceEndpoint } from '../util/serviceresolver.js';

/** Never forwarded: hop-by-hop headers, and HTTP/2's connection-specific ones. */
const HOP_BY_HOP_H2 = new Set([...HOP_BY_HOP, 'host', 'http2-settings']);

/** Token bytes of an HTTP header name (Go's net/http isTokenTable), except '%'. */
const TOKEN = /^[A-Za-z0-9!#$&'*+\-.^_`|~]$/;

/** client-go's headerKeyEscape: what is not a header-name byte (and '%') is percent-encoded. */
export function headerKeyEscape(key: string): string {
  let out = '';
  for (const b of Buffer.from(key, 'utf8')) {
    const c = String.fromCharCode(b);
    out += b < 0x80 && TOKEN.test(c) ? c : `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** transport.SetAuthProxyHeaders: the user as front-proxy headers, any the client sent replaced. */
export function authProxyHeaders(user: UserInfo): OutgoingHttpHeaders {
  const h: OutgoingHttpHeaders = { 'x-remote-user': user.username };
  if (user.uid) h['x-remote-uid'] = user.uid;
  if (user.groups.length) h['x-remote-group'] = [...user.groups];
  for (const [k, values] of Object.entries(user.extra ?? {})) {
    if (values.length) h[`x-remote-extra-${headerKeyEscape(k)}`] = [...values];
  }
  return h;
}

/**
 * The request's headers as the aggregated server gets them: no hop-by-hop or HTTP/2 pseudo headers,
 * no credentials of the client's (its bearer token, its impersonation headers, any X-Remote-* it
 * wrote itself), then the authenticated user's front-proxy headers.
 */
export function proxiedHeaders(incoming: IncomingHttpHeaders, user: UserInfo): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(incoming)) {
    if (value === undefined || name.startsWith(':') || HOP_BY_HOP_H2.has(name)) continue;
    if (name === 'authorization' || name.startsWith('impersonate-') || name.startsWith('x-remote-')) continue;
    out[name] = value;
  }
  return { ...out, ...authProxyHeaders(user) };
}

/** The response's headers as the client gets them. */
function responseHeaders(res: IncomingMessage): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(res.headers)) {
    if (value !== undefined && !HOP_BY_HOP_H2.has(name)) out[name] = value;
  }
  return out;
}

/** proxyError: Go's http.Error, a plain-text line (not a Status), as kube-aggregator answers. */
export function sendProxyError(reply: FastifyReply, message: string, code: number): void {
  reply
    .code(code)
    .header('content-type', 'text/plain; charset=utf-8')
    .header('x-content-type-options', 'nosniff')
    .send(`${message}\n`);
}

export interface ProxyCall {
  readonly request: FastifyRequest;
  readonly reply: FastifyReply;
  readonly user: UserInfo;
  readonly endpoint: ServiceEndpoint;
  /** The name the serving certificate must carry: `<service>.<namespace>.svc`. */
  readonly serverName: string;
  readonly agent: Agent;
  /** How long to wait for the response's headers (watches then stream for as long as they last). */
  readonly responseTimeoutMs: number;
}

/** Forwards the request and streams the answer back; a failure to get one is a 503 naming why. */
export function proxyRequest(call: ProxyCall): Promise<void> {
  const { request, reply, endpoint } = call;
  const addr = isIP(endpoint.host) === 6 ? `[${endpoint.host}]:${endpoint.port}` : `${endpoint.host}:${endpoint.port}`;
  const body = Buffer.isBuffer(request.body) && request.body.length > 0 ? request.body : undefined;
  const headers = proxiedHeaders(request.headers, call.user);
  headers.host = call.serverName;
  if (body) headers['content-length'] = body.length;
  return new Promise<void>((resolve) => {
    let answered = false;
    let ended = false;
    const fail = (message: string) => {
      if (answered) return;
      answered = true;
      clearTimeout(timer);
      upstream.destroy();
      request.log.warn({ endpoint: addr, err: message }, 'error while proxying request');
      sendProxyError(reply, message, 503);
      resolve();
    };
    const upstream = httpsRequest(
      {
        method: request.method,
        host: endpoint.host,
        port: endpoint.port,
        path: request.url,
        headers,
        agent: call.agent,
        servername: call.serverName,
      },
      (res) => {
        if (answered) {
          res.destroy();
          return;
        }
        answered = true;
        clearTimeout(timer);
        res.once('end', () => {
          ended = true;
        });
        reply.code(res.statusCode ?? 502).headers(responseHeaders(res));
        reply.send(res);
        resolve();
      },
    );
    const timer = setTimeout(() => fail('context deadline exceeded'), call.responseTimeoutMs);
    upstream.on('error', (e: NodeJS.ErrnoException) => fail(goDialError(e, addr, call.serverName)));
    // The client went away before the answer ended: so does the call (a watch ends with its client).
    reply.raw.once('close', () => {
      if (!ended) upstream.destroy();
    });
    upstream.end(body);
  });
}
