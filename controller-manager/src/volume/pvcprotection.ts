// persistentvolumeclaim-protection-controller (k8s pkg/controller/volume/pvcprotection): a claim
// carries kubernetes.io/pvc-protection (added by admission, or here for claims made without it), and
// once deleted keeps it while a scheduled pod uses the claim, so that data is not pulled from under
// a running pod. A pod's use is looked up in the informer first and, if none is found there, in a
// live list (the informer may not have seen a pod created just now). As upstream, a pod uses the
// claim until it is gone, finished or not, except that a shut-down pod (deleted with grace period
// 0) no longer holds its own ephemeral claim.
import type { PersistentVolumeClaim, Pod } from '@mkube/shared/api';
import { ephemeralClaimName, PVC_PROTECTION_FINALIZER, volumeIsForPod } from '@mkube/shared/api';
import { isNotFound } from '@mkube/shared/apierrors';
import type { KubeClient } from '@mkube/shared/client';
import type { Logger } from '@mkube/shared/log';
import { type Controller, runQueue, WorkQueue } from '../controller.js';
import { RESOURCES, type SharedInformer } from '../informers/index.js';
import { claimKey, isDeletionCandidate, needToAddFinalizer } from './helpers.js';
import { isPodTerminated, podClaimNames } from './podvolumes.js';
import { PVCS } from './resources.js';

export const PVC_PROTECTION_CONTROLLER = 'persistentvolumeclaim-protection-controller';
export const PVC_PROTECTION_SA = 'pvc-protection-controller';

/** podIsShutDown: the kubelet is done with it, or it was force-deleted. */
const podIsShutDown = (p: Pod) => !!p.metadata?.deletionTimestamp && p.metadata.deletionGracePeriodSeconds === 0;

/** podUsesPVC: only a scheduled pod can be using it (the kubelet will not start one on a deleting claim). */
export function podUsesPVC(pod: Pod, pvc: PersistentVolumeClaim): boolean {
  if (!pod.spec?.nodeName || pod.metadata?.namespace !== pvc.metadata?.namespace) return false;
  const name = pvc.metadata?.name;
  return (pod.spec.volumes ?? []).some(
    (v) =>
      v.persistentVolumeClaim?.claimName === name ||
      (!podIsShutDown(pod) &&
        v.ephemeral !== undefined &&
        ephemeralClaimName(pod, v) === name &&
        volumeIsForPod(pod, pvc) === undefined),
  );
}

export class PVCProtectionController implements Controller {
  readonly name = PVC_PROTECTION_CONTROLLER;
  readonly queue = new WorkQueue('pvcprotection');

  constructor(
    readonly client: KubeClient,
    readonly claims: SharedInformer<PersistentVolumeClaim>,
    readonly pods: SharedInformer<Pod>,
    readonly log: Logger,
    readonly workers = 1,
  ) {
    const onClaim = (c: PersistentVolumeClaim) => {
      if (needToAddFinalizer(c, PVC_PROTECTION_FINALIZER) || isDeletionCandidate(c, PVC_PROTECTION_FINALIZER))
        this.queue.add(claimKey(c));
    };
    claims.addEventHandler({ onAdd: onClaim, onUpdate: (_o, c) => onClaim(c) });
    pods.addEventHandler({
      onAdd: (p) => this.#enqueueClaimsOf(p, false),
      onUpdate: (old, p) => {
        this.#enqueueClaimsOf(p, false);
        // An update may hide the deletion of one pod and the creation of another of the same name.
        if (old.metadata?.uid !== p.metadata?.uid) this.#enqueueClaimsOf(old, true);
      },
      onDelete: (p) => this.#enqueueClaimsOf(p, true),
    });
  }

  /** enqueuePVCs: only a pod that can no longer be holding its claims can help release them. */
  #enqueueClaimsOf(pod: Pod, deleted: boolean): void {
    if (!deleted && !isPodTerminated(pod) && pod.spec?.nodeName) return;
    for (const name of podClaimNames(pod)) this.queue.add(`${pod.metadata?.namespace ?? ''}/${name}`);
  }

  run(signal: AbortSignal): Promise<void> {
    return runQueue(this.queue, this.workers, (k) => this.sync(k), this.log, signal);
  }

  #api(ns: string) {
    return this.client.resource<PersistentVolumeClaim>({ ...PVCS, namespace: ns });
  }

  async #isBeingUsed(pvc: PersistentVolumeClaim): Promise<boolean> {
    if (this.pods.store.list().some((p) => podUsesPVC(p, pvc))) return true;
    const live = await this.client
      .resource<Pod>({ ...RESOURCES.pods, namespace: pvc.metadata?.namespace ?? '' })
      .list();
    return live.items.some((p) => podUsesPVC(p, pvc));
  }

  async sync(key: string): Promise<void> {
    const pvc = this.claims.store.get(key);
    if (!pvc) return;
    const ns = pvc.metadata?.namespace ?? '';
    if (isDeletionCandidate(pvc, PVC_PROTECTION_FINALIZER)) {
      if (!(await this.#isBeingUsed(pvc))) {
        const clone = structuredClone(pvc);
        clone.metadata.finalizers = (clone.metadata.finalizers ?? []).filter((f) => f !== PVC_PROTECTION_FINALIZER);
        try {
          await this.#api(ns).update(clone);
        } catch (e) {
          if (isNotFound(e)) return;
          throw e;
        }
        this.log.info({ pvc: key }, 'Removed protection finalizer from PVC');
        return;
      }
      this.log.debug({ pvc: key }, 'Keeping PVC because it is being used');
    }
    if (needToAddFinalizer(pvc, PVC_PROTECTION_FINALIZER)) {
      // For claims made before (or without) the StorageObjectInUseProtection admission plugin.
      const clone = structuredClone(pvc);
      clone.metadata.finalizers = [...(clone.metadata.finalizers ?? []), PVC_PROTECTION_FINALIZER];
      try {
        await this.#api(ns).update(clone);
      } catch (e) {
        if (isNotFound(e)) return;
        throw e;
      }
      this.log.debug({ pvc: key }, 'Added protection finalizer to PVC');
    }
  }
}
