// The job controller's PodControl: the shared one (pods from the template, upstream's
// SuccessfulCreate/FailedCreate/SuccessfulDelete/FailedDelete Events on the Job), plus the removal
// of the tracking finalizer with the strategic-merge directive upstream sends.
import type { Pod } from '@mkube/shared/api';
import { PatchType } from '@mkube/shared/client';
import { PodControl } from '@mkube/shared/controller';
import { RESOURCES } from '../informers/index.js';
import { JOB_TRACKING_FINALIZER } from './pods.js';

export class JobPodControl extends PodControl {
  /** removeTrackingFinalizerPatch, sent only when the pod has it. */
  async removeTrackingFinalizer(pod: Pod): Promise<void> {
    if (!pod.metadata?.finalizers?.includes(JOB_TRACKING_FINALIZER)) return;
    await this.client
      .resource<Pod>({ ...RESOURCES.pods, namespace: pod.metadata.namespace ?? '' })
      .patch(pod.metadata.name ?? '', PatchType.StrategicMerge, {
        metadata: { '$deleteFromPrimitiveList/finalizers': [JOB_TRACKING_FINALIZER] },
      });
  }
}
