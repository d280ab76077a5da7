// The scheduling algorithm end to end on hand-made snapshots: scores (LeastAllocated,
// BalancedAllocation, taints), selectHost's tie-break, and the FitError text kube-scheduler writes,
// its preemption part included.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Pod } from '../src/api/index.ts';
import { fitErrorMessage, newDiagnosis } from '../src/framework/fiterror.ts';
import type { NodeInfo } from '../src/framework/nodeinfo.ts';
import { preemptionDiagnosis } from '../src/framework/preemption.ts';
import { schedulePod, selectHost } from '../src/framework/schedule.ts';
import { unresolvable } from '../src/framework/status.ts';
import { balancedScore, leastRequestedScore } from '../src/plugins/noderesources.ts';
import { newProfile } from '../src/profile.ts';
import { info, node, pod } from './objects.ts';

const fwk = newProfile('default-scheduler');

/** The FailedScheduling text for `p` on `nodes`, as scheduleOne builds it. */
function failure(p: Pod, nodes: NodeInfo[]): string {
  const out = schedulePod(fwk, p, nodes);
  if (out.kind === 'noNodes') return out.message;
  assert.equal(out.kind, 'unfit', `expected no fit, got ${JSON.stringify(out)}`);
  if (out.kind !== 'unfit') return '';
  out.error.diagnosis.postFilterMsg = preemptionDiagnosis(fwk, out.state, p, nodes, out.error.diagnosis).message;
  return out.error.message;
}

describe('scoring', () => {
  it('computes LeastAllocated and BalancedAllocation as upstream', () => {
    assert.equal(leastRequestedScore(3000, 4000), 25);
    assert.equal(leastRequestedScore(5, 8), 37);
    assert.equal(leastRequestedScore(9, 8), 0);
    assert.equal(leastRequestedScore(1, 0), 0);
    assert.equal(balancedScore([0.75, 0.625]), 93);
    assert.equal(balancedScore([0.5, 0.5]), 100);
    assert.equal(balancedScore([1.5, 0]), 50, 'fractions are capped at 1');
  });

  it('prefers the emptier node', () => {
    const busy = info(node('a'), pod('u', { cpu: '2', memory: '4Gi' }));
    const idle = info(node('b'));
    const out = schedulePod(fwk, pod('p', { cpu: '1', memory: '1Gi' }), [busy, idle]);
    assert.equal(out.kind, 'scheduled');
    assert.equal(out.kind === 'scheduled' && out.result.suggestedHost, 'b');
    assert.deepEqual(
      fwk.runScore(new Map(), pod('p', { cpu: '1', memory: '1Gi' }), [busy, idle]),
      // TaintToleration 100×3 (no taints), NodeResourcesFit (25+37)/2=31 vs (75+87)/2=81, Balanced 93 each.
      [300 + 31 + 93, 300 + 81 + 93],
    );
  });

  it('scores untolerated PreferNoSchedule taints down', () => {
    const soft = info(node('a', { taints: [{ key: 'soft', effect: 'PreferNoSchedule' }] }));
    const plain = info(node('b'));
    const out = schedulePod(fwk, pod('p', { cpu: '1' }), [soft, plain]);
    assert.equal(out.kind === 'scheduled' && out.result.suggestedHost, 'b');
  });

  it('breaks ties at random among the best (selectHost)', () => {
    assert.equal(
      selectHost(['a', 'b', 'c'], [5, 9, 9], () => 0.9),
      'b',
    );
    assert.equal(
      selectHost(['a', 'b', 'c'], [5, 9, 9], () => 0.1),
      'c',
    );
    const picked = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const out = schedulePod(fwk, pod('p'), [info(node('a')), info(node('b')), info(node('c'))]);
      if (out.kind === 'scheduled') picked.add(out.result.suggestedHost);
    }
    assert.deepEqual([...picked].sort(), ['a', 'b', 'c']);
  });

  it('skips scoring with one feasible node and reports what was evaluated', () => {
    const out = schedulePod(fwk, pod('p', { spec: { nodeSelector: { zone: 'b' } } }), [
      info(node('a', { labels: { zone: 'a' } })),
      info(node('b', { labels: { zone: 'b' } })),
    ]);
    assert.equal(out.kind, 'scheduled');
    assert.deepEqual(out.kind === 'scheduled' && out.result, {
      suggestedHost: 'b',
      evaluatedNodes: 2,
      feasibleNodes: 1,
    });
  });
});

describe('FailedScheduling messages', () => {
  it('counts reasons over the nodes, sorted, with the preemption part', () => {
    const nodes = [
      info(
        node('cp', {
          labels: { zone: 'a' },
          taints: [{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }],
        }),
      ),
      info(node('w1')),
      info(node('w2')),
    ];
    assert.equal(
      failure(pod('p', { spec: { nodeSelector: { zone: 'a' } } }), nodes),
      "0/3 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, 2 node(s) didn't match Pod's node affinity/selector. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.",
    );
  });

  it('says no preemption victims exist for a resource shortage on an empty node', () => {
    assert.equal(
      failure(pod('p', { cpu: '8', memory: '16Gi' }), [info(node('n1'))]),
      '0/1 nodes are available: 1 Insufficient cpu, 1 Insufficient memory. preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod.',
    );
  });

  it('dry-runs without lower-priority pods: their removal not helping is reported, helping adds nothing', () => {
    const low = pod('low', { cpu: '3' });
    low.spec!.priority = -1;
    const high = pod('high', { cpu: '2' });
    high.spec!.priority = 10;
    const n = info(node('n1'), low);
    // Evicting "low" would make room: upstream preempts and writes no preemption text.
    const out = schedulePod(fwk, high, [n]);
    assert.equal(out.kind, 'unfit');
    if (out.kind !== 'unfit') return;
    const post = preemptionDiagnosis(fwk, out.state, high, [n], out.error.diagnosis);
    assert.deepEqual(post, { message: '', candidates: ['n1'] });
    // Still too big without it: the dry run's own reason.
    assert.equal(
      failure(
        { ...high, spec: { ...high.spec!, containers: [{ name: 'c', resources: { requests: { cpu: '5' } } }] } },
        [n],
      ),
      '0/1 nodes are available: 1 Insufficient cpu. preemption: 0/1 nodes are available: 1 Insufficient cpu.',
    );
  });

  it('says a pod with preemptionPolicy Never may not preempt', () => {
    const p = pod('p', { cpu: '8', spec: { preemptionPolicy: 'Never' } });
    assert.equal(
      failure(p, [info(node('n1'))]),
      '0/1 nodes are available: 1 Insufficient cpu. preemption: not eligible due to preemptionPolicy=Never.',
    );
  });

  it('reports a PreFilter rejection once, and the nodes a PreFilter left out', () => {
    const byName = (...values: string[][]) =>
      pod('p', {
        spec: {
          affinity: {
            nodeAffinity: {
              requiredDuringSchedulingIgnoredDuringExecution: {
                nodeSelectorTerms: [
                  { matchFields: values.map((v) => ({ key: 'metadata.name', operator: 'In', values: v })) },
                ],
              },
            },
          },
        },
      });
    const nodes = [
      info(node('n1', { taints: [{ key: 'a', value: 'b', effect: 'NoSchedule' }] })),
      info(node('n2')),
      info(node('n3')),
    ];
    assert.equal(
      failure(byName(['n1'], ['n2']), nodes),
      '0/3 nodes are available: pod affinity terms conflict. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.',
    );
    assert.equal(
      failure(byName(['n1']), nodes),
      "0/3 nodes are available: 1 node(s) had untolerated taint {a: b}, 2 node(s) didn't satisfy plugin(s) [NodeAffinity]. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.",
    );
  });

  it('sorts "<count> <reason>" as strings (Go sort.Strings), so 10 comes before 2', () => {
    const d = newDiagnosis();
    for (let i = 0; i < 10; i++) d.nodeToStatus.set(`x${i}`, unresolvable('node(s) were unschedulable'));
    for (let i = 0; i < 2; i++) d.nodeToStatus.set(`y${i}`, unresolvable('Insufficient cpu'));
    assert.equal(
      fitErrorMessage(12, d),
      '0/12 nodes are available: 10 node(s) were unschedulable, 2 Insufficient cpu.',
    );
  });

  it('says so when there is no node at all', () => {
    assert.equal(failure(pod('p'), []), 'no nodes available to schedule pods');
  });
});
