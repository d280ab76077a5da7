// persistentvolume-protection-controller (k8s pkg/controller/volume/pvprotection): a volume carries
// kubernetes.io/pv-protection (added by admission, or here for volumes made without it), and once
// deleted keeps it while it is Bound; the binder's phase writes bring it back here.
import type { PersistentVolume } from '@mkube/shared/api';
import { PV_PROTECTION_FINALIZER } from '@mkube/shared/api';
import { isNotFound } from '@mkube/shared/apierrors';
import type { KubeClient } from '@mkube/shared/client';
import type { Logger } from '@mkube/shared/log';
import { type Controller, runQueue, WorkQueue } from '../controller.js';
import type { SharedInformer } from '../informers/index.js';
import { isDeletionCandidate, needToAddFinalizer } from './helpers.js';
import { PVS } from './resources.js';

export const PV_PROTECTION_CONTROLLER = 'persistentvolume-protection-controller';
export const PV_PROTECTION_SA = 'pv-protection-controller';

export class PVProtectionController implements Controller {
  readonly name = PV_PROTECTION_CONTROLLER;
  readonly queue = new WorkQueue('pvprotection');

  constructor(
    readonly client: KubeClient,
    readonly volumes: SharedInformer<PersistentVolume>,
    readonly log: Logger,
    readonly workers = 1,
  ) {
    const onVolume = (v: PersistentVolume) => {
      if (needToAddFinalizer(v, PV_PROTECTION_FINALIZER) || isDeletionCandidate(v, PV_PROTECTION_FINALIZER))
        this.queue.add(v.metadata?.name ?? '');
    };
    volumes.addEventHandler({ onAdd: onVolume, onUpdate: (_o, v) => onVolume(v) });
  }

  run(signal: AbortSignal): Promise<void> {
    return runQueue(this.queue, this.workers, (k) => this.sync(k), this.log, signal);
  }

  async #write(v: PersistentVolume, finalizers: string[]): Promise<void> {
    const clone = structuredClone(v);
    clone.metadata.finalizers = finalizers;
    try {
      await this.client.resource<PersistentVolume>(PVS).update(clone);
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  }

  async sync(name: string): Promise<void> {
    const pv = this.volumes.store.get(name);
    if (!pv) return;
    const finalizers = pv.metadata?.finalizers ?? [];
    if (isDeletionCandidate(pv, PV_PROTECTION_FINALIZER)) {
      // isBeingUsed: the binder's Bound phase is what says a claim holds it.
      if (pv.status?.phase !== 'Bound') {
        await this.#write(
          pv,
          finalizers.filter((f) => f !== PV_PROTECTION_FINALIZER),
        );
        this.log.info({ pv: name }, 'Removed protection finalizer from PV');
        return;
      }
      this.log.debug({ pv: name }, 'Keeping PV because it is being used');
    }
    if (needToAddFinalizer(pv, PV_PROTECTION_FINALIZER))
      await this.#write(pv, [...finalizers, PV_PROTECTION_FINALIZER]);
  }
}
