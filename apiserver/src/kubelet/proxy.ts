// nodes/{name}/proxy/{path}: any method relayed to the kubelet and the answer streamed back
// (pkg/registry/core/node/rest/proxy.go + UpgradeAwareHandler, non-upgrade). Redirects are handed
// to the client, never followed (CVE-2020-8559).
import type { OutgoingHttpHeaders } from 'node:http';
import { newBadRequest, toStatusError } from '@mkube/shared/apierrors';
import type { ResourceRequestContext } from '../server/context.js';
import { HOP_BY_HOP } from '../util/hopbyhop.js';
import type { KubeletProxyDeps } from './deps.js';
import { BackendError, dialErrorText } from './errors.js';
import { kubeletLocation, splitSchemeNamePort } from './location.js';
import { getNode } from './target.js';

/** Toward the kubelet, also what the apiserver consumed itself (the caller's credentials among them). */
const DROP_REQUEST = new Set([...HOP_BY_HOP, 'host', 'authorization', 'content-length', 'http2-settings']);
const DROP_RESPONSE = new Set(HOP_BY_HOP);

/** The path after `/proxy` in the raw URL ("/" when none). */
export function proxyPath(rawPath: string): string {
  const m = /^\/api\/v1\/nodes\/[^/]+\/proxy(\/.*)?$/.exec(rawPath);
  return m?.[1] || '/';
}

/** proxyutil's Location rewrite: a redirect to the kubelet itself points back through the proxy. */
export function rewriteLocation(location: string, backendHostPort: string, prefix: string, host: string): string {
  let u: URL;
  try {
    u = new URL(location, `https://${backendHostPort}/`);
  } catch {
    return location;
  }
  const relative = !/^[a-z][a-z0-9+.-]*:/i.test(location) && !location.startsWith('//');
  if (!relative && u.host !== backendHostPort) return location;
  return `https://${host}${prefix}${u.pathname}${u.search}${u.hash}`;
}

export async function serveNodeProxy(deps: KubeletProxyDeps, c: ResourceRequestContext): Promise<void> {
  const { info, reply, request } = c;
  try {
    const id = splitSchemeNamePort(info.name);
    if (!id) throw newBadRequest(`invalid node request ${JSON.stringify(info.name)}`);
    if (id.scheme === 'http') throw newBadRequest('mkube proxies to kubelets over https only');
    const node = await getNode(deps.registries, id.name);
    const location = kubeletLocation(node, deps.config.preferredAddressTypes, id.port);
    const [rawPath = '/', rawQuery] = request.url.split('?', 2) as [string, string | undefined];
    const path = `${proxyPath(rawPath)}${rawQuery !== undefined ? `?${rawQuery}` : ''}`;
    const headers: OutgoingHttpHeaders = {};
    for (const [k, v] of Object.entries(request.headers)) {
      if (v === undefined || k.startsWith(':') || DROP_REQUEST.has(k) || k.startsWith('impersonate-')) continue;
      headers[k] = v;
    }
    const body = c.body;
    if (body) headers['content-length'] = body.length;
    const fwd = request.headers['x-forwarded-for'];
    headers['x-forwarded-for'] = fwd ? `${fwd}, ${request.ip}` : request.ip;
    const abort = new AbortController();
    const raw = reply.raw;
    raw.once('close', () => abort.abort());
    let res: Awaited<ReturnType<typeof deps.client.request>>;
    try {
      res = await deps.client.request({ method: request.method, location, path, headers, body, signal: abort.signal });
    } catch (e) {
      if (abort.signal.aborted) return;
      throw new BackendError(dialErrorText(e, location.host, location.port));
    }
    const out: OutgoingHttpHeaders = {};
    for (const [k, v] of Object.entries(res.headers)) {
      if (v === undefined || DROP_RESPONSE.has(k)) continue;
      out[k] = v;
    }
    if (typeof res.headers.location === 'string') {
      const prefix = /^\/api\/v1\/nodes\/[^/]+\/proxy/.exec(rawPath)?.[0] ?? '';
      const host = String(request.headers.host ?? request.headers[':authority'] ?? '');
      out.location = rewriteLocation(res.headers.location, location.hostPort, prefix, host);
    }
    reply.hijack();
    raw.writeHead(res.statusCode ?? 502, out);
    res.on('error', () => raw.destroy());
    abort.signal.addEventListener('abort', () => res.destroy(), { once: true });
    res.pipe(raw);
  } catch (e) {
    const err = toStatusError(e);
    if (err.code >= 500) deps.log.warn({ err: err.message, path: info.path }, 'kubelet proxy request failed');
    if (!reply.sent && !reply.raw.headersSent) {
      reply.code(err.code).header('content-type', 'application/json').send(JSON.stringify(err.toStatus()));
    }
  }
}
