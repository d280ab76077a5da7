// The job controller against a real apiserver (no kubelet: the test moves pods to Succeeded or
// Failed through /status, as a kubelet would): parallelism bounded by the remaining completions,
// the tracking finalizer removed once a pod is counted, the exact status and conditions of a
// completed Job, backoffLimit and activeDeadlineSeconds failures with upstream's reasons, suspend
// and resume, and Indexed completion.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Event, Job, Pod } from '@mkube/shared/api';
import { type Cluster, startCluster, waitFor } from './fixture.ts';

const NS = 'default';
const JOBS = { group: 'batch', version: 'v1', resource: 'jobs', namespace: NS } as const;
const PODS = { group: '', version: 'v1', resource: 'pods', namespace: NS } as const;
const EVENTS = { group: '', version: 'v1', resource: 'events', namespace: NS } as const;
const FINALIZER = 'batch.kubernetes.io/job-tracking';

describe('job-controller', () => {
  let cl: Cluster;
  before(async () => {
    cl = await startCluster();
    await cl.startKcm(['--leader-elect=false', '--controllers=job-controller'], {
      job: { batchPeriodMs: 50, podFailureBackoffMs: 100, maxPodFailureBackoffMs: 400 },
    });
  });
  after(async () => cl?.close());

  const jobs = () => cl.admin.resource<Job>(JOBS);
  const pods = () => cl.admin.resource<Pod>(PODS);
  const getJob = (name: string) => jobs().get(name);
  const podsOf = async (name: string) =>
    (await pods().list({ labelSelector: `batch.kubernetes.io/job-name=${name}` })).items.sort((a, b) =>
      (a.metadata?.creationTimestamp ?? '').localeCompare(b.metadata?.creationTimestamp ?? ''),
    );
  const activePods = async (name: string) =>
    (await podsOf(name)).filter(
      (p) => !p.metadata?.deletionTimestamp && p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed',
    );

  async function createJob(name: string, spec: Partial<NonNullable<Job['spec']>>): Promise<Job> {
    return jobs().create({
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name, namespace: NS },
      spec: {
        template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] } },
        ...spec,
      },
    });
  }

  /** What a kubelet reports when a pod's container exits. */
  async function finish(p: Pod, phase: 'Succeeded' | 'Failed'): Promise<void> {
    const cur = await pods().get(p.metadata?.name ?? '');
    await pods().updateSubresource(cur.metadata?.name ?? '', 'status', { ...cur, status: { ...cur.status, phase } });
  }

  const waitJob = (name: string, what: string, until: (j: Job) => boolean, ms = 15_000) =>
    waitFor(
      `job ${name}: ${what}`,
      async () => {
        const j = await getJob(name);
        return until(j) ? j : undefined;
      },
      ms,
    );

  const waitActive = (name: string, n: number) =>
    waitFor(`${n} active pods of ${name}`, async () => {
      const a = await activePods(name);
      return a.length === n ? a : undefined;
    });

  const eventsOf = async (name: string) =>
    (await cl.admin.resource<Event>(EVENTS).list()).items.filter(
      (e) => e.involvedObject?.kind === 'Job' && e.involvedObject?.name === name,
    );

  const conditionTypes = (j: Job) => (j.status?.conditions ?? []).map((c) => `${c.type}=${c.status}`);

  it('runs completions 3 with parallelism 2: 2 pods, then 1, then Complete with exact status', async () => {
    const job = await createJob('three', { completions: 3, parallelism: 2 });
    const first = await waitActive('three', 2);
    for (const p of first) {
      assert.equal(p.metadata?.generateName, 'three-');
      assert.deepEqual(p.metadata?.finalizers, [FINALIZER]);
      assert.equal(p.metadata?.labels?.['batch.kubernetes.io/job-name'], 'three');
      assert.equal(p.metadata?.labels?.['batch.kubernetes.io/controller-uid'], job.metadata?.uid);
      assert.deepEqual(p.metadata?.ownerReferences, [
        {
          apiVersion: 'batch/v1',
          kind: 'Job',
          name: 'three',
          uid: job.metadata?.uid,
          controller: true,
          blockOwnerDeletion: true,
        },
      ]);
    }
    const running = await waitJob('three', 'active 2', (j) => j.status?.active === 2);
    assert.ok(running.status?.startTime);
    assert.equal(running.status?.ready, 0);
    assert.equal(running.status?.terminating, 0);

    await finish(first[0]!, 'Succeeded');
    await waitJob('three', 'succeeded 1', (j) => j.status?.succeeded === 1);
    // The counted pod lost its finalizer; only one more pod is needed for the last completion.
    const counted = await pods().get(first[0]!.metadata?.name ?? '');
    assert.deepEqual(counted.metadata?.finalizers ?? [], []);
    const second = await waitActive('three', 2);
    assert.equal((await podsOf('three')).length, 3);

    for (const p of second) await finish(p, 'Succeeded');
    const done = await waitJob('three', 'Complete', (j) => conditionTypes(j).includes('Complete=True'));
    assert.equal(done.status?.succeeded, 3);
    assert.equal(done.status?.failed, undefined);
    assert.equal(done.status?.active, undefined);
    assert.equal(done.status?.ready, 0);
    assert.equal(done.status?.terminating, 0);
    assert.deepEqual(done.status?.uncountedTerminatedPods, {});
    assert.ok(done.status?.completionTime);
    assert.deepEqual(
      done.status?.conditions?.map(({ type, status, reason, message }) => ({ type, status, reason, message })),
      [
        {
          type: 'SuccessCriteriaMet',
          status: 'True',
          reason: 'CompletionsReached',
          message: 'Reached expected number of succeeded pods',
        },
        {
          type: 'Complete',
          status: 'True',
          reason: 'CompletionsReached',
          message: 'Reached expected number of succeeded pods',
        },
      ],
    );
    for (const p of await podsOf('three')) assert.deepEqual(p.metadata?.finalizers ?? [], [], p.metadata?.name);
    const events = await waitFor('Completed event', async () => {
      const evs = await eventsOf('three');
      return evs.some((e) => e.reason === 'Completed') ? evs : undefined;
    });
    const created = events.filter((e) => e.reason === 'SuccessfulCreate').map((e) => e.message);
    assert.equal(created.length, 3);
    for (const m of created) assert.match(m ?? '', /^Created pod: three-[a-z0-9]{5}$/);
    assert.equal(events.find((e) => e.reason === 'Completed')?.message, 'Job completed');
  });

  it('fails past backoffLimit with BackoffLimitExceeded', async () => {
    await createJob('flaky', { completions: 3, parallelism: 3, backoffLimit: 2 });
    const ps = await waitActive('flaky', 3);
    for (const p of ps) await finish(p, 'Failed');
    const failed = await waitJob('flaky', 'Failed', (j) => conditionTypes(j).includes('Failed=True'));
    // Replacements made between the failures (after the back-off) are deleted and counted as
    // failed too, as upstream counts every pod a failing Job stops.
    assert.ok((failed.status?.failed ?? 0) >= 3, `failed ${failed.status?.failed}`);
    assert.equal(failed.status?.active, undefined);
    assert.equal(failed.status?.terminating, 0);
    assert.equal(failed.status?.completionTime, undefined);
    assert.deepEqual(
      failed.status?.conditions?.map(({ type, status, reason, message }) => ({ type, status, reason, message })),
      [
        {
          type: 'FailureTarget',
          status: 'True',
          reason: 'BackoffLimitExceeded',
          message: 'Job has reached the specified backoff limit',
        },
        {
          type: 'Failed',
          status: 'True',
          reason: 'BackoffLimitExceeded',
          message: 'Job has reached the specified backoff limit',
        },
      ],
    );
    for (const p of await podsOf('flaky')) assert.deepEqual(p.metadata?.finalizers ?? [], []);
    await waitFor('BackoffLimitExceeded event', async () =>
      (await eventsOf('flaky')).find(
        (e) => e.reason === 'BackoffLimitExceeded' && e.message === 'Job has reached the specified backoff limit',
      ),
    );
  });

  it('replaces a failed pod after the failure back-off, counting the failure', async () => {
    await createJob('retry', { backoffLimit: 3 });
    const [p] = await waitActive('retry', 1);
    await finish(p!, 'Failed');
    const [q] = await waitActive('retry', 1);
    assert.notEqual(q!.metadata?.name, p!.metadata?.name);
    const j = await waitJob('retry', 'failed 1', (x) => x.status?.failed === 1);
    assert.equal(conditionTypes(j).length, 0);
    await finish(q!, 'Succeeded');
    await waitJob('retry', 'Complete', (x) => conditionTypes(x).includes('Complete=True'));
  });

  it('fails a Job active longer than activeDeadlineSeconds, deleting its pods', async () => {
    await createJob('slow', { parallelism: 2, completions: 2, activeDeadlineSeconds: 2 });
    await waitActive('slow', 2);
    const failed = await waitJob('slow', 'Failed', (j) => conditionTypes(j).includes('Failed=True'), 15_000);
    const c = failed.status?.conditions?.find((x) => x.type === 'Failed');
    assert.equal(c?.reason, 'DeadlineExceeded');
    assert.equal(c?.message, 'Job was active longer than specified deadline');
    assert.equal(failed.status?.failed, 2);
    assert.equal(failed.status?.active, undefined);
    assert.equal(failed.status?.terminating, 0);
    // Deleted, and no finalizer of ours holds them.
    await waitFor('pods of slow gone', async () => ((await podsOf('slow')).length === 0 ? true : undefined));
  });

  it('suspends (deleting active pods, Suspended condition) and resumes', async () => {
    await createJob('pause', { parallelism: 2, completions: 4 });
    await waitActive('pause', 2);
    // A merge patch, as `kubectl patch` sends: no resourceVersion to race the controller's status writes.
    await jobs().patch('pause', 'application/merge-patch+json', { spec: { suspend: true } });
    const s = await waitJob('pause', 'Suspended', (x) => conditionTypes(x).includes('Suspended=True'));
    const cond = s.status?.conditions?.find((x) => x.type === 'Suspended');
    assert.equal(cond?.reason, 'JobSuspended');
    assert.equal(cond?.message, 'Job suspended');
    await waitFor('pods of pause gone', async () => ((await podsOf('pause')).length === 0 ? true : undefined));
    const after = await waitJob('pause', 'active 0', (x) => (x.status?.active ?? 0) === 0);
    // Suspending deletes without counting failures.
    assert.equal(after.status?.failed, undefined);

    await jobs().patch('pause', 'application/merge-patch+json', { spec: { suspend: false } });
    const resumed = await waitJob('pause', 'resumed', (x) => conditionTypes(x).includes('Suspended=False'));
    assert.equal(resumed.status?.conditions?.find((x) => x.type === 'Suspended')?.reason, 'JobResumed');
    await waitActive('pause', 2);
    const evs = (await eventsOf('pause')).map((e) => e.reason);
    assert.ok(evs.includes('Suspended') && evs.includes('Resumed'), evs.join());
  });

  it('runs an Indexed Job: one pod per index, completedIndexes', async () => {
    await createJob('idx', { completions: 3, parallelism: 3, completionMode: 'Indexed' });
    const ps = await waitActive('idx', 3);
    const byIndex = new Map(ps.map((p) => [p.metadata?.annotations?.['batch.kubernetes.io/job-completion-index'], p]));
    assert.deepEqual([...byIndex.keys()].sort(), ['0', '1', '2']);
    for (const [ix, p] of byIndex) {
      assert.equal(p.metadata?.labels?.['batch.kubernetes.io/job-completion-index'], ix);
      assert.equal(p.spec?.hostname, `idx-${ix}`);
      assert.equal(p.metadata?.generateName, `idx-${ix}-`);
      assert.deepEqual(p.spec?.containers[0]?.env, [
        {
          name: 'JOB_COMPLETION_INDEX',
          valueFrom: {
            fieldRef: {
              apiVersion: 'v1',
              fieldPath: "metadata.annotations['batch.kubernetes.io/job-completion-index']",
            },
          },
        },
      ]);
    }
    await finish(byIndex.get('0')!, 'Succeeded');
    await finish(byIndex.get('2')!, 'Succeeded');
    const partial = await waitJob('idx', 'completedIndexes 0,2', (j) => j.status?.completedIndexes === '0,2');
    assert.equal(partial.status?.succeeded, 2);
    await finish(byIndex.get('1')!, 'Succeeded');
    const done = await waitJob('idx', 'Complete', (j) => conditionTypes(j).includes('Complete=True'));
    assert.equal(done.status?.completedIndexes, '0-2');
    assert.equal(done.status?.succeeded, 3);
  });
});
