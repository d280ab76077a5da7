// job-controller (k8s pkg/controller/job): runs each Job's pods to completion. Job events sync at
// once, pod events batched by a second; pods are created from the template with the tracking
// finalizer, counted through status.uncountedTerminatedPods, and replaced after failures with a
// growing delay; a Job fails past its backoffLimit or activeDeadlineSeconds, or as its pod failure
// policy or per-index back-off says, and may succeed early by its success policy. A second queue
// strips the finalizer from pods whose Job is gone or finished.
import type { Job, Pod } from '@mkube/shared/api';
import { isNotFound } from '@mkube/shared/apierrors';
import type { KubeClient } from '@mkube/shared/client';
import { ControllerExpectations, controllerOf, resolveControllerRef } from '@mkube/shared/controller';
import type { EventRecorder } from '@mkube/shared/events';
import type { Logger } from '@mkube/shared/log';
import { labelSelectorFromObject } from '@mkube/shared/selectors';
import { ItemExponentialRateLimiter } from '@mkube/shared/workqueue';
import { type Controller, runQueue, WorkQueue } from '../controller.js';
import type { SharedInformer } from '../informers/index.js';
import { BackoffStore } from './backoff.js';
import { isJobFinished } from './conditions.js';
import { JOB_KIND, type JobDeps, type JobTiming } from './context.js';
import { UidTrackingExpectations } from './expectations.js';
import { JobPodControl } from './podcontrol.js';
import { hasTrackingFinalizer } from './pods.js';
import { syncJob } from './sync.js';

export type { JobTiming } from './context.js';

export const JOB_CONTROLLER = 'job-controller';

const key = (o: { metadata?: { namespace?: string; name?: string } }) =>
  `${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}`;

export class JobController implements Controller {
  readonly name = JOB_CONTROLLER;
  // DefaultJobApiBackOff (1 s) to MaxJobApiBackOff (1 min).
  readonly queue = new WorkQueue('job', new ItemExponentialRateLimiter({ baseDelayMs: 1000, maxDelayMs: 60_000 }));
  readonly orphanQueue = new WorkQueue(
    'job_orphan_pod',
    new ItemExponentialRateLimiter({ baseDelayMs: 1000, maxDelayMs: 60_000 }),
  );
  readonly #d: JobDeps;
  readonly #batchMs: number;

  constructor(
    readonly client: KubeClient,
    readonly jobs: SharedInformer<Job>,
    readonly pods: SharedInformer<Pod>,
    recorder: EventRecorder,
    readonly log: Logger,
    readonly workers = 5,
    timing: JobTiming = {},
  ) {
    this.#batchMs = timing.batchPeriodMs ?? 1000;
    const now = timing.now ?? Date.now;
    this.#d = {
      client,
      pods: new JobPodControl(client, recorder),
      recorder,
      expectations: new ControllerExpectations(now),
      finalizerExpectations: new UidTrackingExpectations(),
      backoff: new BackoffStore(),
      log,
      now,
      podFailureBackoffMs: timing.podFailureBackoffMs ?? 10_000,
      maxPodFailureBackoffMs: timing.maxPodFailureBackoffMs ?? 10 * 60_000,
      enqueueAfter: (k, ms, batched) => this.queue.addAfter(k, batched ? Math.max(ms, this.#batchMs) : ms),
    };
    jobs.addEventHandler({
      onAdd: (j) => this.queue.add(key(j)),
      onUpdate: (old, j) => this.#updateJob(old, j, now),
      onDelete: (j) => {
        this.queue.add(key(j));
        this.#cleanupPodFinalizers(j);
      },
    });
    pods.addEventHandler({
      onAdd: (p) => this.#addPod(p),
      onUpdate: (old, p) => this.#updatePod(old, p),
      onDelete: (p) => this.#deletePod(p, true),
    });
  }

  run(signal: AbortSignal): Promise<void> {
    return Promise.all([
      runQueue(this.queue, this.workers, (k) => this.sync(k), this.log, signal),
      runQueue(this.orphanQueue, 1, (k) => this.syncOrphanPod(k), this.log, signal),
    ]).then(() => undefined);
  }

  #batched(j: Job): void {
    this.queue.addAfter(key(j), this.#batchMs);
  }

  #updateJob(old: Job, cur: Job, now: () => number): void {
    // A spec change syncs at once; status updates (mostly our own) are batched.
    if (cur.metadata?.generation === old.metadata?.generation) this.#batched(cur);
    else this.queue.add(key(cur));
    // Pods should have lost their finalizers before the Job finished; this is the backstop.
    if (isJobFinished(cur)) this.#cleanupPodFinalizers(cur);
    const ads = cur.spec?.activeDeadlineSeconds;
    if (cur.status?.startTime && ads !== undefined && old.spec?.activeDeadlineSeconds !== ads) {
      const passed = now() - Date.parse(cur.status.startTime);
      this.queue.addAfter(key(cur), ads * 1000 - passed);
    }
  }

  /** resolveControllerRef: the Job a pod's controller reference names, if it is that Job. */
  #resolve(p: Pod): Job | undefined {
    const ref = controllerOf(p);
    return ref && resolveControllerRef(p.metadata?.namespace ?? '', ref, JOB_KIND.kind, (k) => this.jobs.store.get(k));
  }

  #addPod(p: Pod): void {
    if (p.metadata?.deletionTimestamp) {
      // A pod seen first while being deleted is no creation to observe.
      this.#deletePod(p, false);
      return;
    }
    if (controllerOf(p)) {
      const job = this.#resolve(p);
      if (!job) return;
      this.#d.expectations.creationObserved(key(job));
      this.#batched(job);
      return;
    }
    if (hasTrackingFinalizer(p)) this.orphanQueue.add(key(p));
  }

  #updatePod(old: Pod, cur: Pod): void {
    if (cur.metadata?.resourceVersion === old.metadata?.resourceVersion) return;
    if (cur.metadata?.deletionTimestamp) {
      this.#deletePod(cur, false);
      return;
    }
    const finalizerRemoved = !hasTrackingFinalizer(cur);
    const oldRef = controllerOf(old);
    const curRef = controllerOf(cur);
    if (oldRef && oldRef.uid !== curRef?.uid) {
      const job = this.#resolve(old);
      if (job) {
        if (finalizerRemoved) this.#d.finalizerExpectations.removalObserved(key(job), cur.metadata?.uid ?? '');
        this.#batched(job);
      }
    }
    if (curRef) {
      const job = this.#resolve(cur);
      if (!job) return;
      if (finalizerRemoved) this.#d.finalizerExpectations.removalObserved(key(job), cur.metadata?.uid ?? '');
      this.#batched(job);
      return;
    }
    if (hasTrackingFinalizer(cur)) this.orphanQueue.add(key(cur));
  }

  #deletePod(p: Pod, final: boolean): void {
    const hasFinalizer = hasTrackingFinalizer(p);
    if (!controllerOf(p)) {
      // Perhaps a Job's pod the garbage collector orphaned.
      if (hasFinalizer) this.orphanQueue.add(key(p));
      return;
    }
    const job = this.#resolve(p);
    if (!job || isJobFinished(job)) {
      // syncJob will not remove this finalizer.
      if (hasFinalizer) this.orphanQueue.add(key(p));
      return;
    }
    const k = key(job);
    this.#d.expectations.deletionObserved(k);
    if (final || !hasFinalizer) this.#d.finalizerExpectations.removalObserved(k, p.metadata?.uid ?? '');
    this.#batched(job);
  }

  #cleanupPodFinalizers(job: Job): void {
    for (const p of this.pods.store.list()) {
      if (p.metadata?.namespace !== job.metadata?.namespace) continue;
      if (controllerOf(p)?.uid === job.metadata?.uid && hasTrackingFinalizer(p)) this.orphanQueue.add(key(p));
    }
  }

  /** getPodsForJob: the pods this Job controls (mkube adopts no orphans: see the report). */
  #podsFor(job: Job): Pod[] {
    let selector: ReturnType<typeof labelSelectorFromObject>;
    try {
      selector = labelSelectorFromObject(job.spec?.selector);
    } catch (e) {
      throw new Error(`couldn't convert Job selector: ${(e as Error).message}`);
    }
    const ns = job.metadata?.namespace;
    return this.pods.store
      .list()
      .filter(
        (p) =>
          p.metadata?.namespace === ns &&
          controllerOf(p)?.uid === job.metadata?.uid &&
          selector.matches(p.metadata?.labels ?? {}),
      );
  }

  async sync(k: string): Promise<void> {
    const job = this.jobs.store.get(k);
    if (!job) {
      this.#d.expectations.delete(k);
      this.#d.finalizerExpectations.delete(k);
      this.#d.backoff.remove(k);
      return;
    }
    // A Job another controller manages (spec.managedBy) is left to it.
    const managedBy = job.spec?.managedBy;
    if (managedBy !== undefined && managedBy !== 'kubernetes.io/job-controller') return;
    await syncJob(this.#d, k, job, this.#podsFor(job));
  }

  /** syncOrphanPod: strips the finalizer from a pod no unfinished Job of ours controls. */
  async syncOrphanPod(k: string): Promise<void> {
    const pod = this.pods.store.get(k);
    if (!pod) return;
    const ref = controllerOf(pod);
    if (ref) {
      // Another kind of owner's finalizer is not ours to touch.
      if (ref.kind !== JOB_KIND.kind || ref.apiVersion !== JOB_KIND.apiVersion) return;
      const job = this.#resolve(pod);
      if (job) {
        const managedBy = job.spec?.managedBy;
        if (managedBy !== undefined && managedBy !== 'kubernetes.io/job-controller') return;
        if (!isJobFinished(job)) return;
      }
    }
    try {
      await this.#d.pods.removeTrackingFinalizer(pod);
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  }
}
