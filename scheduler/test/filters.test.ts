// Each default Filter plugin against hand-made nodes: who fits, and the exact reason (and code)
// each one gives, as upstream's FailedScheduling text shows it.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Pod } from '../src/api/index.ts';
import type { CycleState, FilterPlugin } from '../src/framework/interface.ts';
import type { NodeInfo } from '../src/framework/nodeinfo.ts';
import { nodeAffinity } from '../src/plugins/nodeaffinity.ts';
import { nodeName } from '../src/plugins/nodename.ts';
import { nodePorts } from '../src/plugins/nodeports.ts';
import { nodeResourcesFit } from '../src/plugins/noderesources.ts';
import { nodeUnschedulable } from '../src/plugins/nodeunschedulable.ts';
import { taintToleration } from '../src/plugins/tainttoleration.ts';
import { info, node, pod } from './objects.ts';

/** PreFilter (when the plugin has one) then Filter, as the framework runs them. */
function run(pl: FilterPlugin, p: Pod, n: NodeInfo) {
  const state: CycleState = new Map();
  const pre = pl.preFilter?.(state, p);
  if (pre && 'code' in pre && pre.code === 'Skip') return undefined;
  const s = pl.filter(state, p, n);
  return s && { code: s.code, reasons: [...s.reasons] };
}

describe('NodeUnschedulable', () => {
  it('keeps pods off a cordoned node unless they tolerate the unschedulable taint', () => {
    const cordoned = info(node('n1', { unschedulable: true }));
    assert.deepEqual(run(nodeUnschedulable, pod('p'), cordoned), {
      code: 'UnschedulableAndUnresolvable',
      reasons: ['node(s) were unschedulable'],
    });
    const tolerant = pod('t', {
      spec: { tolerations: [{ key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' }] },
    });
    assert.equal(run(nodeUnschedulable, tolerant, cordoned), undefined);
    assert.equal(run(nodeUnschedulable, pod('p'), info(node('n2'))), undefined);
  });
});

describe('NodeName', () => {
  it('fits only the node a pod names', () => {
    const p = pod('p', { spec: { nodeName: 'n1' } });
    assert.equal(run(nodeName, p, info(node('n1'))), undefined);
    assert.deepEqual(run(nodeName, p, info(node('n2'))), {
      code: 'UnschedulableAndUnresolvable',
      reasons: ["node(s) didn't match the requested node name"],
    });
    assert.equal(run(nodeName, pod('q'), info(node('n2'))), undefined);
  });
});

describe('TaintToleration', () => {
  const tainted = info(
    node('n1', {
      taints: [
        { key: 'soft', value: 'x', effect: 'PreferNoSchedule' },
        { key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' },
        { key: 'dedicated', value: 'gpu', effect: 'NoExecute' },
      ],
    }),
  );

  it('names the first untolerated NoSchedule/NoExecute taint, {key: value}', () => {
    assert.deepEqual(run(taintToleration, pod('p'), tainted), {
      code: 'UnschedulableAndUnresolvable',
      reasons: ['node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }'],
    });
    const cp = pod('cp', {
      spec: { tolerations: [{ key: 'node-role.kubernetes.io/control-plane', operator: 'Exists' }] },
    });
    assert.deepEqual(run(taintToleration, cp, tainted)?.reasons, ['node(s) had untolerated taint {dedicated: gpu}']);
  });

  it('matches Equal on value and effect, Exists on the key, an empty key with Exists on everything', () => {
    const wrongValue = pod('w', {
      spec: {
        tolerations: [
          { key: 'node-role.kubernetes.io/control-plane', operator: 'Exists' },
          { key: 'dedicated', operator: 'Equal', value: 'cpu' },
        ],
      },
    });
    assert.ok(run(taintToleration, wrongValue, tainted));
    const wrongEffect = pod('e', {
      spec: {
        tolerations: [
          { key: 'node-role.kubernetes.io/control-plane', operator: 'Exists' },
          { key: 'dedicated', value: 'gpu', effect: 'NoSchedule' },
        ],
      },
    });
    assert.ok(run(taintToleration, wrongEffect, tainted));
    const all = pod('a', { spec: { tolerations: [{ operator: 'Exists' }] } });
    assert.equal(run(taintToleration, all, tainted), undefined);
  });

  it('ignores PreferNoSchedule when filtering', () => {
    const soft = info(node('n2', { taints: [{ key: 'soft', effect: 'PreferNoSchedule' }] }));
    assert.equal(run(taintToleration, pod('p'), soft), undefined);
  });
});

describe('NodeAffinity', () => {
  const labelled = info(node('n1', { labels: { zone: 'a', disk: 'ssd', cores: '8' } }));
  const NO_MATCH = {
    code: 'UnschedulableAndUnresolvable',
    reasons: ["node(s) didn't match Pod's node affinity/selector"],
  };
  const required = (
    ...terms: {
      matchExpressions?: { key: string; operator: string; values?: string[] }[];
      matchFields?: { key: string; operator: string; values?: string[] }[];
    }[]
  ) =>
    pod('a', {
      spec: {
        affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: terms } } },
      },
    });

  it('needs every nodeSelector label', () => {
    assert.equal(run(nodeAffinity, pod('p', { spec: { nodeSelector: { zone: 'a' } } }), labelled), undefined);
    assert.deepEqual(
      run(nodeAffinity, pod('p', { spec: { nodeSelector: { zone: 'a', gpu: 'yes' } } }), labelled),
      NO_MATCH,
    );
  });

  it('evaluates each operator', () => {
    const fits = (key: string, operator: string, values?: string[]) =>
      run(
        nodeAffinity,
        required({ matchExpressions: [{ key, operator, ...(values ? { values } : {}) }] }),
        labelled,
      ) === undefined;
    assert.ok(fits('zone', 'In', ['a', 'b']));
    assert.ok(!fits('zone', 'In', ['b']));
    assert.ok(fits('zone', 'NotIn', ['b']));
    assert.ok(!fits('zone', 'NotIn', ['a']));
    assert.ok(fits('missing', 'NotIn', ['a']));
    assert.ok(fits('disk', 'Exists'));
    assert.ok(!fits('gpu', 'Exists'));
    assert.ok(fits('gpu', 'DoesNotExist'));
    assert.ok(fits('cores', 'Gt', ['4']));
    assert.ok(!fits('cores', 'Gt', ['8']));
    assert.ok(fits('cores', 'Lt', ['16']));
    assert.ok(!fits('zone', 'Gt', ['1']), 'a non-integer label never satisfies Gt');
    assert.ok(!fits('cores', 'Gt', ['x']), 'a term that does not parse matches nothing');
    assert.ok(!fits('zone', 'In', []), 'In without values does not parse');
  });

  it('ORs the terms and ANDs the requirements of a term', () => {
    const p = required(
      { matchExpressions: [{ key: 'zone', operator: 'In', values: ['b'] }] },
      {
        matchExpressions: [
          { key: 'disk', operator: 'In', values: ['ssd'] },
          { key: 'zone', operator: 'In', values: ['a'] },
        ],
      },
    );
    assert.equal(run(nodeAffinity, p, labelled), undefined);
    const q = required({
      matchExpressions: [
        { key: 'disk', operator: 'In', values: ['ssd'] },
        { key: 'zone', operator: 'In', values: ['b'] },
      ],
    });
    assert.deepEqual(run(nodeAffinity, q, labelled), NO_MATCH);
    assert.deepEqual(run(nodeAffinity, required({}), labelled), NO_MATCH, 'an empty term matches nothing');
  });

  it('selects metadata.name through matchFields, and narrows the nodes at PreFilter', () => {
    const p = required({ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['n1'] }] });
    assert.equal(run(nodeAffinity, p, labelled), undefined);
    assert.deepEqual(run(nodeAffinity, p, info(node('n2'))), NO_MATCH);
    assert.deepEqual(nodeAffinity.preFilter?.(new Map(), p), { nodeNames: new Set(['n1']) });
    const conflict = required({
      matchFields: [
        { key: 'metadata.name', operator: 'In', values: ['n1'] },
        { key: 'metadata.name', operator: 'In', values: ['n2'] },
      ],
    });
    assert.deepEqual(nodeAffinity.preFilter?.(new Map(), conflict), {
      code: 'UnschedulableAndUnresolvable',
      reasons: ['pod affinity terms conflict'],
    });
    assert.deepEqual(nodeAffinity.preFilter?.(new Map(), pod('plain')), { code: 'Skip', reasons: [] });
  });
});

describe('NodePorts', () => {
  const hostPort = (port: number, ip?: string, protocol?: 'TCP' | 'UDP') =>
    pod(`hp${port}${ip ?? ''}${protocol ?? ''}`, {
      spec: {
        containers: [
          {
            name: 'c',
            ports: [
              { containerPort: 80, hostPort: port, ...(ip ? { hostIP: ip } : {}), ...(protocol ? { protocol } : {}) },
            ],
          },
        ],
      },
    });
  const n = node('n1');

  it('refuses a node where a wanted host port is taken, on the same or the wildcard address', () => {
    const REASON = { code: 'Unschedulable', reasons: ["node(s) didn't have free ports for the requested pod ports"] };
    assert.deepEqual(run(nodePorts, hostPort(8080), info(n, hostPort(8080))), REASON);
    assert.deepEqual(run(nodePorts, hostPort(8080, '10.0.0.1'), info(n, hostPort(8080))), REASON);
    assert.deepEqual(run(nodePorts, hostPort(8080), info(n, hostPort(8080, '10.0.0.1'))), REASON);
    assert.equal(run(nodePorts, hostPort(8080, '10.0.0.2'), info(n, hostPort(8080, '10.0.0.1'))), undefined);
    assert.equal(run(nodePorts, hostPort(8080, undefined, 'UDP'), info(n, hostPort(8080))), undefined);
    assert.equal(run(nodePorts, hostPort(8081), info(n, hostPort(8080))), undefined);
  });
});

describe('NodeResourcesFit', () => {
  it('lists every short resource, in upstream order', () => {
    const n = node('n1', { cpu: '2', memory: '4Gi', extra: { 'ephemeral-storage': '10Gi', 'example.com/gpu': '1' } });
    const used = info(n, pod('u', { cpu: '1500m', memory: '3Gi' }));
    assert.equal(run(nodeResourcesFit, pod('small', { cpu: '500m', memory: '1Gi' }), used), undefined);
    const big = pod('big', { cpu: '600m', memory: '2Gi' });
    big.spec!.containers[0]!.resources!.requests!['ephemeral-storage'] = '20Gi';
    big.spec!.containers[0]!.resources!.requests!['example.com/gpu'] = '2';
    assert.deepEqual(run(nodeResourcesFit, big, used), {
      code: 'Unschedulable',
      reasons: [
        'Insufficient cpu',
        'Insufficient memory',
        'Insufficient ephemeral-storage',
        'Insufficient example.com/gpu',
      ],
    });
  });

  it('counts pods against allocatable pods, even for a pod asking nothing', () => {
    const full = info(node('n1', { pods: '1' }), pod('u'));
    assert.deepEqual(run(nodeResourcesFit, pod('p'), full), { code: 'Unschedulable', reasons: ['Too many pods'] });
  });

  it('includes init containers and overhead in what the pod needs', () => {
    const n = info(node('n1', { cpu: '1' }));
    const p = pod('p', { cpu: '100m' });
    p.spec!.initContainers = [{ name: 'i', resources: { requests: { cpu: '1500m' } } }];
    assert.deepEqual(run(nodeResourcesFit, p, n)?.reasons, ['Insufficient cpu']);
    const o = pod('o', { cpu: '900m' });
    o.spec!.overhead = { cpu: '200m' };
    assert.deepEqual(run(nodeResourcesFit, o, n)?.reasons, ['Insufficient cpu']);
  });
});
