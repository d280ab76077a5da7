// controller.RealPodControl for Jobs: creates and deletes pods and records each on the Job as
// upstream does (SuccessfulCreate "Created pod: x", FailedCreate, SuccessfulDelete, FailedDelete);
// strips the tracking finalizer with the strategic-merge directive upstream sends.
import type { Job, Pod } from '@mkube/shared/api';
import { isNotFound, StatusError } from '@mkube/shared/apierrors';
import { type KubeClient, PatchType } from '@mkube/shared/client';
import type { EventRecorder } from '@mkube/shared/events';
import { RESOURCES } from '../informers/index.js';
import { JOB_TRACKING_FINALIZER } from './pods.js';

const errMessage = (e: unknown) => (e instanceof Error ? e.message : String(e));

/** apierrors.HasStatusCause(err, NamespaceTerminatingCause). */
export const namespaceTerminating = (e: unknown): boolean =>
  e instanceof StatusError && e.details?.causes?.some((c) => c.reason === 'NamespaceTerminating') === true;

export class PodControl {
  constructor(
    readonly client: KubeClient,
    readonly recorder: EventRecorder,
  ) {}

  #pods(ns: string) {
    return this.client.resource<Pod>({ ...RESOURCES.pods, namespace: ns });
  }

  async create(job: Job, pod: Pod): Promise<Pod> {
    if (!pod.metadata?.labels || Object.keys(pod.metadata.labels).length === 0)
      throw new Error('unable to create pods, no labels');
    try {
      const created = await this.#pods(job.metadata?.namespace ?? '').create(pod);
      this.recorder.event(job, 'Normal', 'SuccessfulCreate', `Created pod: ${created.metadata?.name ?? ''}`);
      return created;
    } catch (e) {
      if (!namespaceTerminating(e))
        this.recorder.event(job, 'Warning', 'FailedCreate', `Error creating: ${errMessage(e)}`);
      throw e;
    }
  }

  /** Deletes; NotFound is thrown to the caller, which treats it as done. */
  async delete(job: Job, pod: Pod): Promise<void> {
    const name = pod.metadata?.name ?? '';
    try {
      await this.#pods(pod.metadata?.namespace ?? '').delete(name);
    } catch (e) {
      if (!isNotFound(e)) this.recorder.event(job, 'Warning', 'FailedDelete', `Error deleting: ${errMessage(e)}`);
      throw e;
    }
    this.recorder.event(job, 'Normal', 'SuccessfulDelete', `Deleted pod: ${name}`);
  }

  /** removeTrackingFinalizerPatch, sent only when the pod has it. */
  async removeTrackingFinalizer(pod: Pod): Promise<void> {
    if (!pod.metadata?.finalizers?.includes(JOB_TRACKING_FINALIZER)) return;
    await this.#pods(pod.metadata.namespace ?? '').patch(pod.metadata.name ?? '', PatchType.StrategicMerge, {
      metadata: { '$deleteFromPrimitiveList/finalizers': [JOB_TRACKING_FINALIZER] },
    });
  }
}
