// The horizontal-pod-autoscaler-controller: the replica calculator, the behavior's stabilization and
// rate limits as pure functions, and end to end against a real apiserver whose metrics.k8s.io is an
// extension API server in this process (behind an ExternalName Service, as mkube up's metrics-server).
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Deployment, Event, HorizontalPodAutoscaler, Pod, PodMetrics } from '@mkube/shared/api';
import { makeFrontProxyPki, startExtensionServer, tempDir } from '../../apiserver/test/server/fixture.ts';
import { RESOURCES } from '../src/informers/index.ts';
import {
  behaviorRules,
  convertDesiredReplicasWithRules,
  normalizeDesiredReplicas,
  normalizeDesiredReplicasWithBehaviors,
  ScalingHistory,
} from '../src/podautoscaler/behavior.ts';
import { HPAS } from '../src/podautoscaler/index.ts';
import { podResourceMetrics } from '../src/podautoscaler/metricsclient.ts';
import {
  calculateRequests,
  type PodMetricsInfo,
  plainMetricReplicas,
  resourceReplicas,
} from '../src/podautoscaler/replicacalc.ts';
import { parseGroupVersion } from '../src/podautoscaler/scaletarget.ts';
import { type Cluster, startCluster, waitFor } from './fixture.ts';

const NOW = Date.parse('2026-12-07T12:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();
const LONG_AGO = NOW - 3_600_000;

function pod(
  name: string,
  opts: { cpu?: string | null; phase?: string; ready?: boolean; start?: number; transition?: number } = {},
): Pod {
  const { cpu = '1', phase = 'Running', ready = true, start = LONG_AGO, transition = LONG_AGO } = opts;
  return {
    metadata: { name, namespace: 'default' },
    spec: { containers: [{ name: 'app', image: 'x', ...(cpu === null ? {} : { resources: { requests: { cpu } } }) }] },
    status: {
      phase: phase as 'Running',
      startTime: iso(start),
      conditions: [{ type: 'Ready', status: ready ? 'True' : 'False', lastTransitionTime: iso(transition) }],
    },
  } as Pod;
}

const samples = (values: Record<string, number>, at = NOW - 1000): PodMetricsInfo =>
  new Map(Object.entries(values).map(([k, v]) => [k, { timestamp: at, windowMs: 30_000, value: v }]));

const timing = { cpuInitializationPeriodMs: 300_000, delayOfInitialReadinessStatusMs: 30_000, now: NOW };
const tolerances = { scaleUp: 0.1, scaleDown: 0.1 };

describe('replica calculator (replica_calculator.go)', () => {
  const base = { tolerances, timing, resource: 'cpu', container: '' };

  it('scales by the utilization ratio over ready pods', () => {
    const r = resourceReplicas({
      ...base,
      currentReplicas: 3,
      targetUtilization: 25,
      pods: [pod('a'), pod('b'), pod('c')],
      metrics: samples({ a: 500, b: 500, c: 500 }),
    });
    assert.deepEqual(r, { replicas: 6, utilization: 50, rawUtilization: 500 });
  });

  it('keeps the count within the tolerance', () => {
    const r = resourceReplicas({
      ...base,
      currentReplicas: 3,
      targetUtilization: 50,
      pods: [pod('a'), pod('b'), pod('c')],
      metrics: samples({ a: 520, b: 540, c: 500 }),
    });
    assert.equal(r.replicas, 3);
    assert.equal(r.utilization, 52);
  });

  it('counts missing pods as 100 % on a scale-down, and 0 on a scale-up', () => {
    const pods = [pod('a'), pod('b'), pod('c'), pod('d')];
    // a, b at 10 %, c, d without samples: as if at 100 %, 55 % against 50 % is within tolerance.
    const down = resourceReplicas({
      ...base,
      currentReplicas: 4,
      targetUtilization: 50,
      pods,
      metrics: samples({ a: 100, b: 100 }),
    });
    assert.equal(down.replicas, 4);
    // a, b at 200 %, c, d as 0: 100 % against 50 % doubles the four.
    const up = resourceReplicas({
      ...base,
      currentReplicas: 4,
      targetUtilization: 50,
      pods,
      metrics: samples({ a: 2000, b: 2000 }),
    });
    assert.equal(up.replicas, 8);
  });

  it('counts unready and pending pods as 0 on a scale-up', () => {
    const starting = pod('c', { start: NOW - 60_000, transition: NOW - 5_000 });
    const r = resourceReplicas({
      ...base,
      currentReplicas: 4,
      targetUtilization: 50,
      pods: [pod('a'), pod('b'), starting, pod('d', { phase: 'Pending' })],
      // c's sample was taken before a whole window followed its readiness: it counts as 0.
      metrics: samples({ a: 1000, b: 1000, c: 1000 }),
    });
    assert.equal(r.utilization, 100);
    assert.equal(r.replicas, 4);
  });

  it('ignores terminating and finished pods', () => {
    const gone = { ...pod('c'), metadata: { name: 'c', namespace: 'default', deletionTimestamp: iso(NOW) } };
    const r = resourceReplicas({
      ...base,
      currentReplicas: 3,
      targetUtilization: 50,
      pods: [pod('a'), pod('b'), gone, pod('d', { phase: 'Succeeded' })],
      metrics: samples({ a: 1000, b: 1000, c: 0 }),
    });
    assert.equal(r.replicas, 4);
  });

  it('refuses pods without a request, and selectors without pods or samples', () => {
    assert.throws(
      () => calculateRequests([pod('a', { cpu: null })], '', 'cpu'),
      /^Error: missing request for cpu in container app of Pod a$/,
    );
    assert.throws(
      () => resourceReplicas({ ...base, currentReplicas: 1, targetUtilization: 50, pods: [], metrics: samples({}) }),
      /no pods returned by selector while calculating replica count/,
    );
    assert.throws(
      () =>
        resourceReplicas({
          ...base,
          currentReplicas: 1,
          targetUtilization: 50,
          pods: [pod('a', { phase: 'Pending' })],
          metrics: samples({ a: 1 }),
        }),
      /did not receive metrics for targeted pods \(pods might be unready\)/,
    );
  });

  it('scales an AverageValue target by the average sample', () => {
    const r = plainMetricReplicas({
      tolerances,
      timing,
      resource: 'memory',
      currentReplicas: 2,
      targetUsage: 100_000,
      pods: [pod('a'), pod('b')],
      metrics: samples({ a: 300_000, b: 100_000 }),
    });
    assert.deepEqual(r, { replicas: 4, usage: 200_000 });
  });

  it('sums container usage from PodMetrics, and leaves out pods missing the resource', () => {
    const pm = (name: string, containers: PodMetrics['containers']): PodMetrics => ({
      metadata: { name, namespace: 'default' },
      timestamp: iso(NOW),
      window: '20.5s',
      containers,
    });
    const info = podResourceMetrics(
      [
        pm('a', [
          { name: 'app', usage: { cpu: '250m', memory: '10Mi' } },
          { name: 'side', usage: { cpu: '50m', memory: '1Mi' } },
        ]),
        pm('b', []),
      ],
      'cpu',
      '',
    );
    assert.deepEqual([...info], [['a', { timestamp: NOW, windowMs: 20_500, value: 300 }]]);
    assert.equal(
      podResourceMetrics([pm('a', [{ name: 'side', usage: { cpu: '50m', memory: '0' } }])], 'cpu', 'side').get('a')
        ?.value,
      50,
    );
  });

  it('parses scaleTargetRef API versions', () => {
    assert.deepEqual(parseGroupVersion('apps/v1'), { group: 'apps', version: 'v1' });
    assert.deepEqual(parseGroupVersion('v1'), { group: '', version: 'v1' });
    assert.throws(() => parseGroupVersion('a/b/c'), /unexpected GroupVersion string: a\/b\/c/);
  });
});

describe('normalization (horizontal.go)', () => {
  it('without a behavior: min/max, and at most max(2 × current, 4) at once', () => {
    assert.deepEqual(convertDesiredReplicasWithRules(3, 20, 1, 100), {
      desired: 6,
      reason: 'ScaleUpLimit',
      message: 'the desired replica count is increasing faster than the maximum scale rate',
    });
    assert.equal(convertDesiredReplicasWithRules(1, 20, 1, 10).desired, 4);
    assert.equal(convertDesiredReplicasWithRules(8, 20, 1, 10).reason, 'TooManyReplicas');
    assert.deepEqual(convertDesiredReplicasWithRules(3, 0, 2, 10), {
      desired: 2,
      reason: 'TooFewReplicas',
      message: 'the desired replica count is less than the minimum replica count',
    });
    assert.equal(convertDesiredReplicasWithRules(3, 5, 1, 10).reason, 'DesiredWithinRange');
  });

  it('without a behavior: a scale-down waits for the downscale stabilization window', () => {
    let now = NOW;
    const h = new ScalingHistory(() => now);
    const args = { key: 'ns/h', current: 5, minReplicas: 1, maxReplicas: 10 };
    h.recordInitial('ns/h', 5);
    const first = normalizeDesiredReplicas(h, { ...args, desired: 2 }, 300_000);
    assert.equal(first.desired, 5);
    assert.equal(first.ableToScale.reason, 'ScaleDownStabilized');
    assert.equal(first.limited.status, 'False');
    now += 301_000;
    const later = normalizeDesiredReplicas(h, { ...args, desired: 2 }, 300_000);
    assert.equal(later.desired, 2);
    assert.equal(later.ableToScale.reason, 'ReadyForNewScale');
  });

  it('with the default behavior: up by max(4 pods, 100 %) per 15 s, down by 100 % after the window', () => {
    let now = NOW;
    const h = new ScalingHistory(() => now);
    const rules = behaviorRules({}, 300_000);
    assert.equal(rules.scaleDown.stabilizationWindowSeconds, 300);
    assert.equal(rules.scaleUp.stabilizationWindowSeconds, 0);
    const args = { key: 'ns/h', minReplicas: 1, maxReplicas: 100 };
    h.recordInitial('ns/h', 2);
    const up = normalizeDesiredReplicasWithBehaviors(h, { ...args, current: 2, desired: 50 }, rules);
    assert.equal(up.desired, 6);
    assert.deepEqual(up.limited, {
      status: 'True',
      reason: 'ScaleUpLimit',
      message: 'the desired replica count is increasing faster than the maximum scale rate',
    });
    h.storeScaleEvent('ns/h', rules, 2, 6);
    // Within the same 15 s period the added pods count against the limit: max(2 + 4, 2 × 2).
    now += 5_000;
    assert.equal(normalizeDesiredReplicasWithBehaviors(h, { ...args, current: 6, desired: 50 }, rules).desired, 6);
    now += 11_000;
    assert.equal(normalizeDesiredReplicasWithBehaviors(h, { ...args, current: 6, desired: 50 }, rules).desired, 12);
    // Down: the highest recommendation within five minutes holds.
    const down = normalizeDesiredReplicasWithBehaviors(h, { ...args, current: 12, desired: 3 }, rules);
    assert.equal(down.desired, 12);
    assert.equal(down.ableToScale.reason, 'ScaleDownStabilized');
  });

  it('honours selectPolicy Disabled and Min, and a configured scale-down window', () => {
    const h = new ScalingHistory(() => NOW);
    const rules = behaviorRules(
      {
        scaleUp: { selectPolicy: 'Disabled' },
        scaleDown: {
          stabilizationWindowSeconds: 0,
          selectPolicy: 'Min',
          policies: [
            { type: 'Pods', value: 1, periodSeconds: 60 },
            { type: 'Percent', value: 50, periodSeconds: 60 },
          ],
        },
      },
      300_000,
    );
    const args = { key: 'ns/h', minReplicas: 1, maxReplicas: 100 };
    assert.equal(normalizeDesiredReplicasWithBehaviors(h, { ...args, current: 4, desired: 9 }, rules).desired, 4);
    const down = normalizeDesiredReplicasWithBehaviors(h, { ...args, current: 10, desired: 2 }, rules);
    assert.equal(down.desired, 9);
    assert.equal(down.limited.reason, 'ScaleDownLimit');
  });
});

/** metrics-server in miniature: PodMetrics for the pods the test names, to the front proxy only. */
async function startMetricsServer(dir: string, frontProxyCA: string, usage: Map<string, string>) {
  const requests: string[] = [];
  const { server, port } = await startExtensionServer(
    dir,
    frontProxyCA,
    'metrics-server.kube-system.svc',
    (req, res) => {
      const json = (code: number, v: unknown) => {
        res.writeHead(code, { 'content-type': 'application/json' });
        res.end(JSON.stringify(v));
      };
      const url = new URL(req.url ?? '/', 'https://x');
      requests.push(`${req.headers['x-remote-user']} ${url.pathname}?${url.searchParams}`);
      if (url.pathname === '/apis/metrics.k8s.io/v1beta1')
        return json(200, {
          kind: 'APIResourceList',
          apiVersion: 'v1',
          groupVersion: 'metrics.k8s.io/v1beta1',
          resources: [
            { name: 'nodes', singularName: '', namespaced: false, kind: 'NodeMetrics', verbs: ['get', 'list'] },
            { name: 'pods', singularName: '', namespaced: true, kind: 'PodMetrics', verbs: ['get', 'list'] },
          ],
        });
      const m = /^\/apis\/metrics\.k8s\.io\/v1beta1\/namespaces\/([^/]+)\/pods$/.exec(url.pathname);
      if (m) {
        const items: PodMetrics[] = [...usage].map(([name, cpu]) => ({
          metadata: { name, namespace: m[1]!, creationTimestamp: new Date().toISOString() },
          timestamp: new Date(Date.now() - 1000).toISOString().replace(/\.\d+Z$/, 'Z'),
          window: '15s',
          containers: [{ name: 'app', usage: { cpu, memory: '10Mi' } }],
        }));
        return json(200, { kind: 'PodMetricsList', apiVersion: 'metrics.k8s.io/v1beta1', metadata: {}, items });
      }
      return json(404, { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'NotFound', code: 404 });
    },
  );
  return { server, port, requests };
}

describe('horizontal-pod-autoscaler-controller against a real apiserver and metrics API', () => {
  let cluster: Cluster;
  let dir = '';
  let metrics: Awaited<ReturnType<typeof startMetricsServer>>;
  const usage = new Map<string, string>();
  const NS = 'default';
  const deployments = () => cluster.admin.resource<Deployment>({ ...RESOURCES.deployments, namespace: NS });
  const pods = () => cluster.admin.resource<Pod>({ ...RESOURCES.pods, namespace: NS });
  const hpas = () => cluster.admin.resource<HorizontalPodAutoscaler>({ ...HPAS, namespace: NS });
  const stop = new AbortController();

  /** What a kubelet would report: every pod Running and Ready since an hour ago. */
  async function markPodsReady(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      try {
        for (const p of (await pods().list()).items) {
          if (p.status?.phase === 'Running') continue;
          await pods().updateSubresource(p.metadata?.name ?? '', 'status', {
            ...p,
            status: {
              phase: 'Running',
              startTime: new Date(Date.now() - 3_600_000).toISOString().replace(/\.\d+Z$/, 'Z'),
              conditions: [
                {
                  type: 'Ready',
                  status: 'True',
                  lastTransitionTime: new Date(Date.now() - 3_600_000).toISOString().replace(/\.\d+Z$/, 'Z'),
                },
              ],
            },
          });
        }
      } catch {
        // A pod changed meanwhile: the next round.
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  const deployment = (name: string, requests: Record<string, string> | undefined): Deployment => ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: NS },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name: 'app', image: 'x', ...(requests ? { resources: { requests } } : {}) }] },
      },
    },
  });
  const hpa = (name: string): HorizontalPodAutoscaler => ({
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: { name, namespace: NS },
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name },
      minReplicas: 1,
      maxReplicas: 10,
      metrics: [
        { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } } },
      ],
    },
  });

  before(async () => {
    dir = tempDir('hpa');
    const fp = makeFrontProxyPki(join(dir, 'fp'));
    metrics = await startMetricsServer(join(dir, 'metrics'), join(fp, 'ca.crt'), usage);
    cluster = await startCluster([
      `--requestheader-client-ca-file=${join(fp, 'ca.crt')}`,
      '--requestheader-allowed-names=front-proxy-client',
      '--requestheader-username-headers=X-Remote-User',
      '--requestheader-group-headers=X-Remote-Group',
      `--proxy-client-cert-file=${join(fp, 'front-proxy-client.crt')}`,
      `--proxy-client-key-file=${join(fp, 'front-proxy-client.key')}`,
    ]);
    const services = cluster.admin.resource({
      group: '',
      version: 'v1',
      resource: 'services',
      namespace: 'kube-system',
    });
    await services.create({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'metrics-server', namespace: 'kube-system' },
      spec: { type: 'ExternalName', externalName: 'localhost' },
    } as never);
    await cluster.admin.resource({ group: 'apiregistration.k8s.io', version: 'v1', resource: 'apiservices' }).create({
      apiVersion: 'apiregistration.k8s.io/v1',
      kind: 'APIService',
      metadata: { name: 'v1beta1.metrics.k8s.io' },
      spec: {
        group: 'metrics.k8s.io',
        version: 'v1beta1',
        service: { namespace: 'kube-system', name: 'metrics-server', port: metrics.port },
        caBundle: readFileSync(join(dir, 'metrics', 'ca.crt')).toString('base64'),
        groupPriorityMinimum: 100,
        versionPriority: 100,
      },
    } as never);
    void markPodsReady(stop.signal);
    await cluster.startKcm([
      '--leader-elect=false',
      '--controllers=horizontal-pod-autoscaler-controller,deployment-controller,replicaset-controller,serviceaccount-token-controller',
      '--horizontal-pod-autoscaler-sync-period=1s',
    ]);
  });
  after(async () => {
    stop.abort();
    await cluster?.close();
    await new Promise((r) => metrics?.server.close(r));
    metrics?.server.closeAllConnections();
    rmSync(dir, { recursive: true, force: true });
  });

  it('scales a Deployment up on cpu utilization and reports it in status, conditions and Events', async () => {
    await deployments().create(deployment('web', { cpu: '100m' }));
    const first = await waitFor(
      'the first pod',
      async () => (await pods().list({ labelSelector: 'app=web' })).items[0],
    );
    usage.set(first.metadata?.name ?? '', '200m');
    await hpas().create(hpa('web'));
    const scaled = await waitFor(
      'the Deployment scaled to 4',
      async () => ((await deployments().get('web')).spec?.replicas === 4 ? true : undefined),
      30_000,
    );
    assert.ok(scaled);
    const h = await waitFor(
      'the HPA status',
      async () => {
        const got = await hpas().get('web');
        return got.status?.desiredReplicas === 4 ? got : undefined;
      },
      15_000,
    );
    assert.equal(h.status?.currentReplicas, 1);
    assert.ok(h.status?.lastScaleTime);
    assert.deepEqual(h.status?.currentMetrics, [
      { type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: 200, averageValue: '200m' } } },
    ]);
    const cond = (t: string) => h.status?.conditions?.find((c) => c.type === t);
    assert.equal(cond('AbleToScale')?.reason, 'SucceededRescale');
    assert.equal(cond('AbleToScale')?.message, 'the HPA controller was able to update the target scale to 4');
    assert.equal(cond('ScalingActive')?.reason, 'ValidMetricFound');
    assert.equal(
      cond('ScalingActive')?.message,
      'the HPA was able to successfully calculate a replica count from cpu resource utilization (percentage of request)',
    );
    assert.equal(cond('ScalingLimited')?.reason, 'DesiredWithinRange');
    const events = cluster.admin.resource<Event>({ ...RESOURCES.events, namespace: NS });
    const ev = await waitFor('the SuccessfulRescale Event', async () =>
      (await events.list()).items.find((e) => e.reason === 'SuccessfulRescale' && e.involvedObject?.name === 'web'),
    );
    assert.equal(ev.message, 'New size: 4; reason: cpu resource utilization (percentage of request) above target');
    assert.equal(ev.source?.component, 'horizontal-pod-autoscaler');
    assert.ok(
      metrics.requests.some((r) => r.startsWith('system:serviceaccount:kube-system:horizontal-pod-autoscaler ')),
      `the metrics were read as the controller's ServiceAccount: ${metrics.requests.slice(-3).join(', ')}`,
    );
  });

  it('reports pods without a cpu request as FailedGetResourceMetric', async () => {
    await deployments().create(deployment('bare', undefined));
    const p = await waitFor('the pod', async () => (await pods().list({ labelSelector: 'app=bare' })).items[0]);
    usage.set(p.metadata?.name ?? '', '50m');
    await hpas().create(hpa('bare'));
    const h = await waitFor(
      'ScalingActive False',
      async () => {
        const got = await hpas().get('bare');
        const c = got.status?.conditions?.find((x) => x.type === 'ScalingActive');
        return c?.status === 'False' ? c : undefined;
      },
      15_000,
    );
    assert.equal(h.reason, 'FailedGetResourceMetric');
    assert.match(
      h.message ?? '',
      /^the HPA was unable to compute the replica count: failed to get cpu utilization: missing request for cpu in container app of Pod bare-/,
    );
  });
});
