// The node controller's taints from conditions and its zone disruption states, and the taint eviction
// controller's toleration rules.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Node, NodeCondition } from '@mkube/shared/api';
import { toleratesTaint } from '@mkube/shared/api';
import { computeZoneState, DEFAULT_DISRUPTION, ZoneDisruption, zoneKey } from '../src/nodelifecycle/disruption.ts';
import { desiredTaints } from '../src/nodelifecycle/taints.ts';
import { evictionDelay } from '../src/tainteviction/index.ts';

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

describe('desiredTaints in master disruption mode', () => {
  it('takes the NoExecute taints off and adds none; NoSchedule stays', () => {
    const tainted = node(
      { Ready: 'Unknown' },
      { taints: [{ key: 'node.kubernetes.io/unreachable', effect: 'NoExecute', timeAdded: '2026-01-01T00:00:00Z' }] },
    );
    const none = () => assert.fail('no token is asked for');
    assert.deepEqual(desiredTaints(tainted, NOW, none, false), [
      { key: 'node.kubernetes.io/unreachable', effect: 'NoSchedule' },
    ]);
    assert.deepEqual(desiredTaints(node({ Ready: 'False' }), NOW, none, false), [
      { key: 'node.kubernetes.io/not-ready', effect: 'NoSchedule' },
    ]);
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

describe('zone disruption', () => {
  const S = { ...DEFAULT_DISRUPTION, evictionRate: 1, secondaryEvictionRate: 0.5, largeClusterSizeThreshold: 3 };
  const n = (name: string, ready: string, zone?: string, extra: Record<string, string> = {}): Node => ({
    ...node({ Ready: ready }),
    metadata: { name, labels: { ...(zone ? { 'topology.kubernetes.io/zone': zone } : {}), ...extra } },
  });

  it('ComputeZoneState and GetZoneKey as upstream', () => {
    assert.equal(computeZoneState(0, 1, 0.55), 'FullDisruption');
    assert.equal(computeZoneState(1, 3, 0.55), 'PartialDisruption');
    assert.equal(computeZoneState(0, 0, 0.55), 'Normal');
    assert.equal(computeZoneState(2, 2, 0.55), 'Normal', 'two not Ready are never a partial disruption');
    assert.equal(computeZoneState(3, 3, 0.55), 'Normal', 'half is under the threshold');
    assert.equal(zoneKey(n('a', 'True')), '');
    assert.equal(zoneKey(n('a', 'True', 'z1')), ':\0:z1');
    const beta = n('a', 'True', 'z1', {
      'failure-domain.beta.kubernetes.io/zone': 'old',
      'topology.kubernetes.io/region': 'r',
    });
    assert.equal(zoneKey(beta), 'r:\0:old', 'the beta labels first');
  });

  it('every zone down enters master disruption mode (no NoExecute), a Ready node leaves it', () => {
    const z = new ZoneDisruption(S);
    assert.deepEqual(z.observe('a', n('a', 'True', 'z1')), { kind: 'zones', zones: [':\0:z1'] });
    assert.deepEqual(z.observe('b', n('b', 'True', 'z2')), { kind: 'zones', zones: [':\0:z2'] });
    assert.deepEqual(z.observe('a', n('a', 'Unknown', 'z1')), { kind: 'zones', zones: [':\0:z1'] });
    assert.equal(z.state(':\0:z1'), 'FullDisruption');
    assert.equal(z.rate(':\0:z1'), 1, 'one zone down beside a healthy one: the normal rate');
    assert.deepEqual(z.observe('b', n('b', 'Unknown', 'z2')), { kind: 'enterMasterDisruption' });
    assert.ok(z.masterDisruption);
    assert.equal(z.rate(':\0:z1'), 0);
    assert.deepEqual(z.observe('b', n('b', 'True', 'z2')), { kind: 'exitMasterDisruption' });
    assert.ok(!z.masterDisruption);
    assert.equal(z.rate(':\0:z1'), 1);
    // Nodes with node.kubernetes.io/exclude-disruption are not counted.
    assert.deepEqual(z.observe('x', n('x', 'False', 'z2', { 'node.kubernetes.io/exclude-disruption': '' })), {
      kind: 'none',
    });
    assert.equal(z.state(':\0:z2'), 'Normal');
  });

  it('partial disruption: the secondary rate above --large-cluster-size-threshold, none at or below it', () => {
    const z = new ZoneDisruption(S);
    z.observe('h', n('h', 'True', 'other'));
    for (const name of ['a', 'b', 'c']) z.observe(name, n(name, 'Unknown', 'z1'));
    z.observe('d', n('d', 'True', 'z1'));
    assert.equal(z.state(':\0:z1'), 'PartialDisruption');
    assert.equal(z.rate(':\0:z1'), 0.5, 'four nodes, more than 3');
    const small = new ZoneDisruption({ ...S, largeClusterSizeThreshold: 4 });
    small.observe('h', n('h', 'True', 'other'));
    for (const name of ['a', 'b', 'c']) small.observe(name, n(name, 'Unknown', 'z1'));
    small.observe('d', n('d', 'True', 'z1'));
    assert.equal(small.rate(':\0:z1'), 0);
  });

  it('metrics: node_collector series per zone; a zone gone reads size 0, health 100', () => {
    const z = new ZoneDisruption(S);
    z.observe('a', n('a', 'True', 'z1'));
    z.observe('b', n('b', 'Unknown', 'z1'));
    z.evicted(':\0:z1');
    assert.deepEqual(z.metrics(), [
      '# HELP node_collector_evictions_total [STABLE] Number of Node evictions that happened since current instance of NodeController started.',
      '# TYPE node_collector_evictions_total counter',
      'node_collector_evictions_total{zone=":\0:z1"} 1',
      '# HELP node_collector_unhealthy_nodes_in_zone [ALPHA] Gauge measuring number of not Ready Nodes per zones.',
      '# TYPE node_collector_unhealthy_nodes_in_zone gauge',
      'node_collector_unhealthy_nodes_in_zone{zone=":\0:z1"} 1',
      '# HELP node_collector_zone_health [ALPHA] Gauge measuring percentage of healthy nodes per zone.',
      '# TYPE node_collector_zone_health gauge',
      'node_collector_zone_health{zone=":\0:z1"} 50',
      '# HELP node_collector_zone_size [ALPHA] Gauge measuring number of registered Nodes per zones.',
      '# TYPE node_collector_zone_size gauge',
      'node_collector_zone_size{zone=":\0:z1"} 2',
    ]);
    z.observe('a', undefined);
    z.observe('b', undefined);
    const gone = z.metrics().filter((l) => !l.startsWith('#'));
    assert.deepEqual(gone, [
      'node_collector_evictions_total{zone=":\0:z1"} 1',
      'node_collector_unhealthy_nodes_in_zone{zone=":\0:z1"} 0',
      'node_collector_zone_health{zone=":\0:z1"} 100',
      'node_collector_zone_size{zone=":\0:z1"} 0',
    ]);
  });

  it('tokens: a node newly not Ready waits for the next monitor tick, then the zone rate applies', () => {
    const z = new ZoneDisruption({ ...S, monitorPeriodMs: 1000 });
    z.observe('h', n('h', 'True'), 0);
    z.observe('a', n('a', 'Unknown'), 10_200);
    z.observe('b', n('b', 'Unknown'), 10_300);
    assert.equal(z.takeToken('a', '', 10_300), 700, 'until the tick at 11 s');
    assert.equal(z.takeToken('a', '', 11_000), 0);
    assert.equal(z.takeToken('b', '', 11_000), 1000, 'one per second in the zone');
    assert.equal(z.takeToken('b', '', 12_000), 0);
  });
});
