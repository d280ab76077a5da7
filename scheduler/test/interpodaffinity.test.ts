// InterPodAffinity against hand-made nodes and pods: each Filter reason, the self-affinity special
// case, existing pods' anti-affinity applying to the incoming pod (symmetry), namespaces and
// matchLabelKeys, preemption's dry run forgetting victims, preferred-term scores and the hints.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PodAffinityTerm } from '@mkube/shared/api';
import type { Pod } from '../src/api/index.ts';
import { Framework } from '../src/framework/framework.ts';
import type { CycleState } from '../src/framework/interface.ts';
import { type NodeInfo, podInfoOf } from '../src/framework/nodeinfo.ts';
import { interPodAffinityHint, newInterPodAffinity } from '../src/plugins/interpodaffinity/plugin.ts';
import { info, node, pod } from './objects.ts';

const HOST = 'kubernetes.io/hostname';
const ZONE = 'topology.kubernetes.io/zone';
const ipa = newInterPodAffinity();

function labelled(name: string, labels: Record<string, string>, o: Parameters<typeof pod>[1] = {}): Pod {
  const p = pod(name, o);
  return { ...p, metadata: { ...p.metadata, labels } };
}

const term = (labels: Record<string, string>, topologyKey = HOST, extra: Partial<PodAffinityTerm> = {}) => ({
  labelSelector: { matchLabels: labels },
  topologyKey,
  ...extra,
});
const antiAffinity = (...terms: PodAffinityTerm[]) => ({
  affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: terms } },
});
const affinity = (...terms: PodAffinityTerm[]) => ({
  affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: terms } },
});

/** PreFilter over `nodes`, then each node's Filter verdict ('' when it fits). */
function filterAll(p: Pod, nodes: NodeInfo[], state: CycleState = new Map()): Record<string, string> {
  const pre = ipa.preFilter!(state, p, nodes);
  const out: Record<string, string> = {};
  for (const n of nodes) {
    if (pre && 'code' in pre && pre.code === 'Skip') out[n.name] = 'skip';
    else {
      const s = ipa.filter(state, p, n);
      out[n.name] = s ? `${s.code}: ${s.reasons.join(', ')}` : '';
    }
  }
  return out;
}

describe('InterPodAffinity Filter', () => {
  it('skips a pod with no terms while no existing pod has anti-affinity', () => {
    const web = labelled('web', { app: 'web' });
    assert.deepEqual(filterAll(pod('p'), [info(node('n1'), web)]), { n1: 'skip' });
  });

  it('keeps a pod off the node of a pod its required anti-affinity matches', () => {
    const web = labelled('web', { app: 'web' });
    const p = labelled('p', { app: 'web' }, { spec: antiAffinity(term({ app: 'web' })) });
    assert.deepEqual(filterAll(p, [info(node('n1'), web), info(node('n2'))]), {
      n1: "Unschedulable: node(s) didn't match pod anti-affinity rules",
      n2: '',
    });
  });

  it("respects existing pods' anti-affinity against the incoming pod (symmetry)", () => {
    const guard = labelled('guard', { app: 'db' }, { spec: antiAffinity(term({ app: 'web' }, ZONE)) });
    const zone = (n: string, z: string) => node(n, { labels: { [ZONE]: z } });
    const nodes = [info(zone('a1', 'a'), guard), info(zone('a2', 'a')), info(zone('b1', 'b'))];
    const reason = "Unschedulable: node(s) didn't satisfy existing pods anti-affinity rules";
    assert.deepEqual(filterAll(labelled('p', { app: 'web' }), nodes), { a1: reason, a2: reason, b1: '' });
    // A pod the term does not select, or in another namespace, is not kept away.
    assert.deepEqual(filterAll(labelled('q', { app: 'api' }), nodes), { a1: 'skip', a2: 'skip', b1: 'skip' });
    const other = labelled('r', { app: 'web' }, { namespace: 'other' });
    assert.deepEqual(filterAll(other, nodes), { a1: 'skip', a2: 'skip', b1: 'skip' });
  });

  it('requires a matching pod in the same topology for required affinity', () => {
    const zone = (n: string, z: string) => node(n, { labels: { [ZONE]: z } });
    const cache = labelled('cache', { app: 'cache' });
    const p = labelled('p', { app: 'web' }, { spec: affinity(term({ app: 'cache' }, ZONE)) });
    const nodes = [info(zone('a1', 'a'), cache), info(zone('a2', 'a')), info(zone('b1', 'b')), info(node('bare'))];
    const reason = "UnschedulableAndUnresolvable: node(s) didn't match pod affinity rules";
    assert.deepEqual(filterAll(p, nodes), { a1: '', a2: '', b1: reason, bare: reason });
    // Several terms: one existing pod must match them all.
    const both = labelled('q', {}, { spec: affinity(term({ app: 'cache' }, ZONE), term({ tier: 'db' }, ZONE)) });
    assert.deepEqual(filterAll(both, nodes), { a1: reason, a2: reason, b1: reason, bare: reason });
    const dbCache = labelled('dc', { app: 'cache', tier: 'db' });
    assert.equal(filterAll(both, [info(zone('b1', 'b'), dbCache)]).b1, '');
  });

  it('lets the first pod of a self-affine group go anywhere the topology key exists', () => {
    const zone = (n: string, z: string) => node(n, { labels: { [ZONE]: z } });
    const self = labelled('p', { app: 'web' }, { spec: affinity(term({ app: 'web' }, ZONE)) });
    const nodes = [info(zone('a1', 'a')), info(zone('b1', 'b')), info(node('bare'))];
    const reason = "UnschedulableAndUnresolvable: node(s) didn't match pod affinity rules";
    assert.deepEqual(filterAll(self, nodes), { a1: '', b1: '', bare: reason });
    // Not for a pod its own term does not select.
    const stranger = labelled('q', { app: 'api' }, { spec: affinity(term({ app: 'web' }, ZONE)) });
    assert.deepEqual(filterAll(stranger, nodes), { a1: reason, b1: reason, bare: reason });
    // Once one matching pod exists, only its zone is left.
    const placed = [info(zone('a1', 'a'), labelled('w', { app: 'web' })), info(zone('b1', 'b'))];
    assert.deepEqual(filterAll(self, placed), { a1: '', b1: reason });
  });

  it('looks in the namespaces a term names or selects, and folds in matchLabelKeys', () => {
    const web = labelled('web', { app: 'web', rev: '1' }, { namespace: 'shop' });
    const nodes = [info(node('n1'), web), info(node('n2'))];
    const own = labelled('p', { app: 'web', rev: '1' }, { spec: antiAffinity(term({ app: 'web' })) });
    assert.deepEqual(filterAll(own, nodes), { n1: '', n2: '' });
    const named = labelled(
      'p',
      { rev: '1' },
      { spec: antiAffinity(term({ app: 'web' }, HOST, { namespaces: ['shop'] })) },
    );
    assert.equal(filterAll(named, nodes).n1, "Unschedulable: node(s) didn't match pod anti-affinity rules");
    const everywhere = labelled('p', {}, { spec: antiAffinity(term({ app: 'web' }, HOST, { namespaceSelector: {} })) });
    assert.equal(filterAll(everywhere, nodes).n1, "Unschedulable: node(s) didn't match pod anti-affinity rules");
    const labelledNs = newInterPodAffinity({
      get: () => undefined,
      list: () => [{ metadata: { name: 'shop', labels: { team: 'a' } } }, { metadata: { name: 'default' } }],
    });
    const bySelector = labelled(
      'p',
      {},
      {
        spec: antiAffinity(term({ app: 'web' }, HOST, { namespaceSelector: { matchLabels: { team: 'a' } } })),
      },
    );
    const state: CycleState = new Map();
    labelledNs.preFilter!(state, bySelector, nodes);
    assert.equal(labelledNs.filter(state, bySelector, nodes[0]!)?.code, 'Unschedulable');
    // matchLabelKeys: only pods of the same revision repel.
    const rev2 = labelled(
      'p',
      { app: 'web', rev: '2' },
      {
        namespace: 'shop',
        spec: antiAffinity(term({ app: 'web' }, HOST, { matchLabelKeys: ['rev'] })),
      },
    );
    assert.deepEqual(filterAll(rev2, nodes), { n1: '', n2: '' });
    const rev1 = { ...rev2, metadata: { ...rev2.metadata, labels: { app: 'web', rev: '1' } } };
    assert.equal(filterAll(rev1, nodes).n1, "Unschedulable: node(s) didn't match pod anti-affinity rules");
    const mismatch = labelled(
      'p',
      { app: 'web', rev: '1' },
      {
        namespace: 'shop',
        spec: antiAffinity(term({ app: 'web' }, HOST, { mismatchLabelKeys: ['rev'] })),
      },
    );
    assert.deepEqual(filterAll(mismatch, nodes), { n1: '', n2: '' });
  });

  it("forgets preemption's victims in the dry run", () => {
    const web = labelled('web', { app: 'web' });
    const p = labelled('p', { app: 'x' }, { spec: antiAffinity(term({ app: 'web' })) });
    const n1 = info(node('n1'), web);
    const fwk = new Framework('default-scheduler', [ipa], []);
    const state: CycleState = new Map();
    const pre = fwk.runPreFilter(state, p, [n1]);
    assert.equal(fwk.runFilter(state, p, n1, pre.skip)?.code, 'Unschedulable');
    const without = n1.without(() => true);
    const dry = fwk.stateWithout(state, p, n1.pods, without, pre.skip);
    assert.equal(fwk.runFilter(dry, p, without, pre.skip), undefined);
    // The cycle's own state is untouched.
    assert.equal(fwk.runFilter(state, p, n1, pre.skip)?.code, 'Unschedulable');
  });
});

describe('InterPodAffinity Score', () => {
  const zone = (n: string, z: string) => node(n, { labels: { [ZONE]: z } });

  function scores(p: Pod, nodes: NodeInfo[]): number[] {
    const state: CycleState = new Map();
    if (ipa.preScore!(state, p, nodes, nodes)?.code === 'Skip') return nodes.map(() => -1);
    const s = nodes.map((n) => ipa.score(state, p, n));
    ipa.normalize!(s, state, nodes);
    return s;
  }

  it('prefers the zones its preferred affinity matches and avoids those its anti-affinity matches', () => {
    const nodes = [
      info(zone('a1', 'a'), labelled('c', { app: 'cache' })),
      info(zone('b1', 'b')),
      info(zone('c1', 'c'), labelled('n', { app: 'noisy' })),
    ];
    const p = labelled(
      'p',
      {},
      {
        spec: {
          affinity: {
            podAffinity: {
              preferredDuringSchedulingIgnoredDuringExecution: [
                { weight: 10, podAffinityTerm: term({ app: 'cache' }, ZONE) },
              ],
            },
            podAntiAffinity: {
              preferredDuringSchedulingIgnoredDuringExecution: [
                { weight: 5, podAffinityTerm: term({ app: 'noisy' }, ZONE) },
              ],
            },
          },
        },
      },
    );
    // Raw 10, 0, -5: scaled min..max onto 0..100.
    assert.deepEqual(scores(p, nodes), [100, 33, 0]);
  });

  it("counts existing pods' required affinity (hardPodAffinityWeight 1) and preferred terms", () => {
    const wantsWeb = labelled('x', {}, { spec: affinity(term({ app: 'web' }, ZONE)) });
    const avoidsWeb = labelled(
      'y',
      {},
      {
        spec: {
          affinity: {
            podAntiAffinity: {
              preferredDuringSchedulingIgnoredDuringExecution: [
                { weight: 3, podAffinityTerm: term({ app: 'web' }, ZONE) },
              ],
            },
          },
        },
      },
    );
    const nodes = [info(zone('a1', 'a'), wantsWeb), info(zone('b1', 'b')), info(zone('c1', 'c'), avoidsWeb)];
    // Raw 1, 0, -3.
    assert.deepEqual(scores(labelled('p', { app: 'web' }), nodes), [100, 75, 0]);
    // Nothing relates: Skip.
    assert.deepEqual(scores(labelled('q', { app: 'api' }), [info(zone('b1', 'b'))]), [-1]);
  });
});

describe('InterPodAffinity queueing hints', () => {
  const anti = labelled('p', { app: 'web' }, { spec: antiAffinity(term({ app: 'web' })) });
  const plain = labelled('q', { app: 'web' });
  const bound = (p: Pod) => ({ ...p, spec: { ...p.spec!, nodeName: 'n1' } });

  it('retries when a pod its anti-affinity matches is deleted, or a node is added', () => {
    assert.equal(
      interPodAffinityHint(anti, { kind: 'AssignedPodDelete', pod: bound(labelled('w', { app: 'web' })) }),
      'Queue',
    );
    assert.equal(
      interPodAffinityHint(anti, { kind: 'AssignedPodDelete', pod: bound(labelled('w', { app: 'db' })) }),
      'QueueSkip',
    );
    assert.equal(interPodAffinityHint(anti, { kind: 'NodeAdd', node: node('n9') }), 'Queue');
    // A pod kept away only by an existing pod's anti-affinity: that pod's deletion retries it.
    const guard = bound(labelled('g', { app: 'db' }, { spec: antiAffinity(term({ app: 'web' })) }));
    assert.equal(interPodAffinityHint(plain, { kind: 'AssignedPodDelete', pod: guard }), 'Queue');
    assert.equal(interPodAffinityHint(plain, { kind: 'NodeAdd', node: node('n9') }), 'Queue');
  });

  it('retries a pod with affinity when a matching pod is added', () => {
    const aff = labelled('p', {}, { spec: affinity(term({ app: 'cache' })) });
    assert.equal(
      interPodAffinityHint(aff, { kind: 'AssignedPodAdd', pod: bound(labelled('c', { app: 'cache' })) }),
      'Queue',
    );
    assert.equal(
      interPodAffinityHint(aff, { kind: 'AssignedPodAdd', pod: bound(labelled('c', { app: 'x' })) }),
      'QueueSkip',
    );
  });
});

// podInfoOf keeps the terms parsed once: a sanity check that NodeInfo carries them.
describe('PodInfo terms', () => {
  it('parses required anti-affinity once per pod', () => {
    const pi = podInfoOf(labelled('p', {}, { spec: antiAffinity(term({ app: 'web' })) }));
    assert.equal(pi.terms.requiredAntiAffinity.length, 1);
    assert.equal(pi.terms.requiredAntiAffinity[0]!.topologyKey, HOST);
  });
});
