// persistentvolume-binder-controller (k8s pkg/controller/volume/persistentvolume): binds claims to
// volumes, provisions volumes for claims, and reclaims volumes whose claims are gone. Two queues,
// one worker each (a sync is not reentrant: two at once could give one volume to two claims), fed
// by the volume and claim informers and by a periodic resync (--pvclaimbinder-sync-period), which is
// also what binds a waiting claim to a volume created later, as upstream.
import type { Node, PersistentVolume, PersistentVolumeClaim, Pod, StorageClass } from '@mkube/shared/api';
import type { EventRecorder } from '@mkube/shared/events';
import type { Logger } from '@mkube/shared/log';
import { type Controller, runQueue, WorkQueue } from '../../controller.js';
import type { SharedInformer } from '../../informers/index.js';
import { claimKey } from '../helpers.js';
import type { HostPathPlugin } from '../hostpath.js';
import { VersionedCache } from './cache.js';
import { syncClaim } from './claimsync.js';
import type { BinderContext } from './context.js';
import { OperationMap } from './operations.js';
import { syncVolume } from './volumesync.js';

export const PV_BINDER_CONTROLLER = 'persistentvolume-binder-controller';
/** The ServiceAccount upstream's binder runs as. */
export const PV_BINDER_SA = 'persistent-volume-binder';
/** Its events' source component. */
export const PV_BINDER_EVENT_SOURCE = 'persistentvolume-controller';

export interface BinderOptions {
  /** --pvclaimbinder-sync-period. */
  readonly resyncPeriodMs: number;
  /** --enable-dynamic-provisioning. */
  readonly enableDynamicProvisioning: boolean;
}

export interface BinderInformers {
  readonly volumes: SharedInformer<PersistentVolume>;
  readonly claims: SharedInformer<PersistentVolumeClaim>;
  readonly classes: SharedInformer<StorageClass>;
  readonly pods: SharedInformer<Pod>;
  readonly nodes: SharedInformer<Node>;
}

export class PersistentVolumeController implements Controller {
  readonly name = PV_BINDER_CONTROLLER;
  readonly ctx: BinderContext;
  readonly #stop = new AbortController();

  constructor(
    client: BinderContext['client'],
    readonly informers: BinderInformers,
    hostPath: HostPathPlugin,
    recorder: EventRecorder,
    readonly log: Logger,
    readonly opts: BinderOptions,
  ) {
    this.ctx = {
      client,
      recorder,
      log,
      volumes: new VersionedCache<PersistentVolume>(),
      claims: new VersionedCache<PersistentVolumeClaim>(),
      classes: informers.classes.store,
      pods: informers.pods.store,
      nodes: informers.nodes.store,
      claimQueue: new WorkQueue('claims'),
      volumeQueue: new WorkQueue('volumes'),
      ops: new OperationMap(log),
      hostPath,
      enableDynamicProvisioning: opts.enableDynamicProvisioning,
      stopping: this.#stop.signal,
    };
    const volume = (v: PersistentVolume) => this.ctx.volumeQueue.add(v.metadata?.name ?? '');
    const claim = (c: PersistentVolumeClaim) => this.ctx.claimQueue.add(claimKey(c));
    informers.volumes.addEventHandler({ onAdd: volume, onUpdate: (_o, v) => volume(v), onDelete: volume });
    informers.claims.addEventHandler({ onAdd: claim, onUpdate: (_o, c) => claim(c), onDelete: claim });
  }

  async run(signal: AbortSignal): Promise<void> {
    // initializeCaches: the binder starts from everything the informers listed.
    for (const v of this.informers.volumes.store.list()) this.ctx.volumes.update(structuredClone(v));
    for (const c of this.informers.claims.store.list()) this.ctx.claims.update(structuredClone(c));
    const resync = setInterval(() => this.resync(), this.opts.resyncPeriodMs);
    const stop = () => {
      clearInterval(resync);
      this.#stop.abort();
    };
    if (signal.aborted) stop();
    else signal.addEventListener('abort', stop, { once: true });
    await Promise.all([
      runQueue(this.ctx.volumeQueue, 1, (k) => this.volumeWorker(k), this.log, signal),
      runQueue(this.ctx.claimQueue, 1, (k) => this.claimWorker(k), this.log, signal),
    ]);
    await this.ctx.ops.wait();
  }

  resync(): void {
    for (const c of this.informers.claims.store.list()) this.ctx.claimQueue.add(claimKey(c));
    for (const v of this.informers.volumes.store.list()) this.ctx.volumeQueue.add(v.metadata?.name ?? '');
  }

  /** The informer's copy when it is the newest known (updateVolume), else a delete (deleteVolume). */
  async volumeWorker(name: string): Promise<void> {
    const v = this.informers.volumes.store.get(name);
    if (v) {
      if (this.ctx.volumes.update(v)) await syncVolume(this.ctx, v);
      return;
    }
    const cached = this.ctx.volumes.get(name);
    if (!cached) return;
    this.ctx.volumes.delete(name);
    // Its claim becomes Lost.
    const ref = cached.spec?.claimRef;
    if (ref) this.ctx.claimQueue.add(`${ref.namespace ?? ''}/${ref.name ?? ''}`);
  }

  async claimWorker(key: string): Promise<void> {
    const c = this.informers.claims.store.get(key);
    if (c) {
      if (this.ctx.claims.update(c)) await syncClaim(this.ctx, c);
      return;
    }
    const cached = this.ctx.claims.get(key);
    if (!cached) return;
    this.ctx.claims.delete(key);
    // Its volume is released now rather than at the next resync.
    const volumeName = cached.spec?.volumeName;
    if (volumeName) this.ctx.volumeQueue.add(volumeName);
  }
}
