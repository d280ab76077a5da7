// API Priority and Fairness' work estimates: how many seats a list, watch or write takes (upstream's
// flowcontrol/request estimators), the watch tracker behind the writes' estimate, and what wide
// requests do to a level's dispatching.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FlowSchema, PriorityLevelConfiguration } from '@mkube/shared/api';
import type { UserInfo } from '@mkube/shared/auth';
import { ObjectCountTracker } from '../../src/flowcontrol/objectcount.ts';
import { ONE_SEAT, QueueSet, Ticket } from '../../src/flowcontrol/queueset.ts';
import type { Admission, Classification, WorkEstimate } from '../../src/flowcontrol/types.ts';
import { WatchTracker } from '../../src/flowcontrol/watchtracker.ts';
import { maxSeatsForLevel, WorkEstimator } from '../../src/flowcontrol/workestimator.ts';
import type { RequestInfo } from '../../src/request/requestinfo.ts';

function req(verb: string, resource: string, o: Partial<RequestInfo> = {}): RequestInfo {
  return {
    isResourceRequest: true,
    path: `/api/v1/${resource}`,
    verb,
    apiPrefix: 'api',
    apiGroup: '',
    apiVersion: 'v1',
    namespace: '',
    resource,
    subresource: '',
    name: '',
    rest: [],
    ...o,
  };
}

describe('WorkEstimator', () => {
  const counts: Record<string, number | 'stale'> = {
    nodes: 1_000,
    pods: 150,
    'certificatesigningrequests.certificates.k8s.io': 2_000,
    secrets: 'stale',
  };
  const watches = new WatchTracker();
  const e = new WorkEstimator({
    objectCount: (gr) => counts[gr],
    watchCount: (info) => watches.interestedCount(info),
    maxSeats: (level) => (level === 'narrow' ? 2 : level === 'global-default' ? maxSeatsForLevel(49, 6) : 0),
  });
  const seats = (w: WorkEstimate) => [w.initialSeats, w.finalSeats, w.additionalLatencyMs];

  it('a list costs a seat per 100 objects it goes through, at most the level’s maximum', () => {
    assert.equal(maxSeatsForLevel(49, 6), 8, 'global-default: min(ceil(15 % of 49), 49 / 6)');
    assert.equal(maxSeatsForLevel(245, 6), 37);
    assert.equal(maxSeatsForLevel(13, 8), 1);
    // A consistent list is served from the cache: every stored object.
    assert.deepEqual(seats(e.estimate(req('list', 'pods'), undefined, 'x')), [2, 0, 0]);
    assert.deepEqual(seats(e.estimate(req('list', 'nodes'), 'limit=500', 'x')), [10, 0, 0], 'capped at 10');
    assert.deepEqual(seats(e.estimate(req('list', 'nodes'), '', 'global-default')), [8, 0, 0]);
    assert.deepEqual(seats(e.estimate(req('list', 'nodes'), '', 'narrow')), [2, 0, 0]);
    // From storage (a legacy exact read, a continue token): twice the page, or all plus the page when filtered.
    assert.deepEqual(seats(e.estimate(req('list', 'nodes'), 'limit=50&resourceVersion=7', 'x')), [1, 0, 0]);
    assert.deepEqual(seats(e.estimate(req('list', 'pods'), 'limit=100&continue=abc', 'x')), [2, 0, 0]);
    assert.deepEqual(
      seats(e.estimate(req('list', 'pods'), 'limit=10&continue=abc&labelSelector=app%3Dx', 'x')),
      [2, 0, 0],
    );
    assert.deepEqual(
      seats(e.estimate(req('list', 'nodes'), 'resourceVersionMatch=Exact&resourceVersion=7', 'x')),
      [10, 0, 0],
    );
  });

  it('one name, an unknown resource or a plain watch is one seat; a stale count or a bad limit the most', () => {
    const csrs = req('list', 'certificatesigningrequests', { apiGroup: 'certificates.k8s.io', name: 'csr-1' });
    assert.equal(e.estimate(csrs, 'fieldSelector=metadata.name%3Dcsr-1', 'x'), ONE_SEAT);
    assert.equal(e.estimate(req('list', 'widgets'), undefined, 'x'), ONE_SEAT, 'never sampled: aggregated or unknown');
    assert.equal(e.estimate(req('watch', 'nodes'), 'resourceVersion=5', 'x'), ONE_SEAT);
    assert.deepEqual(seats(e.estimate(req('watch', 'pods'), 'sendInitialEvents=true', 'x')), [2, 0, 0]);
    assert.deepEqual(seats(e.estimate(req('list', 'secrets'), undefined, 'global-default')), [8, 0, 0]);
    assert.deepEqual(seats(e.estimate(req('list', 'pods'), 'limit=ten', 'x')), [10, 0, 0]);
    assert.equal(e.estimate(req('get', 'nodes', { name: 'n1' }), undefined, 'x'), ONE_SEAT);
    assert.equal(e.estimate(req('deletecollection', 'pods'), undefined, 'x'), ONE_SEAT);
  });

  it('a write heard by 10 watches or more holds final seats for 5 ms each, narrowed to the level’s maximum', () => {
    const cm = (o: Partial<RequestInfo> = {}) => req('update', 'configmaps', { namespace: 'ns', name: 'a', ...o });
    const forget: (() => void)[] = [];
    for (let i = 0; i < 9; i++) forget.push(watches.register(req('watch', 'configmaps')));
    assert.equal(e.estimate(cm(), undefined, 'x'), ONE_SEAT, '9 watches');
    forget.push(watches.register(req('watch', 'configmaps', { namespace: 'ns' })));
    assert.deepEqual(seats(e.estimate(cm(), undefined, 'x')), [1, 1, 5]);
    for (let i = 0; i < 15; i++)
      forget.push(watches.register(req('watch', 'configmaps', { namespace: 'ns', name: 'a' })));
    assert.equal(watches.interestedCount(cm()), 25);
    assert.equal(watches.interestedCount(cm({ name: 'b' })), 10, 'watches of another object are not counted');
    assert.equal(watches.interestedCount(cm({ namespace: 'other', name: 'a' })), 9);
    assert.deepEqual(seats(e.estimate(cm(), undefined, 'x')), [1, 3, 5]);
    // 3 seats × 5 ms as 2 seats × 7.5 ms.
    assert.deepEqual(seats(e.estimate(cm(), undefined, 'narrow')), [1, 2, 7.5]);
    const token = req('create', 'serviceaccounts', { namespace: 'ns', name: 'a', subresource: 'token' });
    for (let i = 0; i < 20; i++) forget.push(watches.register(req('watch', 'serviceaccounts')));
    assert.equal(e.estimate(token, undefined, 'x'), ONE_SEAT, 'a token request writes nothing');
    for (const f of forget) f();
    forget[0]!();
    assert.equal(watches.interestedCount(cm()), 0);
    assert.equal(e.estimate(cm(), undefined, 'x'), ONE_SEAT);
  });
});

describe('ObjectCountTracker', () => {
  it('goes stale three minutes after its last sample', () => {
    let now = 0;
    const t = new ObjectCountTracker(() => now);
    assert.equal(t.get('pods'), undefined);
    t.set('pods', 7);
    now = 180_000;
    assert.equal(t.get('pods'), 7);
    now = 180_001;
    assert.equal(t.get('pods'), 'stale');
    t.set('pods', 8);
    assert.equal(t.get('pods'), 8);
  });
});

describe('QueueSet: wide requests', () => {
  const user: UserInfo = { username: 'u', groups: [] };
  const classification: Classification = {
    flowSchema: { metadata: { name: 'fs' } } as FlowSchema,
    priorityLevel: { metadata: { name: 'pl' } } as PriorityLevelConfiguration,
    flowDistinguisher: '',
  };
  const setup = (limit: number) => {
    const clock = { t: 1_000 };
    const set = new QueueSet(
      'pl',
      { exempt: false, concurrencyLimit: limit, queuing: { queues: 4, handSize: 1, queueLengthLimit: 10 } },
      { now: () => clock.t, requestWaitLimitMs: 60_000 },
    );
    const start = (width: WorkEstimate, queue: number) =>
      set.start(new Ticket(set, classification, 'fs', req('list', 'pods'), user, clock.t, width), [queue]);
    return { set, clock, start };
  };
  const wide = (n: number): WorkEstimate => ({ initialSeats: n, finalSeats: 0, additionalLatencyMs: 0 });
  const executing = (a: Admission | Promise<Admission>) => {
    assert.ok(!(a instanceof Promise), 'executes at once');
    assert.equal(a.outcome, 'execute');
    return a as Ticket;
  };

  it('takes its seats, and the fair choice waits for them: nothing narrower overtakes it', async () => {
    const { set, clock, start } = setup(4);
    const a = executing(start(wide(2), 0));
    assert.equal(set.seatsInUse, 2);
    const b = start(wide(3), 1);
    assert.ok(b instanceof Promise, 'three more seats than the two free');
    // Later enough that its virtual finish (arrival + 1 seat × G) comes after the wide one's (3 × G).
    clock.t += 100;
    const c = start(ONE_SEAT, 2);
    assert.ok(c instanceof Promise, 'a narrower request later in fair order waits behind it');
    assert.equal(set.waiting, 2);
    a.release();
    const bt = (await b) as Ticket;
    assert.equal(set.seatsInUse, 4, 'the wide one, then the narrow one fit');
    ((await c) as Ticket).release();
    bt.release();
    assert.equal(set.seatsInUse, 0);
    assert.ok(set.isIdle());
  });

  it('a request wider than the limit executes only alone', async () => {
    const { set, start } = setup(2);
    const a = executing(start(ONE_SEAT, 0));
    const big = start(wide(5), 1);
    assert.ok(big instanceof Promise);
    a.release();
    const t = (await big) as Ticket;
    assert.equal(set.seatsInUse, 5);
    const next = start(ONE_SEAT, 0);
    assert.ok(next instanceof Promise, 'nothing joins it');
    t.release();
    ((await next) as Ticket).release();
  });

  it('holds its final seats for their additional latency after it finishes', async () => {
    const { set, start } = setup(4);
    const w: WorkEstimate = { initialSeats: 1, finalSeats: 3, additionalLatencyMs: 30 };
    const t = executing(start(w, 0));
    assert.equal(set.seatsInUse, 3);
    t.release();
    assert.deepEqual([set.executing, set.seatsInUse, set.isIdle()], [0, 3, false]);
    const waits = start(wide(2), 1);
    assert.ok(waits instanceof Promise, 'the final seats are still held');
    const started = Date.now();
    const u = (await waits) as Ticket;
    assert.ok(Date.now() - started >= 25, `${Date.now() - started} ms`);
    assert.equal(set.seatsInUse, 2);
    u.release();
    assert.ok(set.isIdle());
  });
});
