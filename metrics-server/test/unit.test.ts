// metrics-server's pure parts: the kubelet's exposition decoded, usage between two points, the
// storage's rules for stale points, restarts and fresh containers, and the paths it serves.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, parseFlags } from '@mkube/shared/flags';
import { targetOf } from '../src/api/api.ts';
import { discoveryDocument } from '../src/api/discovery.ts';
import { loadMetricsServerConfig } from '../src/options/config.ts';
import { METRICS_SERVER_FLAGS } from '../src/options/flags.ts';
import { decodeBatch, type MetricsBatch, type MetricsPoint, parseSampleLine } from '../src/scraper/decode.ts';
import { NodeStorage, PodStorage, resourceUsage } from '../src/storage/storage.ts';

const T0 = Date.parse('2026-12-07T10:00:00Z');

const EXPOSITION = `# HELP container_cpu_usage_seconds_total [STABLE] Cumulative cpu time consumed by the container in core-seconds
# TYPE container_cpu_usage_seconds_total counter
container_cpu_usage_seconds_total{container="app",namespace="default",pod="web-1"} 1.5 ${T0}
container_cpu_usage_seconds_total{container="side",namespace="default",pod="web-1"} 0.25 ${T0}
container_cpu_usage_seconds_total{container="odd \\"q\\"",namespace="ns",pod="p"} 1 ${T0}
# TYPE container_memory_working_set_bytes gauge
container_memory_working_set_bytes{container="app",namespace="default",pod="web-1"} 1048576 ${T0}
container_memory_working_set_bytes{container="side",namespace="default",pod="web-1"} 2048 ${T0}
container_start_time_seconds{container="app",namespace="default",pod="web-1"} ${(T0 - 60_000) / 1000}
node_cpu_usage_seconds_total 100 ${T0}
node_memory_working_set_bytes 4294967296 ${T0}
resource_scrape_error 0
`;

const point = (s: number, cpuSeconds: number, memory = 1024, start = 0): MetricsPoint => ({
  timestamp: T0 + s * 1000,
  cumulativeCpuUsed: cpuSeconds * 1e9,
  memoryUsage: memory,
  startTime: start,
});

describe('decoding /metrics/resource', () => {
  it('parses names, escaped label values, values and timestamps; skips comments', () => {
    assert.equal(parseSampleLine('# HELP x y'), undefined);
    assert.deepEqual(parseSampleLine('a_b{x="1",y="a\\"b\\\\c"} 2.5 123'), {
      name: 'a_b',
      labels: { x: '1', y: 'a"b\\c' },
      value: 2.5,
      timestamp: 123,
    });
    assert.deepEqual(parseSampleLine('up 1'), { name: 'up', labels: {}, value: 1 });
    assert.equal(parseSampleLine('broken{x="1"'), undefined);
    assert.equal(parseSampleLine('nan_value{} abc'), undefined);
  });

  it('keeps the node and each container with both CPU and memory, in core-nanoseconds', () => {
    const b = decodeBatch(EXPOSITION, T0 + 5000);
    assert.deepEqual(b.node, { timestamp: T0, cumulativeCpuUsed: 100e9, memoryUsage: 4294967296, startTime: 0 });
    const web = b.pods.get('default/web-1')!;
    assert.deepEqual([...web.containers.keys()].sort(), ['app', 'side']);
    assert.equal(web.containers.get('app')!.cumulativeCpuUsed, 1.5e9);
    assert.equal(web.containers.get('app')!.startTime, T0 - 60_000);
    // CPU without memory: left out, as upstream.
    assert.equal(b.pods.has('ns/p'), false);
  });
});

describe('usage between two points', () => {
  it('is the CPU rate in nanocores and the newer working set, over the window', () => {
    const u = resourceUsage(point(15, 3, 3 * 1024 * 1024), point(0, 1.5))!;
    assert.equal(u.windowMs, 15_000);
    assert.equal(u.cpu, '100m');
    assert.equal(u.memory, '3Mi');
    assert.equal(resourceUsage(point(15, 1), point(0, 2)), undefined, 'a counter that went back');
    assert.equal(resourceUsage(point(0, 1), point(0, 1)), undefined, 'no window');
  });

  it('nodes: needs two points; a point not newer keeps the pair; a node gone is forgotten', () => {
    const s = new NodeStorage();
    const batch = (p: MetricsPoint): MetricsBatch => ({ nodes: new Map([['n1', p]]), pods: new Map() });
    s.store(batch(point(0, 10)));
    assert.equal(s.usage('n1'), undefined);
    s.store(batch(point(10, 12)));
    assert.equal(s.usage('n1')!.cpu, '200m');
    s.store(batch(point(10, 12)));
    assert.equal(s.usage('n1')!.cpu, '200m', 'the same sample again changes nothing');
    s.store({ nodes: new Map(), pods: new Map() });
    assert.equal(s.usage('n1'), undefined);
  });

  it('pods: a restarted container starts a new pair; a fresh one is measured from its start', () => {
    const s = new PodStorage(60_000);
    const batch = (containers: [string, MetricsPoint][]): MetricsBatch => ({
      nodes: new Map(),
      pods: new Map([['default/web', { containers: new Map(containers) }]]),
    });
    // Started 30 s ago (between 10 s and the resolution): usage at once, from zero at its start.
    const start = T0 - 30_000;
    s.store(batch([['app', point(0, 3, 1024, start)]]));
    assert.deepEqual(s.usage('default/web'), {
      timestamp: T0,
      windowMs: 30_000,
      containers: [{ name: 'app', cpu: '100m', memory: '1Ki' }],
    });
    s.store(batch([['app', point(10, 4, 1024, start)]]));
    assert.equal(s.usage('default/web')!.containers[0]!.cpu, '100m');
    // A restart: a new start time, the counter from zero; no pair until the next point.
    s.store(batch([['app', point(20, 0.1, 1024, T0 + 15_000)]]));
    assert.equal(s.usage('default/web'), undefined);
    s.store(batch([['app', point(30, 0.6, 1024, T0 + 15_000)]]));
    assert.equal(s.usage('default/web')!.containers[0]!.cpu, '50m');
  });
});

describe('the API', () => {
  it('knows its paths and nothing else', () => {
    assert.deepEqual(targetOf('/apis/metrics.k8s.io/v1beta1/nodes'), { resource: 'nodes', namespace: '', name: '' });
    assert.deepEqual(targetOf('/apis/metrics.k8s.io/v1beta1/nodes/n1'), {
      resource: 'nodes',
      namespace: '',
      name: 'n1',
    });
    assert.deepEqual(targetOf('/apis/metrics.k8s.io/v1beta1/namespaces/a/pods/b'), {
      resource: 'pods',
      namespace: 'a',
      name: 'b',
    });
    assert.deepEqual(targetOf('/apis/metrics.k8s.io/v1beta1/pods'), { resource: 'pods', namespace: '', name: '' });
    assert.equal(targetOf('/apis/metrics.k8s.io/v1beta1/pods/x'), undefined);
    assert.equal(targetOf('/apis/metrics.k8s.io/v1beta1/namespaces/a/secrets'), undefined);
    assert.equal(targetOf('/api/v1/nodes'), undefined);
    const list = discoveryDocument('/apis/metrics.k8s.io/v1beta1') as {
      resources: { name: string; verbs: string[] }[];
    };
    assert.deepEqual(
      list.resources.map((r) => [r.name, r.verbs.join(',')]),
      [
        ['nodes', 'get,list'],
        ['pods', 'get,list'],
      ],
    );
  });
});

describe('configuration', () => {
  it('reports every bad flag at once, naming it', async () => {
    const { flags } = parseFlags(METRICS_SERVER_FLAGS, [
      '--metric-resolution=5s',
      '--kubelet-preferred-address-types=InternalIP,Bogus',
      '--kubelet-insecure-tls',
      '--kubelet-certificate-authority=/nonexistent/ca.crt',
      '--kubelet-client-certificate=/x.crt',
      '--secure-port=0',
    ]);
    const e = await loadMetricsServerConfig(flags).catch((x: unknown) => x);
    assert.ok(e instanceof ConfigError, String(e));
    const text = e.message;
    for (const want of [
      /--kubeconfig.*required/,
      /--metric-resolution.*at least 10s/,
      /--kubelet-preferred-address-types.*"Bogus"/,
      /cannot use both --kubelet-certificate-authority and --kubelet-insecure-tls/,
      /need both --kubelet-client-certificate and --kubelet-client-key/,
    ]) {
      assert.match(text, want);
    }
  });
});
