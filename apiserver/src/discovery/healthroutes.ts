// HTTP for /healthz, /livez, /readyz and their per-check paths.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { plainRoute } from '../server/methods.js';
import { evaluateHealth, type HealthCheck } from './health.js';

export interface HealthChecks {
  readonly healthz: readonly HealthCheck[];
  readonly livez: readonly HealthCheck[];
  readonly readyz: readonly HealthCheck[];
}

export function registerHealthRoutes(app: FastifyInstance, checks: HealthChecks): void {
  for (const endpoint of ['healthz', 'livez', 'readyz'] as const) {
    const handler = async (request: FastifyRequest, reply: FastifyReply) => {
      const only = (request.params as { '*'?: string })['*'];
      const query = new URLSearchParams(request.url.split('?')[1] ?? '');
      const r = await evaluateHealth(endpoint, checks[endpoint], only, query);
      reply
        .code(r.code)
        .header('content-type', 'text/plain; charset=utf-8')
        .header('x-content-type-options', 'nosniff')
        .header('cache-control', 'no-cache, private')
        .send(r.body);
    };
    plainRoute(app, `/${endpoint}`, handler);
    // Check names hold slashes (poststarthook/rbac/bootstrap-roles): upstream serves each at its full path.
    plainRoute(app, `/${endpoint}/*`, handler);
  }
}
