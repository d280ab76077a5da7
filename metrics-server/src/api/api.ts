// metrics.k8s.io/v1beta1 as metrics-server serves it (pkg/api): NodeMetrics and PodMetrics read from
// the storage for the nodes and pods the informers know, filtered by label and field selectors, as
// JSON or as a Table (kubectl get nodes.metrics.k8s.io); get and list only. Each request was
// authorized by the secure server with the resource attributes resourceAttributes gives.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ApiHandler } from '@mkube/controller-manager/server';
import {
  METRICS_GROUP,
  METRICS_VERSION,
  type Node,
  type NodeMetrics,
  type Pod,
  type PodMetrics,
} from '@mkube/shared/api';
import { newBadRequest, newMethodNotSupported, newNotFound, StatusError } from '@mkube/shared/apierrors';
import { type Attributes, newAttributes, type UserInfo } from '@mkube/shared/auth';
import type { ReadonlyStore } from '@mkube/shared/client';
import { formatDuration } from '@mkube/shared/flags';
import { formatQuantity, Quantity } from '@mkube/shared/quantity';
import { parseFieldSelector, parseLabelSelector } from '@mkube/shared/selectors';
import type { NodeStorage, PodStorage, PodUsage, Usage } from '../storage/storage.js';
import { discoveryDocument } from './discovery.js';

const GV = `${METRICS_GROUP}/${METRICS_VERSION}`;
const PREFIX = `/apis/${GV}/`;

interface Target {
  readonly resource: 'nodes' | 'pods';
  readonly namespace: string;
  readonly name: string;
}

/** The resource a path names under /apis/metrics.k8s.io/v1beta1/, or undefined. */
export function targetOf(path: string): Target | undefined {
  if (!path.startsWith(PREFIX)) return undefined;
  const parts = path.slice(PREFIX.length).split('/');
  if (parts.at(-1) === '') parts.pop();
  const decoded = parts.map((p) => decodeURIComponent(p));
  if (decoded[0] === 'nodes' && decoded.length <= 2)
    return { resource: 'nodes', namespace: '', name: decoded[1] ?? '' };
  if (decoded[0] === 'pods' && decoded.length === 1) return { resource: 'pods', namespace: '', name: '' };
  if (decoded[0] === 'namespaces' && decoded[1] && decoded[2] === 'pods' && decoded.length <= 4) {
    return { resource: 'pods', namespace: decoded[1], name: decoded[3] ?? '' };
  }
  return undefined;
}

const time = (ms: number) => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');

export interface MetricsApiDeps {
  readonly nodes: ReadonlyStore<Node>;
  readonly pods: ReadonlyStore<Pod>;
  readonly nodeStorage: NodeStorage;
  readonly podStorage: PodStorage;
}

function nodeMetrics(node: Node, u: Usage): NodeMetrics {
  return {
    metadata: {
      name: node.metadata.name ?? '',
      creationTimestamp: time(Date.now()),
      ...(node.metadata.labels ? { labels: node.metadata.labels } : {}),
    },
    timestamp: time(u.timestamp),
    window: formatDuration(u.windowMs),
    usage: { cpu: u.cpu, memory: u.memory },
  };
}

function podMetrics(pod: Pod, u: PodUsage): PodMetrics {
  return {
    metadata: {
      name: pod.metadata.name ?? '',
      namespace: pod.metadata.namespace ?? '',
      creationTimestamp: time(Date.now()),
      ...(pod.metadata.labels ? { labels: pod.metadata.labels } : {}),
    },
    timestamp: time(u.timestamp),
    window: formatDuration(u.windowMs),
    containers: u.containers.map((c) => ({ name: c.name, usage: { cpu: c.cpu, memory: c.memory } })),
  };
}

/** Selectors parsed with the apiserver's wording for a bad one (a 400). */
function selectors(q: URLSearchParams) {
  try {
    const labels = parseLabelSelector(q.get('labelSelector') ?? '');
    const fields = parseFieldSelector(q.get('fieldSelector') ?? '');
    return { labels, fields };
  } catch (e) {
    throw newBadRequest((e as Error).message);
  }
}

const sum = (values: string[], format: 'DecimalSI' | 'BinarySI') => {
  let total = new Quantity(0n);
  for (const v of values) total = total.add(Quantity.parse(v));
  return formatQuantity(total, format);
};

/** The Table metrics-server's table convertor prints: name, CPU, memory, window. */
function table(items: (NodeMetrics | PodMetrics)[]) {
  const columns = [
    { name: 'Name', type: 'string', format: 'name', description: 'Name of the resource', priority: 0 },
    { name: 'CPU', type: 'string', format: '', description: 'CPU usage', priority: 0 },
    { name: 'Memory', type: 'string', format: '', description: 'Memory usage', priority: 0 },
    {
      name: 'Window',
      type: 'string',
      format: '',
      description: 'Interval over which metrics were aggregated',
      priority: 0,
    },
  ];
  const rows = items.map((m) => {
    const usage =
      'usage' in m
        ? m.usage
        : {
            cpu: sum(
              m.containers.map((c) => c.usage.cpu),
              'DecimalSI',
            ),
            memory: sum(
              m.containers.map((c) => c.usage.memory),
              'BinarySI',
            ),
          };
    return {
      cells: [m.metadata.name, usage.cpu, usage.memory, m.window],
      object: {
        kind: 'PartialObjectMetadata',
        apiVersion: 'meta.k8s.io/v1',
        metadata: m.metadata,
      },
    };
  });
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: {},
    columnDefinitions: columns,
    rows,
  };
}

/** ?watch=true or =1: metrics-server serves no watch (405), and it is authorized as a watch. */
const isWatch = (q: URLSearchParams) => q.get('watch') === 'true' || q.get('watch') === '1';

const wantsTable = (accept: string | undefined) => /as=Table/.test(accept ?? '');

function send(res: ServerResponse, code: number, body: unknown): void {
  res.writeHead(code, { 'content-type': 'application/json', 'cache-control': 'no-cache, private' });
  res.end(`${JSON.stringify(body)}\n`);
}

export class MetricsApi implements ApiHandler {
  constructor(readonly deps: MetricsApiDeps) {}

  resourceAttributes(user: UserInfo, method: string, url: URL): Attributes | undefined {
    const t = targetOf(url.pathname);
    if (!t) return undefined;
    const verb = method === 'GET' || method === 'HEAD' ? (t.name ? 'get' : 'list') : method.toLowerCase();
    return newAttributes(user, {
      verb: isWatch(url.searchParams) ? 'watch' : verb,
      isResourceRequest: true,
      path: url.pathname,
      namespace: t.namespace,
      apiGroup: METRICS_GROUP,
      apiVersion: METRICS_VERSION,
      resource: t.resource,
      name: t.name,
    });
  }

  async serve(req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean> {
    const doc = req.method === 'GET' ? discoveryDocument(url.pathname) : undefined;
    if (doc) {
      send(res, 200, doc);
      return true;
    }
    const t = targetOf(url.pathname);
    if (!t) return false;
    try {
      const gr = { group: METRICS_GROUP, resource: t.resource };
      const watching = isWatch(url.searchParams);
      if ((req.method !== 'GET' && req.method !== 'HEAD') || watching) {
        throw newMethodNotSupported(gr, watching ? 'watch' : (req.method ?? '').toLowerCase());
      }
      const body = t.resource === 'nodes' ? this.#nodes(t, url.searchParams) : this.#pods(t, url.searchParams);
      if (Array.isArray(body)) {
        const kind = t.resource === 'nodes' ? 'NodeMetricsList' : 'PodMetricsList';
        send(
          res,
          200,
          wantsTable(req.headers.accept) ? table(body) : { kind, apiVersion: GV, metadata: {}, items: body },
        );
      } else {
        const kind = t.resource === 'nodes' ? 'NodeMetrics' : 'PodMetrics';
        send(res, 200, wantsTable(req.headers.accept) ? table([body]) : { kind, apiVersion: GV, ...body });
      }
    } catch (e) {
      if (!(e instanceof StatusError)) throw e;
      send(res, e.code, e.toStatus());
    }
    return true;
  }

  #nodes(t: Target, q: URLSearchParams): NodeMetrics | NodeMetrics[] {
    const gr = { group: METRICS_GROUP, resource: 'nodemetrics' };
    if (t.name) {
      const node = this.deps.nodes.get(t.name);
      const u = node && this.deps.nodeStorage.usage(t.name);
      if (!node || !u) throw newNotFound(gr, t.name);
      return nodeMetrics(node, u);
    }
    const { labels, fields } = selectors(q);
    const out: NodeMetrics[] = [];
    for (const node of this.deps.nodes.list()) {
      const name = node.metadata.name ?? '';
      if (!labels.matches(node.metadata.labels)) continue;
      if (!fields.matches((f) => (f === 'metadata.name' ? name : undefined))) continue;
      const u = this.deps.nodeStorage.usage(name);
      if (u) out.push(nodeMetrics(node, u));
    }
    return out.sort((a, b) => (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''));
  }

  #pods(t: Target, q: URLSearchParams): PodMetrics | PodMetrics[] {
    const gr = { group: METRICS_GROUP, resource: 'podmetrics' };
    if (t.name) {
      const key = `${t.namespace}/${t.name}`;
      const pod = this.deps.pods.get(key);
      if (!pod) throw newNotFound({ group: '', resource: 'pods' }, key);
      const u = this.deps.podStorage.usage(key);
      if (!u) throw newNotFound(gr, key);
      return podMetrics(pod, u);
    }
    const { labels, fields } = selectors(q);
    const out: PodMetrics[] = [];
    for (const pod of this.deps.pods.list()) {
      const ns = pod.metadata.namespace ?? '';
      const name = pod.metadata.name ?? '';
      if (t.namespace && ns !== t.namespace) continue;
      if (!labels.matches(pod.metadata.labels)) continue;
      const field = (f: string) => (f === 'metadata.name' ? name : f === 'metadata.namespace' ? ns : undefined);
      if (!fields.matches(field)) continue;
      const u = this.deps.podStorage.usage(`${ns}/${name}`);
      if (u) out.push(podMetrics(pod, u));
    }
    return out.sort(
      (a, b) =>
        (a.metadata.namespace ?? '').localeCompare(b.metadata.namespace ?? '') ||
        (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''),
    );
  }
}
