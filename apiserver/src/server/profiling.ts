// --profiling: /debug/pprof on the secure port, as genericapiserver installs routes.Profiling. It is
// a non-resource path like any other, so the chain has authenticated and authorized the request
// before it gets here (RBAC grants it to cluster admins only by default).
import { PPROF_PATH, type Profiler } from '@mkube/shared/pprof';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

export function registerProfiling(f: FastifyInstance, profiler: Profiler, shutdown: AbortSignal): void {
  void profiler.start();
  const handler = async (request: FastifyRequest, reply: FastifyReply) => {
    // A CPU profile ends early when its client goes or the server shuts down.
    const r = await profiler.serveRequest(request.url, request.raw, shutdown);
    return reply.code(r.code).headers(r.headers).send(r.body);
  };
  f.get(PPROF_PATH, handler);
  f.get(`${PPROF_PATH}/*`, handler);
}
