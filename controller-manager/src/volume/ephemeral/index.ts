// ephemeral-volume-controller (k8s pkg/controller/volume/ephemeral): creates the claim of each
// generic ephemeral volume of a pod, owned by the pod, and leaves alone a claim of that name the pod
// does not own (the kubelet then refuses to start the pod). The pod spec is immutable and the claim
// goes with the pod through the garbage collector, so only a pod's arrival and the deletion of a claim
// a live pod references call for work.
import type { PersistentVolumeClaim, Pod, Volume } from '@mkube/shared/api';
import { ephemeralClaimName, volumeIsForPod } from '@mkube/shared/api';
import type { KubeClient } from '@mkube/shared/client';
import type { EventRecorder } from '@mkube/shared/events';
import type { Logger } from '@mkube/shared/log';
import { type Controller, runQueue, WorkQueue } from '../../controller.js';
import type { SharedInformer } from '../../informers/index.js';
import { claimKey } from '../helpers.js';
import { podReferencesClaim } from '../podvolumes.js';
import { PVCS } from '../resources.js';
import { ephemeralSource, newEphemeralClaim } from './claim.js';

export const EPHEMERAL_VOLUME_CONTROLLER = 'ephemeral-volume-controller';
export const EPHEMERAL_VOLUME_SA = 'ephemeral-volume-controller';
/** The Events' source component, upstream's. */
export const EPHEMERAL_VOLUME_EVENT_SOURCE = 'ephemeral_volume';
/** events.FailedBinding: the reason upstream records any failure of a pod's ephemeral volume under. */
export const FAILED_BINDING = 'FailedBinding';

const podKey = (p: Pod): string => `${p.metadata?.namespace ?? ''}/${p.metadata?.name ?? ''}`;
const hasEphemeralVolume = (p: Pod): boolean => (p.spec?.volumes ?? []).some((v) => ephemeralSource(v) !== undefined);

export class EphemeralController implements Controller {
  readonly name = EPHEMERAL_VOLUME_CONTROLLER;
  readonly queue = new WorkQueue('ephemeral_volume');

  constructor(
    readonly client: KubeClient,
    readonly pods: SharedInformer<Pod>,
    readonly claims: SharedInformer<PersistentVolumeClaim>,
    readonly recorder: EventRecorder,
    readonly log: Logger,
    readonly workers = 5,
  ) {
    pods.addEventHandler({ onAdd: (p) => this.#enqueuePod(p) });
    claims.addEventHandler({ onDelete: (c) => this.#onClaimDelete(c) });
  }

  #enqueuePod(pod: Pod): void {
    if (pod.metadata?.deletionTimestamp || !hasEphemeralVolume(pod)) return;
    this.queue.add(podKey(pod));
  }

  /** A claim deleted, on purpose or not, from under a live pod whose ephemeral volume it was is made again. */
  #onClaimDelete(claim: PersistentVolumeClaim): void {
    const ns = claim.metadata?.namespace ?? '';
    const name = claim.metadata?.name ?? '';
    for (const pod of this.pods.store.list()) if (podReferencesClaim(pod, ns, name)) this.#enqueuePod(pod);
  }

  run(signal: AbortSignal): Promise<void> {
    return runQueue(this.queue, this.workers, (k) => this.sync(k), this.log, signal);
  }

  async sync(key: string): Promise<void> {
    const pod = this.pods.store.get(key);
    if (!pod) {
      this.log.debug({ pod: key }, 'Ephemeral: nothing to do for pod, it is gone');
      return;
    }
    if (pod.metadata?.deletionTimestamp) {
      this.log.debug({ pod: key }, 'Ephemeral: nothing to do for pod, it is marked for deletion');
      return;
    }
    for (const v of pod.spec?.volumes ?? []) {
      const err = await this.#handleVolume(pod, v);
      if (err !== undefined) {
        this.recorder.event(pod, 'Warning', FAILED_BINDING, `ephemeral volume ${v.name}: ${err}`);
        throw new Error(`pod ${key}, ephemeral volume ${v.name}: ${err}`);
      }
    }
  }

  /** handleVolume: undefined once the volume's claim is there and the pod's, else what went wrong. */
  async #handleVolume(pod: Pod, v: Volume): Promise<string | undefined> {
    const source = ephemeralSource(v);
    if (!source) return undefined;
    const name = ephemeralClaimName(pod, v);
    const ns = pod.metadata?.namespace ?? '';
    const existing = this.claims.store.get(`${ns}/${name}`);
    if (existing) return volumeIsForPod(pod, existing);
    const claim = newEphemeralClaim(pod, v, source);
    try {
      await this.client.resource<PersistentVolumeClaim>({ ...PVCS, namespace: ns }).create(claim);
    } catch (e) {
      return `create PVC ${name}: ${(e as Error).message}`;
    }
    this.log.debug({ pod: podKey(pod), pvc: claimKey(claim) }, 'Ephemeral: created PVC');
    return undefined;
  }
}
