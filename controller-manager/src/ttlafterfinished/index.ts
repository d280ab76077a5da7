// ttl-after-finished-controller (k8s pkg/controller/ttlafterfinished): deletes a Job
// ttlSecondsAfterFinished after it reached Complete or Failed, with foreground propagation so its
// pods go first. The wait is the queue's AddAfter; just before deleting, the Job is read fresh
// from the apiserver (the TTL may have been changed) and deleted only at that resourceVersion.
import type { Job } from '@mkube/shared/api';
import { isConflict, isNotFound } from '@mkube/shared/apierrors';
import type { KubeClient } from '@mkube/shared/client';
import type { Logger } from '@mkube/shared/log';
import { type Controller, runQueue, WorkQueue } from '../controller.js';
import { RESOURCES, type SharedInformer } from '../informers/index.js';
import { finishTime, isJobFinished } from '../job/conditions.js';

export const TTL_AFTER_FINISHED_CONTROLLER = 'ttl-after-finished-controller';

const key = (j: Job) => `${j.metadata?.namespace ?? ''}/${j.metadata?.name ?? ''}`;

/** needsCleanup: a finished Job with a TTL that is not already being deleted. */
const needsCleanup = (j: Job) =>
  j.spec?.ttlSecondsAfterFinished !== undefined && !j.metadata?.deletionTimestamp && isJobFinished(j);

export class TTLAfterFinishedController implements Controller {
  readonly name = TTL_AFTER_FINISHED_CONTROLLER;
  readonly queue = new WorkQueue('ttl_jobs_to_delete');

  constructor(
    readonly client: KubeClient,
    readonly jobs: SharedInformer<Job>,
    readonly log: Logger,
    readonly workers = 5,
    readonly now: () => number = Date.now,
  ) {
    const enqueue = (j: Job) => {
      if (needsCleanup(j)) this.queue.add(key(j));
    };
    jobs.addEventHandler({ onAdd: enqueue, onUpdate: (_o, j) => enqueue(j) });
  }

  run(signal: AbortSignal): Promise<void> {
    return runQueue(this.queue, this.workers, (k) => this.sync(k), this.log, signal);
  }

  /**
   * processTTL: undefined when the Job needs no clean-up; otherwise the time it expires, having
   * requeued it for then if that is still ahead.
   */
  #processTTL(j: Job): number | undefined {
    if (!needsCleanup(j)) return undefined;
    const finishedAt = Date.parse(finishTime(j) ?? '');
    if (Number.isNaN(finishedAt)) throw new Error(`unable to find the time when the Job ${key(j)} finished`);
    const now = this.now();
    if (finishedAt > now)
      this.log.info(
        { job: key(j) },
        'Found Job finished in the future. This is likely due to time skew in the cluster. Job cleanup will be deferred.',
      );
    const expireAt = finishedAt + (j.spec?.ttlSecondsAfterFinished ?? 0) * 1000;
    if (expireAt > now) {
      this.queue.addAfter(key(j), expireAt - now);
      return undefined;
    }
    return expireAt;
  }

  async sync(k: string): Promise<void> {
    const cached = this.jobs.store.get(k);
    if (!cached || this.#processTTL(cached) === undefined) return;
    const [ns, name] = [cached.metadata?.namespace ?? '', cached.metadata?.name ?? ''];
    const jobs = this.client.resource<Job>({ ...RESOURCES.jobs, namespace: ns });
    // The cache may be stale: the TTL may have been changed since.
    let fresh: Job;
    try {
      fresh = await jobs.get(name);
    } catch (e) {
      if (isNotFound(e)) return;
      throw e;
    }
    if (this.#processTTL(fresh) === undefined) return;
    this.log.info({ job: k }, 'Cleaning up Job');
    try {
      await jobs.delete(name, {
        propagationPolicy: 'Foreground',
        preconditions: { resourceVersion: fresh.metadata?.resourceVersion ?? '' },
      });
    } catch (e) {
      // Gone already, or changed since the read: the update that changed it brings it back.
      if (isNotFound(e) || isConflict(e)) return;
      throw e;
    }
  }
}
