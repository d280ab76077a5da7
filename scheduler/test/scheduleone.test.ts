// One scheduling cycle against a fake apiserver side (recorded bindings, condition writes and
// Events): a pod is bound and announced; a pod that fits nowhere gets the FitError as condition and
// Event and is parked until a matching node appears; a 409 from binding drops the pod; a pod being
// deleted is skipped.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ObjectReference } from '@mkube/shared/api';
import { StatusError } from '@mkube/shared/apierrors';
import { createLogger } from '@mkube/shared/log';
import type { Pod } from '../src/api/index.ts';
import type { ApiCalls, ScheduledCondition } from '../src/apicalls.ts';
import { nextScheduledCondition } from '../src/apicalls.ts';
import { SchedulerCache } from '../src/cache/cache.ts';
import { assignedPodHandlers, nodeHandlers, unassignedPodHandlers } from '../src/eventhandlers.ts';
import { SchedulerMetrics } from '../src/metrics/index.ts';
import { FILTER_PLUGINS_BY_NAME, newProfile } from '../src/profile.ts';
import { SchedulingQueue } from '../src/queue/queue.ts';
import { type SchedulerParts, scheduleOne } from '../src/scheduleone.ts';
import { node, pod } from './objects.ts';

interface Recorded {
  binds: [string, string][];
  conditions: [string, ScheduledCondition][];
  events: { object: string; type: string; reason: string; message: string }[];
}

function fixture(bindError?: () => Error) {
  const rec: Recorded = { binds: [], conditions: [], events: [] };
  const api: ApiCalls = {
    async bind(p, n) {
      const err = bindError?.();
      if (err) throw err;
      rec.binds.push([p.metadata!.name!, n]);
    },
    async setScheduledCondition(p, c) {
      rec.conditions.push([p.metadata!.name!, c]);
      return true;
    },
  };
  const recorder = {
    eventFor(ref: ObjectReference, type: string, reason: string, message: string) {
      rec.events.push({ object: `${ref.kind}/${ref.namespace}/${ref.name}`, type, reason, message });
    },
  };
  const cache = new SchedulerCache();
  const queue = new SchedulingQueue({
    podInitialBackoffMs: 1000,
    podMaxBackoffMs: 10_000,
    podMaxInUnschedulablePodsDurationMs: 300_000,
    plugins: FILTER_PLUGINS_BY_NAME,
  });
  const metrics = new SchedulerMetrics();
  const parts: SchedulerParts = {
    cache,
    queue,
    frameworks: new Map([['default-scheduler', newProfile('default-scheduler')]]),
    recorders: new Map([['default-scheduler', recorder]]),
    api,
    metrics,
    log: createLogger({ name: 'test', destination: { write: () => undefined } as never }),
  };
  const targets = { queue, cache, responsible: (p: Pod) => p.spec?.schedulerName === 'default-scheduler' };
  const handlers = {
    unassigned: unassignedPodHandlers(targets),
    assigned: assignedPodHandlers(targets),
    nodes: nodeHandlers(targets),
  };
  const once = () => scheduleOne(parts, AbortSignal.timeout(1000));
  return { rec, parts, handlers, once, queue, cache, metrics };
}

describe('scheduleOne', () => {
  it('binds a pod to the one schedulable node and records Scheduled', async () => {
    const f = fixture();
    f.handlers.nodes.onAdd?.(node('cordoned', { unschedulable: true }));
    f.handlers.nodes.onAdd?.(node('worker'));
    f.handlers.unassigned.onAdd?.(pod('web', { cpu: '100m' }));
    assert.equal(await f.once(), true);
    assert.deepEqual(f.rec.binds, [['web', 'worker']]);
    assert.deepEqual(f.rec.events, [
      {
        object: 'Pod/default/web',
        type: 'Normal',
        reason: 'Scheduled',
        message: 'Successfully assigned default/web to worker',
      },
    ]);
    assert.deepEqual(f.rec.conditions, []);
    assert.equal(f.metrics.attempts('scheduled', 'default-scheduler'), 1);
  });

  it('counts an assumed pod on its node for the next pod', async () => {
    const f = fixture();
    f.handlers.nodes.onAdd?.(node('a', { cpu: '1' }));
    f.handlers.nodes.onAdd?.(node('b', { cpu: '1' }));
    f.handlers.unassigned.onAdd?.(pod('one', { cpu: '800m' }));
    f.handlers.unassigned.onAdd?.(pod('two', { cpu: '800m' }));
    await f.once();
    await f.once();
    const nodes = f.rec.binds.map(([, n]) => n).sort();
    assert.deepEqual(nodes, ['a', 'b'], 'the second pod does not land beside the first');
  });

  it('reports a pod no node fits, parks it, and schedules it once a node is labelled', async () => {
    const f = fixture();
    const n = node('worker');
    f.handlers.nodes.onAdd?.(n);
    f.handlers.unassigned.onAdd?.(pod('picky', { spec: { nodeSelector: { disk: 'ssd' } } }));
    await f.once();
    const msg =
      "0/1 nodes are available: 1 node(s) didn't match Pod's node affinity/selector. preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling.";
    assert.deepEqual(f.rec.conditions, [['picky', { status: 'False', reason: 'Unschedulable', message: msg }]]);
    assert.deepEqual(f.rec.events, [
      { object: 'Pod/default/picky', type: 'Warning', reason: 'FailedScheduling', message: msg },
    ]);
    assert.equal(f.metrics.attempts('unschedulable', 'default-scheduler'), 1);
    assert.deepEqual(f.queue.counts(), { active: 0, backoff: 0, unschedulable: 1, gated: 0 });
    // A heartbeat changes nothing the filters read: the pod stays parked.
    const beat = { ...n, status: { ...n.status, conditions: [{ type: 'Ready', status: 'True' as const }] } };
    f.handlers.nodes.onUpdate?.(n, beat);
    f.handlers.nodes.onUpdate?.(beat, { ...beat, metadata: { ...beat.metadata, resourceVersion: '5' } });
    assert.equal(f.queue.counts().unschedulable, 1);
    const labelled = { ...beat, metadata: { ...beat.metadata, labels: { ...beat.metadata.labels, disk: 'ssd' } } };
    f.handlers.nodes.onUpdate?.(beat, labelled);
    assert.equal(f.queue.counts().unschedulable, 0);
    // Still within its first second of backoff.
    assert.equal(f.queue.counts().backoff, 1);
    await new Promise((r) => setTimeout(r, 1100));
    f.queue.flushBackoffCompleted();
    await f.once();
    assert.deepEqual(f.rec.binds, [['picky', 'worker']]);
  });

  it('drops a pod whose binding conflicts, without an Event', async () => {
    const conflict = new StatusError('Conflict', 'pod web is already assigned to node "elsewhere"');
    const f = fixture(() => conflict);
    f.handlers.nodes.onAdd?.(node('worker'));
    f.handlers.unassigned.onAdd?.(pod('web'));
    await f.once();
    assert.deepEqual(f.rec.events, []);
    assert.deepEqual(f.rec.conditions, []);
    assert.deepEqual(f.queue.counts(), { active: 0, backoff: 0, unschedulable: 0, gated: 0 });
    assert.equal(f.cache.snapshot()[0]?.pods.length, 0, 'the assumption is forgotten');
    assert.equal(f.metrics.attempts('error', 'default-scheduler'), 1);
  });

  it('retries with backoff after another binding error, as a SchedulerError', async () => {
    const f = fixture(() => new Error('connection reset'));
    f.handlers.nodes.onAdd?.(node('worker'));
    f.handlers.unassigned.onAdd?.(pod('web'));
    await f.once();
    assert.deepEqual(f.rec.conditions, [
      ['web', { status: 'False', reason: 'SchedulerError', message: 'connection reset' }],
    ]);
    assert.equal(f.queue.counts().backoff, 1);
  });

  it('skips a pod being deleted, and ignores pods of other schedulers', async () => {
    const f = fixture();
    f.handlers.nodes.onAdd?.(node('worker'));
    const other = pod('other');
    other.spec!.schedulerName = 'other';
    f.handlers.unassigned.onAdd?.(other);
    assert.equal(f.queue.counts().active, 0);
    const going = pod('going');
    going.metadata.deletionTimestamp = '2024-01-01T00:00:00Z';
    f.handlers.unassigned.onAdd?.(going);
    await f.once();
    assert.deepEqual(f.rec.binds, []);
    assert.deepEqual(f.rec.events, [
      {
        object: 'Pod/default/going',
        type: 'Warning',
        reason: 'FailedScheduling',
        message: 'skip schedule deleting pod: default/going',
      },
    ]);
  });

  it('writes a condition only when it changes, keeping lastTransitionTime while the status holds', () => {
    const c = { status: 'False' as const, reason: 'Unschedulable', message: 'm1' };
    const t0 = new Date('2024-01-01T00:00:00Z');
    const first = nextScheduledCondition(pod('p'), c, t0);
    assert.deepEqual(first, {
      type: 'PodScheduled',
      status: 'False',
      lastProbeTime: null,
      lastTransitionTime: '2024-01-01T00:00:00Z',
      reason: 'Unschedulable',
      message: 'm1',
    });
    const p = pod('p');
    p.status = { phase: 'Pending', conditions: [first!] };
    assert.equal(nextScheduledCondition(p, c, new Date()), undefined);
    assert.equal(
      nextScheduledCondition(p, { ...c, message: 'm2' }, new Date('2024-02-01T00:00:00Z'))?.lastTransitionTime,
      '2024-01-01T00:00:00Z',
    );
  });
});
