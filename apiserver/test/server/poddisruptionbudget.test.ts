// policy/v1 PodDisruptionBudgets and what pods/eviction does with them, through the real server, the
// real kubectl and curl. The budgets' status is written here by hand, as the disruption controller
// would (its own test runs it), so each branch of the eviction is reached on purpose.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { curl, type Fixture, kubectl, startFixture } from './fixture.ts';

async function ok(fx: Fixture, args: string[]): Promise<string> {
  const r = await kubectl(fx, args);
  assert.equal(r.status, 0, `kubectl ${args.join(' ')}: ${r.err}`);
  return r.out;
}

function evict(fx: Fixture, pod: string, dryRun = false) {
  return curl(fx, `/api/v1/namespaces/default/pods/${pod}/eviction${dryRun ? '?dryRun=All' : ''}`, [
    '-X',
    'POST',
    '-H',
    'Content-Type: application/json',
    '-d',
    JSON.stringify({ apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: pod, namespace: 'default' } }),
  ]);
}

async function pod(fx: Fixture, name: string, labels: string, phase: 'Pending' | 'Running', ready: boolean) {
  await ok(fx, ['run', name, '--image=busybox', `--labels=${labels}`, '--restart=Never']);
  const status = {
    status: {
      phase,
      conditions: [{ type: 'Ready', status: ready ? 'True' : 'False', lastTransitionTime: new Date().toISOString() }],
    },
  };
  await ok(fx, ['patch', 'pod', name, '--subresource=status', '--type=merge', '-p', JSON.stringify(status)]);
}

async function budgetStatus(fx: Fixture, name: string, status: Record<string, unknown>) {
  await ok(fx, ['patch', 'pdb', name, '--subresource=status', '--type=merge', '-p', JSON.stringify({ status })]);
}

const getJson = async (fx: Fixture, args: string[]) => JSON.parse(await ok(fx, [...args, '-o', 'json']));

describe('PodDisruptionBudgets (policy/v1) and evictions', () => {
  let fx: Fixture;
  before(async () => {
    fx = await startFixture(['--authorization-mode=RBAC']);
  });
  after(async () => fx?.close());

  it('kubectl creates and lists budgets; a new one has an empty status and generation 1', async () => {
    await ok(fx, ['create', 'poddisruptionbudget', 'web', '--selector=app=web', '--min-available=1']);
    await ok(fx, ['create', 'pdb', 'api', '--selector=app=api', '--max-unavailable=50%']);
    const table = await ok(fx, ['get', 'pdb']);
    assert.match(table, /^NAME\s+MIN AVAILABLE\s+MAX UNAVAILABLE\s+ALLOWED DISRUPTIONS\s+AGE\n/);
    assert.match(table, /\napi\s+N\/A\s+50%\s+0\s+\d+s\n/);
    assert.match(table, /\nweb\s+1\s+N\/A\s+0\s+\d+s\n/);
    const web = await getJson(fx, ['get', 'pdb', 'web']);
    assert.equal(web.metadata.generation, 1);
    assert.deepEqual(web.status, { disruptionsAllowed: 0, currentHealthy: 0, desiredHealthy: 0, expectedPods: 0 });
    // A spec change is a new generation; a status write is not.
    await ok(fx, ['patch', 'pdb', 'api', '--type=merge', '-p', '{"spec":{"maxUnavailable":1}}']);
    await budgetStatus(fx, 'api', { observedGeneration: 2, expectedPods: 3 });
    const api = await getJson(fx, ['get', 'pdb', 'api']);
    assert.equal(api.metadata.generation, 2);
    assert.equal(api.spec.maxUnavailable, 1);
    assert.equal(api.status.expectedPods, 3);
    await ok(fx, ['delete', 'pdb', 'api']);
  });

  it("refuses what upstream's validation refuses", async () => {
    const cases: [unknown, RegExp][] = [
      [{ minAvailable: 1, maxUnavailable: 1 }, /minAvailable and maxUnavailable cannot be both set/],
      [{ minAvailable: '150%' }, /spec\.minAvailable: Invalid value: "150%": must not be greater than 100%/],
      [{ maxUnavailable: 'half' }, /spec\.maxUnavailable: Invalid value: "half": a valid percent string must be/],
      [{ minAvailable: -1 }, /spec\.minAvailable: Invalid value: -1: must be greater than or equal to 0/],
      [{ unhealthyPodEvictionPolicy: 'Sometimes' }, /spec\.unhealthyPodEvictionPolicy: Unsupported value: "Sometimes"/],
      [{ selector: { matchLabels: { 'bad key!': 'x' } } }, /spec\.selector\.matchLabels: Invalid value: "bad key!"/],
    ];
    for (const [spec, want] of cases) {
      const r = await curl(fx, '/apis/policy/v1/namespaces/default/poddisruptionbudgets', [
        '-X',
        'POST',
        '-H',
        'Content-Type: application/json',
        '-d',
        JSON.stringify({ apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: 'bad' }, spec }),
      ]);
      assert.equal(r.code, 422, r.body);
      assert.match(JSON.parse(r.body).message, want);
    }
    const negative = await kubectl(fx, [
      'patch',
      'pdb',
      'web',
      '--subresource=status',
      '--type=merge',
      '-p',
      '{"status":{"disruptionsAllowed":-1}}',
    ]);
    assert.notEqual(negative.status, 0);
    assert.match(negative.err, /status\.disruptionsAllowed: Invalid value: -1: must be greater than or equal to 0/);
  });

  it('an eviction waits (429) until the budget is observed, and while it allows no disruption', async () => {
    await pod(fx, 'web-1', 'app=web', 'Running', true);
    let r = await evict(fx, 'web-1');
    assert.equal(r.code, 429, r.body);
    let s = JSON.parse(r.body);
    assert.equal(s.reason, 'TooManyRequests');
    assert.equal(s.message, "Cannot evict pod as it would violate the pod's disruption budget.");
    assert.deepEqual(s.details.causes, [
      { reason: 'DisruptionBudget', message: 'The disruption budget web is still being processed by the server.' },
    ]);
    assert.equal(s.details.retryAfterSeconds, 10);

    await budgetStatus(fx, 'web', {
      observedGeneration: 1,
      currentHealthy: 1,
      desiredHealthy: 1,
      expectedPods: 1,
      disruptionsAllowed: 0,
    });
    r = await evict(fx, 'web-1');
    assert.equal(r.code, 429, r.body);
    s = JSON.parse(r.body);
    assert.deepEqual(s.details.causes, [
      { reason: 'DisruptionBudget', message: 'The disruption budget web needs 1 healthy pods and has 1 currently' },
    ]);
    // kubectl drain's own eviction call reports it the same way.
    const d = await kubectl(fx, ['get', 'pod', 'web-1', '-o', 'name']);
    assert.equal(d.out.trim(), 'pod/web-1');
  });

  it('with a disruption to spare it evicts, spends it and records the pod; a dry run changes nothing', async () => {
    await budgetStatus(fx, 'web', { disruptionsAllowed: 1, currentHealthy: 2, expectedPods: 2 });
    let r = await evict(fx, 'web-1', true);
    assert.equal(r.code, 201, r.body);
    assert.equal((await getJson(fx, ['get', 'pdb', 'web'])).status.disruptionsAllowed, 1);
    assert.equal((await kubectl(fx, ['get', 'pod', 'web-1'])).status, 0);

    r = await evict(fx, 'web-1');
    assert.equal(r.code, 201, r.body);
    assert.equal(JSON.parse(r.body).status, 'Success');
    const pdb = await getJson(fx, ['get', 'pdb', 'web']);
    assert.equal(pdb.status.disruptionsAllowed, 0);
    assert.deepEqual(Object.keys(pdb.status.disruptedPods), ['web-1']);
    const cond = pdb.status.conditions.find((c: { type: string }) => c.type === 'DisruptionAllowed');
    assert.equal(cond.status, 'False');
    assert.equal(cond.reason, 'InsufficientPods');
    assert.notEqual((await kubectl(fx, ['get', 'pod', 'web-1'])).status, 0, 'web-1 is gone');
  });

  it('needs no budget for a pending pod; an unready one goes without spending when the budget is met', async () => {
    await pod(fx, 'web-pending', 'app=web', 'Pending', false);
    assert.equal((await evict(fx, 'web-pending')).code, 201);
    await pod(fx, 'web-unready', 'app=web', 'Running', false);
    // Healthy enough (2 of 1): the unready pod may go, and nothing is spent.
    await budgetStatus(fx, 'web', { disruptionsAllowed: 0, currentHealthy: 2, desiredHealthy: 1 });
    assert.equal((await evict(fx, 'web-unready')).code, 201);
    assert.equal((await getJson(fx, ['get', 'pdb', 'web'])).status.disruptionsAllowed, 0);
    // Not healthy enough: an unready pod counts against the budget like any other...
    await pod(fx, 'web-unready2', 'app=web', 'Running', false);
    await budgetStatus(fx, 'web', { currentHealthy: 0, desiredHealthy: 1 });
    assert.equal((await evict(fx, 'web-unready2')).code, 429);
    // ...unless the budget says AlwaysAllow.
    await ok(fx, [
      'patch',
      'pdb',
      'web',
      '--type=merge',
      '-p',
      '{"spec":{"unhealthyPodEvictionPolicy":"AlwaysAllow"}}',
    ]);
    assert.equal((await evict(fx, 'web-unready2')).code, 201);
  });

  it('a pod under two budgets cannot be evicted (500); a budget with an empty selector does not count', async () => {
    // kubectl create pdb insists on a selector; a manifest may select everything with `{}`.
    const r0 = await curl(fx, '/apis/policy/v1/namespaces/default/poddisruptionbudgets', [
      '-X',
      'POST',
      '-H',
      'Content-Type: application/json',
      '-d',
      JSON.stringify({
        apiVersion: 'policy/v1',
        kind: 'PodDisruptionBudget',
        metadata: { name: 'everything' },
        spec: { selector: {}, minAvailable: 5 },
      }),
    ]);
    assert.equal(r0.code, 201, r0.body);
    const everything = await getJson(fx, ['get', 'pdb', 'everything']);
    assert.deepEqual(everything.spec.selector ?? {}, {});
    await pod(fx, 'db-1', 'app=db', 'Running', true);
    assert.equal((await evict(fx, 'db-1', true)).code, 201, 'the empty selector matched the pod');
    await ok(fx, ['create', 'pdb', 'db-a', '--selector=app=db', '--min-available=0']);
    await ok(fx, ['create', 'pdb', 'db-b', '--selector=app=db', '--min-available=0']);
    const r = await evict(fx, 'db-1');
    assert.equal(r.code, 500, r.body);
    assert.equal(
      JSON.parse(r.body).message,
      'This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.',
    );
  });

  it('is in discovery as policy/v1 with the short name pdb and registered as an APIService', async () => {
    const list = JSON.parse((await curl(fx, '/apis/policy/v1')).body);
    const pdb = list.resources.find((r: { name: string }) => r.name === 'poddisruptionbudgets');
    assert.deepEqual(pdb.shortNames, ['pdb']);
    assert.ok(list.resources.some((r: { name: string }) => r.name === 'poddisruptionbudgets/status'));
    assert.equal(
      (await ok(fx, ['get', 'apiservice', 'v1.policy', '-o', 'jsonpath={.spec.groupPriorityMinimum}'])).trim(),
      '17100',
    );
  });
});
