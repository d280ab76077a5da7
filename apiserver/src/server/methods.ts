// Which methods a route answers, as kube-apiserver's two kinds of handler do. Discovery, /version and
// the issuer discovery documents are go-restful WebServices whose only routes are GETs: another
// method, HEAD included (go-restful matches methods exactly), is refused by the route selection with
// 405 MethodNotAllowed (serviceErrorHandler), where fastify would answer 404 or hand the request to
// the resource catch-all. Plain handlers on the NonGoRestfulMux (healthz, metrics, openapi, pprof)
// look at no method: they answer every one that authorization lets through.
import { ANY_METHOD } from '@mkube/shared/debugflags';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { methodNotAllowedStatus, sendStatus } from './errors.js';

type Handler = (request: FastifyRequest, reply: FastifyReply) => unknown;

/** Every method but GET. */
export const NON_GET_METHODS = ANY_METHOD.filter((m) => m !== 'GET');

/**
 * A go-restful GET route at `url`: `handler` for GET, 405 for every other method — unless `first`
 * serves the request (an aggregated API's group version, which its own server answers for any method).
 */
export function restfulGet(
  app: FastifyInstance,
  url: string,
  handler: Handler,
  first?: (request: FastifyRequest, reply: FastifyReply) => Promise<unknown> | undefined,
): void {
  app.route({
    method: 'GET',
    url,
    handler: first ? (req, reply) => first(req, reply) ?? handler(req, reply) : handler,
  });
  app.route({
    method: NON_GET_METHODS,
    url,
    handler: async (request, reply) => first?.(request, reply) ?? sendStatus(reply, methodNotAllowedStatus()),
  });
}

/** A plain handler at `url`, for every method. */
export function plainRoute(app: FastifyInstance, url: string, handler: Handler): void {
  app.route({ method: ANY_METHOD, url, handler });
}
