// HTTP for /healthz, /livez, /readyz and their per-check paths.
import { ANY_METHOD } from '@mkube/shared/debugflags';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { evaluateHealth, type HealthCheck } from './health.js';

export interface HealthChecks {
  readonly healthz: readonly HealthCheck[];
  readonly livez: readonly HealthCheck[];
  readonly readyz: readonly HealthCheck[];
}

export function registerHealthRoutes(app: FastifyInstance, checks: HealthChecks): void {
  for (const endpoint of ['healthz', 'livez', 'readyz'] as const) {
    const handler = async (request: FastifyRequest, reply: FastifyReply) => {
      const only = (request.params as { check?: string }).check;
      const query = new URLSearchParams(request.url.split('?')[1] ?? '');
      const r = await evaluateHealth(endpoint, checks[endpoint], only, query);
      reply
        .code(r.code)
        .header('content-type', 'text/plain; charset=utf-8')
        .header('x-content-type-options', 'nosniff')
        .header('cache-control', 'no-cache, private')
        .send(r.body);
    };
    // Plain handlers upstream: every method (authorization has judged the verb).
    app.route({ method: ANY_METHOD, url: `/${endpoint}`, handler });
    app.route({ method: ANY_METHOD, url: `/${endpoint}/:check`, handler });
  }
}
