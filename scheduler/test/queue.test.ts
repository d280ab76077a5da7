// The scheduling queue with a fake clock: priority order, exponential backoff, parking until an
// event a rejecting plugin cares about, the unschedulable timeout, scheduling gates, and events
// that arrive while a pod is being scheduled.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Pod } from '../src/api/index.ts';
import { FILTER_PLUGINS_BY_NAME } from '../src/profile.ts';
import { backoffDuration, type QueuedPodInfo } from '../src/queue/podinfo.ts';
import { SchedulingQueue } from '../src/queue/queue.ts';
import { node, pod } from './objects.ts';

function fixture() {
  let now = 1_000_000;
  const q = new SchedulingQueue({
    podInitialBackoffMs: 1000,
    podMaxBackoffMs: 10_000,
    podMaxInUnschedulablePodsDurationMs: 300_000,
    plugins: FILTER_PLUGINS_BY_NAME,
    now: () => now,
  });
  const tick = (ms: number) => {
    now += ms;
  };
  /** Pops (must not wait) and fails the pod as rejected by `plugins` (none: an error). */
  const fail = async (plugins: string[] = []): Promise<QueuedPodInfo> => {
    const p = await popNow(q);
    const cycle = q.schedulingCycle;
    p.unschedulablePlugins = new Set(plugins);
    q.done(p);
    q.addUnschedulable(p, cycle);
    return p;
  };
  return { q, tick, fail };
}

async function popNow(q: SchedulingQueue): Promise<QueuedPodInfo> {
  const ctl = new AbortController();
  const p = q.pop(ctl.signal);
  ctl.abort();
  const got = await p;
  assert.ok(got, 'expected a pod in activeQ');
  return got;
}

const withPriority = (name: string, priority: number): Pod => ({
  ...pod(name),
  spec: { ...pod(name).spec!, priority },
});

describe('SchedulingQueue', () => {
  it('pops higher priority first, then the earlier queued', async () => {
    const { q, tick } = fixture();
    q.add(withPriority('low', 0));
    tick(1);
    q.add(withPriority('first', 5));
    tick(1);
    q.add(withPriority('second', 5));
    tick(1);
    q.add(withPriority('top', 100));
    const order: string[] = [];
    for (let i = 0; i < 4; i++) {
      const p = await popNow(q);
      order.push(p.pod.metadata!.name!);
      q.done(p);
    }
    assert.deepEqual(order, ['top', 'first', 'second', 'low']);
  });

  it('wakes a waiting pop when a pod arrives, and ends it on close', async () => {
    const { q } = fixture();
    const waiting = q.pop();
    q.add(pod('p'));
    assert.equal((await waiting)?.pod.metadata?.name, 'p');
    const pending = q.pop();
    q.close();
    assert.equal(await pending, undefined);
  });

  it('doubles the backoff per attempt up to the maximum', () => {
    assert.deepEqual(
      [1, 2, 3, 4, 5, 6].map((n) => backoffDuration(n, 1000, 10_000)),
      [1000, 2000, 4000, 8000, 10_000, 10_000],
    );
  });

  it('backs a pod off after an error, then returns it to activeQ', async () => {
    const { q, tick, fail } = fixture();
    q.add(pod('p'));
    await fail();
    assert.deepEqual(q.counts(), { active: 0, backoff: 1, unschedulable: 0, gated: 0 });
    tick(999);
    q.flushBackoffCompleted();
    assert.equal(q.counts().backoff, 1);
    tick(1);
    q.flushBackoffCompleted();
    assert.deepEqual(q.counts(), { active: 1, backoff: 0, unschedulable: 0, gated: 0 });
    // Second failure: two seconds.
    await fail();
    tick(1999);
    q.flushBackoffCompleted();
    assert.equal(q.counts().backoff, 1);
    tick(1);
    q.flushBackoffCompleted();
    assert.equal(q.counts().active, 1);
  });

  it('parks a rejected pod until an event its plugin cares about', async () => {
    const { q, tick, fail } = fixture();
    q.add(pod('p', { spec: { nodeSelector: { zone: 'a' } } }));
    await fail(['NodeAffinity']);
    assert.deepEqual(q.counts(), { active: 0, backoff: 0, unschedulable: 1, gated: 0 });
    const plain = node('n1');
    const labelled = node('n1', { labels: { zone: 'a' } });
    // Unrelated: a node that does not match, an assigned pod deleted, a taint change.
    assert.equal(q.moveAllToActiveOrBackoff({ kind: 'NodeAdd', node: node('n2') }), 0);
    assert.equal(q.moveAllToActiveOrBackoff({ kind: 'AssignedPodDelete', pod: pod('x') }), 0);
    assert.equal(
      q.moveAllToActiveOrBackoff({
        kind: 'NodeUpdate',
        old: plain,
        node: labelled,
        changes: new Set(['UpdateNodeTaint']),
      }),
      0,
    );
    tick(5000);
    assert.equal(
      q.moveAllToActiveOrBackoff({
        kind: 'NodeUpdate',
        old: plain,
        node: labelled,
        changes: new Set(['UpdateNodeLabel']),
      }),
      1,
    );
    assert.deepEqual(q.counts(), { active: 1, backoff: 0, unschedulable: 0, gated: 0 });
  });

  it('sends a moved pod still in its backoff to backoffQ', async () => {
    const { q, fail } = fixture();
    q.add(pod('p', { cpu: '100' }));
    await fail(['NodeResourcesFit']);
    assert.equal(q.moveAllToActiveOrBackoff({ kind: 'AssignedPodDelete', pod: pod('gone') }), 1);
    assert.deepEqual(q.counts(), { active: 0, backoff: 1, unschedulable: 0, gated: 0 });
  });

  it('retries every parked pod after the unschedulable timeout', async () => {
    const { q, tick, fail } = fixture();
    q.add(pod('p', { spec: { nodeSelector: { zone: 'a' } } }));
    await fail(['NodeAffinity']);
    tick(300_000);
    q.flushUnschedulableLeftover();
    assert.equal(q.counts().unschedulable, 1);
    tick(1);
    q.flushUnschedulableLeftover();
    assert.deepEqual(q.counts(), { active: 1, backoff: 0, unschedulable: 0, gated: 0 });
  });

  it('backs off instead of parking when an event came during the attempt', async () => {
    const { q } = fixture();
    q.add(pod('p', { spec: { nodeSelector: { zone: 'a' } } }));
    const p = await popNow(q);
    const cycle = q.schedulingCycle;
    // The node gets its label while the pod is being scheduled against the old snapshot.
    q.moveAllToActiveOrBackoff({ kind: 'NodeAdd', node: node('n1', { labels: { zone: 'a' } }) });
    p.unschedulablePlugins = new Set(['NodeAffinity']);
    q.done(p);
    q.addUnschedulable(p, cycle);
    assert.deepEqual(q.counts(), { active: 0, backoff: 1, unschedulable: 0, gated: 0 });
  });

  it('holds gated pods until their gates are removed', async () => {
    const { q } = fixture();
    const gated = pod('g', { spec: { schedulingGates: [{ name: 'example.com/wait' }] } });
    q.add(gated);
    assert.deepEqual(q.counts(), { active: 0, backoff: 0, unschedulable: 0, gated: 1 });
    assert.equal(q.moveAllToActiveOrBackoff({ kind: 'UnschedulableTimeout' }), 0);
    const ungated = { ...gated, spec: { ...gated.spec!, schedulingGates: [] } };
    q.update(gated, ungated);
    assert.deepEqual(q.counts(), { active: 1, backoff: 0, unschedulable: 0, gated: 0 });
    assert.equal((await popNow(q)).attempts, 1);
  });

  it('retries a parked pod whose spec changed, not one whose status changed', async () => {
    const { q, fail } = fixture();
    const p = pod('p', { spec: { nodeSelector: { zone: 'a' } } });
    q.add(p);
    await fail(['NodeAffinity']);
    const statusOnly = { ...p, status: { phase: 'Pending' as const, conditions: [] } };
    q.update(p, statusOnly);
    assert.equal(q.counts().unschedulable, 1);
    q.update(statusOnly, { ...statusOnly, spec: { ...statusOnly.spec!, nodeSelector: {} } });
    assert.equal(q.counts().unschedulable, 0);
  });

  it('does not requeue a pod deleted while it was being scheduled', async () => {
    const { q } = fixture();
    const p = pod('p');
    q.add(p);
    const popped = await popNow(q);
    q.delete(p);
    assert.equal(q.done(popped), undefined);
    const again = pod('a');
    q.add(again);
    const second = await popNow(q);
    const newer = { ...again, metadata: { ...again.metadata, resourceVersion: '9' } };
    q.update(again, newer);
    assert.equal(q.done(second), newer, 'done hands back the newest object');
    assert.deepEqual(q.counts(), { active: 0, backoff: 0, unschedulable: 0, gated: 0 });
  });
});
