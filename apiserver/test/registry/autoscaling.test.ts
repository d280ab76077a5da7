// autoscaling HorizontalPodAutoscalers through a real apiserver: kubectl 1.33 (`autoscale` posts v2
// as protobuf) and 1.27 (v1 as JSON), upstream's defaults and refusals, /status, strategic merge
// patch, apply and delete, and autoscaling/v1 served over the stored v2 objects.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  adminCreate,
  adminRequest,
  curl,
  expectInvalid,
  type Fixture,
  kubectl,
  kubectlBinary,
  startFixture,
} from '../server/fixture.ts';

// biome-ignore lint/suspicious/noExplicitAny: Status bodies and objects are read field by field
type Json = any;

const V2 = '/apis/autoscaling/v2/namespaces/default/horizontalpodautoscalers';
const V1 = '/apis/autoscaling/v1/namespaces/default/horizontalpodautoscalers';
const CPU_50 = { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } } };

const hpa = (name: string, spec: Json = {}) => ({
  apiVersion: 'autoscaling/v2',
  kind: 'HorizontalPodAutoscaler',
  metadata: { name },
  spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' }, maxReplicas: 5, ...spec },
});

describe('autoscaling HorizontalPodAutoscalers', () => {
  let fx: Fixture;
  const send = (method: string, path: string, body?: unknown, contentType?: string) =>
    adminRequest(fx, method, path, body, contentType ? { contentType } : {});
  const created = (path: string, body: unknown) => adminCreate(fx, path, body);
  const invalid = expectInvalid;
  const ok = async (args: string[], bin?: string) => {
    const r = await kubectl(fx, args, bin);
    assert.equal(r.status, 0, r.err);
    return r.out;
  };

  before(async () => {
    fx = await startFixture();
    await ok(['create', 'deployment', 'web', '--image=nginx']);
  });
  after(async () => {
    await fx?.close();
  });

  it('kubectl autoscale: 1.33 posts v2 (protobuf), 1.27 posts v1; get hpa prints upstream columns', async () => {
    assert.match(
      await ok(['autoscale', 'deployment', 'web', '--cpu-percent=50', '--min=1', '--max=5'], kubectlBinary(33)),
      /horizontalpodautoscaler.autoscaling\/web autoscaled/,
    );
    await ok(
      ['autoscale', 'deployment', 'web', '--cpu-percent=60', '--max=4', '--name=web-old', '-v=6'],
      kubectlBinary(27),
    );
    const v2 = (await send('GET', `${V2}/web`)).json;
    assert.deepEqual(v2.spec, {
      scaleTargetRef: { kind: 'Deployment', name: 'web', apiVersion: 'apps/v1' },
      minReplicas: 1,
      maxReplicas: 5,
      metrics: [CPU_50],
    });
    assert.deepEqual(v2.status, { currentMetrics: null, desiredReplicas: 0 });
    assert.equal(v2.metadata.generation, 1);
    const old = (await send('GET', `${V2}/web-old`)).json;
    assert.equal(old.apiVersion, 'autoscaling/v2');
    assert.equal(old.spec.minReplicas, 1);
    assert.deepEqual(old.spec.metrics[0].resource.target, { type: 'Utilization', averageUtilization: 60 });

    for (const bin of [kubectlBinary(33), kubectlBinary(27)]) {
      const lines = (await ok(['get', 'hpa'], bin)).trim().split('\n');
      assert.match(lines[0]!, /^NAME\s+REFERENCE\s+TARGETS\s+MINPODS\s+MAXPODS\s+REPLICAS\s+AGE$/);
      assert.match(lines[1]!, /^web\s+Deployment\/web\s+cpu: <unknown>\/50%\s+1\s+5\s+0\s+\d+s$/);
      assert.match(lines[2]!, /^web-old\s+Deployment\/web\s+cpu: <unknown>\/60%\s+1\s+4\s+0\s+\d+s$/);
    }
    const yaml = await ok(['get', 'hpa', 'web', '-o', 'yaml']);
    assert.match(yaml, /apiVersion: autoscaling\/v2/);
    assert.match(yaml, /averageUtilization: 50/);
    const described = await ok(['describe', 'hpa', 'web']);
    assert.match(described, /Reference:\s+Deployment\/web/);
    assert.match(described, /resource cpu on pods\s+\(as a percentage of request\):\s+<unknown> \/ 50%/);
    assert.match(described, /Min replicas:\s+1/);
    assert.match(await ok(['get', 'all']), /horizontalpodautoscaler.autoscaling\/web\s/);
  });

  it('fills the v2 defaults, and behavior only when one is given', async () => {
    const plain = await created(V2, hpa('defaults'));
    assert.equal(plain.spec.minReplicas, 1);
    assert.deepEqual(plain.spec.metrics, [
      { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } },
    ]);
    assert.equal(plain.spec.behavior, undefined);
    const b = await created(
      V2,
      hpa('behavior', { behavior: { scaleDown: { stabilizationWindowSeconds: 60, tolerance: '0.05' } } }),
    );
    assert.deepEqual(b.spec.behavior, {
      scaleUp: {
        stabilizationWindowSeconds: 0,
        selectPolicy: 'Max',
        policies: [
          { type: 'Pods', value: 4, periodSeconds: 15 },
          { type: 'Percent', value: 100, periodSeconds: 15 },
        ],
      },
      // tolerance needs HPAConfigurableTolerance (alpha, off): dropped.
      scaleDown: {
        stabilizationWindowSeconds: 60,
        selectPolicy: 'Max',
        policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }],
      },
    });
  });

  it('refuses invalid specs with upstream messages', async () => {
    await invalid(
      send('POST', V2, hpa('bad-max', { minReplicas: 3, maxReplicas: 2 })),
      'HorizontalPodAutoscaler.autoscaling "bad-max" is invalid: spec.maxReplicas: Invalid value: 2: must be greater than or equal to `minReplicas`',
    );
    await invalid(
      send('POST', V2, hpa('bad-min', { minReplicas: 0, maxReplicas: 0 })),
      'HorizontalPodAutoscaler.autoscaling "bad-min" is invalid: [spec.minReplicas: Invalid value: 0: must be greater than or equal to 1, spec.maxReplicas: Invalid value: 0: must be greater than 0, spec.metrics: Forbidden: must specify at least one Object or External metric to support scaling to zero replicas]',
    );
    await invalid(
      send('POST', V2, hpa('bad-ref', { scaleTargetRef: { kind: 'Deploy/ment' } })),
      'HorizontalPodAutoscaler.autoscaling "bad-ref" is invalid: [spec.scaleTargetRef.kind: Invalid value: "Deploy/ment": may not contain \'/\', spec.scaleTargetRef.name: Required value]',
    );
    await invalid(
      send('POST', V2, hpa('bad-metric', { metrics: [{ type: 'Pods', resource: CPU_50.resource }] })),
      // One source present, though not the type's: upstream reports only the missing one.
      'HorizontalPodAutoscaler.autoscaling "bad-metric" is invalid: spec.metrics[0].pods: Required value: must populate information for the given metric source',
    );
    await invalid(
      send(
        'POST',
        V2,
        hpa('two-sources', {
          metrics: [
            { ...CPU_50, pods: { metric: { name: 'qps' }, target: { type: 'AverageValue', averageValue: '1' } } },
          ],
        }),
      ),
      'HorizontalPodAutoscaler.autoscaling "two-sources" is invalid: spec.metrics[0].pods: Forbidden: must populate the given metric source only',
    );
    await invalid(
      send(
        'POST',
        V2,
        hpa('bad-target', {
          metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization' } } }],
        }),
      ),
      'HorizontalPodAutoscaler.autoscaling "bad-target" is invalid: spec.metrics[0].resource.target.averageUtilization: Required value: must set either a target raw value or a target utilization',
    );
    await invalid(
      send(
        'POST',
        V2,
        hpa('bad-behavior', {
          behavior: {
            scaleUp: { selectPolicy: 'Most', policies: [{ type: 'Pods', value: 0, periodSeconds: 1801 }] },
            scaleDown: { stabilizationWindowSeconds: 3601, policies: [] },
          },
        }),
      ),
      'HorizontalPodAutoscaler.autoscaling "bad-behavior" is invalid: [spec.behavior.scaleUp.selectPolicy: Unsupported value: "Most": supported values: "Disabled", "Max", "Min", spec.behavior.scaleUp.policies[0].value: Invalid value: 0: must be greater than zero, spec.behavior.scaleUp.policies[0].periodSeconds: Invalid value: 1801: must be less than or equal to 1800, spec.behavior.scaleDown.stabilizationWindowSeconds: Invalid value: 3601: must be less than or equal to 3600, spec.behavior.scaleDown.policies: Required value: must specify at least one Policy]',
    );
    // Through v1 the same rules hold on the converted object.
    await invalid(
      send('POST', V1, {
        apiVersion: 'autoscaling/v1',
        kind: 'HorizontalPodAutoscaler',
        metadata: { name: 'bad-v1' },
        spec: {
          scaleTargetRef: { kind: 'Deployment', name: 'web' },
          maxReplicas: 3,
          targetCPUUtilizationPercentage: 0,
        },
      }),
      'HorizontalPodAutoscaler.autoscaling "bad-v1" is invalid: spec.metrics[0].resource.target.averageUtilization: Invalid value: 0: must be greater than 0',
    );
  });

  it('/status writes keep the spec, spec writes keep the status; generation follows the spec', async () => {
    const h = await created(V2, hpa('status'));
    const status = {
      currentReplicas: 2,
      desiredReplicas: 3,
      currentMetrics: [
        { type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: 90, averageValue: '450m' } } },
      ],
      conditions: [{ type: 'AbleToScale', status: 'True', reason: 'SucceededRescale', message: 'ok' }],
    };
    const st = await send('PUT', `${V2}/status/status`, { ...h, spec: { ...h.spec, maxReplicas: 9 }, status });
    assert.equal(st.code, 200, JSON.stringify(st.json));
    assert.equal(st.json.spec.maxReplicas, 5);
    assert.deepEqual(st.json.status, status);
    assert.equal(st.json.metadata.generation, 1);
    const put = await send('PUT', `${V2}/status`, {
      ...st.json,
      spec: { ...st.json.spec, maxReplicas: 8 },
      status: {},
    });
    assert.equal(put.code, 200, JSON.stringify(put.json));
    assert.equal(put.json.spec.maxReplicas, 8);
    assert.deepEqual(put.json.status, status);
    assert.equal(put.json.metadata.generation, 2);
    const lines = (await ok(['get', 'hpa', 'status'])).trim().split('\n');
    assert.match(lines[1]!, /^status\s+Deployment\/web\s+cpu: 90%\/80%\s+1\s+8\s+2\s+\d+s$/);
    await invalid(
      send('PUT', `${V2}/status/status`, { ...put.json, status: { desiredReplicas: -1 } }),
      'HorizontalPodAutoscaler.autoscaling "status" is invalid: status.desiredReplicas: Invalid value: -1: must be greater than or equal to 0',
    );
    // status.conditions merge by type under a strategic merge patch.
    const patched = await send(
      'PATCH',
      `${V2}/status/status`,
      { status: { conditions: [{ type: 'ScalingActive', status: 'False', reason: 'FailedGetResourceMetric' }] } },
      'application/strategic-merge-patch+json',
    );
    assert.equal(patched.code, 200, JSON.stringify(patched.json));
    assert.deepEqual(patched.json.status.conditions.map((c: Json) => c.type).sort(), ['AbleToScale', 'ScalingActive']);
  });

  it('kubectl apply, patch, edit-style replace and delete', async () => {
    const file = join(fx.dir, 'hpa.yaml');
    const manifest = (max: number) =>
      [
        'apiVersion: autoscaling/v2',
        'kind: HorizontalPodAutoscaler',
        'metadata:',
        '  name: applied',
        'spec:',
        '  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}',
        '  minReplicas: 2',
        `  maxReplicas: ${max}`,
        '  metrics:',
        '  - type: Resource',
        '    resource: {name: memory, target: {type: AverageValue, averageValue: 100Mi}}',
        '',
      ].join('\n');
    writeFileSync(file, manifest(6));
    assert.match(await ok(['apply', '-f', file]), /horizontalpodautoscaler.autoscaling\/applied created/);
    writeFileSync(file, manifest(7));
    assert.match(await ok(['apply', '-f', file]), /horizontalpodautoscaler.autoscaling\/applied configured/);
    assert.match(
      await ok(['patch', 'hpa', 'applied', '-p', '{"spec":{"minReplicas":3}}']),
      /horizontalpodautoscaler.autoscaling\/applied patched/,
    );
    const got = (await send('GET', `${V2}/applied`)).json;
    assert.equal(got.spec.maxReplicas, 7);
    assert.equal(got.spec.minReplicas, 3);
    assert.equal(got.metadata.generation, 3);
    const lines = (await ok(['get', 'hpa', 'applied'])).trim().split('\n');
    assert.match(lines[1]!, /^applied\s+Deployment\/web\s+memory: <unknown>\/100Mi\s+3\s+7\s+0\s+\d+s$/);
    assert.match(await ok(['delete', 'hpa', 'applied']), /horizontalpodautoscaler.autoscaling "applied" deleted/);
    assert.equal((await send('GET', `${V2}/applied`)).code, 404);
  });

  describe('autoscaling/v1 over the stored v2 objects', () => {
    it('discovery prefers v2 and lists v1 too', async () => {
      const group = (await send('GET', '/apis/autoscaling')).json;
      assert.deepEqual(
        group.versions.map((v: Json) => v.version),
        ['v2', 'v1'],
      );
      assert.equal(group.preferredVersion.version, 'v2');
      const v1 = (await send('GET', '/apis/autoscaling/v1')).json;
      assert.deepEqual(
        v1.resources.map((r: Json) => r.name),
        ['horizontalpodautoscalers', 'horizontalpodautoscalers/status'],
      );
    });

    it('keeps the metrics v1 cannot hold, the behavior, current metrics and conditions in annotations', async () => {
      const memory = {
        type: 'Resource',
        resource: { name: 'memory', target: { type: 'AverageValue', averageValue: '100Mi' } },
      };
      const h = await created(
        V2,
        hpa('multi', {
          metrics: [CPU_50, memory],
          behavior: { scaleUp: { selectPolicy: 'Disabled' } },
        }),
      );
      await send('PUT', `${V2}/multi/status`, {
        ...h,
        status: {
          currentReplicas: 1,
          desiredReplicas: 1,
          currentMetrics: [
            { type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: 20, averageValue: '100m' } } },
          ],
          conditions: [
            {
              type: 'AbleToScale',
              status: 'True',
              lastTransitionTime: '2026-12-07T10:00:00Z',
              reason: 'ReadyForNewScale',
            },
          ],
        },
      });
      const v1 = (await send('GET', `${V1}/multi`)).json;
      assert.equal(v1.apiVersion, 'autoscaling/v1');
      assert.deepEqual(v1.spec, {
        scaleTargetRef: { kind: 'Deployment', name: 'web', apiVersion: 'apps/v1' },
        minReplicas: 1,
        maxReplicas: 5,
        targetCPUUtilizationPercentage: 50,
      });
      assert.deepEqual(v1.status, { currentReplicas: 1, desiredReplicas: 1, currentCPUUtilizationPercentage: 20 });
      const a = v1.metadata.annotations;
      assert.deepEqual(JSON.parse(a['autoscaling.alpha.kubernetes.io/metrics']), [
        { type: 'Resource', resource: { name: 'memory', targetAverageValue: '100Mi' } },
      ]);
      assert.deepEqual(JSON.parse(a['autoscaling.alpha.kubernetes.io/current-metrics']), [
        { type: 'Resource', resource: { name: 'cpu', currentAverageUtilization: 20, currentAverageValue: '100m' } },
      ]);
      assert.deepEqual(JSON.parse(a['autoscaling.alpha.kubernetes.io/conditions']), [
        { type: 'AbleToScale', status: 'True', lastTransitionTime: '2026-12-07T10:00:00Z', reason: 'ReadyForNewScale' },
      ]);
      assert.equal(JSON.parse(a['autoscaling.alpha.kubernetes.io/behavior']).ScaleUp.SelectPolicy, 'Disabled');

      // A v1 round trip changes only what the client changed; the annotations go back into fields.
      const put = await send('PUT', `${V1}/multi`, { ...v1, spec: { ...v1.spec, maxReplicas: 6 } });
      assert.equal(put.code, 200, JSON.stringify(put.json));
      const v2 = (await send('GET', `${V2}/multi`)).json;
      assert.equal(v2.spec.maxReplicas, 6);
      // Upstream puts the CPU target after the annotation's metrics.
      assert.deepEqual(v2.spec.metrics, [memory, CPU_50]);
      assert.equal(v2.spec.behavior.scaleUp.selectPolicy, 'Disabled');
      assert.equal(v2.metadata.annotations, undefined);
      assert.equal(v2.status.conditions[0].reason, 'ReadyForNewScale');

      const lines = (await ok(['get', 'horizontalpodautoscalers.v1.autoscaling', 'multi'])).trim().split('\n');
      // As upstream, each target is paired with the current metric at its index.
      assert.match(
        lines[1]!,
        /^multi\s+Deployment\/web\s+memory: 100m\/100Mi, cpu: <unknown>\/50%\s+1\s+6\s+1\s+\d+s$/,
      );
    });

    it('merge-patches, lists and watches in v1; a v1 create with no target gets 80 % CPU', async () => {
      const c = await created(V1, {
        apiVersion: 'autoscaling/v1',
        kind: 'HorizontalPodAutoscaler',
        metadata: { name: 'v1-made' },
        spec: { scaleTargetRef: { kind: 'Deployment', name: 'web' }, maxReplicas: 3 },
      });
      assert.equal(c.apiVersion, 'autoscaling/v1');
      assert.equal(c.spec.targetCPUUtilizationPercentage, 80);
      assert.equal(c.spec.minReplicas, 1);
      const p = await send(
        'PATCH',
        `${V1}/v1-made`,
        { spec: { targetCPUUtilizationPercentage: 70 } },
        'application/merge-patch+json',
      );
      assert.equal(p.code, 200, JSON.stringify(p.json));
      assert.equal(p.json.spec.targetCPUUtilizationPercentage, 70);
      assert.equal((await send('GET', `${V2}/v1-made`)).json.spec.metrics[0].resource.target.averageUtilization, 70);
      const list = (await send('GET', V1)).json;
      assert.equal(list.kind, 'HorizontalPodAutoscalerList');
      assert.equal(list.apiVersion, 'autoscaling/v1');
      assert.ok(list.items.every((i: Json) => i.apiVersion === 'autoscaling/v1' && i.spec.metrics === undefined));
      const w = await curl(fx, `${V1}?watch=1&timeoutSeconds=1&fieldSelector=metadata.name%3Dv1-made`);
      const events = w.body
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      assert.equal(events[0].type, 'ADDED');
      assert.equal(events[0].object.apiVersion, 'autoscaling/v1');
      assert.equal(events[0].object.spec.targetCPUUtilizationPercentage, 70);
      const d = await send('DELETE', `${V1}/v1-made`);
      assert.equal(d.code, 200);
      assert.equal(d.json.apiVersion, 'autoscaling/v1');
    });
  });
});
