// One priority level's dispatching (upstream's fairqueuing/queueset) and shuffle sharding, driven
// directly with a fake clock: exempt and Reject levels, queue-full, time-outs, cancellation, fair
// queuing between flows, reconfiguration while requests wait, and the metrics hooks.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import type { FlowSchema, PriorityLevelConfiguration } from '@mkube/shared/api';
import type { UserInfo } from '@mkube/shared/auth';
import { QueueSet, type QueueSetConfig, Ticket } from '../../src/flowcontrol/queueset.ts';
import { Dealer, dealerProblem, hashFlowID, requiredEntropyBits } from '../../src/flowcontrol/shufflesharding.ts';
import type { Admission, Classification, FlowControlMetrics } from '../../src/flowcontrol/types.ts';
import type { RequestInfo } from '../../src/request/requestinfo.ts';

const info: RequestInfo = {
  isResourceRequest: true,
  path: '/api/v1/namespaces/default/pods',
  verb: 'list',
  apiPrefix: 'api',
  apiGroup: '',
  apiVersion: 'v1',
  namespace: 'default',
  resource: 'pods',
  subresource: '',
  name: '',
  rest: [],
};
const user: UserInfo = { username: 'alice', groups: [] };
const classification: Classification = {
  flowSchema: { metadata: { name: 'fs' } } as FlowSchema,
  priorityLevel: { metadata: { name: 'pl' } } as PriorityLevelConfiguration,
  flowDistinguisher: '',
};

interface Harness {
  set: QueueSet;
  clock: { t: number };
  calls: string[];
  /** Starts a request of the flow whose hand is given; `tag` names it in `order`. */
  start(hand?: number[], tag?: string, signal?: AbortSignal): Admission | Promise<Admission>;
  /** Tags of requests in the order they started executing. */
  order: string[];
  /** Dispatches everything still waiting (no timers left behind). */
  drain(): void;
}

function harness(cfg: QueueSetConfig, requestWaitLimitMs = 60_000): Harness {
  const clock = { t: 1_000 };
  const calls: string[] = [];
  const order: string[] = [];
  const metrics: FlowControlMetrics = {
    dispatched: (fs, pl) => calls.push(`dispatched ${fs} ${pl}`),
    rejected: (fs, pl, reason) => calls.push(`rejected ${fs} ${pl} ${reason}`),
    waited: (fs, pl, executed, seconds) => calls.push(`waited ${fs} ${pl} ${executed} ${seconds}`),
  };
  const set = new QueueSet('pl', cfg, { now: () => clock.t, requestWaitLimitMs, metrics });
  return {
    set,
    clock,
    calls,
    order,
    start(hand, tag = '', signal) {
      const ticket = new Ticket(set, classification, 'fs', info, user, clock.t);
      const r = set.start(ticket, hand, signal);
      const note = (a: Admission) => {
        if (a.outcome === 'execute') order.push(tag);
        return a;
      };
      return r instanceof Promise ? r.then(note) : note(r);
    },
    drain() {
      set.configure({ ...set.config, concurrencyLimit: 1_000_000 });
    },
  };
}

function executed(r: Admission | Promise<Admission>): Admission & { outcome: 'execute' } {
  assert.ok(!(r instanceof Promise), 'expected an immediate answer');
  assert.equal(r.outcome, 'execute');
  return r as Admission & { outcome: 'execute' };
}

function pending(r: Admission | Promise<Admission>): Promise<Admission> {
  assert.ok(r instanceof Promise, 'expected the request to wait');
  return r;
}

/** Lets resolved promises' callbacks run. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

const queuing = (queues: number, handSize: number, queueLengthLimit: number) => ({
  queues,
  handSize,
  queueLengthLimit,
});

describe('shuffle sharding', () => {
  it('deals distinct cards within the deck, the same ones for the same hash', () => {
    const d = new Dealer(64, 8);
    for (let i = 0; i < 2000; i++) {
      const hand = d.deal(hashFlowID('global-default', `user-${i}`));
      assert.equal(hand.length, 8);
      assert.equal(new Set(hand).size, 8, `hand ${hand} has repeats`);
      for (const c of hand) assert.ok(c >= 0 && c < 64);
    }
    assert.deepEqual(d.deal(hashFlowID('fs', 'alice')), d.deal(hashFlowID('fs', 'alice')));
    assert.notDeepEqual(d.deal(hashFlowID('fs', 'alice')), d.deal(hashFlowID('fs', 'bob')));
  });

  it('deals as upstream: remainders by deck, deck-1, …, each moved past earlier ones', () => {
    // hash 10, deck 4: 10 % 4 = 2, then 2 % 3 = 2, which moves past the 2 dealt before.
    assert.deepEqual(new Dealer(4, 2).deal(10n), [2, 3]);
    // hash 0 always starts 0, 1, 2, …
    assert.deepEqual(new Dealer(8, 3).deal(0n), [0, 1, 2]);
    // 7 = 1 + 3·(0 + 2·1): remainders 1, 0, 0; the second stays below the first, the third moves
    // past both.
    assert.deepEqual(new Dealer(3, 3).deal(7n), [1, 0, 2]);
  });

  it('hashes the schema name and distinguisher as SHA-256 of name NUL distinguisher, little-endian', () => {
    const digest = createHash('sha256').update('workload-low\0system:serviceaccount:a:b').digest();
    assert.equal(hashFlowID('workload-low', 'system:serviceaccount:a:b'), digest.readBigUInt64LE(0));
    assert.notEqual(hashFlowID('ab', 'c'), hashFlowID('a', 'bc'));
  });

  it('refuses what cannot be dealt from 60 bits', () => {
    assert.equal(requiredEntropyBits(64, 8), 48);
    assert.equal(dealerProblem(64, 8), undefined);
    assert.match(dealerProblem(4, 5) ?? '', /greater than deckSize/);
    assert.match(dealerProblem(0, 1) ?? '', /positive/);
    assert.match(dealerProblem(1024, 7) ?? '', /entropy/);
    assert.throws(() => new Dealer(2, 3));
  });
});

describe('QueueSet: exempt and Reject levels', () => {
  it('the exempt level executes everything at once, whatever its limit, and counts it', () => {
    const h = harness({ exempt: true, concurrencyLimit: 0 });
    const admitted = Array.from({ length: 50 }, () => executed(h.start()));
    assert.equal(h.set.executing, 50);
    assert.equal(h.set.waiting, 0);
    for (const a of admitted) a.release();
    assert.equal(h.set.executing, 0);
    assert.equal(h.set.dispatched, 50);
    assert.equal(h.calls.filter((c) => c.startsWith('dispatched')).length, 50);
    assert.equal(h.calls.filter((c) => c.startsWith('waited')).length, 0, 'exempt requests do not wait');
  });

  it('Reject executes while a seat is free and rejects past the limit', () => {
    const h = harness({ exempt: false, concurrencyLimit: 2 });
    const a = executed(h.start());
    executed(h.start());
    const third = h.start();
    assert.ok(!(third instanceof Promise));
    assert.deepEqual(third, {
      outcome: 'reject',
      classification,
      reason: 'concurrency-limit',
      retryAfterSeconds: 1,
    });
    a.release();
    executed(h.start());
    assert.equal(h.set.rejected, 1);
    assert.equal(h.set.dispatched, 3);
    assert.ok(h.calls.includes('rejected fs pl concurrency-limit'));
    assert.ok(h.calls.includes('waited fs pl false 0'));
  });

  it('release is idempotent', () => {
    const h = harness({ exempt: false, concurrencyLimit: 1 });
    const a = executed(h.start());
    a.release();
    a.release();
    assert.equal(h.set.executing, 0);
    const b = executed(h.start());
    a.release();
    assert.equal(h.set.executing, 1, 'a late second release must not free b’s seat');
    assert.equal(h.start().constructor, Object, 'still full: a rejection');
    b.release();
  });

  it('a limit of 0 still runs one request at a time', () => {
    const h = harness({ exempt: false, concurrencyLimit: 0 });
    const a = executed(h.start());
    const r = h.start();
    assert.ok(!(r instanceof Promise) && r.outcome === 'reject');
    a.release();
    executed(h.start());
  });
});

describe('QueueSet: queuing', () => {
  it('executes at once while a seat is free, then queues, then rejects queue-full', async () => {
    const h = harness({ exempt: false, concurrencyLimit: 1, queuing: queuing(4, 1, 2) });
    const first = executed(h.start([0], 'a0'));
    const w1 = pending(h.start([0], 'a1'));
    const w2 = pending(h.start([0], 'a2'));
    const full = h.start([0], 'a3');
    assert.ok(!(full instanceof Promise) && full.outcome === 'reject' && full.reason === 'queue-full');
    // Another flow's queue still has room.
    const other = pending(h.start([1], 'b0'));
    assert.equal(h.set.waiting, 3);
    assert.equal(h.set.queues[0]!.waiting, 2);
    assert.equal(h.set.queuesWithWaiting(), 2);
    first.release();
    // One seat: each release dispatches exactly one waiting request.
    for (let left = 3; left > 0; left--) {
      await settle();
      const running = h.set.executingTickets();
      assert.equal(running.length, 1);
      assert.equal(h.set.waiting, left - 1);
      running[0]!.release();
    }
    for (const a of await Promise.all([w1, w2, other])) assert.equal(a.outcome, 'execute');
    assert.equal(h.set.isIdle(), true);
    assert.deepEqual(
      h.order.filter((t) => t.startsWith('a')),
      ['a0', 'a1', 'a2'],
      'first in, first out within a queue',
    );
    assert.equal(h.set.rejected, 1);
    assert.ok(h.calls.includes('rejected fs pl queue-full'));
  });

  it('picks the hand’s queue with the fewest waiting requests, ties taking turns', () => {
    const h = harness({ exempt: false, concurrencyLimit: 1, queuing: queuing(4, 2, 10) });
    executed(h.start([2, 3]));
    // Arrivals 2–4 scan the hand from offsets 1, 0, 1: queue 1 (tie), queue 0 (fewer), queue 1 (tie).
    void h.start([0, 1]);
    void h.start([0, 1]);
    void h.start([0, 1]);
    assert.deepEqual(
      h.set.queues.map((q) => q.waiting),
      [1, 2, 0, 0],
    );
    // Queue 3 is empty, queue 1 is not.
    void h.start([1, 3]);
    void h.start([3, 1]);
    assert.deepEqual(
      h.set.queues.map((q) => q.waiting),
      [1, 2, 0, 2],
    );
    h.drain();
  });

  it('times a waiting request out after the wait limit (its own timer)', async () => {
    const h = harness({ exempt: false, concurrencyLimit: 1, queuing: queuing(2, 1, 5) }, 20);
    const a = executed(h.start([0]));
    const w = pending(h.start([0]));
    const r = await w;
    assert.equal(r.outcome, 'reject');
    assert.equal(r.outcome === 'reject' && r.reason, 'time-out');
    assert.equal(h.set.waiting, 0);
    assert.equal(h.set.queues[0]!.waiting, 0);
    assert.equal(h.set.timedOut, 1);
    assert.equal(h.set.rejected, 1);
    a.release();
    assert.equal(h.set.executing, 0, 'the timed-out request is not dispatched later');
  });

  it('an arrival sweeps overdue requests out of its queue first (fake clock)', async () => {
    const h = harness({ exempt: false, concurrencyLimit: 1, queuing: queuing(2, 1, 1) });
    executed(h.start([0]));
    const old = pending(h.start([0]));
    h.clock.t += 60_001;
    // The queue holds one already, but the old one is overdue: it goes, the new one takes its place.
    const fresh = pending(h.start([0]));
    const r = await old;
    assert.equal(r.outcome === 'reject' && r.reason, 'time-out');
    assert.equal(h.set.waiting, 1);
    assert.equal(h.set.timedOut, 1);
    assert.ok(h.calls.includes('rejected fs pl time-out'));
    assert.ok(h.calls.includes('waited fs pl false 60.001'));
    h.drain();
    assert.equal((await fresh).outcome, 'execute');
  });

  it('cancels a waiting request whose signal aborts, and leaves its place to others', async () => {
    const h = harness({ exempt: false, concurrencyLimit: 1, queuing: queuing(2, 1, 5) });
    const a = executed(h.start([0], 'a'));
    const gone = new AbortController();
    const w = pending(h.start([0], 'gone', gone.signal));
    const b = pending(h.start([0], 'b'));
    h.clock.t += 250;
    gone.abort();
    const r = await w;
    assert.equal(r.outcome === 'reject' && r.reason, 'cancelled');
    assert.equal(h.set.cancelled, 1);
    assert.equal(h.set.queues[0]!.waiting, 1);
    assert.ok(h.calls.includes('waited fs pl false 0.25'));
    a.release();
    const rb = await b;
    assert.equal(rb.outcome, 'execute');
    assert.deepEqual(h.order, ['a', 'b']);
    // A signal aborting once the request executes changes nothing.
    if (rb.outcome === 'execute') rb.release();
    const late = new AbortController();
    const c = executed(h.start([0], 'c', late.signal));
    late.abort();
    assert.equal(h.set.executing, 1);
    c.release();
  });

  it('rejects at once a request that would wait with an aborted signal', () => {
    const h = harness({ exempt: false, concurrencyLimit: 1, queuing: queuing(2, 1, 5) });
    executed(h.start([0]));
    const gone = new AbortController();
    gone.abort();
    const r = h.start([0], '', gone.signal);
    assert.ok(!(r instanceof Promise) && r.outcome === 'reject' && r.reason === 'cancelled');
    assert.equal(h.set.waiting, 0);
  });

  it('shares seats fairly between a busy flow and a light one (fair queuing, not FIFO)', async () => {
    const h = harness({ exempt: false, concurrencyLimit: 1, queuing: queuing(8, 1, 50) });
    let current = executed(h.start([0], 'A'));
    const waits: Promise<Admission>[] = [];
    for (let i = 0; i < 10; i++) waits.push(pending(h.start([0], 'A')));
    h.clock.t += 1;
    for (let i = 0; i < 3; i++) waits.push(pending(h.start([5], 'B')));
    // Serve one at a time, each for 10 ms.
    for (let served = 0; served < 13; served++) {
      h.clock.t += 10;
      current.release();
      await settle();
      const running = h.set.executingTickets();
      assert.equal(running.length, 1);
      current = running[0]!;
    }
    current.release();
    await Promise.all(waits);
    // After the first A, B's three are interleaved with A's instead of waiting behind all ten.
    const afterFirst = h.order.slice(1, 7);
    assert.equal(afterFirst.filter((t) => t === 'B').length, 3, `dispatch order ${h.order.join(' ')}`);
    assert.equal(h.order.length, 14);
  });

  it('a flow whose requests take longer gets fewer dispatches (virtual time charges real service time)', async () => {
    const h = harness({ exempt: false, concurrencyLimit: 1, queuing: queuing(8, 1, 50) });
    let current = executed(h.start([0], 'warmup'));
    const waits: Promise<Admission>[] = [];
    for (let i = 0; i < 20; i++) waits.push(pending(h.start([1], 'slow')));
    for (let i = 0; i < 20; i++) waits.push(pending(h.start([2], 'fast')));
    for (let served = 0; served < 20; served++) {
      const tag = served === 0 ? 'warmup' : h.order[served];
      h.clock.t += tag === 'slow' ? 50 : 5;
      current.release();
      await settle();
      current = h.set.executingTickets()[0]!;
    }
    const firstTwenty = h.order.slice(1, 21);
    const slow = firstTwenty.filter((t) => t === 'slow').length;
    const fast = firstTwenty.filter((t) => t === 'fast').length;
    assert.ok(fast >= 3 * slow, `fast ${fast} vs slow ${slow}: ${firstTwenty.join(' ')}`);
    // Drain.
    h.set.configure({ exempt: false, concurrencyLimit: 100, queuing: queuing(8, 1, 50) });
    current.release();
    for (const a of await Promise.all(waits)) if (a.outcome === 'execute') a.release();
    assert.equal(h.set.isIdle(), true);
  });
});

describe('QueueSet: reconfiguration while requests wait', () => {
  it('a higher limit dispatches waiting requests at once', async () => {
    const h = harness({ exempt: false, concurrencyLimit: 1, queuing: queuing(4, 1, 10) });
    executed(h.start([0]));
    const w1 = pending(h.start([0]));
    const w2 = pending(h.start([1]));
    h.set.configure({ exempt: false, concurrencyLimit: 3, queuing: queuing(4, 1, 10) });
    assert.equal(h.set.executing, 3);
    assert.equal((await w1).outcome, 'execute');
    assert.equal((await w2).outcome, 'execute');
  });

  it('fewer queues: the surplus ones stay until their requests are gone', async () => {
    const h = harness({ exempt: false, concurrencyLimit: 1, queuing: queuing(8, 1, 10) });
    const a = executed(h.start([6]));
    const w = pending(h.start([7]));
    h.set.configure({ exempt: false, concurrencyLimit: 1, queuing: queuing(2, 1, 10) });
    // Queues 0 and 1, plus the two holding requests.
    assert.equal(h.set.queues.length, 4);
    a.release();
    const b = await w;
    assert.equal(b.outcome, 'execute');
    assert.equal(h.set.queues.length, 3);
    if (b.outcome === 'execute') b.release();
    assert.equal(h.set.queues.length, 2);
    executed(h.start([1]));
  });

  it('Queue to Reject: waiting requests are still dispatched, new ones are limited without queuing', async () => {
    const h = harness({ exempt: false, concurrencyLimit: 1, queuing: queuing(4, 1, 10) });
    const a = executed(h.start([0]));
    const w = pending(h.start([0]));
    h.set.configure({ exempt: false, concurrencyLimit: 1 });
    const r = h.start(undefined);
    assert.ok(!(r instanceof Promise) && r.outcome === 'reject' && r.reason === 'concurrency-limit');
    a.release();
    const b = await w;
    assert.equal(b.outcome, 'execute');
    if (b.outcome === 'execute') b.release();
    assert.equal(h.set.queues.length, 0);
    executed(h.start(undefined));
  });

  it('a quiescing set reports when it has drained', () => {
    const h = harness({ exempt: false, concurrencyLimit: 1 });
    const a = executed(h.start());
    let idle = 0;
    h.set.onIdle = () => idle++;
    h.set.quiescing = true;
    a.release();
    assert.equal(idle, 1);
  });
});
