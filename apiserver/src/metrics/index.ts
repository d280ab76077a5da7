// GET /metrics (kube-apiserver's Prometheus endpoint, behind authorization like any non-resource
// URL: system:monitoring may read it): the process metrics and apiserver_request_total /
// apiserver_request_duration_seconds with upstream's labels (k8s.io/apiserver endpoints/metrics).
// prom-client keeps the registry and the text format.
import type { FastifyInstance } from 'fastify';
import { Counter, collectDefaultMetrics, Histogram, Registry } from 'prom-client';
import type { RequestInfo } from '../request/requestinfo.js';

const LABELS = ['verb', 'dry_run', 'group', 'version', 'resource', 'subresource', 'scope', 'component'] as const;
// Upstream's requestLatencies buckets.
const BUCKETS = [0.005, 0.025, 0.05, 0.1, 0.2, 0.4, 0.6, 0.8, 1, 1.25, 1.5, 2, 3, 4, 5, 6, 8, 10, 15, 20, 30, 45, 60];
const LONG_RUNNING = new Set(['WATCH', 'CONNECT']);

export class ApiServerMetrics {
  readonly registry = new Registry();
  readonly #requests = new Counter({
    name: 'apiserver_request_total',
    help: '[STABLE] Counter of apiserver requests broken out for each verb, dry run value, group, version, resource, scope, component, and HTTP response code.',
    labelNames: [...LABELS, 'code'],
    registers: [this.registry],
  });
  readonly #latency = new Histogram({
    name: 'apiserver_request_duration_seconds',
    help: '[STABLE] Response latency distribution in seconds for each verb, dry run value, group, version, resource, subresource, scope and component.',
    labelNames: [...LABELS],
    buckets: BUCKETS,
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }

  /** One finished request (MonitorRequest); long-running ones count without a latency. */
  observe(info: RequestInfo, method: string, contentType: string, dryRun: boolean, code: number, seconds: number) {
    const verb = cleanVerb(info, method, contentType);
    const labels = {
      verb,
      dry_run: dryRun ? 'All' : '',
      group: info.isResourceRequest ? info.apiGroup : '',
      version: info.isResourceRequest ? info.apiVersion : '',
      resource: info.isResourceRequest ? info.resource : '',
      subresource: info.isResourceRequest ? info.subresource : '',
      scope: cleanScope(info),
      component: 'apiserver',
    };
    this.#requests.inc({ ...labels, code: String(code) });
    if (!LONG_RUNNING.has(verb)) this.#latency.observe(labels, seconds);
  }

  register(app: FastifyInstance): void {
    app.get('/metrics', async (_request, reply) => {
      reply.header('content-type', this.registry.contentType).send(await this.registry.metrics());
    });
  }
}

/** CleanVerb: the HTTP method upper-cased, with LIST, WATCH and APPLY told apart. */
function cleanVerb(info: RequestInfo, method: string, contentType: string): string {
  if (info.isResourceRequest) {
    if (info.verb === 'list') return 'LIST';
    if (info.verb === 'watch') return 'WATCH';
    if (info.verb === 'patch' && contentType.startsWith('application/apply-patch')) return 'APPLY';
    if (['exec', 'attach', 'portforward', 'proxy'].includes(info.subresource)) return 'CONNECT';
  }
  return method.toUpperCase();
}

/** CleanScope: resource for a named object or a create, namespace, cluster; empty off the API. */
function cleanScope(info: RequestInfo): string {
  if (!info.isResourceRequest) return '';
  if (info.name || info.verb === 'create') return 'resource';
  return info.namespace ? 'namespace' : 'cluster';
}
