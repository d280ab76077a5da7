// The catch-all for /api/* and /apis/*: resource requests go to the REST handler with their catalog
// entry; discovery paths are served by routes registered more specifically.
import { newBadRequest, StatusError } from '@mkube/shared/apierrors';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Aggregator } from '../aggregator/index.js';
import type { WatchSocketContext } from '../endpoints/index.js';
import { routeError } from '../endpoints/routes.js';
import type { KubeletProxy } from '../kubelet/index.js';
import { type APICatalog, DEFAULT_CATALOG, type ResourceDef } from '../registry/catalog.js';
import type { RequestInfo } from '../request/requestinfo.js';
import type { ResourceHandler } from './context.js';
import { methodNotAllowedStatus, notFoundStatus, sendStatus } from './errors.js';
import { NON_GET_METHODS } from './methods.js';

/** The catalog entry a resource request addresses, or undefined (→ 404) when nothing serves it. */
export function resolveResource(info: RequestInfo, catalog: APICatalog = DEFAULT_CATALOG): ResourceDef | undefined {
  if (!info.isResourceRequest) return undefined;
  const def = catalog.find(info.apiGroup, info.apiVersion, info.resource);
  if (!def) return undefined;
  if (info.subresource && !def.subresources.some((s) => s.name === info.subresource)) return undefined;
  const isNamespaceItself = def.group === '' && def.resource === 'namespaces';
  if (!isNamespaceItself) {
    if (!def.namespaced && info.namespace) return undefined;
    // Only list and watch span all namespaces.
    if (def.namespaced && !info.namespace && info.verb !== 'list' && info.verb !== 'watch') return undefined;
  }
  return def;
}

export function registerResourceRoutes(
  app: FastifyInstance,
  handler: ResourceHandler,
  shutdownSignal: AbortSignal,
  watchSocket?: (c: WatchSocketContext) => Promise<void>,
  kubelet?: KubeletProxy,
  aggregator?: Aggregator,
  catalog: APICatalog = DEFAULT_CATALOG,
): void {
  const route = async (request: FastifyRequest, reply: FastifyReply) => {
    const m = request.mkube;
    if (!m) throw new StatusError('InternalError', 'handler chain did not run');
    // A remote APIService's group version: its server answers (after this chain authorized the request).
    const remote = aggregator?.remoteFor(request.url);
    if (remote) return aggregator!.serve(remote, request, reply, m.user);
    const def = resolveResource(m.info, catalog);
    if (!def) return sendStatus(reply, notFoundStatus());
    const unrouted = routeError(def, m.info);
    if (unrouted) return sendStatus(reply, unrouted === 'NotFound' ? notFoundStatus() : methodNotAllowedStatus());
    // The installer registers no HEAD route; only the proxy subresources (CONNECT, proxyMethods) take one.
    if (request.method === 'HEAD' && m.info.subresource !== 'proxy') return sendStatus(reply, methodNotAllowedStatus());
    const ctx = {
      request,
      reply,
      info: m.info,
      user: m.user,
      body: Buffer.isBuffer(request.body) && request.body.length > 0 ? request.body : undefined,
      def,
      shutdownSignal,
    };
    // pods/log, pods/exec, nodes/proxy: served by the kubelet behind.
    if (kubelet?.handles(m.info)) return kubelet.serveHTTP(ctx);
    await handler(ctx);
  };
  // Upgrade requests to pods/exec dial the kubelet before the WebSocket plugin accepts the client.
  const preHandler = async (request: FastifyRequest, reply: FastifyReply) => {
    const m = request.mkube;
    if (!kubelet || !m || !request.ws || !resolveResource(m.info, catalog)) return undefined;
    return kubelet.preHandler(request, reply);
  };
  // A GET that asks for a WebSocket upgrade is a watch over WebSocket; the handler chain has run
  // (onRequest) before the upgrade, so the user is authenticated and authorized the same way.
  const wsRoute = (socket: WatchSocketContext['socket'], request: FastifyRequest) => {
    const m = request.mkube;
    if (aggregator?.remoteFor(request.url)) {
      socket.send(
        JSON.stringify({
          type: 'ERROR',
          object: newBadRequest('upgrade requests to aggregated APIs are not supported').toStatus(),
        }),
      );
      socket.close(1000);
      return;
    }
    const def = m ? resolveResource(m.info, catalog) : undefined;
    if (m && def && kubelet?.handlesUpgrade(m.info)) return kubelet.serveUpgrade(socket, request);
    if (!m || !def || !watchSocket) {
      socket.send(JSON.stringify({ type: 'ERROR', object: notFoundStatus() }));
      socket.close(1000);
      return;
    }
    void watchSocket({
      socket,
      url: request.url,
      headers: request.headers,
      info: m.info,
      user: m.user,
      def,
      shutdownSignal,
      rawRequest: request.raw,
    });
  };
  for (const url of ['/api/*', '/apis/*']) {
    // @fastify/websocket takes a wsHandler only on a GET route; the rest get their own.
    app.route({ method: 'GET', url, handler: route, wsHandler: wsRoute, preHandler });
    app.route({ method: NON_GET_METHODS, url, handler: route, preHandler });
  }
}
