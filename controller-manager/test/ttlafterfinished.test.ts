// The ttl-after-finished controller with the job controller and the garbage collector: a Job
// finished for ttlSecondsAfterFinished is deleted in the foreground (its pods first); a Job
// without a TTL stays.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Job, Pod } from '@mkube/shared/api';
import { isNotFound } from '@mkube/shared/apierrors';
import { type Cluster, startCluster, waitFor } from './fixture.ts';

const NS = 'default';
const JOBS = { group: 'batch', version: 'v1', resource: 'jobs', namespace: NS } as const;
const PODS = { group: '', version: 'v1', resource: 'pods', namespace: NS } as const;

describe('ttl-after-finished-controller', () => {
  let cl: Cluster;
  before(async () => {
    cl = await startCluster();
    await cl.startKcm(
      [
        '--leader-elect=false',
        '--controllers=job-controller,ttl-after-finished-controller,garbage-collector-controller',
      ],
      { job: { batchPeriodMs: 50 } },
    );
  });
  after(async () => cl?.close());

  const jobs = () => cl.admin.resource<Job>(JOBS);
  const pods = () => cl.admin.resource<Pod>(PODS);

  /** Returns when the Job finished, as its completionTime says (whole seconds, truncated). */
  async function runToCompletion(name: string, ttl?: number): Promise<number> {
    await jobs().create({
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name, namespace: NS },
      spec: {
        ...(ttl !== undefined ? { ttlSecondsAfterFinished: ttl } : {}),
        template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] } },
      },
    });
    const pod = await waitFor(`pod of ${name}`, async () => {
      const ps = (await pods().list({ labelSelector: `batch.kubernetes.io/job-name=${name}` })).items;
      return ps[0];
    });
    await pods().updateSubresource(pod.metadata?.name ?? '', 'status', {
      ...pod,
      status: { ...pod.status, phase: 'Succeeded' },
    });
    const done = await waitFor(`${name} Complete`, async () => {
      const j = await jobs().get(name);
      return j.status?.conditions?.some((c) => c.type === 'Complete' && c.status === 'True') ? j : undefined;
    });
    return Date.parse(done.status?.completionTime ?? '');
  }

  it('deletes a finished Job and its pods once its TTL has passed, and not before', async () => {
    await runToCompletion('forever');
    const finishedAt = await runToCompletion('short', 2);
    assert.ok(Number.isFinite(finishedAt), 'a completionTime');
    let last = '';
    // Still there within the TTL.
    assert.ok(await jobs().get('short'));
    await waitFor(
      'short deleted',
      async () => {
        try {
          const j = await jobs().get('short');
          const ps = (await pods().list({ labelSelector: 'batch.kubernetes.io/job-name=short' })).items;
          last = JSON.stringify({ meta: j.metadata, pods: ps.map((p) => p.metadata) });
          return undefined;
        } catch (e) {
          if (isNotFound(e)) return true;
          throw e;
        }
      },
      15_000,
    ).catch((e) => {
      throw new Error(`${(e as Error).message}: ${last}`);
    });
    // Deleted no earlier than completionTime + 2 s (completionTime is truncated, so never later than it).
    assert.ok(Date.now() - finishedAt >= 2000, `deleted before its TTL: ${Date.now() - finishedAt} ms`);
    await waitFor('its pods deleted', async () => {
      const ps = (await pods().list({ labelSelector: 'batch.kubernetes.io/job-name=short' })).items;
      return ps.length === 0 ? true : undefined;
    });
    assert.ok(await jobs().get('forever'), 'a Job without a TTL stays');
  });
});
