// API Priority and Fairness through a real apiserver (the default, --enable-priority-and-fairness):
// every classified request names its FlowSchema and priority level in X-Kubernetes-PF-* headers; a
// Reject level answers 429 at its limit, a Queue level holds a request until a seat frees and answers
// 429 when the flow's queue is full; the gate runs before authorization, so a request that will be
// denied still takes its turn; the rejections are counted in /metrics and the levels are dumped at
// /debug/api_priority_and_fairness (kubectl's view of the objects: flowcontrol-config.test.ts).
// --max-requests-inflight=1 with --max-mutating-requests-inflight=0
// gives the server one seat, so every limited level gets one nominally; the test's own levels
// neither lend nor borrow (borrowingLimitPercent 0), so the periodic borrowing keeps them at one.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { ClientHttp2Session } from 'node:http2';
import { after, before, describe, it } from 'node:test';
import WebSocket from 'ws';
import { type Fixture, issueClient, startFixture } from './fixture.ts';
import { h2Request, openH2 } from './h2requests.ts';

const GROUP_PATH = '/apis/flowcontrol.apiserver.k8s.io/v1';
const ALL_RULES = {
  resourceRules: [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'], namespaces: ['*'], clusterScope: true }],
  nonResourceRules: [{ verbs: ['*'], nonResourceURLs: ['*'] }],
};
const ns = (name: string) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
const cm = (name: string) =>
  JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { k: 'v' } });

describe('API Priority and Fairness', { timeout: 90_000 }, () => {
  let fx: Fixture;
  const sessions: Record<string, ClientHttp2Session> = {};
  const creds: Record<string, { crt: string; key: string }> = {};

  const open = (creds: { crt: string; key: string }) => openH2(fx.url, fx.pki.caCrt, creds);
  const send = (who: string, method: string, path: string, body?: string) =>
    h2Request(sessions[who]!, method, path, body);
  const admin = async (method: string, path: string, body?: unknown) => {
    const a = await send('admin', method, path, body === undefined ? undefined : JSON.stringify(body)).answer;
    return { ...a, json: a.body.startsWith('{') ? JSON.parse(a.body) : undefined };
  };
  const uidOf = async (resource: string, name: string): Promise<string> =>
    (await admin('GET', `${GROUP_PATH}/${resource}/${name}`)).json.metadata.uid;
  const settle = () => new Promise((r) => setTimeout(r, 250));

  before(async () => {
    fx = await startFixture([
      '--authorization-mode=Node,RBAC',
      '--max-requests-inflight=1',
      '--max-mutating-requests-inflight=0',
    ]);
    // system:masters: the exempt FlowSchema (the fixture's admin is kubeadm:cluster-admins, global-default).
    sessions.admin = open(await issueClient(fx, 'breakglass', ['system:masters']));
    for (const name of ['alice', 'bob', 'carol']) {
      creds[name] = await issueClient(fx, name);
      sessions[name] = open(creds[name]);
    }
    // alice and bob may write ConfigMaps; carol may do nothing.
    for (const user of ['alice', 'bob']) {
      const r = await admin('POST', '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings', {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRoleBinding',
        metadata: { name: `${user}-admin` },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' },
        subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: user }],
      });
      assert.equal(r.status, 201, r.body);
    }
    const level = (name: string, limitResponse: unknown) =>
      admin('POST', `${GROUP_PATH}/prioritylevelconfigurations`, {
        apiVersion: 'flowcontrol.apiserver.k8s.io/v1',
        kind: 'PriorityLevelConfiguration',
        metadata: { name },
        spec: { type: 'Limited', limited: { nominalConcurrencyShares: 1, borrowingLimitPercent: 0, limitResponse } },
      });
    const schema = (name: string, pl: string, users: string[]) =>
      admin('POST', `${GROUP_PATH}/flowschemas`, {
        apiVersion: 'flowcontrol.apiserver.k8s.io/v1',
        kind: 'FlowSchema',
        metadata: { name },
        spec: {
          priorityLevelConfiguration: { name: pl },
          matchingPrecedence: 50,
          distinguisherMethod: { type: 'ByUser' },
          rules: [{ subjects: users.map((u) => ({ kind: 'User', user: { name: u } })), ...ALL_RULES }],
        },
      });
    for (const r of [
      await level('tiny-reject', { type: 'Reject' }),
      await level('tiny-queue', { type: 'Queue', queuing: { queues: 1, handSize: 1, queueLengthLimit: 1 } }),
      await schema('alice-and-carol', 'tiny-reject', ['alice', 'carol']),
      await schema('bob', 'tiny-queue', ['bob']),
    ])
      assert.equal(r.status, 201, r.body);
    // The dispatcher follows the store: wait until alice's requests are classified by the new schema.
    const want = await uidOf('flowschemas', 'alice-and-carol');
    for (let i = 0; i < 100; i++) {
      const a = await send('alice', 'GET', '/api/v1/namespaces/default').answer;
      if (a.headers['x-kubernetes-pf-flowschema-uid'] === want) break;
      await new Promise((r) => setTimeout(r, 50));
    }
  });
  after(async () => {
    for (const s of Object.values(sessions)) s.destroy();
    await fx?.close();
  });

  it('names the FlowSchema and priority level of every request in X-Kubernetes-PF-* headers', async () => {
    const byAdmin = await send('admin', 'GET', '/api/v1/namespaces').answer;
    assert.equal(byAdmin.status, 200);
    assert.equal(byAdmin.headers['x-kubernetes-pf-flowschema-uid'], await uidOf('flowschemas', 'exempt'));
    assert.equal(
      byAdmin.headers['x-kubernetes-pf-prioritylevel-uid'],
      await uidOf('prioritylevelconfigurations', 'exempt'),
    );
    const byAlice = await send('alice', 'GET', '/api/v1/namespaces/default').answer;
    assert.equal(byAlice.headers['x-kubernetes-pf-flowschema-uid'], await uidOf('flowschemas', 'alice-and-carol'));
    assert.equal(
      byAlice.headers['x-kubernetes-pf-prioritylevel-uid'],
      await uidOf('prioritylevelconfigurations', 'tiny-reject'),
    );
    // The built-in schemas: a user in no other schema falls to global-default.
    const dave = open(await issueClient(fx, 'dave'));
    try {
      const h = await new Promise<Record<string, unknown>>((resolve) => {
        const s = dave.request({ ':method': 'GET', ':path': '/version' });
        s.on('response', resolve);
        s.resume();
      });
      assert.equal(h['x-kubernetes-pf-flowschema-uid'], await uidOf('flowschemas', 'global-default'));
    } finally {
      dave.destroy();
    }
  });

  it('a Reject level answers 429 at its limit, before authorization; a freed seat serves again', async () => {
    const held = send('alice', 'POST', '/api/v1/namespaces/default/configmaps');
    held.stream.write(cm('held').slice(0, 10));
    await settle();
    const second = await send('alice', 'GET', '/api/v1/namespaces/default/configmaps').answer;
    assert.equal(second.status, 429);
    assert.equal(second.headers['retry-after'], '1');
    assert.equal(second.body, 'Too many requests, please try again later.\n');
    assert.equal(second.headers['x-kubernetes-pf-flowschema-uid'], await uidOf('flowschemas', 'alice-and-carol'));
    // carol shares the level: though she may do nothing, she is turned away by flow control first.
    assert.equal((await send('carol', 'GET', '/api/v1/namespaces/default/secrets').answer).status, 429);
    // Other levels are not affected.
    assert.equal((await send('bob', 'GET', '/api/v1/namespaces/default').answer).status, 200);
    held.stream.end(cm('held').slice(10));
    assert.equal((await held.answer).status, 201);
    assert.equal((await send('alice', 'GET', '/api/v1/namespaces/default/configmaps/held').answer).status, 200);
    assert.equal((await send('carol', 'GET', '/api/v1/namespaces/default/secrets').answer).status, 403);
  });

  it('a Queue level holds a request until a seat frees, and rejects when the flow’s queue is full', async () => {
    const held = send('bob', 'POST', '/api/v1/namespaces/default/configmaps');
    held.stream.write(cm('bob-held').slice(0, 10));
    await settle();
    const queued = send('bob', 'GET', '/api/v1/namespaces/default/configmaps/bob-held');
    let queuedDone = false;
    void queued.answer.then(() => (queuedDone = true));
    await settle();
    assert.equal(queuedDone, false, 'the second request waits in the queue');
    const third = await send('bob', 'GET', '/api/v1/namespaces/default').answer;
    assert.equal(third.status, 429, 'the queue (length 1) is full');
    const waiting = (await admin('GET', '/metrics')).body;
    assert.match(
      waiting,
      /^apiserver_flowcontrol_current_inqueue_requests\{flow_schema="bob",priority_level="tiny-queue"\} 1$/m,
    );
    held.stream.end(cm('bob-held').slice(10));
    assert.equal((await held.answer).status, 201);
    const q = await queued.answer;
    assert.equal(q.status, 200, 'the queued request ran once the seat was free, after the create');
    assert.equal(JSON.parse(q.body).metadata.name, 'bob-held');
  });

  it('a waiting request whose client goes away leaves the queue', async () => {
    const held = send('bob', 'POST', '/api/v1/namespaces/default/configmaps');
    held.stream.write(cm('bob-held-2').slice(0, 10));
    await settle();
    const gone = send('bob', 'GET', '/api/v1/namespaces/default');
    gone.answer.catch(() => {});
    await settle();
    gone.stream.close();
    await settle();
    // Its place is free again: the next request queues (not 429) and runs once the seat is free.
    const next = send('bob', 'GET', '/api/v1/namespaces/default');
    await settle();
    held.stream.end(cm('bob-held-2').slice(10));
    assert.equal((await held.answer).status, 201);
    assert.equal((await next.answer).status, 200);
  });

  it('a watch holds its seat until it is initialized (its initial events sent), not while it runs', async () => {
    // 6 MB of initial events, more than the client's flow-control windows and the socket's buffers hold.
    assert.equal((await admin('POST', '/api/v1/namespaces', ns('apf-big'))).status, 201);
    const big = 'x'.repeat(1000 * 1000);
    for (let i = 0; i < 6; i++) {
      const r = await admin('POST', '/api/v1/namespaces/apf-big/configmaps', {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: `big-${i}` },
        data: { big },
      });
      assert.equal(r.status, 201, r.body);
    }
    // bob's level has one seat. His watch asks for the current state first and does not read it yet.
    const watch = sessions.bob!.request({
      ':method': 'GET',
      ':path': '/api/v1/namespaces/apf-big/configmaps?watch=true&resourceVersion=0',
    });
    watch.pause();
    let watchStatus = 0;
    watch.on('response', (h) => {
      watchStatus = Number(h[':status']);
    });
    await settle();
    assert.equal(watchStatus, 200);
    const queued = send('bob', 'GET', '/api/v1/namespaces/default');
    let queuedDone = false;
    void queued.answer.then(() => (queuedDone = true));
    await settle();
    assert.equal(queuedDone, false, 'the next request waits for the seat the initializing watch holds');
    // Read the initial events: the watch is initialized and gives its seat back, and keeps running.
    let received = 0;
    watch.on('data', (d: Buffer) => {
      received += d.length;
    });
    watch.resume();
    assert.equal((await queued.answer).status, 200);
    for (let i = 0; i < 100 && received < 6 * 1000 * 1000; i++) await new Promise((r) => setTimeout(r, 50));
    assert.ok(received > 6 * 1000 * 1000, `${received} bytes of initial events`);
    assert.equal((await send('bob', 'GET', '/api/v1/namespaces/default').answer).status, 200);
    assert.equal(watch.closed, false, 'the watch runs on without its seat');
    watch.close();

    // The same over WebSocket: once its initial events are out, its seat is free for the next request.
    const ws = new WebSocket(
      `${fx.url.replace('https', 'wss')}/api/v1/namespaces/apf-big/configmaps?watch=true&resourceVersion=0`,
      { ca: readFileSync(fx.pki.caCrt), cert: readFileSync(creds.bob!.crt), key: readFileSync(creds.bob!.key) },
    );
    let events = 0;
    ws.on('message', () => events++);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    const next = await Promise.race([
      send('bob', 'GET', '/api/v1/namespaces/default').answer.then((a) => a.status),
      new Promise((r) => setTimeout(() => r('still waiting for the seat'), 10_000)),
    ]);
    assert.equal(next, 200);
    for (let i = 0; i < 100 && events < 6; i++) await new Promise((r) => setTimeout(r, 50));
    assert.equal(events, 6, 'the six initial events');
    assert.equal(ws.readyState, WebSocket.OPEN);
    ws.close();
  });

  it('a write that ten watches will hear of holds a final seat for 5 ms (the work estimate)', async () => {
    // The exempt admin's watches count as much as anyone's: the write's cost is its watchers' work.
    const watches = Array.from({ length: 10 }, () =>
      send('admin', 'GET', '/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=0'),
    );
    for (const w of watches) w.answer.catch(() => {});
    await settle();
    const held = send('alice', 'POST', '/api/v1/namespaces/default/configmaps');
    held.stream.write(cm('estimated').slice(0, 10));
    await settle();
    // dump_requests' PriorityLevelName, FlowSchemaName, QueueIndex, RequestIndexInQueue,
    // FlowDistingsher, ArriveTime, InitialSeats, FinalSeats, AdditionalLatency, StartTime: the seats.
    const seatsOfHeld = async () => {
      const dump = (await admin('GET', '/debug/api_priority_and_fairness/dump_requests')).body;
      const row = dump.split('\n').find((l) => l.startsWith('tiny-reject,'));
      assert.ok(row, dump);
      return row.split(/,\s*/).slice(6, 9);
    };
    assert.deepEqual(await seatsOfHeld(), ['1', '1', '5ms']);
    for (const w of watches) w.stream.close();
    await settle();
    held.stream.end(cm('estimated').slice(10));
    assert.equal((await held.answer).status, 201);
    // Its final seat stays taken 5 ms after the answer (the level's only one); then, with the watches
    // gone, the next write is one seat and nothing after.
    await settle();
    const next = send('alice', 'POST', '/api/v1/namespaces/default/configmaps');
    next.stream.write(cm('estimated-2').slice(0, 10));
    await settle();
    assert.deepEqual(await seatsOfHeld(), ['1', '0', '0s']);
    next.stream.end(cm('estimated-2').slice(10));
    assert.equal((await next.answer).status, 201);
  });

  it('counts rejections in /metrics and dumps the levels at /debug/api_priority_and_fairness', async () => {
    // A list whose limit does not parse is estimated at the level's most (10 seats; it then fails validation).
    assert.equal((await admin('GET', '/api/v1/configmaps?limit=abc')).status, 400);
    const m = (await admin('GET', '/metrics')).body;
    /** A series' value, found by its labels in any order. */
    const series = (name: string, labels: string[]) => {
      const line = m.split('\n').find((l) => l.startsWith(`${name}{`) && labels.every((x) => l.includes(x)));
      assert.ok(line, `${name} ${labels}`);
      return Number(line.split(' ').at(-1));
    };
    const bucket = (name: string, labels: string[], le: string) => series(`${name}_bucket`, [...labels, `le="${le}"`]);
    // Estimated seats, the larger of initial and final: the exempt admin's requests one each, but the list of 10.
    const exempt = ['priority_level="exempt"', 'flow_schema="exempt"'];
    const workSeats = 'apiserver_flowcontrol_work_estimated_seats';
    assert.ok(bucket(workSeats, exempt, '1') >= 10);
    assert.equal(bucket(workSeats, exempt, '10') - bucket(workSeats, exempt, '4'), 1);
    // The watches a write counted: alice's write heard by ten watches, her next one by none.
    const alice = ['priority_level="tiny-reject"', 'flow_schema="alice-and-carol"'];
    const watchSamples = 'apiserver_flowcontrol_watch_count_samples';
    assert.ok(bucket(watchSamples, alice, '0') >= 1);
    assert.equal(bucket(watchSamples, alice, '10') - bucket(watchSamples, alice, '1'), 1);
    // How long requests held their seats: bob's held create over 0.2 s; his two watches until initialized.
    const bob = ['priority_level="tiny-queue"', 'flow_schema="bob"'];
    const execution = 'apiserver_flowcontrol_request_execution_seconds';
    const regular = [...bob, 'type="regular"'];
    assert.ok(bucket(execution, regular, '+Inf') - bucket(execution, regular, '0.2') >= 1);
    assert.ok(bucket(execution, [...bob, 'type="watch"'], '+Inf') >= 2);
    // Every one of bob's queued requests found its queue (length 1 at most) holding just itself.
    const queueLength = 'apiserver_flowcontrol_request_queue_length_after_enqueue';
    const enqueued = series(`${queueLength}_count`, bob);
    assert.ok(enqueued >= 5, `${enqueued} enqueued`);
    assert.equal(series(`${queueLength}_sum`, bob), enqueued);
    const count = (labels: string) => {
      const line = m.split('\n').find((l) => l.startsWith(`apiserver_flowcontrol_rejected_requests_total{${labels}}`));
      return line ? Number(line.split(' ').at(-1)) : 0;
    };
    assert.ok(count('flow_schema="alice-and-carol",priority_level="tiny-reject",reason="concurrency-limit"') >= 2, m);
    assert.ok(count('flow_schema="bob",priority_level="tiny-queue",reason="queue-full"') >= 1);
    assert.match(m, /apiserver_flowcontrol_nominal_limit_seats\{priority_level="tiny-queue"\} 1\n/);
    // Borrowing: the test's levels are pinned to their one seat; the built-in ones have their bounds.
    for (const g of ['lower_limit_seats', 'upper_limit_seats', 'current_limit_seats'])
      assert.match(m, new RegExp(`^apiserver_flowcontrol_${g}\\{priority_level="tiny-queue"\\} 1$`, 'm'), g);
    assert.match(m, /^apiserver_flowcontrol_upper_limit_seats\{priority_level="global-default"\} 2$/m);
    for (const g of ['demand_seats_high_watermark', 'demand_seats_average', 'demand_seats_smoothed', 'target_seats'])
      assert.match(
        m,
        new RegExp(`^apiserver_flowcontrol_${g}\\{priority_level="global-default"\\} [0-9.e+-]+$`, 'm'),
        g,
      );
    assert.match(m, /^apiserver_flowcontrol_seat_fair_frac [0-9.e+-]+$/m);
    // The queued request's pair stays, at 0 now that nothing waits.
    assert.match(
      m,
      /^apiserver_flowcontrol_current_inqueue_requests\{flow_schema="bob",priority_level="tiny-queue"\} 0$/m,
    );
    assert.match(
      m,
      /apiserver_flowcontrol_dispatched_requests_total\{flow_schema="exempt",priority_level="exempt"\} \d+/,
    );
    // The built-in objects' first pass is a post-start hook the health checks wait for.
    const ready = await admin('GET', '/readyz?verbose');
    assert.match(ready.body, /^\[\+\]poststarthook\/priority-and-fairness-config-producer ok$/m);
    const dump = await admin('GET', '/debug/api_priority_and_fairness/dump_priority_levels');
    assert.equal(dump.status, 200);
    assert.match(dump.body, /^PriorityLevelName/);
    for (const level of ['exempt', 'catch-all', 'global-default', 'tiny-reject', 'tiny-queue'])
      assert.match(dump.body, new RegExp(`^${level},`, 'm'));
    // A non-resource path like any other: carol may not read it.
    assert.equal(
      (await send('carol', 'GET', '/debug/api_priority_and_fairness/dump_priority_levels').answer).status,
      403,
    );
  });

  it('a level that keeps dropping requests answers a growing Retry-After', async () => {
    const held = send('alice', 'POST', '/api/v1/namespaces/default/configmaps');
    held.stream.write(cm('retry-after').slice(0, 10));
    await settle();
    // Ten drops at once; however they fall across a second's boundary, the first drop of a later
    // second sees at least 3 in the retryAfter (1 s) before it, and doubles it.
    let last = 0;
    for (let i = 0; i < 10; i++) {
      const r = await send('carol', 'GET', '/api/v1/namespaces/default').answer;
      assert.equal(r.status, 429);
      last = Date.now();
    }
    await new Promise((r) => setTimeout(r, 1000 - (last % 1000) + 20));
    const later = await send('carol', 'GET', '/api/v1/namespaces/default').answer;
    assert.equal(later.status, 429);
    assert.equal(later.headers['retry-after'], '2');
    held.stream.end(cm('retry-after').slice(10));
    assert.equal((await held.answer).status, 201);
  });
});
