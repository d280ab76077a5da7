// What one Job sync works with (upstream's syncJobCtx) and the controller parts its steps share.
import type { Job, JobCondition, Pod } from '@mkube/shared/api';
import type { KubeClient } from '@mkube/shared/client';
import type { ControllerExpectations } from '@mkube/shared/controller';
import type { EventRecorder } from '@mkube/shared/events';
import type { Logger } from '@mkube/shared/log';
import type { BackoffRecord, BackoffStore } from './backoff.js';
import type { UidTrackingExpectations } from './expectations.js';
import type { JobPodControl } from './podcontrol.js';

/** What a Job writes into its pods' controller reference. */
export const JOB_KIND = { apiVersion: 'batch/v1', kind: 'Job' } as const;

export interface JobTiming {
  /** syncJobBatchPeriod: pod events and status updates are batched this long (1 s). */
  readonly batchPeriodMs?: number;
  /** DefaultJobPodFailureBackOff (10 s) and MaxJobPodFailureBackOff (10 min). */
  readonly podFailureBackoffMs?: number;
  readonly maxPodFailureBackoffMs?: number;
  /** The clock (tests). */
  readonly now?: () => number;
}

export interface JobDeps {
  readonly client: KubeClient;
  readonly pods: JobPodControl;
  readonly recorder: EventRecorder;
  readonly expectations: ControllerExpectations;
  readonly finalizerExpectations: UidTrackingExpectations;
  readonly backoff: BackoffStore;
  readonly log: Logger;
  readonly now: () => number;
  readonly podFailureBackoffMs: number;
  readonly maxPodFailureBackoffMs: number;
  /** queue.AddAfter for this Job's key (at least the batch period when `batched`). */
  enqueueAfter(key: string, ms: number, batched?: boolean): void;
}

export interface SyncCtx {
  readonly key: string;
  job: Job;
  readonly pods: Pod[];
  readonly activePods: Pod[];
  finishedCondition?: JobCondition;
  succeeded: number;
  failed: number;
  prevSucceededIndexes: Set<number>;
  succeededIndexes: Set<number>;
  /** With backoffLimitPerIndex: the indexes failed for good (status.failedIndexes plus new ones). */
  failedIndexes?: Set<number>;
  /** With backoffLimitPerIndex: per index, the failed pod whose finalizer waits for its replacement. */
  podsWithDelayedDeletion: Map<number, Pod>;
  newBackoff: BackoffRecord;
  readonly expectedRmFinalizers: ReadonlySet<string>;
  readonly uncounted: { readonly succeeded: ReadonlySet<string>; readonly failed: ReadonlySet<string> };
  /** Pods being deleted and not yet terminal (tracked: JobPodReplacementPolicy is on in 1.33). */
  terminating: number;
  ready: number;
}
