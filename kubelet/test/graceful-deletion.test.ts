// Graceful pod deletion end to end, with a real kubelet running real processes and real kubectl:
// the apiserver marks the pod, the kubelet sends SIGTERM, waits out the grace period before SIGKILL,
// reports the terminal phase and deletes the pod with no grace left; the pod GC force-deletes a
// pod bound to a node that no longer exists, and a terminating pod on an out-of-service node.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Event, Node, Pod } from '@mkube/shared/api';
import type { WatchEvent } from '@mkube/shared/client';
import { kubectl } from '../../apiserver/test/server/fixture.ts';
import { waitFor } from '../../controller-manager/test/fixture.ts';
import { type NodeCluster, startNodeCluster, type TestKubelet } from './fixture.ts';

const NODE = 'node-graceful';

describe('graceful pod deletion', () => {
  let c: NodeCluster;
  let k: TestKubelet;
  let dir = '';
  const pods = () => c.admin.resource<Pod>({ group: '', version: 'v1', resource: 'pods', namespace: 'default' });

  /** Every event of pod `name` until it is deleted. */
  async function followUntilDeleted(name: string): Promise<WatchEvent<Pod>[]> {
    const w = await pods().watch({ fieldSelector: `metadata.name=${name}`, signal: AbortSignal.timeout(30_000) });
    const seen: WatchEvent<Pod>[] = [];
    try {
      for await (const ev of w) {
        seen.push(ev);
        if (ev.type === 'DELETED') break;
      }
    } catch (e) {
      assert.fail(`${name} was not deleted within 30 s (${(e as Error).message}); saw ${seen.map((x) => x.type)}`);
    } finally {
      w.close();
    }
    assert.equal(seen.at(-1)?.type, 'DELETED', `${name} was not deleted; saw ${seen.map((x) => x.type)}`);
    return seen;
  }

  const running = (name: string) =>
    waitFor(`${name} running`, async () => {
      const p = await pods().get(name);
      return p.status?.containerStatuses?.[0]?.state?.running ? p : undefined;
    });

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mkube-graceful-'));
    c = await startNodeCluster({ kcm: false });
    await c.startKcm(['--leader-elect=false'], { podGC: { periodMs: 300, quarantineMs: 1000 } });
    k = await c.startKubelet(NODE);
    await k.kubelet.ready;
  });
  after(async () => {
    await c?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('sends SIGTERM, reports the terminal phase, then deletes the pod; kubectl delete waits for that', async () => {
    const marker = join(dir, 'term');
    await pods().create({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'polite', namespace: 'default' },
      spec: {
        nodeName: NODE,
        terminationGracePeriodSeconds: 20,
        containers: [
          {
            name: 'main',
            image: 'busybox',
            command: ['sh', '-c', `trap 'echo got TERM > ${marker}; exit 0' TERM; while :; do sleep 0.1; done`],
          },
        ],
      },
    });
    await running('polite');
    const events = followUntilDeleted('polite');
    const started = Date.now();
    const del = await kubectl(c.fx, ['delete', 'pod', 'polite']);
    assert.equal(del.status, 0, del.err);
    assert.ok(Date.now() - started < 15_000, 'the process left on SIGTERM: no need to wait out 20 s');
    assert.equal(readFileSync(marker, 'utf8'), 'got TERM\n');
    const seen = await events;
    const marked = seen.find((e) => e.type === 'MODIFIED' && e.object.metadata?.deletionTimestamp);
    assert.equal(marked?.object.metadata?.deletionGracePeriodSeconds, 20);
    const last = seen.filter((e) => e.type === 'MODIFIED').at(-1)!.object;
    assert.equal(last.status?.phase, 'Succeeded', 'exited 0 on SIGTERM');
    assert.equal(last.status?.containerStatuses?.[0]?.state?.terminated?.exitCode, 0);
    assert.equal(seen.at(-1)?.type, 'DELETED');
    const killing = await waitFor('the Killing Event', async () => {
      const evs = (
        await c.admin.resource<Event>({ group: '', version: 'v1', resource: 'events', namespace: 'default' }).list()
      ).items.filter((e) => e.involvedObject?.name === 'polite' && e.reason === 'Killing');
      return evs.length ? evs : undefined;
    });
    assert.equal(killing[0]!.message, 'Stopping container main');
  });

  it('kills a process that ignores SIGTERM once the grace period is over; the pod ends Failed', async () => {
    await pods().create({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'stubborn', namespace: 'default' },
      spec: {
        nodeName: NODE,
        terminationGracePeriodSeconds: 2,
        containers: [
          { name: 'main', image: 'busybox', command: ['sh', '-c', "trap '' TERM; while :; do sleep 0.1; done"] },
        ],
      },
    });
    await running('stubborn');
    const events = followUntilDeleted('stubborn');
    const started = Date.now();
    const del = await kubectl(c.fx, ['delete', 'pod', 'stubborn']);
    assert.equal(del.status, 0, del.err);
    const took = Date.now() - started;
    assert.ok(took >= 1_800, `SIGKILL only after the 2 s grace period (took ${took} ms)`);
    const seen = await events;
    const last = seen.filter((e) => e.type === 'MODIFIED').at(-1)!.object;
    assert.equal(last.status?.phase, 'Failed');
    assert.notEqual(last.status?.containerStatuses?.[0]?.state?.terminated?.exitCode, 0);
  });

  it('the pod GC force-deletes a pod bound to a node that does not exist, marked Failed first', async () => {
    await pods().create({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'orphan', namespace: 'default' },
      spec: { nodeName: 'node-gone', containers: [{ name: 'main', image: 'busybox' }] },
    });
    const seen = await followUntilDeleted('orphan');
    const failed = seen.find((e) => e.type === 'MODIFIED' && e.object.status?.phase === 'Failed');
    assert.ok(failed, 'marked Failed before deletion');
    const cond = failed.object.status?.conditions?.find((x) => x.type === 'DisruptionTarget');
    assert.deepEqual(
      [cond?.status, cond?.reason, cond?.message],
      ['True', 'DeletionByPodGC', 'PodGC: node no longer exists'],
    );
  });

  it('the pod GC ends a terminating pod on a not-ready node tainted out-of-service', async () => {
    const nodes = c.admin.resource<Node>({ group: '', version: 'v1', resource: 'nodes' });
    // A node whose kubelet is gone for good, as an admin declares with the out-of-service taint.
    await nodes.create({
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: 'node-dead' },
      spec: { taints: [{ key: 'node.kubernetes.io/out-of-service', value: 'nodeshutdown', effect: 'NoExecute' }] },
    });
    await pods().create({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'stranded', namespace: 'default' },
      spec: {
        nodeName: 'node-dead',
        containers: [{ name: 'main', image: 'busybox' }],
        // Only the pod GC may end it: the taint eviction controller leaves a pod that tolerates the taint.
        tolerations: [{ key: 'node.kubernetes.io/out-of-service', operator: 'Exists', effect: 'NoExecute' }],
      },
    });
    const del = await kubectl(c.fx, ['delete', 'pod', 'stranded', '--wait=false']);
    assert.equal(del.status, 0, del.err);
    assert.ok((await pods().get('stranded')).metadata?.deletionTimestamp, 'Terminating: no kubelet to confirm');
    await waitFor('stranded gone', async () => {
      try {
        await pods().get('stranded');
        return undefined;
      } catch {
        return true;
      }
    });
  });

  it("kubectl drain evicts the node's pods through the Eviction API; a node may evict only its own", async () => {
    await pods().create({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'drained', namespace: 'default' },
      spec: { nodeName: NODE, containers: [{ name: 'main', image: 'busybox', command: ['sleep', '600'] }] },
    });
    await running('drained');
    const body = { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: 'drained', namespace: 'default' } };
    const other = await c.nodeClient('node-other');
    await assert.rejects(
      other.request('POST', '/api/v1/namespaces/default/pods/drained/eviction', { body }),
      /node node-other can only evict pods with spec.nodeName set to itself/,
    );
    await assert.rejects(
      c.admin.request('POST', '/api/v1/namespaces/default/pods/drained/eviction', {
        body: { ...body, metadata: { name: 'someone-else' } },
      }),
      /name in URL does not match name in Eviction object/,
    );
    const events = followUntilDeleted('drained');
    const drain = await kubectl(c.fx, ['drain', NODE, '--force', '--timeout=60s']);
    assert.equal(drain.status, 0, drain.err);
    const out = drain.out + drain.err;
    assert.match(out, /node\/node-graceful cordoned/);
    assert.match(out, /evicting pod default\/drained/);
    assert.match(out, /pod\/drained evicted/);
    assert.match(out, /node\/node-graceful drained/);
    const seen = await events;
    const marked = seen.find((e) => e.type === 'MODIFIED' && e.object.metadata?.deletionTimestamp)?.object;
    assert.equal(
      marked?.status?.conditions?.find((x) => x.type === 'DisruptionTarget')?.reason,
      'EvictionByEvictionAPI',
    );
    const node = await c.admin.resource<Node>({ group: '', version: 'v1', resource: 'nodes' }).get(NODE);
    assert.equal(node.spec?.unschedulable, true);
    assert.equal((await kubectl(c.fx, ['uncordon', NODE])).status, 0);
  });

  it('kubectl drain waits on a PodDisruptionBudget with no disruption to spare, and goes once it allows one', async () => {
    await pods().create({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'guarded', namespace: 'default', labels: { app: 'guarded' } },
      spec: { nodeName: NODE, containers: [{ name: 'main', image: 'busybox', command: ['sleep', '600'] }] },
    });
    await running('guarded');
    assert.equal(
      (await kubectl(c.fx, ['create', 'pdb', 'guarded', '--selector=app=guarded', '--min-available=1'])).status,
      0,
    );
    // The disruption controller counts the kubelet's Ready pod: one healthy, one needed, none to spare.
    const pdbs = c.admin.resource<{ status?: { currentHealthy: number; observedGeneration?: number } } & Pod>({
      group: 'policy',
      version: 'v1',
      resource: 'poddisruptionbudgets',
      namespace: 'default',
    });
    for (let i = 0; i < 100; i++) {
      const b = await pdbs.get('guarded');
      if (b.status?.observedGeneration === 1 && b.status.currentHealthy === 1) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const blocked = await kubectl(c.fx, ['drain', NODE, '--force', '--timeout=7s']);
    assert.notEqual(blocked.status, 0);
    assert.match(
      blocked.out + blocked.err,
      /error when evicting pods\/"guarded" -n "default" \(will retry after 5s\): Cannot evict pod as it would violate the pod's disruption budget\./,
    );
    assert.equal((await pods().get('guarded')).metadata.deletionTimestamp, undefined, 'the pod was left alone');
    assert.equal(
      (await kubectl(c.fx, ['patch', 'pdb', 'guarded', '--type=merge', '-p', '{"spec":{"minAvailable":0}}'])).status,
      0,
    );
    const drain = await kubectl(c.fx, ['drain', NODE, '--force', '--timeout=60s']);
    assert.equal(drain.status, 0, drain.err);
    assert.match(drain.out + drain.err, /pod\/guarded evicted/);
    assert.equal((await kubectl(c.fx, ['uncordon', NODE])).status, 0);
  });
});
