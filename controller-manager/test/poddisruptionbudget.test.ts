// The disruption controller against a real apiserver, with the real kubectl and curl: it keeps each
// PodDisruptionBudget's status from the pods it selects, so pods/eviction lets exactly the budget's
// disruptions through; evicted pods that never go are counted again after DeletionTimeout, and a
// DisruptionTarget condition left behind is set back to False (both timeouts shortened here).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Event, Pod, PodDisruptionBudget } from '@mkube/shared/api';
import { curl, kubectl } from '../../apiserver/test/server/fixture.ts';
import { type Cluster, startCluster, waitFor } from './fixture.ts';

const PDBS = { group: 'policy', version: 'v1', resource: 'poddisruptionbudgets', namespace: 'default' } as const;
const PODS = { group: '', version: 'v1', resource: 'pods', namespace: 'default' } as const;

describe('disruption-controller', () => {
  let c: Cluster;
  before(async () => {
    c = await startCluster();
    await c.startKcm(['--leader-elect=false'], { disruption: { deletionTimeoutMs: 4000, staleTimeoutMs: 3000 } });
  });
  after(async () => c?.close());

  const k = async (args: string[]) => {
    const r = await kubectl(c.fx, args);
    assert.equal(r.status, 0, `kubectl ${args.join(' ')}: ${r.err}`);
    return r.out;
  };
  const budget = (name: string) => c.admin.resource<PodDisruptionBudget>(PDBS).get(name);
  const status = (name: string, want: (b: PodDisruptionBudget) => boolean, what: string) =>
    waitFor(what, async () => {
      const b = await budget(name);
      return want(b) ? b : undefined;
    });
  const readyPod = async (name: string, labels: string, extra: string[] = []) => {
    await k(['run', name, '--image=busybox', `--labels=${labels}`, '--restart=Never', ...extra]);
    const st = {
      status: {
        phase: 'Running',
        conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: new Date().toISOString() }],
      },
    };
    await k(['patch', 'pod', name, '--subresource=status', '--type=merge', '-p', JSON.stringify(st)]);
  };
  const evict = (pod: string) =>
    curl(c.fx, `/api/v1/namespaces/default/pods/${pod}/eviction`, [
      '-X',
      'POST',
      '-H',
      'Content-Type: application/json',
      '-d',
      JSON.stringify({ apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: pod, namespace: 'default' } }),
    ]);
  const events = async (name: string) =>
    (
      await c.admin.resource<Event>({ group: '', version: 'v1', resource: 'events', namespace: 'default' }).list()
    ).items.filter((e) => e.involvedObject?.name === name);

  it('observes a new budget: no pods, no disruption allowed, the NoPods event', async () => {
    await k(['create', 'pdb', 'web', '--selector=app=web', '--min-available=1']);
    const b = await status('web', (x) => x.status?.observedGeneration === 1, 'web observed');
    assert.equal(b.status?.expectedPods, 0);
    assert.equal(b.status?.disruptionsAllowed, 0);
    const cond = b.status?.conditions?.find((x) => x.type === 'DisruptionAllowed');
    assert.equal(cond?.status, 'False');
    assert.equal(cond?.reason, 'InsufficientPods');
    await waitFor(
      'the NoPods event',
      async () =>
        (await events('web')).some((e) => e.reason === 'NoPods' && e.message === 'No matching pods found') || undefined,
    );
  });

  it('counts ready pods, allows what is above minAvailable, and evictions spend exactly that', async () => {
    await readyPod('web-1', 'app=web');
    await readyPod('web-2', 'app=web');
    // An unready one counts as expected but not healthy.
    await k(['run', 'web-3', '--image=busybox', '--labels=app=web', '--restart=Never']);
    const b = await status('web', (x) => x.status?.currentHealthy === 2 && x.status.expectedPods === 3, 'two healthy');
    assert.equal(b.status?.desiredHealthy, 1);
    assert.equal(b.status?.disruptionsAllowed, 1);
    const cond = b.status?.conditions?.find((x) => x.type === 'DisruptionAllowed');
    assert.equal(cond?.status, 'True');
    assert.equal(cond?.reason, 'SufficientPods');
    assert.match(await k(['get', 'pdb', 'web']), /\nweb\s+1\s+N\/A\s+1\s+/);

    let r = await evict('web-1');
    assert.equal(r.code, 201, r.body);
    await status('web', (x) => x.status?.currentHealthy === 1 && x.status.disruptionsAllowed === 0, 'one healthy left');
    r = await evict('web-2');
    assert.equal(r.code, 429, r.body);
    assert.deepEqual(JSON.parse(r.body).details.causes, [
      { reason: 'DisruptionBudget', message: 'The disruption budget web needs 1 healthy pods and has 1 currently' },
    ]);
    // A third ready pod makes room again.
    await readyPod('web-4', 'app=web');
    await status('web', (x) => x.status?.disruptionsAllowed === 1, 'room again');
    assert.equal((await evict('web-2')).code, 201);
  });

  it('an evicted pod that never goes counts again after DeletionTimeout (NotDeleted event)', async () => {
    await k(['create', 'pdb', 'held', '--selector=app=held', '--min-available=1']);
    await readyPod('held-1', 'app=held');
    await readyPod('held-2', 'app=held');
    await status('held', (x) => x.status?.disruptionsAllowed === 1, 'held allows one');
    // The eviction is recorded by hand, as one whose delete failed would leave it.
    const b = await budget('held');
    await c.admin.resource<PodDisruptionBudget>(PDBS).updateSubresource('held', 'status', {
      ...b,
      status: {
        ...b.status!,
        disruptionsAllowed: 0,
        disruptedPods: { 'held-1': new Date().toISOString().replace(/\.\d+Z$/, 'Z') },
      },
    });
    // The controller keeps the entry and counts the pod out while its deletion is awaited.
    await status(
      'held',
      (x) => Object.keys(x.status?.disruptedPods ?? {}).length === 1 && x.status?.currentHealthy === 1,
      'the evicted pod not counted healthy',
    );
    await status('held', (x) => !x.status?.disruptedPods && x.status?.currentHealthy === 2, 'counted again');
    await waitFor(
      'the NotDeleted event',
      async () =>
        (await events('held-1')).some(
          (e) => e.reason === 'NotDeleted' && /to be deleted but it wasn't/.test(e.message ?? ''),
        ) || undefined,
    );
  });

  it('sets a stale DisruptionTarget condition back to False', async () => {
    await readyPod('stale', 'app=stale');
    const pods = c.admin.resource<Pod>(PODS);
    const p = await pods.get('stale');
    await pods.updateSubresource('stale', 'status', {
      ...p,
      status: {
        ...p.status,
        conditions: [
          ...(p.status?.conditions ?? []),
          {
            type: 'DisruptionTarget',
            status: 'True',
            reason: 'EvictionByEvictionAPI',
            message: 'Eviction API: evicting',
            lastTransitionTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
          },
        ],
      },
    });
    await waitFor(
      'the condition reset',
      async () => {
        const cur = await pods.get('stale');
        return cur.status?.conditions?.find((x) => x.type === 'DisruptionTarget')?.status === 'False' || undefined;
      },
      15_000,
    );
  });

  it("a percentage or maxUnavailable budget counts the pods a Deployment's or StatefulSet's scale wants, not the pods there are", async () => {
    await k(['create', 'deployment', 'dep', '--image=busybox', '--replicas=4']);
    await k(['create', 'pdb', 'dep', '--selector=app=dep', '--max-unavailable=1']);
    const d = await status('dep', (x) => x.status?.expectedPods === 4, 'dep expects 4 pods');
    assert.equal(d.status?.desiredHealthy, 3);
    assert.equal(d.status?.currentHealthy, 0, 'no kubelet here: no pod is Ready');
    assert.equal(d.status?.disruptionsAllowed, 0);
    // Scaling the Deployment changes what the budget expects (its pods come and go with it).
    await k(['scale', 'deployment/dep', '--replicas=2']);
    const s = await status('dep', (x) => x.status?.expectedPods === 2, 'dep expects 2 pods');
    assert.equal(s.status?.desiredHealthy, 1);
    await k(['delete', 'deployment', 'dep']);
  });

  it('maxUnavailable over unmanaged pods: the UnmanagedPods warning; a pod with an unknown controller: SyncFailed', async () => {
    await k(['create', 'pdb', 'api', '--selector=app=api', '--max-unavailable=1']);
    await readyPod('api-1', 'app=api');
    const b = await status('api', (x) => x.status?.observedGeneration === 1, 'api observed');
    assert.equal(b.status?.expectedPods, 0);
    assert.equal(b.status?.disruptionsAllowed, 0);
    await waitFor(
      'the UnmanagedPods event',
      async () =>
        (await events('api')).some(
          (e) =>
            e.reason === 'UnmanagedPods' && e.type === 'Warning' && e.message?.includes('set ".spec.minAvailable"'),
        ) || undefined,
    );
    await k(['create', 'pdb', 'owned', '--selector=app=owned', '--min-available=50%']);
    await k(['run', 'owned-1', '--image=busybox', '--labels=app=owned', '--restart=Never']);
    const pods = c.admin.resource<Pod>(PODS);
    const p = await pods.get('owned-1');
    await pods.update({
      ...p,
      metadata: {
        ...p.metadata,
        ownerReferences: [
          // A kind no finder knows (and the garbage collector cannot resolve, so the pod stays).
          {
            apiVersion: 'example.com/v1',
            kind: 'Widget',
            name: 'w',
            uid: '1f9b6c7e-0000-4000-8000-000000000001',
            controller: true,
          },
        ],
      },
    });
    const failed = await status(
      'owned',
      (x) => x.status?.conditions?.some((y) => y.reason === 'SyncFailed') === true,
      'owned fails safe',
    );
    const cond = failed.status?.conditions?.find((x) => x.type === 'DisruptionAllowed');
    assert.equal(cond?.status, 'False');
    assert.equal(cond?.message, 'found no controllers for pod "owned-1"');
    assert.equal(failed.status?.disruptionsAllowed, 0);
  });
});
