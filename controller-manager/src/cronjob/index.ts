// cronjob-controller (k8s pkg/controller/cronjob, ControllerV2): at each scheduled time creates
// the Job `<cronjob>-<minutes since epoch>` from the jobTemplate — the name is the lock against
// creating one twice — honouring suspend, startingDeadlineSeconds and concurrencyPolicy; keeps
// status.active, lastScheduleTime and lastSuccessfulTime; trims finished Jobs to the history
// limits; and requeues itself for the next scheduled time.
import type { CronJob, Job, ObjectReference } from '@mkube/shared/api';
import { metaTime } from '@mkube/shared/api';
import { isAlreadyExists, isNotFound } from '@mkube/shared/apierrors';
import type { KubeClient } from '@mkube/shared/client';
import { controllerOf, isNamespaceTerminating, resolveControllerRef } from '@mkube/shared/controller';
import { type CronSchedule, isValidTimeZone, parseStandardSchedule } from '@mkube/shared/cron';
import type { EventRecorder } from '@mkube/shared/events';
import type { Logger } from '@mkube/shared/log';
import { type Controller, runQueue, WorkQueue } from '../controller.js';
import { RESOURCES, type SharedInformer } from '../informers/index.js';
import { deleteJob, finishedType, jobsToReconcile, removeOldestJobs } from './jobs.js';
import {
  CRONJOB_KIND,
  jobFromTemplate,
  jobName,
  mostRecentScheduleTime,
  nextScheduleDelay,
  rfc1123z,
} from './schedule.js';

export const CRONJOB_CONTROLLER = 'cronjob-controller';

const key = (o: { metadata?: { namespace?: string; name?: string } }) =>
  `${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}`;

const errMessage = (e: unknown) => (e instanceof Error ? e.message : String(e));

/** formatSchedule: a TZ in the schedule itself wins (with a warning); else spec.timeZone applies. */
function formatSchedule(cj: CronJob, recorder?: EventRecorder): string {
  const s = cj.spec?.schedule ?? '';
  if (s.includes('TZ')) {
    recorder?.event(
      cj,
      'Warning',
      'UnsupportedSchedule',
      `CRON_TZ or TZ used in schedule ${JSON.stringify(s)} is not officially supported, see https://kubernetes.io/docs/concepts/workloads/controllers/cron-jobs/ for more details`,
    );
  }
  return s;
}

interface SyncResult {
  requeueAfterMs?: number;
  updateStatus: boolean;
  err?: unknown;
}

export class CronJobController implements Controller {
  readonly name = CRONJOB_CONTROLLER;
  readonly queue = new WorkQueue('cronjob');
  readonly #now: () => number;

  constructor(
    readonly client: KubeClient,
    readonly cronJobs: SharedInformer<CronJob>,
    readonly jobs: SharedInformer<Job>,
    readonly recorder: EventRecorder,
    readonly log: Logger,
    readonly workers = 5,
    /** The clock (tests move it forward instead of waiting for the minute). */
    now: () => number = Date.now,
  ) {
    this.#now = now;
    cronJobs.addEventHandler({
      onAdd: (cj) => this.queue.add(key(cj)),
      onUpdate: (old, cj) => this.#updateCronJob(old, cj),
      onDelete: (cj) => this.queue.add(key(cj)),
    });
    const onJob = (j: Job) => {
      const cj = this.#resolve(j);
      if (cj) this.queue.add(key(cj));
    };
    jobs.addEventHandler({
      onAdd: onJob,
      onUpdate: (old, j) => {
        if (old.metadata?.resourceVersion === j.metadata?.resourceVersion) return;
        if (controllerUid(old) !== controllerUid(j)) onJob(old);
        onJob(j);
      },
      onDelete: onJob,
    });
  }

  run(signal: AbortSignal): Promise<void> {
    return runQueue(this.queue, this.workers, (k) => this.sync(k), this.log, signal);
  }

  #resolve(j: Job): CronJob | undefined {
    const ref = controllerOf(j);
    return (
      ref &&
      resolveControllerRef(j.metadata?.namespace ?? '', ref, CRONJOB_KIND.kind, (k) => this.cronJobs.store.get(k))
    );
  }

  /** A new schedule moves the requeue to its next time; any other change syncs now. */
  #updateCronJob(old: CronJob, cj: CronJob): void {
    if (old.spec?.schedule === cj.spec?.schedule && old.spec?.timeZone === cj.spec?.timeZone) {
      this.queue.add(key(cj));
      return;
    }
    let s: CronSchedule;
    try {
      s = parseStandardSchedule(formatSchedule(cj));
    } catch {
      this.recorder.event(
        cj,
        'Warning',
        'UnParseableCronJobSchedule',
        `unparseable schedule for cronjob: ${cj.spec?.schedule ?? ''}`,
      );
      return;
    }
    this.queue.addAfter(key(cj), nextScheduleDelay(cj, this.#now(), s));
  }

  #cronJobs(ns: string) {
    return this.client.resource<CronJob>({ ...RESOURCES.cronjobs, namespace: ns });
  }

  #jobsClient(ns: string) {
    return this.client.resource<Job>({ ...RESOURCES.jobs, namespace: ns });
  }

  async sync(k: string): Promise<void> {
    const cached = this.cronJobs.store.get(k);
    if (!cached) return;
    const cj: CronJob = structuredClone(cached);
    const jobs = jobsToReconcile(this.jobs.store.list(), cj);
    const jobsClient = this.#jobsClient(cj.metadata?.namespace ?? '');
    const cleaned = await removeOldestJobs(cj, jobs, jobsClient, this.recorder, this.log);
    const r = await this.#syncCronJob(cj, jobs);
    if (cleaned || r.updateStatus) {
      await this.#cronJobs(cj.metadata?.namespace ?? '').updateSubresource(cj.metadata?.name ?? '', 'status', cj);
    }
    if (r.requeueAfterMs !== undefined) {
      this.queue.forget(k);
      this.queue.addAfter(k, r.requeueAfterMs);
      return;
    }
    if (r.err !== undefined) throw r.err;
  }

  /** syncCronJob: mutates `cj.status`; says when to look again and whether to write the status. */
  async #syncCronJob(cj: CronJob, jobs: readonly Job[]): Promise<SyncResult> {
    const now = this.#now();
    cj.status ??= {};
    const status = cj.status;
    let updateStatus = false;
    const ns = cj.metadata?.namespace ?? '';
    const jobsClient = this.#jobsClient(ns);
    const children = new Set<string>();
    for (const j of jobs) {
      const uid = j.metadata?.uid ?? '';
      children.add(uid);
      const found = inActive(cj, uid);
      const finished = finishedType(j);
      if (!found && !finished) {
        // Our status may be older than the Job list: ask the apiserver before calling it unexpected.
        let fresh: CronJob;
        try {
          fresh = await this.#cronJobs(ns).get(cj.metadata?.name ?? '');
        } catch (e) {
          return { updateStatus, err: e };
        }
        if (inActive(fresh, uid)) {
          cj.status = fresh.status ?? {};
          continue;
        }
        this.recorder.event(
          cj,
          'Warning',
          'UnexpectedJob',
          `Saw a job that the controller did not create or forgot: ${j.metadata?.name ?? ''}`,
        );
      } else if (found && finished) {
        removeActive(cj, uid);
        this.recorder.event(
          cj,
          'Normal',
          'SawCompletedJob',
          `Saw completed job: ${j.metadata?.name ?? ''}, status: ${finished}`,
        );
        updateStatus = true;
      } else if (finished === 'Complete') {
        // A finished Job need not be in the active list for its completion time to count.
        const done = j.status?.completionTime;
        const s = cj.status ?? {};
        if (done && (!s.lastSuccessfulTime || Date.parse(done) > Date.parse(s.lastSuccessfulTime))) {
          s.lastSuccessfulTime = done;
          updateStatus = true;
        }
      }
    }
    // A Job that went missing would otherwise keep the CronJob active forever.
    for (const ref of [...(cj.status?.active ?? [])]) {
      if (children.has(ref.uid ?? '')) continue;
      try {
        await jobsClient.get(ref.name ?? '');
      } catch (e) {
        if (!isNotFound(e)) return { updateStatus, err: e };
        this.recorder.event(cj, 'Normal', 'MissingJob', `Active job went missing: ${ref.name ?? ''}`);
        removeActive(cj, ref.uid ?? '');
        updateStatus = true;
      }
    }
    if (cj.metadata?.deletionTimestamp) return { updateStatus };

    const tz = cj.spec?.timeZone;
    if (tz !== undefined && !isValidTimeZone(tz)) {
      this.recorder.event(
        cj,
        'Warning',
        'UnknownTimeZone',
        `invalid timeZone: ${JSON.stringify(tz)}: unknown time zone ${tz}`,
      );
      return { updateStatus };
    }
    if (cj.spec?.suspend === true) return { updateStatus };

    let sched: CronSchedule;
    try {
      sched = parseStandardSchedule(formatSchedule(cj, this.recorder));
    } catch (e) {
      this.recorder.event(
        cj,
        'Warning',
        'UnparseableSchedule',
        `unparseable schedule: ${JSON.stringify(cj.spec?.schedule ?? '')} : ${errMessage(e)}`,
      );
      return { updateStatus };
    }
    const recent = mostRecentScheduleTime(cj, now, sched, true);
    if (recent.mostRecent !== undefined && recent.missed === 'many') {
      this.recorder.event(
        cj,
        'Warning',
        'TooManyMissedTimes',
        'too many missed start times. Set or decrease .spec.startingDeadlineSeconds or check clock skew',
      );
    }
    if (recent.error) {
      this.recorder.event(
        cj,
        'Warning',
        'InvalidSchedule',
        `invalid schedule: ${cj.spec?.schedule ?? ''} : ${recent.error}`,
      );
      return { updateStatus };
    }
    const requeue = () => ({ requeueAfterMs: nextScheduleDelay(cj, now, sched), updateStatus });
    const scheduled = recent.mostRecent;
    if (scheduled === undefined || scheduled > now) return requeue();

    const deadline = cj.spec?.startingDeadlineSeconds;
    if (deadline !== undefined && scheduled + deadline * 1000 < now) {
      this.recorder.event(
        cj,
        'Warning',
        'MissSchedule',
        `Missed scheduled time to start a job: ${rfc1123z(scheduled)}`,
      );
      return requeue();
    }
    const name = jobName(cj, scheduled);
    const last = cj.status?.lastScheduleTime;
    if ((cj.status?.active ?? []).some((r) => r.name === name) || (last && Date.parse(last) === scheduled))
      return requeue();
    const policy = cj.spec?.concurrencyPolicy ?? 'Allow';
    if (policy === 'Forbid' && (cj.status?.active?.length ?? 0) > 0) {
      this.recorder.event(
        cj,
        'Normal',
        'JobAlreadyActive',
        'Not starting job because prior execution is running and concurrency policy is Forbid',
      );
      return requeue();
    }
    if (policy === 'Replace') {
      for (const ref of [...(cj.status?.active ?? [])]) {
        let job: Job;
        try {
          job = await jobsClient.get(ref.name ?? '');
        } catch (e) {
          this.recorder.event(cj, 'Warning', 'FailedGet', `Get job: ${errMessage(e)}`);
          return { updateStatus, err: e };
        }
        if (!(await deleteJob(cj, job, jobsClient, this.recorder, this.log)))
          return { updateStatus, err: new Error(`could not replace job ${ns}/${job.metadata?.name ?? ''}`) };
        updateStatus = true;
      }
    }

    let created: Job;
    try {
      created = await jobsClient.create(jobFromTemplate(cj, scheduled));
      this.recorder.event(cj, 'Normal', 'SuccessfulCreate', `Created job ${created.metadata?.name ?? ''}`);
    } catch (e) {
      if (isNamespaceTerminating(e)) return { updateStatus, err: e };
      if (!isAlreadyExists(e)) {
        this.recorder.event(cj, 'Warning', 'FailedCreate', `Error creating job: ${errMessage(e)}`);
        return { updateStatus, err: e };
      }
      // Ours from before a status write that did not happen: put it back in the active list.
      try {
        created = await jobsClient.get(name);
      } catch (e2) {
        return { updateStatus, err: e2 };
      }
      if (controllerUid(created) !== cj.metadata?.uid) return { updateStatus };
      if (inActive(cj, created.metadata?.uid ?? '')) return { updateStatus };
      this.log.info({ cronjob: key(cj), job: name }, 'Job already exists');
    }
    cj.status ??= status;
    const status2 = cj.status;
    status2.active = [...(status2.active ?? []), referenceTo(created)];
    status2.lastScheduleTime = metaTime(new Date(scheduled));
    updateStatus = true;
    return requeue();
  }
}

const controllerUid = (j: Job): string | undefined => controllerOf(j)?.uid;

const inActive = (cj: CronJob, uid: string) => (cj.status?.active ?? []).some((r) => r.uid === uid);

function removeActive(cj: CronJob, uid: string): void {
  cj.status ??= {};
  const s = cj.status;
  s.active = (s.active ?? []).filter((r) => r.uid !== uid);
}

/** ref.GetReference of a Job. */
function referenceTo(j: Job): ObjectReference {
  return {
    kind: 'Job',
    namespace: j.metadata?.namespace ?? '',
    name: j.metadata?.name ?? '',
    uid: j.metadata?.uid ?? '',
    apiVersion: 'batch/v1',
    resourceVersion: j.metadata?.resourceVersion ?? '',
  };
}
