// The node controller's taints from conditions, and the taint eviction controller's toleration rules.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Node, NodeCondition } from '@mkube/shared/api';
import { desiredTaints } from '../src/nodelifecycle/taints.ts';
import { evictionDelay, toleratesTaint } from '../src/tainteviction/index.ts';

const node = (conds: Partial<Record<string, string>>, spec: Node['spec'] = {}): Node => ({
  apiVersion: 'v1',
  kind: 'Node',
  metadata: { name: 'n' },
  spec,
  status: {
    conditions: Object.entries(conds).map(([type, status]) => ({ type, status }) as NodeCondition),
  },
});
const NOW = new Date('2026-12-05T01:00:00Z');

describe('desiredTaints', () => {
  it('Ready=False: not-ready NoSchedule and NoExecute with timeAdded; pressure conditions taint NoSchedule', () => {
    const t = desiredTaints(node({ Ready: 'False', MemoryPressure: 'True', DiskPressure: 'False' }), NOW);
    assert.deepEqual(t, [
      { key: 'node.kubernetes.io/not-ready', effect: 'NoSchedule' },
      { key: 'node.kubernetes.io/memory-pressure', effect: 'NoSchedule' },
      { key: 'node.kubernetes.io/not-ready', effect: 'NoExecute', timeAdded: '2026-12-05T01:00:00Z' },
    ]);
  });

  it('Unknown swaps not-ready for unreachable; others’ taints and an existing timeAdded stay', () => {
    const mine = {
      key: 'node.kubernetes.io/unreachable',
      effect: 'NoExecute' as const,
      timeAdded: '2026-01-01T00:00:00Z',
    };
    const theirs = { key: 'dedicated', value: 'gpu', effect: 'NoSchedule' as const };
    const t = desiredTaints(
      node(
        { Ready: 'Unknown' },
        { taints: [theirs, { key: 'node.kubernetes.io/not-ready', effect: 'NoSchedule' }, mine] },
      ),
      NOW,
    );
    assert.deepEqual(t, [theirs, mine, { key: 'node.kubernetes.io/unreachable', effect: 'NoSchedule' }]);
  });

  it('a first NoExecute taint waits for the eviction rate; a swap does not', () => {
    const never = () => false;
    assert.deepEqual(desiredTaints(node({ Ready: 'False' }), NOW, never), [
      { key: 'node.kubernetes.io/not-ready', effect: 'NoSchedule' },
    ]);
    const notReady = {
      key: 'node.kubernetes.io/not-ready',
      effect: 'NoExecute' as const,
      timeAdded: '2026-01-01T00:00:00Z',
    };
    const t = desiredTaints(node({ Ready: 'Unknown' }, { taints: [notReady] }), NOW, never);
    assert.deepEqual(t, [
      { key: 'node.kubernetes.io/unreachable', effect: 'NoSchedule' },
      { key: 'node.kubernetes.io/unreachable', effect: 'NoExecute', timeAdded: '2026-12-05T01:00:00Z' },
    ]);
  });

  it('Ready=True lifts them all, spec.unschedulable adds its own, and no change is undefined', () => {
    const bad = node(
      { Ready: 'True' },
      { unschedulable: true, taints: [{ key: 'node.kubernetes.io/unreachable', effect: 'NoExecute' }] },
    );
    assert.deepEqual(desiredTaints(bad, NOW), [{ key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' }]);
    assert.equal(desiredTaints(node({ Ready: 'True' }), NOW), undefined);
  });
});

describe('taint eviction', () => {
  const unreachable = { key: 'node.kubernetes.io/unreachable', effect: 'NoExecute' as const };
  it('ToleratesTaint: empty key with Exists tolerates all; Equal compares the value; the effect must match', () => {
    assert.ok(toleratesTaint({ operator: 'Exists' }, unreachable));
    assert.ok(toleratesTaint({ key: unreachable.key, operator: 'Exists', effect: 'NoExecute' }, unreachable));
    assert.ok(!toleratesTaint({ key: unreachable.key, operator: 'Exists', effect: 'NoSchedule' }, unreachable));
    assert.ok(toleratesTaint({ key: 'a', value: 'b' }, { key: 'a', value: 'b', effect: 'NoExecute' }));
    assert.ok(!toleratesTaint({ key: 'a', value: 'c' }, { key: 'a', value: 'b', effect: 'NoExecute' }));
  });

  it('an untolerated taint is now; the shortest matching seconds win; none without seconds is never', () => {
    assert.deepEqual(evictionDelay([unreachable], []), { kind: 'now' });
    assert.deepEqual(
      evictionDelay(
        [unreachable],
        [
          { key: unreachable.key, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
          { operator: 'Exists', tolerationSeconds: 30 },
        ],
      ),
      { kind: 'after', seconds: 30 },
    );
    assert.deepEqual(evictionDelay([unreachable], [{ operator: 'Exists' }]), { kind: 'never' });
    assert.deepEqual(evictionDelay([], []), { kind: 'never' });
    assert.deepEqual(evictionDelay([unreachable], [{ operator: 'Exists', tolerationSeconds: -5 }]), {
      kind: 'after',
      seconds: 0,
    });
  });
});
