// The APF dispatcher end to end: classification over a whole configuration (precedence, ties,
// dangling and broken references, the mandatory fallbacks), nominal limits, what each kind of level
// does at its limit, reconfiguration while requests wait or execute, metrics hooks and the dumps.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type {
  FlowDistinguisherMethodType,
  FlowSchema,
  PolicyRulesWithSubjects,
  PriorityLevelConfiguration,
  QueuingConfiguration,
} from '@mkube/shared/api';
import type { UserInfo } from '@mkube/shared/auth';
import {
  MANDATORY_FLOW_SCHEMAS,
  MANDATORY_PRIORITY_LEVELS,
  SUGGESTED_FLOW_SCHEMAS,
  SUGGESTED_PRIORITY_LEVELS,
} from '../../src/flowcontrol/bootstrap.ts';
import { APFController, BORROWING_ADJUSTMENT_PERIOD_MS } from '../../src/flowcontrol/controller.ts';
import { Dealer, hashFlowID } from '../../src/flowcontrol/shufflesharding.ts';
import type { Admission, FlowControlMetrics } from '../../src/flowcontrol/types.ts';
import type { RequestInfo } from '../../src/request/requestinfo.ts';

/** The built-in priority levels, by name. */
const BUILT_IN_LEVEL_NAMES = [
  'catch-all',
  'exempt',
  'global-default',
  'leader-election',
  'node-high',
  'system',
  'workload-high',
  'workload-low',
];

// --- configuration objects, shaped as upstream's bootstrap ones ---

const everything: PolicyRulesWithSubjects['resourceRules'] = [
  { verbs: ['*'], apiGroups: ['*'], resources: ['*'], clusterScope: true, namespaces: ['*'] },
];
const everyPath: PolicyRulesWithSubjects['nonResourceRules'] = [{ verbs: ['*'], nonResourceURLs: ['*'] }];

function groupsRule(...groups: string[]): PolicyRulesWithSubjects {
  return {
    subjects: groups.map((name) => ({ kind: 'Group' as const, group: { name } })),
    resourceRules: everything,
    nonResourceRules: everyPath,
  };
}

function usersRule(...users: string[]): PolicyRulesWithSubjects {
  return {
    subjects: users.map((name) => ({ kind: 'User' as const, user: { name } })),
    resourceRules: everything,
    nonResourceRules: everyPath,
  };
}

function schema(
  name: string,
  matchingPrecedence: number,
  level: string,
  rules: PolicyRulesWithSubjects[],
  distinguisher?: FlowDistinguisherMethodType,
  uid?: string,
): FlowSchema {
  return {
    apiVersion: 'flowcontrol.apiserver.k8s.io/v1',
    kind: 'FlowSchema',
    metadata: { name, ...(uid ? { uid } : {}) },
    spec: {
      priorityLevelConfiguration: { name: level },
      matchingPrecedence,
      ...(distinguisher ? { distinguisherMethod: { type: distinguisher } } : {}),
      rules,
    },
  };
}

function queueLevel(name: string, shares: number, queuing: QueuingConfiguration, uid?: string) {
  return limitedLevel(name, shares, queuing, uid);
}

function limitedLevel(
  name: string,
  shares: number,
  queuing?: QueuingConfiguration,
  uid?: string,
): PriorityLevelConfiguration {
  return {
    apiVersion: 'flowcontrol.apiserver.k8s.io/v1',
    kind: 'PriorityLevelConfiguration',
    metadata: { name, ...(uid ? { uid } : {}) },
    spec: {
      type: 'Limited',
      limited: {
        nominalConcurrencyShares: shares,
        lendablePercent: 0,
        limitResponse: queuing ? { type: 'Queue', queuing } : { type: 'Reject' },
      },
    },
  };
}

const exemptLevel: PriorityLevelConfiguration = {
  metadata: { name: 'exempt' },
  spec: { type: 'Exempt', exempt: { nominalConcurrencyShares: 0, lendablePercent: 0 } },
};
const catchAllLevel = limitedLevel('catch-all', 5);
const exemptSchema = schema('exempt', 1, 'exempt', [groupsRule('system:masters')]);
const catchAllSchema = schema(
  'catch-all',
  10000,
  'catch-all',
  [groupsRule('system:unauthenticated', 'system:authenticated')],
  'ByUser',
);
const MANDATORY = { flowSchemas: [exemptSchema, catchAllSchema], priorityLevels: [exemptLevel, catchAllLevel] };

/** upstream's suggested levels, with their shares. */
const SUGGESTED_LEVELS = [
  queueLevel('system', 30, { queues: 64, handSize: 6, queueLengthLimit: 50 }),
  queueLevel('node-high', 40, { queues: 64, handSize: 6, queueLengthLimit: 50 }),
  queueLevel('leader-election', 10, { queues: 16, handSize: 4, queueLengthLimit: 50 }),
  queueLevel('workload-high', 40, { queues: 128, handSize: 6, queueLengthLimit: 50 }),
  queueLevel('workload-low', 100, { queues: 128, handSize: 6, queueLengthLimit: 50 }),
  queueLevel('global-default', 20, { queues: 128, handSize: 6, queueLengthLimit: 50 }),
];

// --- requests ---

function pods(namespace = 'default', verb = 'list'): RequestInfo {
  return {
    isResourceRequest: true,
    path: `/api/v1/namespaces/${namespace}/pods`,
    verb,
    apiPrefix: 'api',
    apiGroup: '',
    apiVersion: 'v1',
    namespace,
    resource: 'pods',
    subresource: '',
    name: '',
    rest: [],
  };
}

const who = (username: string, ...groups: string[]): UserInfo => ({
  username,
  groups: [...groups, 'system:authenticated'],
});
const alice = who('alice', 'devs');
const bob = who('bob');
const admin = who('admin', 'system:masters');

type Executing = Admission & { outcome: 'execute' };

function names(a: Admission): [string, string] {
  return [a.classification.flowSchema.metadata.name!, a.classification.priorityLevel.metadata.name!];
}

async function execute(p: Promise<Admission>): Promise<Executing> {
  const a = await p;
  assert.equal(a.outcome, 'execute', `expected execute, got ${JSON.stringify(a.outcome === 'reject' && a.reason)}`);
  return a as Executing;
}

async function rejected(p: Promise<Admission>, reason: string): Promise<void> {
  const a = await p;
  assert.equal(a.outcome, 'reject');
  assert.equal(a.outcome === 'reject' && a.reason, reason);
  assert.equal(a.outcome === 'reject' && a.retryAfterSeconds, 1);
}

const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Whether the promise is still unsettled after pending callbacks ran. */
async function isPending(p: Promise<unknown>): Promise<boolean> {
  const marker = Symbol('pending');
  return (await Promise.race([p, new Promise((r) => setImmediate(() => r(marker)))])) === marker;
}

function controller(serverConcurrencyLimit: number, opts: { waitMs?: number; metrics?: FlowControlMetrics } = {}) {
  const clock = { t: 5_000 };
  const c = new APFController({
    serverConcurrencyLimit,
    requestWaitLimitMs: opts.waitMs ?? 60_000,
    fallback: MANDATORY,
    ...(opts.metrics ? { metrics: opts.metrics } : {}),
    now: () => clock.t,
    nowUnix: () => Math.floor(clock.t / 1000),
  });
  return { c, clock };
}

/** A level of one seat for `bob` (ByUser), besides the mandatory ones, with a server limit of 2. */
function tightConfig(queuing: QueuingConfiguration | undefined, shares = 5) {
  const level = limitedLevel('tight', shares, queuing, 'tight-uid');
  const fs = schema('tight', 100, 'tight', [usersRule('bob', 'carol', 'dave')], 'ByUser', 'tight-fs-uid');
  return { flowSchemas: [...MANDATORY.flowSchemas, fs], priorityLevels: [...MANDATORY.priorityLevels, level] };
}

function apply(c: APFController, config: ReturnType<typeof tightConfig>): void {
  c.update(config.flowSchemas, config.priorityLevels);
}

describe('APFController: classification', () => {
  it('takes the first matching schema by precedence, ties by name', async () => {
    const { c } = controller(600);
    c.update(
      [
        ...MANDATORY.flowSchemas,
        schema('b-devs', 500, 'catch-all', [groupsRule('devs')]),
        schema('a-devs', 500, 'catch-all', [groupsRule('devs')]),
        schema('c-early', 400, 'catch-all', [usersRule('bob')]),
      ],
      MANDATORY.priorityLevels,
    );
    assert.deepEqual(names(await c.admit({ info: pods(), user: alice })), ['a-devs', 'catch-all']);
    assert.deepEqual(names(await c.admit({ info: pods(), user: bob })), ['c-early', 'catch-all']);
    assert.deepEqual(names(await c.admit({ info: pods(), user: who('eve') })), ['catch-all', 'catch-all']);
    // system:masters is exempt before anything else (precedence 1).
    assert.deepEqual(names(await c.admit({ info: pods(), user: who('root', 'system:masters', 'devs') })), [
      'exempt',
      'exempt',
    ]);
    // A lower precedence number wins over a better name.
    c.update(
      [
        ...MANDATORY.flowSchemas,
        schema('z-devs', 300, 'catch-all', [groupsRule('devs')]),
        schema('a-devs', 500, 'catch-all', [groupsRule('devs')]),
      ],
      MANDATORY.priorityLevels,
    );
    assert.deepEqual(names(await c.admit({ info: pods(), user: alice })), ['z-devs', 'catch-all']);
  });

  it('skips dangling schemas and those of a broken level', async () => {
    const { c } = controller(600);
    const broken = queueLevel('broken', 10, { queues: 4, handSize: 8, queueLengthLimit: 5 });
    const exemptImpostor: PriorityLevelConfiguration = {
      metadata: { name: 'impostor' },
      spec: { type: 'Exempt', exempt: {} },
    };
    c.update(
      [
        ...MANDATORY.flowSchemas,
        schema('ghost', 2, 'no-such-level', [groupsRule('devs')]),
        schema('bad', 3, 'broken', [groupsRule('devs')]),
        schema('fake-exempt', 4, 'impostor', [groupsRule('devs')]),
        schema('real', 500, 'workload-low', [groupsRule('devs')]),
      ],
      [...MANDATORY.priorityLevels, ...SUGGESTED_LEVELS, broken, exemptImpostor],
    );
    assert.deepEqual(names(await c.admit({ info: pods(), user: alice })), ['real', 'workload-low']);
    assert.deepEqual(
      c.levelStats().map((s) => s.name),
      BUILT_IN_LEVEL_NAMES,
    );
  });

  it('uses the fallback exempt and catch-all where the configuration lacks them', async () => {
    const { c } = controller(600);
    // Nothing at all: the fallbacks alone.
    c.update([], []);
    const anyone = await c.admit({ info: pods(), user: alice });
    assert.deepEqual(names(anyone), ['catch-all', 'catch-all']);
    assert.equal(anyone.classification.flowSchema, catchAllSchema);
    assert.deepEqual(names(await c.admit({ info: pods(), user: admin })), ['exempt', 'exempt']);

    // The configuration's own objects take precedence over the fallbacks.
    const storeCatchAll = schema('catch-all', 10000, 'catch-all', [groupsRule('system:authenticated')], 'ByUser', 'u1');
    const storeLevel = queueLevel('catch-all', 5, { queues: 4, handSize: 2, queueLengthLimit: 3 }, 'u2');
    c.update([storeCatchAll], [storeLevel]);
    const mine = await c.admit({ info: pods(), user: alice });
    assert.equal(mine.classification.flowSchema.metadata.uid, 'u1');
    assert.equal(mine.classification.priorityLevel.metadata.uid, 'u2');
    assert.equal(mine.classification.flowDistinguisher, 'alice', 'a queuing level distinguishes flows');
    assert.deepEqual(names(await c.admit({ info: pods(), user: admin })), ['exempt', 'exempt']);

    // A request no schema matches (here: no group at all) falls to the catch-all.
    c.update([storeCatchAll, schema('only-devs', 500, 'catch-all', [groupsRule('devs')])], [storeLevel]);
    const stranger = await c.admit({ info: pods(), user: { username: 'x', groups: [] } });
    assert.equal(stranger.classification.flowSchema.metadata.uid, 'u1');

    // Deleted again: the fallback takes its place.
    c.update([], [storeLevel]);
    const back = await c.admit({ info: pods(), user: alice });
    assert.equal(back.classification.flowSchema, catchAllSchema);
    assert.equal(back.classification.priorityLevel.metadata.uid, 'u2');
  });

  it('distinguishes flows ByUser / ByNamespace only on levels with several queues', async () => {
    const { c } = controller(600);
    c.update(
      [
        ...MANDATORY.flowSchemas,
        schema('by-ns', 500, 'workload-low', [groupsRule('devs')], 'ByNamespace'),
        schema('by-user', 600, 'global-default', [usersRule('bob')], 'ByUser'),
        schema('one-flow', 700, 'global-default', [usersRule('carol')]),
      ],
      [...MANDATORY.priorityLevels, ...SUGGESTED_LEVELS],
    );
    const ns = await execute(c.admit({ info: pods('team-a'), user: alice }));
    assert.equal(ns.classification.flowDistinguisher, 'team-a');
    const u = await execute(c.admit({ info: pods('team-a'), user: bob }));
    assert.equal(u.classification.flowDistinguisher, 'bob');
    const none = await execute(c.admit({ info: pods(), user: who('carol') }));
    assert.equal(none.classification.flowDistinguisher, '');
    // catch-all is ByUser but rejects instead of queuing: one flow.
    const ca = await execute(c.admit({ info: pods(), user: who('eve') }));
    assert.deepEqual(names(ca), ['catch-all', 'catch-all']);
    assert.equal(ca.classification.flowDistinguisher, '');
  });
});

describe('APFController: limits', () => {
  it('divides the server limit by shares: 600 over the built-in levels', () => {
    const { c } = controller(600);
    c.update(MANDATORY.flowSchemas, [...MANDATORY.priorityLevels, ...SUGGESTED_LEVELS]);
    const limits = Object.fromEntries(c.levelStats().map((s) => [s.name, s.nominalLimit]));
    assert.deepEqual(limits, {
      exempt: 0,
      system: 74,
      'node-high': 98,
      'leader-election': 25,
      'workload-high': 98,
      'workload-low': 245,
      'global-default': 49,
      'catch-all': 13,
    });
  });

  it('counts the exempt level’s shares in the division', () => {
    const { c } = controller(100);
    const exempt20: PriorityLevelConfiguration = {
      metadata: { name: 'exempt' },
      spec: { type: 'Exempt', exempt: { nominalConcurrencyShares: 20 } },
    };
    c.update(MANDATORY.flowSchemas, [exempt20, limitedLevel('catch-all', 5), limitedLevel('other', 15)]);
    const limits = Object.fromEntries(c.levelStats().map((s) => [s.name, s.nominalLimit]));
    // 100·20/40, 100·5/40 rounded up, 100·15/40 rounded up.
    assert.deepEqual(limits, { exempt: 50, 'catch-all': 13, other: 38 });
  });

  it('the exempt level never queues nor rejects, and is still counted', async () => {
    const { c } = controller(1);
    const all = await Promise.all(Array.from({ length: 100 }, () => execute(c.admit({ info: pods(), user: admin }))));
    const exempt = c.levelStats().find((s) => s.name === 'exempt')!;
    assert.equal(exempt.executing, 100);
    assert.equal(exempt.dispatched, 100);
    assert.equal(exempt.waiting, 0);
    for (const a of all) a.release();
    assert.equal(c.levelStats().find((s) => s.name === 'exempt')!.executing, 0);
  });

  it('a Reject level rejects at its limit with concurrency-limit', async () => {
    const { c } = controller(2);
    const a = await execute(c.admit({ info: pods(), user: alice }));
    const b = await execute(c.admit({ info: pods(), user: bob }));
    const third = await c.admit({ info: pods(), user: who('eve') });
    assert.equal(third.outcome, 'reject');
    assert.deepEqual(names(third), ['catch-all', 'catch-all']);
    await rejected(Promise.resolve(third), 'concurrency-limit');
    a.release();
    a.release();
    const c3 = await execute(c.admit({ info: pods(), user: who('eve') }));
    // The double release above freed no second seat.
    await rejected(c.admit({ info: pods(), user: who('eve') }), 'concurrency-limit');
    b.release();
    c3.release();
    const stats = c.levelStats().find((s) => s.name === 'catch-all')!;
    assert.deepEqual([stats.executing, stats.dispatched, stats.rejected], [0, 3, 2]);
  });

  it('a Queue level queues at its limit and rejects queue-full past the queue length', async () => {
    const { c } = controller(2);
    apply(c, tightConfig({ queues: 1, handSize: 1, queueLengthLimit: 2 }));
    const first = await execute(c.admit({ info: pods(), user: bob }));
    const w1 = c.admit({ info: pods(), user: bob });
    const w2 = c.admit({ info: pods(), user: who('carol') });
    assert.equal(await isPending(w1), true);
    assert.equal(await isPending(w2), true);
    await rejected(c.admit({ info: pods(), user: bob }), 'queue-full');
    const tight = c.levelStats().find((s) => s.name === 'tight')!;
    assert.deepEqual([tight.executing, tight.waiting, tight.rejected, tight.activeQueues], [1, 2, 1, 1]);
    first.release();
    const second = await execute(w1);
    assert.equal(await isPending(w2), true);
    second.release();
    (await execute(w2)).release();
  });

  it('times out a request that waited requestWaitLimitMs', async () => {
    const { c } = controller(2, { waitMs: 25 });
    apply(c, tightConfig({ queues: 4, handSize: 1, queueLengthLimit: 5 }));
    const first = await execute(c.admit({ info: pods(), user: bob }));
    const started = Date.now();
    await rejected(c.admit({ info: pods(), user: bob }), 'time-out');
    assert.ok(Date.now() - started >= 20);
    const tight = c.levelStats().find((s) => s.name === 'tight')!;
    assert.deepEqual([tight.waiting, tight.timedOut, tight.rejected], [0, 1, 1]);
    first.release();
    assert.equal(c.levelStats().find((s) => s.name === 'tight')!.executing, 0);
  });

  it('cancels a waiting request whose signal aborts', async () => {
    const { c } = controller(2);
    apply(c, tightConfig({ queues: 4, handSize: 1, queueLengthLimit: 5 }));
    const first = await execute(c.admit({ info: pods(), user: bob }));
    const gone = new AbortController();
    const waiting = c.admit({ info: pods(), user: bob }, gone.signal);
    assert.equal(await isPending(waiting), true);
    gone.abort();
    await rejected(waiting, 'cancelled');
    const tight = c.levelStats().find((s) => s.name === 'tight')!;
    assert.deepEqual([tight.waiting, tight.cancelled, tight.rejected], [0, 1, 1]);
    first.release();
    assert.equal(c.levelStats().find((s) => s.name === 'tight')!.executing, 0);
  });

  it('one busy flow cannot starve another of the same level', async () => {
    const { c, clock } = controller(2);
    apply(c, tightConfig({ queues: 64, handSize: 1, queueLengthLimit: 50 }));
    // bob's flow and another user's flow land in different queues.
    const dealer = new Dealer(64, 1);
    const queueOf = (user: string) => dealer.deal(hashFlowID('tight', user))[0];
    const other = ['carol', 'dave'].find((u) => queueOf(u) !== queueOf('bob'));
    assert.ok(other);
    const order: string[] = [];
    const running: Executing[] = [];
    const track = (user: UserInfo) =>
      c.admit({ info: pods(), user }).then((a) => {
        if (a.outcome === 'execute') {
          order.push(user.username);
          running.push(a);
        }
        return a;
      });
    await track(bob);
    const waits = Array.from({ length: 8 }, () => track(bob));
    clock.t += 1;
    waits.push(track(who(other)), track(who(other)));
    // One seat: serve the requests one after the other, 10 ms each.
    for (let i = 0; i < 10; i++) {
      clock.t += 10;
      assert.equal(running.length, 1);
      running.shift()!.release();
      await settle();
    }
    running.shift()!.release();
    await Promise.all(waits);
    assert.equal(order.length, 11);
    // After bob's first request, the other flow's two are served within the next four, not after
    // bob's eight.
    assert.equal(order.slice(1, 5).filter((u) => u === other).length, 2, order.join(' '));
  });
});

describe('APFController: configuration changes', () => {
  it('keeps waiting requests across an update, and dispatches them when the limit grows', async () => {
    const { c } = controller(2);
    const config = tightConfig({ queues: 4, handSize: 1, queueLengthLimit: 5 });
    c.update(config.flowSchemas, config.priorityLevels);
    const first = await execute(c.admit({ info: pods(), user: bob }));
    const waiting = c.admit({ info: pods(), user: bob });
    assert.equal(await isPending(waiting), true);
    // Same shares, other queuing: the request stays queued.
    const requeued = tightConfig({ queues: 2, handSize: 1, queueLengthLimit: 5 });
    c.update(requeued.flowSchemas, requeued.priorityLevels);
    assert.equal(await isPending(waiting), true);
    assert.equal(c.levelStats().find((s) => s.name === 'tight')!.waiting, 1);
    // tight: 10 of 15 shares of 2 seats → 2 seats: the waiting request goes at once.
    const bigger = tightConfig({ queues: 2, handSize: 1, queueLengthLimit: 5 }, 10);
    c.update(bigger.flowSchemas, bigger.priorityLevels);
    assert.equal(c.levelStats().find((s) => s.name === 'tight')!.nominalLimit, 2);
    const second = await execute(waiting);
    assert.equal(second.classification.priorityLevel.metadata.name, 'tight');
    first.release();
    second.release();
  });

  it('a level that leaves drains its executing and waiting requests, takes nothing new, then goes', async () => {
    const { c } = controller(2);
    const config = tightConfig({ queues: 4, handSize: 1, queueLengthLimit: 5 });
    c.update(config.flowSchemas, config.priorityLevels);
    const first = await execute(c.admit({ info: pods(), user: bob }));
    const waiting = c.admit({ info: pods(), user: bob });
    assert.equal(await isPending(waiting), true);

    // The level is deleted; its schema stays (dangling now).
    c.update(config.flowSchemas, MANDATORY.priorityLevels);
    assert.match(c.dumpPriorityLevels(), /^tight,\s+1,\s+false,\s+true,\s+1,\s+1,/m);
    const elsewhere = await execute(c.admit({ info: pods(), user: bob }));
    assert.deepEqual(names(elsewhere), ['catch-all', 'catch-all']);
    elsewhere.release();

    first.release();
    const second = await execute(waiting);
    assert.equal(second.classification.priorityLevel.metadata.name, 'tight');
    assert.ok(c.levelStats().some((s) => s.name === 'tight'));
    second.release();
    assert.deepEqual(
      c.levelStats().map((s) => s.name),
      ['catch-all', 'exempt'],
    );
    // Its shares no longer count: catch-all has the whole server again.
    assert.equal(c.levelStats().find((s) => s.name === 'catch-all')!.nominalLimit, 2);
  });

  it('a level that comes back before draining is the same level again', async () => {
    const { c } = controller(2);
    const config = tightConfig({ queues: 4, handSize: 1, queueLengthLimit: 5 });
    c.update(config.flowSchemas, config.priorityLevels);
    const first = await execute(c.admit({ info: pods(), user: bob }));
    c.update(config.flowSchemas, MANDATORY.priorityLevels);
    c.update(config.flowSchemas, config.priorityLevels);
    assert.match(c.dumpPriorityLevels(), /^tight,\s+0,\s+false,\s+false,\s+0,\s+1,/m);
    // Still one seat, held by `first`.
    const waiting = c.admit({ info: pods(), user: bob });
    assert.equal(await isPending(waiting), true);
    first.release();
    (await execute(waiting)).release();
  });
});

describe('APFController: metrics hooks', () => {
  it('reports dispatches (exempt too), rejections with their reason, and waits of non-exempt requests', async () => {
    const calls: string[] = [];
    const metrics: FlowControlMetrics = {
      dispatched: (fs, pl) => calls.push(`dispatched ${fs} ${pl}`),
      rejected: (fs, pl, reason) => calls.push(`rejected ${fs} ${pl} ${reason}`),
      waited: (fs, pl, executed, seconds) => calls.push(`waited ${fs} ${pl} ${executed} ${seconds}`),
    };
    const { c, clock } = controller(2, { metrics });
    apply(c, tightConfig({ queues: 1, handSize: 1, queueLengthLimit: 1 }));
    (await execute(c.admit({ info: pods(), user: admin }))).release();
    const first = await execute(c.admit({ info: pods(), user: bob }));
    const waiting = c.admit({ info: pods(), user: bob });
    await rejected(c.admit({ info: pods(), user: bob }), 'queue-full');
    clock.t += 1500;
    first.release();
    (await execute(waiting)).release();
    assert.deepEqual(calls, [
      'dispatched exempt exempt',
      'dispatched tight tight',
      'waited tight tight true 0',
      'rejected tight tight queue-full',
      'waited tight tight false 0',
      'dispatched tight tight',
      'waited tight tight true 1.5',
    ]);
  });
});

describe('APFController: debug dumps', () => {
  /** Start offsets of each whitespace-separated cell. */
  const offsets = (line: string) => [...line.matchAll(/\S+/g)].map((m) => m.index);

  it('dump_priority_levels: a header and one aligned row per level, by name', async () => {
    const { c } = controller(600);
    c.update(MANDATORY.flowSchemas, [...MANDATORY.priorityLevels, ...SUGGESTED_LEVELS]);
    const a = await execute(c.admit({ info: pods(), user: admin }));
    const lines = c.dumpPriorityLevels().trimEnd().split('\n');
    assert.equal(
      lines[0]!.replace(/\s+/g, ' '),
      'PriorityLevelName, ActiveQueues, IsIdle, IsQuiescing, WaitingRequests, ExecutingRequests, DispatchedRequests, RejectedRequests, TimedoutRequests, CancelledRequests',
    );
    assert.deepEqual(
      lines.slice(1).map((l) => l.split(',')[0]),
      BUILT_IN_LEVEL_NAMES,
    );
    for (const l of lines) assert.deepEqual(offsets(l), offsets(lines[0]!), `misaligned: ${l}`);
    // Go's tabwriter: each cell padded to the widest in its column plus one blank.
    assert.ok(lines[0]!.startsWith('PriorityLevelName, ActiveQueues, IsIdle,'));
    assert.ok(lines[2]!.startsWith('exempt,            0,            false,  false,       0,               1,'));
    a.release();
    assert.match(c.dumpPriorityLevels(), /^exempt,\s+0,\s+true,\s+false,\s+0,\s+0,\s+1,\s+0,\s+0,\s+0\n/m);
  });

  it('dump_queues: one row per queue of the queuing levels', async () => {
    const { c } = controller(2);
    apply(c, tightConfig({ queues: 3, handSize: 1, queueLengthLimit: 5 }));
    const first = await execute(c.admit({ info: pods(), user: bob }));
    const waiting = c.admit({ info: pods(), user: bob });
    const lines = c.dumpQueues().trimEnd().split('\n');
    assert.equal(
      lines[0]!.replace(/\s+/g, ' '),
      'PriorityLevelName, Index, PendingRequests, ExecutingRequests, SeatsInUse, NextDispatchR, InitialSeatsSum, MaxSeatsSum, TotalWorkSum',
    );
    assert.equal(lines.length, 4, 'three queues of tight; exempt and catch-all have none');
    const cells = lines.slice(1).map((l) => l.split(/,\s*/));
    assert.deepEqual(
      cells.map((r) => r.slice(0, 5)),
      [0, 1, 2].map((i) => {
        const q = new Dealer(3, 1).deal(hashFlowID('tight', 'bob'))[0];
        return ['tight', String(i), i === q ? '1' : '0', i === q ? '1' : '0', i === q ? '1' : '0'];
      }),
    );
    for (const r of cells) assert.match(r[5]!, /^\d+\.\d{8}ss$/);
    for (const l of lines) assert.deepEqual(offsets(l), offsets(lines[0]!));
    first.release();
    (await execute(waiting)).release();
  });

  it('dump_requests: waiting ones by queue and position, executing ones at -1, with details on request', async () => {
    const { c } = controller(2);
    apply(c, tightConfig({ queues: 1, handSize: 1, queueLengthLimit: 5 }));
    const exempt = await execute(c.admit({ info: pods('kube-system', 'get'), user: admin }));
    const first = await execute(c.admit({ info: pods(), user: bob }));
    const waiting = c.admit({ info: pods('team-a', 'create'), user: bob });
    const plain = c.dumpRequests(false).trimEnd().split('\n');
    assert.equal(
      plain[0]!.replace(/\s+/g, ' '),
      'PriorityLevelName, FlowSchemaName, QueueIndex, RequestIndexInQueue, FlowDistingsher, ArriveTime, InitialSeats, FinalSeats, AdditionalLatency, StartTime',
    );
    const rows = plain.slice(1).map((l) => l.split(/,\s*/));
    assert.deepEqual(
      rows.map((r) => r.slice(0, 5)),
      [
        ['exempt', 'exempt', '-1', '-1', ''],
        ['tight', 'tight', '0', '0', ''],
        ['tight', 'tight', '0', '-1', ''],
      ],
    );
    for (const r of rows) assert.match(r[5]!, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
    assert.deepEqual(
      rows.map((r) => r.slice(6, 9)),
      rows.map(() => ['1', '0', '0s']),
    );
    assert.equal(rows[1]![9], '0001-01-01T00:00:00Z', 'a waiting request has not started');
    const detailed = c.dumpRequests(true).trimEnd().split('\n');
    assert.ok(
      detailed[0]!
        .replace(/\s+/g, ' ')
        .endsWith(', UserName, Verb, APIPath, Namespace, Name, APIVersion, Resource, SubResource'),
    );
    assert.deepEqual(detailed[2]!.split(/,\s*/).slice(10), [
      'bob',
      'create',
      '/api/v1/namespaces/team-a/pods',
      'team-a',
      '',
      'v1',
      'pods',
      '',
    ]);
    exempt.release();
    first.release();
    (await execute(waiting)).release();
    assert.equal(c.dumpRequests(false).trimEnd().split('\n').length, 1);
  });
});

describe('APFController: borrowing between levels', () => {
  /** upstream's built-in objects, as the apiserver keeps them. */
  const builtIn = () => {
    const { c, clock } = controller(600);
    c.update(
      [...MANDATORY_FLOW_SCHEMAS, ...SUGGESTED_FLOW_SCHEMAS],
      [...MANDATORY_PRIORITY_LEVELS, ...SUGGESTED_PRIORITY_LEVELS],
    );
    return { c, clock };
  };
  const stat = (c: APFController, name: string) => c.levelStats().find((s) => s.name === name)!;
  const limitsOf = (c: APFController) => Object.fromEntries(c.levelStats().map((s) => [s.name, s.currentLimit]));
  /** A plain user: the global-default level, one flow. */
  const plain = who('plain');

  it('shares the seats out at once by the levels’ lower limits when nothing has been asked of them', () => {
    const { c } = builtIn();
    const bounds = Object.fromEntries(c.levelStats().map((s) => [s.name, [s.lowerLimit, s.upperLimit]]));
    // nominal − round(nominal × lendablePercent), nominal + the server's 600 (no borrowingLimitPercent).
    assert.deepEqual(bounds, {
      'catch-all': [13, 613],
      exempt: [0, 600],
      'global-default': [24, 649],
      'leader-election': [25, 625],
      'node-high': [73, 698],
      system: [50, 674],
      'workload-high': [49, 698],
      'workload-low': [24, 845],
    });
    // The Σ nominal 602 in proportion to those lower limits: fair fraction 602/258.
    assert.deepEqual(limitsOf(c), {
      'catch-all': 30,
      exempt: 0,
      'global-default': 56,
      'leader-election': 58,
      'node-high': 170,
      system: 117,
      'workload-high': 114,
      'workload-low': 56,
    });
    assert.ok(Math.abs(c.seatFairFrac() - 602 / 258) < 1e-3, String(c.seatFairFrac()));
  });

  it('a level in demand borrows at the next adjustment, its queue drains into the new seats, and the total stays', async () => {
    const { c, clock } = builtIn();
    const held = Array.from({ length: 300 }, () => c.admit({ info: pods(), user: plain }));
    await settle();
    assert.deepEqual([stat(c, 'global-default').executing, stat(c, 'global-default').waiting], [56, 244]);
    clock.t += BORROWING_ADJUSTMENT_PERIOD_MS;
    c.adjustBorrowing();
    const gd = stat(c, 'global-default');
    assert.deepEqual(
      [gd.demandHighWatermark, gd.demandAverage, gd.demandStdDev, gd.demandSmoothed, gd.target],
      [300, 300, 0, 300, 300],
    );
    // 602 × 300 / (300 + the others' lower limits, 234): the lenders keep at least those.
    const fair = 602 / 534.001;
    assert.ok(Math.abs(c.seatFairFrac() - fair) < 1e-6, String(c.seatFairFrac()));
    assert.deepEqual(limitsOf(c), {
      'catch-all': Math.round(13 * fair),
      exempt: 0,
      'global-default': 338,
      'leader-election': Math.round(25 * fair),
      'node-high': Math.round(73 * fair),
      system: Math.round(50 * fair),
      'workload-high': Math.round(49 * fair),
      'workload-low': Math.round(24 * fair),
    });
    assert.deepEqual([gd.executing, gd.waiting], [300, 0], 'the waiting requests got the borrowed seats');
    const admissions = await Promise.all(held);
    for (const a of admissions) assert.equal(a.outcome, 'execute');
    for (const a of admissions) if (a.outcome === 'execute') a.release();
    // The demand is gone, but its smoothed memory decays slowly (a half-life of five minutes).
    clock.t += BORROWING_ADJUSTMENT_PERIOD_MS;
    c.adjustBorrowing();
    const after = stat(c, 'global-default');
    assert.equal(after.demandHighWatermark, 300, 'the period started with 300 wanted');
    assert.ok(Math.abs(after.demandSmoothed - 0.977 * 300) < 1e-9, String(after.demandSmoothed));
    assert.ok(after.currentLimit > 300, String(after.currentLimit));
  });

  it('a level with borrowingLimitPercent 0 never goes past its nominal limit; one that lends nothing keeps it', async () => {
    const { c, clock } = controller(600);
    const levels = [...MANDATORY_PRIORITY_LEVELS, ...SUGGESTED_PRIORITY_LEVELS].map((pl) => {
      if (pl.metadata.name !== 'global-default') return pl;
      const copy = structuredClone(pl) as PriorityLevelConfiguration;
      copy.spec!.limited!.borrowingLimitPercent = 0;
      return copy;
    });
    c.update([...MANDATORY_FLOW_SCHEMAS, ...SUGGESTED_FLOW_SCHEMAS], levels);
    assert.deepEqual([stat(c, 'global-default').lowerLimit, stat(c, 'global-default').upperLimit], [24, 49]);
    assert.equal(stat(c, 'global-default').currentLimit, 49, 'its share of the start-up allocation, capped');
    const held = Array.from({ length: 300 }, () => c.admit({ info: pods(), user: plain }));
    await settle();
    clock.t += BORROWING_ADJUSTMENT_PERIOD_MS;
    c.adjustBorrowing();
    assert.deepEqual([stat(c, 'global-default').currentLimit, stat(c, 'global-default').executing], [49, 49]);
    for (const name of ['leader-election', 'catch-all']) {
      const l = stat(c, name);
      assert.ok(l.currentLimit >= l.nominalLimit, `${name}: ${l.currentLimit} < ${l.nominalLimit}`);
    }
    for (const p of held) void p.then((a) => a.outcome === 'execute' && a.release());
    for (let i = 0; i < 10 && stat(c, 'global-default').executing > 0; i++) await settle();
  });

  it('the exempt level’s demand takes seats from the others, though it is never limited', async () => {
    const { c, clock } = builtIn();
    const before = limitsOf(c);
    const held = await Promise.all(Array.from({ length: 100 }, () => execute(c.admit({ info: pods(), user: admin }))));
    clock.t += BORROWING_ADJUSTMENT_PERIOD_MS;
    c.adjustBorrowing();
    const after = limitsOf(c);
    assert.ok(after.exempt! > 50, `exempt ${after.exempt}`);
    assert.ok(after['workload-low']! < before['workload-low']!, `workload-low ${after['workload-low']}`);
    for (const a of held) a.release();
  });
});

describe('APFController: Retry-After', () => {
  it('grows while a level keeps dropping requests', async () => {
    const { c, clock } = controller(2);
    apply(c, tightConfig(undefined));
    const first = await execute(c.admit({ info: pods(), user: bob }));
    const retryAfter = async () => {
      const a = await c.admit({ info: pods(), user: bob });
      assert.equal(a.outcome, 'reject');
      return a.outcome === 'reject' ? a.retryAfterSeconds : 0;
    };
    for (let i = 0; i < 5; i++) assert.equal(await retryAfter(), 1);
    clock.t += 1000;
    assert.equal(await retryAfter(), 2, '5 drops in the second before');
    clock.t += 60_000;
    assert.equal(await retryAfter(), 1, 'a quiet minute later');
    first.release();
  });
});
