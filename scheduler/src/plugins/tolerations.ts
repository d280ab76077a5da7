// What the scheduler's taint filters share beyond shared/api's Toleration.ToleratesTaint.
import type { Taint } from '@mkube/shared/api';

/** DoNotScheduleTaintsFilterFunc: the effects that keep a pod off a node (PreferNoSchedule only scores). */
export const doNotSchedule = (t: Taint): boolean => t.effect === 'NoSchedule' || t.effect === 'NoExecute';
