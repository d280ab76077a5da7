// PodTopologySpread against hand-made nodes and pods: skew with minDomains, nodes missing the
// topology label, the node inclusion policies, matchLabelKeys, preemption's dry run, the scores
// of ScheduleAnyway constraints and of the system default constraints, and the hints.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ReplicaSet, TopologySpreadConstraint } from '@mkube/shared/api';
import type { Pod } from '../src/api/index.ts';
import { Framework } from '../src/framework/framework.ts';
import type { CycleState } from '../src/framework/interface.ts';
import type { NodeInfo } from '../src/framework/nodeinfo.ts';
import { DEFAULT_POD_TOPOLOGY_SPREAD_ARGS } from '../src/plugins/podtopologyspread/constraints.ts';
import { NO_SPREAD_SOURCES } from '../src/plugins/podtopologyspread/defaultselector.ts';
import { newPodTopologySpread, podTopologySpreadHint } from '../src/plugins/podtopologyspread/plugin.ts';
import { info, node, pod } from './objects.ts';

const ZONE = 'topology.kubernetes.io/zone';
const HOST = 'kubernetes.io/hostname';
const pts = newPodTopologySpread();

function labelled(name: string, labels: Record<string, string>, o: Parameters<typeof pod>[1] = {}): Pod {
  const p = pod(name, o);
  return { ...p, metadata: { ...p.metadata, labels } };
}
const web = (name: string) => labelled(name, { app: 'web' });
const zoned = (n: string, z: string, o: Parameters<typeof node>[1] = {}) =>
  node(n, { ...o, labels: { [ZONE]: z, ...o.labels } });

function spread(c: Partial<TopologySpreadConstraint> = {}, labels: Record<string, string> = { app: 'web' }): Pod {
  return labelled('p', labels, {
    spec: {
      topologySpreadConstraints: [
        {
          maxSkew: 1,
          topologyKey: ZONE,
          whenUnsatisfiable: 'DoNotSchedule',
          labelSelector: { matchLabels: { app: 'web' } },
          ...c,
        },
      ],
    },
  });
}

function filterAll(p: Pod, nodes: NodeInfo[]): Record<string, string> {
  const state: CycleState = new Map();
  const pre = pts.preFilter!(state, p, nodes);
  const out: Record<string, string> = {};
  for (const n of nodes) {
    if (pre && 'code' in pre && pre.code === 'Skip') out[n.name] = 'skip';
    else {
      const s = pts.filter(state, p, n);
      out[n.name] = s ? `${s.code}: ${s.reasons.join(', ')}` : '';
    }
  }
  return out;
}

const SKEW = "Unschedulable: node(s) didn't match pod topology spread constraints";
const MISSING =
  "UnschedulableAndUnresolvable: node(s) didn't match pod topology spread constraints (missing required label)";

describe('PodTopologySpread Filter', () => {
  it('admits only the domains where the pod keeps the skew within maxSkew', () => {
    const nodes = [
      info(zoned('a1', 'a'), web('w1'), web('w2')),
      info(zoned('b1', 'b'), web('w3')),
      info(zoned('c1', 'c')),
    ];
    assert.deepEqual(filterAll(spread(), nodes), { a1: SKEW, b1: SKEW, c1: '' });
    assert.deepEqual(filterAll(spread({ maxSkew: 2 }), nodes), { a1: SKEW, b1: '', c1: '' });
  });

  it('rejects nodes without the topology label as unresolvable', () => {
    assert.deepEqual(filterAll(spread(), [info(zoned('a1', 'a')), info(node('bare'))]), { a1: '', bare: MISSING });
  });

  it('takes the global minimum as 0 while fewer than minDomains domains exist', () => {
    const nodes = [info(zoned('a1', 'a'), web('w1')), info(zoned('b1', 'b'), web('w2'))];
    assert.deepEqual(filterAll(spread(), nodes), { a1: '', b1: '' });
    assert.deepEqual(filterAll(spread({ minDomains: 3 }), nodes), { a1: SKEW, b1: SKEW });
  });

  it("counts only the pod's namespace and pods the selector matches; a pod not matching adds no skew", () => {
    const nodes = [
      info(zoned('a1', 'a'), web('w1'), labelled('o', { app: 'web' }, { namespace: 'other' })),
      info(zoned('b1', 'b')),
    ];
    assert.deepEqual(filterAll(spread(), nodes), { a1: SKEW, b1: '' });
    assert.deepEqual(filterAll(spread({}, { app: 'api' }), nodes), { a1: '', b1: '' });
  });

  it('honours node affinity and ignores taints by default when counting domains', () => {
    const p = (c: Partial<TopologySpreadConstraint> = {}) => {
      const s = spread(c);
      return { ...s, spec: { ...s.spec!, nodeSelector: { pool: 'x' } } };
    };
    const x = { labels: { pool: 'x' } };
    const nodes = [info(zoned('a1', 'a', x), web('w1')), info(zoned('b1', 'b', x), web('w2')), info(zoned('c1', 'c'))];
    // Zone c's node is not the pod's: by default it is no domain, so the minimum is 1.
    assert.equal(filterAll(p(), nodes).a1, '');
    assert.equal(filterAll(p({ nodeAffinityPolicy: 'Ignore' }), nodes).a1, SKEW);
    const tainted = [
      info(zoned('a1', 'a'), web('w1')),
      info(zoned('b1', 'b'), web('w2')),
      info(zoned('c1', 'c', { taints: [{ key: 'k', effect: 'NoSchedule' }] })),
    ];
    assert.equal(filterAll(spread(), tainted).a1, SKEW);
    assert.equal(filterAll(spread({ nodeTaintsPolicy: 'Honor' }), tainted).a1, '');
  });

  it('narrows the selector with matchLabelKeys', () => {
    const rev = (name: string, r: string) => labelled(name, { app: 'web', rev: r });
    const nodes = [info(zoned('a1', 'a'), rev('o1', '1'), rev('o2', '1')), info(zoned('b1', 'b'))];
    const p2 = {
      ...spread({ matchLabelKeys: ['rev'] }),
      metadata: { name: 'p', namespace: 'default', labels: { app: 'web', rev: '2' } },
    };
    assert.deepEqual(filterAll(p2, nodes), { a1: '', b1: '' });
    assert.deepEqual(filterAll(spread(), nodes), { a1: SKEW, b1: '' });
  });

  it("forgets preemption's victims in the dry run", () => {
    const a1 = info(zoned('a1', 'a'), web('w1'), web('w2'));
    const b1 = info(zoned('b1', 'b'));
    const p = spread();
    const fwk = new Framework('default-scheduler', [pts], []);
    const state: CycleState = new Map();
    const pre = fwk.runPreFilter(state, p, [a1, b1]);
    assert.equal(fwk.runFilter(state, p, a1, pre.skip)?.code, 'Unschedulable');
    const without = a1.without(() => true);
    assert.equal(
      fwk.runFilter(fwk.stateWithout(state, p, a1.pods, without, pre.skip), p, without, pre.skip),
      undefined,
    );
  });
});

describe('PodTopologySpread Score', () => {
  function scores(plugin: typeof pts, p: Pod, nodes: NodeInfo[]): number[] {
    const state: CycleState = new Map();
    if (plugin.preScore!(state, p, nodes, nodes)?.code === 'Skip') return nodes.map(() => -1);
    const s = nodes.map((n) => plugin.score(state, p, n));
    plugin.normalize!(s, state, nodes);
    return s;
  }

  it('scores fewer matching pods higher, and nodes missing the key 0', () => {
    const p = spread({ topologyKey: HOST, whenUnsatisfiable: 'ScheduleAnyway' });
    const nodes = [info(node('n1'), web('w1'), web('w2')), info(node('n2')), info(node('n3'), web('w3'))];
    // log(3 + 2) per pod: raw 3, 0, 2; reversed onto 0..100.
    assert.deepEqual(scores(pts, p, nodes), [0, 100, 33]);
    const z = spread({ whenUnsatisfiable: 'ScheduleAnyway' });
    assert.deepEqual(
      scores(pts, z, [info(zoned('a1', 'a'), web('w1')), info(zoned('b1', 'b')), info(node('bare'))]),
      [0, 100, 0],
    );
  });

  it("spreads a controller's pods by the system defaults, and skips pods of no Service or controller", () => {
    const rs: ReplicaSet = {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: { name: 'web-1', namespace: 'default' },
      spec: { selector: { matchLabels: { app: 'web' } }, template: { spec: { containers: [] } } },
    } as ReplicaSet;
    const owned = (name: string) => {
      const p = web(name);
      return {
        ...p,
        metadata: {
          ...p.metadata,
          ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-1', uid: 'u', controller: true }],
        },
      };
    };
    const withRs = newPodTopologySpread({
      ...NO_SPREAD_SOURCES,
      replicaSet: (ns, n) => (ns === 'default' && n === 'web-1' ? rs : undefined),
    });
    const nodes = [info(node('n1'), web('w1')), info(node('n2'))];
    // Hostname (maxSkew 3): raw round(log(4) + 2) = 3 and 2; no zone labels, yet nothing is ignored.
    assert.deepEqual(scores(withRs, owned('p'), nodes), [66, 100]);
    assert.deepEqual(scores(withRs, web('p'), nodes), [-1, -1]);
    // By a Service's selector too.
    const withSvc = newPodTopologySpread({
      ...NO_SPREAD_SOURCES,
      services: () => [
        {
          apiVersion: 'v1',
          kind: 'Service',
          metadata: { name: 's', namespace: 'default' },
          spec: { selector: { app: 'web' } },
        },
      ],
    });
    assert.deepEqual(scores(withSvc, web('p'), nodes), [66, 100]);
    assert.equal(DEFAULT_POD_TOPOLOGY_SPREAD_ARGS.defaultConstraints.length, 2);
  });
});

describe('PodTopologySpread queueing hints', () => {
  const args = DEFAULT_POD_TOPOLOGY_SPREAD_ARGS;
  const hint = (p: Pod, e: Parameters<typeof podTopologySpreadHint>[1]) =>
    podTopologySpreadHint(p, e, args, NO_SPREAD_SOURCES);
  it('retries on matching pods deleted and on nodes added or relabelled with the topology key', () => {
    const bound = { ...web('w'), spec: { ...web('w').spec!, nodeName: 'a1' } };
    assert.equal(hint(spread(), { kind: 'AssignedPodDelete', pod: bound }), 'Queue');
    assert.equal(hint(spread(), { kind: 'AssignedPodDelete', pod: labelled('x', { app: 'db' }) }), 'QueueSkip');
    assert.equal(hint(spread(), { kind: 'NodeAdd', node: zoned('c1', 'c') }), 'Queue');
    assert.equal(hint(spread(), { kind: 'NodeAdd', node: node('bare') }), 'QueueSkip');
    const changes = new Set(['UpdateNodeLabel'] as const);
    assert.equal(hint(spread(), { kind: 'NodeUpdate', old: node('n'), node: zoned('n', 'c'), changes }), 'Queue');
  });
});
