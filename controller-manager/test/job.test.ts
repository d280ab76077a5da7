// The job controller against a real apiserver (no kubelet: the test moves pods to Succeeded or
// Failed through /status, as a kubelet would): parallelism bounded by the remaining completions,
// the tracking finalizer removed once a pod is counted, the exact status and conditions of a
// completed Job, backoffLimit and activeDeadlineSeconds failures with upstream's reasons, suspend
// and resume, Indexed completion, pod failure policies, per-index back-off and success policies.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Event, Job, Pod, PodStatus } from '@mkube/shared/api';
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

  /** What a kubelet reports when a pod's container exits (`extra`: exit codes, conditions). */
  async function finish(p: Pod, phase: 'Succeeded' | 'Failed', extra: Partial<PodStatus> = {}): Promise<void> {
    const cur = await pods().get(p.metadata?.name ?? '');
    await pods().updateSubresource(cur.metadata?.name ?? '', 'status', {
      ...cur,
      status: { ...cur.status, ...extra, phase },
    });
  }

  /** A pod whose only container, `name`, exited with `code`. */
  const exited = (p: Pod, code: number, name = 'main') =>
    finish(p, 'Failed', {
      containerStatuses: [
        {
          name,
          ready: false,
          restartCount: 0,
          image: 'busybox',
          imageID: '',
          state: { terminated: { exitCode: code } },
        },
      ],
    });

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
  const conditions = (j: Job) =>
    (j.status?.conditions ?? []).map(({ type, status, reason, message }) => ({ type, status, reason, message }));
  const INDEX = 'batch.kubernetes.io/job-completion-index';
  const FAILURE_COUNT = 'batch.kubernetes.io/job-index-failure-count';
  const mainContainer = { spec: { restartPolicy: 'Never' as const, containers: [{ name: 'main', image: 'busybox' }] } };
  /** The active pods of an Indexed Job by index, once there are `n`. */
  const activeByIndex = async (name: string, n: number) =>
    new Map((await waitActive(name, n)).map((p) => [p.metadata?.annotations?.[INDEX] ?? '', p]));

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

  it('fails the Job on a FailJob rule with upstream reason and message', async () => {
    await createJob('pfp-fail', {
      completions: 2,
      parallelism: 2,
      template: mainContainer,
      podFailurePolicy: {
        rules: [
          { action: 'FailJob', onExitCodes: { containerName: 'main', operator: 'In', values: [42] } },
          { action: 'Ignore', onExitCodes: { operator: 'In', values: [42] } },
        ],
      },
    });
    const [p] = await waitActive('pfp-fail', 2);
    await exited(p!, 42);
    const failed = await waitJob('pfp-fail', 'Failed', (j) => conditionTypes(j).includes('Failed=True'));
    const message = `Container main for pod default/${p!.metadata?.name} failed with exit code 42 matching FailJob rule at index 0`;
    assert.deepEqual(conditions(failed), [
      { type: 'FailureTarget', status: 'True', reason: 'PodFailurePolicy', message },
      { type: 'Failed', status: 'True', reason: 'PodFailurePolicy', message },
    ]);
    // The failed pod and the one the failing Job stopped.
    assert.equal(failed.status?.failed, 2);
    assert.equal(failed.status?.active, undefined);
    // The stopped pod is gone; the failed one stays, released.
    const left = await waitFor('only the failed pod left', async () => {
      const ps = await podsOf('pfp-fail');
      return ps.length === 1 ? ps : undefined;
    });
    assert.equal(left[0]?.metadata?.name, p!.metadata?.name);
    assert.deepEqual(left[0]?.metadata?.finalizers ?? [], []);
    await waitFor('PodFailurePolicy event', async () =>
      (await eventsOf('pfp-fail')).find((e) => e.reason === 'PodFailurePolicy' && e.message === message),
    );
  });

  it('does not count a failure an Ignore rule matches toward backoffLimit; a Count rule counts', async () => {
    await createJob('pfp-ignore', {
      backoffLimit: 0,
      template: mainContainer,
      podFailurePolicy: {
        rules: [
          { action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget' }] },
          { action: 'Count', onExitCodes: { operator: 'NotIn', values: [0] } },
        ],
      },
    });
    const [p] = await waitActive('pfp-ignore', 1);
    await finish(p!, 'Failed', {
      conditions: [{ type: 'DisruptionTarget', status: 'True', reason: 'EvictionByEvictionAPI' }],
    });
    // Replaced, and neither failed nor counted.
    const [q] = await waitActive('pfp-ignore', 1);
    assert.notEqual(q!.metadata?.name, p!.metadata?.name);
    const gone = await waitFor('ignored pod uncounted and released', async () => {
      const old = await pods().get(p!.metadata?.name ?? '');
      return (old.metadata?.finalizers ?? []).length === 0 ? old : undefined;
    });
    assert.ok(gone);
    const j = await getJob('pfp-ignore');
    assert.equal(j.status?.failed, undefined);
    assert.deepEqual(conditionTypes(j), []);

    await exited(q!, 1);
    const failed = await waitJob('pfp-ignore', 'Failed', (x) => conditionTypes(x).includes('Failed=True'));
    assert.equal(failed.status?.failed, 1);
    assert.equal(failed.status?.conditions?.find((c) => c.type === 'Failed')?.reason, 'BackoffLimitExceeded');
  });

  it('retries each index within backoffLimitPerIndex, lists failedIndexes, fails with FailedIndexes', async () => {
    await createJob('per-index', {
      completions: 3,
      parallelism: 3,
      completionMode: 'Indexed',
      backoffLimitPerIndex: 1,
    });
    const first = await activeByIndex('per-index', 3);
    for (const p of first.values()) assert.equal(p.metadata?.annotations?.[FAILURE_COUNT], '0');
    const running = await waitJob('per-index', 'active 3', (j) => j.status?.active === 3);
    // Set, if empty, from the first status write of a Job with backoffLimitPerIndex.
    assert.equal(running.status?.failedIndexes, '');

    await finish(first.get('1')!, 'Failed');
    const retry = await waitFor('replacement of index 1', async () => {
      const a = await activePods('per-index');
      return a.find(
        (p) => p.metadata?.annotations?.[INDEX] === '1' && p.metadata.name !== first.get('1')!.metadata?.name,
      );
    });
    assert.equal(retry.metadata?.annotations?.[FAILURE_COUNT], '1');
    // One failure is within the index's budget: counted, the index not failed.
    const once = await waitJob('per-index', 'failed 1', (j) => j.status?.failed === 1);
    assert.equal(once.status?.failedIndexes, '');
    assert.deepEqual(conditionTypes(once), []);

    await finish(retry, 'Failed');
    // The index is listed with the pod still uncounted; the counter follows once its finalizer is gone.
    const failedIndex = await waitJob(
      'per-index',
      'failedIndexes 1, failed 2',
      (j) => j.status?.failedIndexes === '1' && j.status.failed === 2,
    );
    assert.deepEqual(conditionTypes(failedIndex), []);
    // The failed index is not run again.
    assert.equal((await activePods('per-index')).length, 2);

    await finish(first.get('0')!, 'Succeeded');
    await finish(first.get('2')!, 'Succeeded');
    const done = await waitJob('per-index', 'Failed', (j) => conditionTypes(j).includes('Failed=True'));
    assert.deepEqual(conditions(done), [
      { type: 'FailureTarget', status: 'True', reason: 'FailedIndexes', message: 'Job has failed indexes' },
      { type: 'Failed', status: 'True', reason: 'FailedIndexes', message: 'Job has failed indexes' },
    ]);
    assert.equal(done.status?.completedIndexes, '0,2');
    assert.equal(done.status?.failedIndexes, '1');
    assert.equal(done.status?.succeeded, 2);
    assert.equal(done.status?.failed, 2);
    assert.equal((await activePods('per-index')).length, 0);
  });

  it('fails past maxFailedIndexes (a FailIndex rule fails an index at once)', async () => {
    await createJob('max-failed', {
      completions: 4,
      parallelism: 4,
      completionMode: 'Indexed',
      backoffLimitPerIndex: 2,
      maxFailedIndexes: 1,
      template: mainContainer,
      podFailurePolicy: { rules: [{ action: 'FailIndex', onExitCodes: { operator: 'In', values: [3] } }] },
    });
    const byIndex = await activeByIndex('max-failed', 4);
    await exited(byIndex.get('0')!, 3);
    const one = await waitJob('max-failed', 'failedIndexes 0', (j) => j.status?.failedIndexes === '0');
    assert.deepEqual(conditionTypes(one), []);
    await exited(byIndex.get('1')!, 3);
    const failed = await waitJob('max-failed', 'Failed', (j) => conditionTypes(j).includes('Failed=True'));
    const message = 'Job has exceeded the specified maximal number of failed indexes';
    assert.deepEqual(conditions(failed), [
      { type: 'FailureTarget', status: 'True', reason: 'MaxFailedIndexesExceeded', message },
      { type: 'Failed', status: 'True', reason: 'MaxFailedIndexesExceeded', message },
    ]);
    // Upstream's interval text lists two neighbours rather than joining them.
    assert.equal(failed.status?.failedIndexes, '0,1');
    assert.equal(failed.status?.active, undefined);
    const left = await waitFor('only the failed pods left', async () => {
      const ps = await podsOf('max-failed');
      return ps.length === 2 ? ps : undefined;
    });
    assert.deepEqual(left.map((p) => p.metadata?.annotations?.[INDEX]).sort(), ['0', '1']);
  });

  it('completes by a successPolicy rule of succeededIndexes, stopping the other pods', async () => {
    await createJob('sp-indexes', {
      completions: 4,
      parallelism: 4,
      completionMode: 'Indexed',
      successPolicy: { rules: [{ succeededIndexes: '0,2-3' }] },
    });
    const byIndex = await activeByIndex('sp-indexes', 4);
    await finish(byIndex.get('0')!, 'Succeeded');
    await finish(byIndex.get('2')!, 'Succeeded');
    await waitJob('sp-indexes', 'completedIndexes 0,2', (j) => j.status?.completedIndexes === '0,2');
    assert.deepEqual(conditionTypes(await getJob('sp-indexes')), []);
    await finish(byIndex.get('3')!, 'Succeeded');
    const done = await waitJob('sp-indexes', 'Complete', (j) => conditionTypes(j).includes('Complete=True'));
    const expected = { status: 'True', reason: 'SuccessPolicy', message: 'Matched rules at index 0' };
    assert.deepEqual(conditions(done), [
      { type: 'SuccessCriteriaMet', ...expected },
      { type: 'Complete', ...expected },
    ]);
    assert.equal(done.status?.completedIndexes, '0,2,3');
    assert.equal(done.status?.succeeded, 3);
    assert.equal(done.status?.active, undefined);
    assert.ok(done.status?.completionTime);
    await waitFor('index 1 stopped', async () =>
      (await podsOf('sp-indexes')).some((p) => p.metadata?.annotations?.[INDEX] === '1') ? undefined : true,
    );
  });

  it('completes by a successPolicy rule of succeededCount', async () => {
    await createJob('sp-count', {
      completions: 3,
      parallelism: 3,
      completionMode: 'Indexed',
      successPolicy: { rules: [{ succeededIndexes: '0' }, { succeededCount: 2 }] },
    });
    const byIndex = await activeByIndex('sp-count', 3);
    await finish(byIndex.get('1')!, 'Succeeded');
    await finish(byIndex.get('2')!, 'Succeeded');
    const done = await waitJob('sp-count', 'Complete', (j) => conditionTypes(j).includes('Complete=True'));
    const expected = { status: 'True', reason: 'SuccessPolicy', message: 'Matched rules at index 1' };
    assert.deepEqual(conditions(done), [
      { type: 'SuccessCriteriaMet', ...expected },
      { type: 'Complete', ...expected },
    ]);
    assert.equal(done.status?.completedIndexes, '1,2');
    assert.equal(done.status?.succeeded, 2);
  });
});
