// kube-apiserver serves discovery, /version and the issuer discovery documents from go-restful
// WebServices whose only routes are GETs: another method, HEAD included (go-restful matches methods
// exactly), is refused by the route selection with 405 MethodNotAllowed (serviceErrorHandler), where
// fastify would answer 404 or hand the request to the resource catch-all. Plain handlers on the
// NonGoRestfulMux (healthz, metrics, openapi, pprof) answer every method instead; they are
// registered with ANY_METHOD.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { methodNotAllowedStatus, sendStatus } from './errors.js';

/** Every method but GET. */
export const NON_GET_METHODS = ['DELETE', 'HEAD', 'PATCH', 'POST', 'PUT', 'OPTIONS'];

/**
 * Answers the methods a GET-only route at `url` lacks with 405, unless `first` serves the request
 * (an aggregated API's group version, which its own server answers for every method).
 */
export function refuseNonGet(
  app: FastifyInstance,
  url: string,
  first?: (request: FastifyRequest, reply: FastifyReply) => Promise<unknown> | undefined,
): void {
  app.route({
    method: NON_GET_METHODS,
    url,
    handler: async (request, reply) => {
      const served = first?.(request, reply);
      if (served) return served;
      return sendStatus(reply, methodNotAllowedStatus());
    },
  });
}
