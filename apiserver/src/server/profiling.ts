// --profiling: /debug/pprof and /debug/flags/v on the secure port, as genericapiserver installs
// routes.Profiling and routes.DebugFlags together. Both are non-resource paths like any other, so the
// chain has authenticated and authorized the request before it gets here (RBAC grants them to
// cluster admins only by default; /debug/flags/v is verb "put").

import {
  DEBUG_FLAG_V_PATH,
  DEBUG_FLAGS_PATH,
  debugFlagsIndex,
  type PlainTextResponse,
  serveDebugFlagV,
  type Verbosity,
} from '@mkube/shared/debugflags';
import { PPROF_PATH, type Profiler } from '@mkube/shared/pprof';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { plainRoute } from './methods.js';

export function registerProfiling(
  f: FastifyInstance,
  profiler: Profiler,
  verbosity: Verbosity,
  shutdown: AbortSignal,
): void {
  void profiler.start();
  const handler = async (request: FastifyRequest, reply: FastifyReply) => {
    // A CPU profile ends early when its client goes or the server shuts down.
    const r = await profiler.serveRequest(request.url, request.raw, shutdown);
    return reply.code(r.code).headers(r.headers).send(r.body);
  };
  // net/http/pprof's handlers look at no method.
  plainRoute(f, PPROF_PATH, handler);
  plainRoute(f, `${PPROF_PATH}/*`, handler);

  const send = (reply: FastifyReply, r: PlainTextResponse) => reply.code(r.code).headers(r.headers).send(r.body);
  // routes.DebugFlags: the handler answers each method itself (406 for all but PUT).
  plainRoute(f, DEBUG_FLAG_V_PATH, async (request, reply) => {
    const body = Buffer.isBuffer(request.body) ? request.body.toString('utf8') : '';
    return send(reply, serveDebugFlagV(request.method, body, verbosity));
  });
  const index = async (_request: FastifyRequest, reply: FastifyReply) => send(reply, debugFlagsIndex());
  plainRoute(f, DEBUG_FLAGS_PATH, index);
  plainRoute(f, `${DEBUG_FLAGS_PATH}/*`, index);
}
