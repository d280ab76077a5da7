// What the binder's parts share: its clients and caches, its queues and operations, and the
// in-tree plugin it provisions and deletes with.
import type { Node, PersistentVolume, PersistentVolumeClaim, Pod, StorageClass } from '@mkube/shared/api';
import type { KubeClient, ReadonlyStore } from '@mkube/shared/client';
import type { EventRecorder } from '@mkube/shared/events';
import type { Logger } from '@mkube/shared/log';
import type { WorkQueue } from '../../controller.js';
import type { HostPathPlugin } from '../hostpath.js';
import type { VersionedCache } from './cache.js';
import type { OperationMap } from './operations.js';

export interface BinderContext {
  readonly client: KubeClient;
  readonly recorder: EventRecorder;
  readonly log: Logger;
  readonly volumes: VersionedCache<PersistentVolume>;
  readonly claims: VersionedCache<PersistentVolumeClaim>;
  readonly classes: ReadonlyStore<StorageClass>;
  readonly pods: ReadonlyStore<Pod>;
  readonly nodes: ReadonlyStore<Node>;
  readonly claimQueue: WorkQueue;
  readonly volumeQueue: WorkQueue;
  readonly ops: OperationMap;
  readonly hostPath: HostPathPlugin;
  /** --enable-dynamic-provisioning. */
  readonly enableDynamicProvisioning: boolean;
  /** Aborts when the controller stops: operations waiting to retry give up. */
  readonly stopping: AbortSignal;
}
