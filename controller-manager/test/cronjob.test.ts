// The cronjob controller against a real apiserver, with the controller's clock moved forward
// instead of waiting for the minute: the Job `<cronjob>-<minutes since epoch>` with upstream's
// annotation, labels and owner; Forbid skipping while one is active; the completed Job seen, the
// next one made, and the history limit trimming the oldest.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { CronJob, Event, Job } from '@mkube/shared/api';
import { type Cluster, startCluster, waitFor } from './fixture.ts';

const NS = 'default';
const CRONJOBS = { group: 'batch', version: 'v1', resource: 'cronjobs', namespace: NS } as const;
const JOBS = { group: 'batch', version: 'v1', resource: 'jobs', namespace: NS } as const;
const EVENTS = { group: '', version: 'v1', resource: 'events', namespace: NS } as const;

describe('cronjob-controller', () => {
  let cl: Cluster;
  let offsetMs = 0;
  before(async () => {
    cl = await startCluster();
    await cl.startKcm(['--leader-elect=false', '--controllers=cronjob-controller'], {
      batchNow: () => Date.now() + offsetMs,
    });
  });
  after(async () => cl?.close());

  const cronJobs = () => cl.admin.resource<CronJob>(CRONJOBS);
  const jobs = () => cl.admin.resource<Job>(JOBS);
  const jobsOf = async (cj: CronJob) =>
    (await jobs().list()).items
      .filter((j) => j.metadata?.ownerReferences?.some((r) => r.uid === cj.metadata?.uid))
      .sort((a, b) => (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''));
  const eventsOf = async (name: string) =>
    (await cl.admin.resource<Event>(EVENTS).list()).items.filter(
      (e) => e.involvedObject?.kind === 'CronJob' && e.involvedObject?.name === name,
    );

  /** Moves the controller's clock, then changes the CronJob so it syncs (as its requeue would). */
  async function advance(name: string, toMs: number): Promise<void> {
    offsetMs = toMs - Date.now();
    const cj = await cronJobs().get(name);
    await cronJobs().update({
      ...cj,
      metadata: { ...cj.metadata, annotations: { ...cj.metadata?.annotations, tick: String(toMs) } },
    });
  }

  /** What the job controller writes when a Job's one pod succeeded. */
  async function complete(j: Job): Promise<void> {
    const cur = await jobs().get(j.metadata?.name ?? '');
    const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    const cond = (type: string) => ({
      type,
      status: 'True' as const,
      lastProbeTime: now,
      lastTransitionTime: now,
      reason: 'CompletionsReached',
      message: 'Reached expected number of succeeded pods',
    });
    await jobs().updateSubresource(cur.metadata?.name ?? '', 'status', {
      ...cur,
      status: {
        startTime: now,
        completionTime: now,
        succeeded: 1,
        ready: 0,
        terminating: 0,
        uncountedTerminatedPods: {},
        conditions: [cond('SuccessCriteriaMet'), cond('Complete')],
      },
    });
  }

  it('creates the scheduled Job, forbids a second while it runs, then trims history', async () => {
    const cj = await cronJobs().create({
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: { name: 'tick', namespace: NS },
      spec: {
        schedule: '*/1 * * * *',
        concurrencyPolicy: 'Forbid',
        successfulJobsHistoryLimit: 1,
        jobTemplate: {
          metadata: { labels: { app: 'tick' }, annotations: { note: 'kept' } },
          spec: {
            template: { spec: { restartPolicy: 'OnFailure', containers: [{ name: 'c', image: 'busybox' }] } },
          },
        },
      },
    });
    const created = Date.parse(cj.metadata?.creationTimestamp ?? '');
    const first = (Math.floor(created / 60_000) + 1) * 60_000;
    await advance('tick', first + 1000);

    const [job] = await waitFor('the first Job', async () => {
      const js = await jobsOf(cj);
      return js.length === 1 ? js : undefined;
    });
    assert.equal(job!.metadata?.name, `tick-${first / 60_000}`);
    assert.equal(
      job!.metadata?.annotations?.['batch.kubernetes.io/cronjob-scheduled-timestamp'],
      new Date(first).toISOString().replace('.000Z', 'Z'),
    );
    assert.equal(job!.metadata?.annotations?.note, 'kept');
    assert.equal(job!.metadata?.labels?.app, 'tick');
    assert.deepEqual(job!.metadata?.ownerReferences, [
      {
        apiVersion: 'batch/v1',
        kind: 'CronJob',
        name: 'tick',
        uid: cj.metadata?.uid,
        controller: true,
        blockOwnerDeletion: true,
      },
    ]);
    const running = await waitFor('status.active', async () => {
      const c = await cronJobs().get('tick');
      return c.status?.active?.length === 1 ? c : undefined;
    });
    assert.equal(running.status?.active?.[0]?.name, job!.metadata?.name);
    assert.equal(running.status?.active?.[0]?.uid, job!.metadata?.uid);
    assert.equal(running.status?.lastScheduleTime, new Date(first).toISOString().replace('.000Z', 'Z'));
    await waitFor('SuccessfulCreate', async () =>
      (await eventsOf('tick')).find(
        (e) => e.reason === 'SuccessfulCreate' && e.message === `Created job ${job!.metadata?.name}`,
      ),
    );

    // A minute later the first still runs: Forbid skips this start.
    await advance('tick', first + 61_000);
    await waitFor('JobAlreadyActive', async () =>
      (await eventsOf('tick')).find(
        (e) =>
          e.reason === 'JobAlreadyActive' &&
          e.message === 'Not starting job because prior execution is running and concurrency policy is Forbid',
      ),
    );
    assert.equal((await jobsOf(cj)).length, 1);

    // Once it completes, the missed start runs (it is still the most recent one) …
    await complete(job!);
    const [, second] = await waitFor('the second Job', async () => {
      const js = await jobsOf(cj);
      return js.length === 2 ? js : undefined;
    });
    assert.equal(second!.metadata?.name, `tick-${first / 60_000 + 1}`);
    const seen = await waitFor('lastSuccessfulTime', async () => {
      const c = await cronJobs().get('tick');
      return c.status?.lastSuccessfulTime && c.status.active?.length === 1 ? c : undefined;
    });
    assert.equal(seen.status?.active?.[0]?.name, second!.metadata?.name);
    assert.ok(
      (await eventsOf('tick')).some(
        (e) =>
          e.reason === 'SawCompletedJob' && e.message === `Saw completed job: ${job!.metadata?.name}, status: Complete`,
      ),
    );

    // … and once that completes too, only one successful Job is kept.
    await complete(second!);
    await waitFor('the first Job deleted', async () => {
      const js = await jobsOf(cj);
      return js.length === 1 && js[0]!.metadata?.name === second!.metadata?.name ? true : undefined;
    });
    await waitFor('SuccessfulDelete', async () =>
      (await eventsOf('tick')).find(
        (e) => e.reason === 'SuccessfulDelete' && e.message === `Deleted job ${job!.metadata?.name}`,
      ),
    );
  });

  it('writes the scheduled timestamp in spec.timeZone and skips a suspended CronJob', async () => {
    const cj = await cronJobs().create({
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: { name: 'zoned', namespace: NS },
      spec: {
        schedule: '*/1 * * * *',
        timeZone: 'Asia/Kolkata',
        suspend: true,
        jobTemplate: {
          spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] } } },
        },
      },
    });
    const created = Date.parse(cj.metadata?.creationTimestamp ?? '');
    const first = (Math.floor(created / 60_000) + 1) * 60_000;
    await advance('zoned', first + 1000);
    await new Promise((r) => setTimeout(r, 500));
    assert.equal((await jobsOf(cj)).length, 0, 'a suspended CronJob starts nothing');

    const cur = await cronJobs().get('zoned');
    await cronJobs().update({ ...cur, spec: { ...cur.spec!, suspend: false } });
    const [job] = await waitFor('the zoned Job', async () => {
      const js = await jobsOf(cj);
      return js.length === 1 ? js : undefined;
    });
    // India is UTC+05:30 all year.
    const local = new Date(first + 5.5 * 3_600_000).toISOString().replace('.000Z', '+05:30');
    assert.equal(job!.metadata?.annotations?.['batch.kubernetes.io/cronjob-scheduled-timestamp'], local);
  });
});
