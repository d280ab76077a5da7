// StatefulPodControl (stateful_pod_control.go): creates, repairs and deletes a set's pods, each
// with upstream's Event ("create Pod web-0 in StatefulSet web successful"), and their claims: made
// before the pod (read from the claim informer, as upstream's lister), kept with the owner
// references the set's retention policy asks for. An AlreadyExists on a pod's create is the
// informer lagging behind an earlier create: no Event, the sync just retries.
import type { PersistentVolumeClaim, Pod, StatefulSet } from '@mkube/shared/api';
import { isAlreadyExists, isConflict } from '@mkube/shared/apierrors';
import type { KubeClient, ReadonlyStore } from '@mkube/shared/client';
import type { EventRecorder } from '@mkube/shared/events';
import { RESOURCES } from '../informers/index.js';
import { PVCS } from '../volume/resources.js';
import {
  claimNameFor,
  hasStaleOwnerRef,
  hasUnexpectedController,
  isClaimOwnerUpToDate,
  podClaims,
  retentionPolicy,
  storageMatches,
  withPolicyOwnerRefs,
  withStorage,
} from './claims.js';
import { identityMatches, ordinalOf, updateIdentity } from './utils.js';

type Verb = 'create' | 'update' | 'delete';
const title = (v: Verb) => `${v[0]?.toUpperCase()}${v.slice(1)}`;
const POD_KIND = { apiVersion: 'v1', kind: 'Pod' } as const;
/** How long a claim this control wrote stands in for the informer's copy. */
const WRITTEN_TTL_MS = 10_000;

export class StatefulPodControl {
  constructor(
    readonly client: KubeClient,
    readonly recorder: EventRecorder,
    readonly claims: ReadonlyStore<PersistentVolumeClaim>,
  ) {}

  #pods(set: StatefulSet) {
    return this.client.resource<Pod>({ ...RESOURCES.pods, namespace: set.metadata.namespace ?? '' });
  }

  #claimsApi(set: StatefulSet) {
    return this.client.resource<PersistentVolumeClaim>({ ...PVCS, namespace: set.metadata.namespace ?? '' });
  }

  /**
   * Claims this control wrote that the informer may not have caught up with yet; kept briefly, so
   * that a claim deleted since is not taken for present.
   */
  readonly #written = new Map<string, { claim: PersistentVolumeClaim; at: number }>();

  /** The newest copy of a claim: the informer's, or this control's own write when that is newer. */
  #claim(set: StatefulSet, name: string): PersistentVolumeClaim | undefined {
    const key = `${set.metadata.namespace ?? ''}/${name}`;
    const cached = this.claims.get(key);
    const entry = this.#written.get(key);
    if (!entry) return cached;
    const written = entry.claim;
    if (
      Date.now() - entry.at > WRITTEN_TTL_MS ||
      (cached && Number(cached.metadata.resourceVersion) >= Number(written.metadata.resourceVersion))
    ) {
      this.#written.delete(key);
      return cached;
    }
    return written;
  }

  #wrote(c: PersistentVolumeClaim): void {
    this.#written.set(`${c.metadata.namespace ?? ''}/${c.metadata.name ?? ''}`, { claim: c, at: Date.now() });
  }

  /** recordPodEvent. */
  #record(verb: Verb, set: StatefulSet, pod: Pod, err?: unknown): void {
    const name = pod.metadata.name;
    if (err === undefined) {
      this.recorder.event(
        set,
        'Normal',
        `Successful${title(verb)}`,
        `${verb} Pod ${name} in StatefulSet ${set.metadata.name} successful`,
      );
    } else {
      this.recorder.event(
        set,
        'Warning',
        `Failed${title(verb)}`,
        `${verb} Pod ${name} in StatefulSet ${set.metadata.name} failed error: ${(err as Error).message}`,
      );
    }
  }

  /** recordClaimEvent. */
  #recordClaim(verb: Verb, set: StatefulSet, pod: Pod, claim: PersistentVolumeClaim, err?: unknown): void {
    const [c, p, s] = [claim.metadata.name, pod.metadata.name, set.metadata.name];
    if (err === undefined)
      this.recorder.event(
        set,
        'Normal',
        `Successful${title(verb)}`,
        `${verb} Claim ${c} Pod ${p} in StatefulSet ${s} success`,
      );
    else
      this.recorder.event(
        set,
        'Warning',
        `Failed${title(verb)}`,
        `${verb} Claim ${c} for Pod ${p} in StatefulSet ${s} failed error: ${(err as Error).message}`,
      );
  }

  /** createPersistentVolumeClaims: each missing claim; a claim being deleted fails the pod's creation. */
  async createClaims(set: StatefulSet, pod: Pod): Promise<void> {
    const errs: string[] = [];
    for (const claim of podClaims(set, pod).values()) {
      const have = this.#claim(set, claim.metadata.name ?? '');
      if (!have) {
        try {
          this.#wrote(await this.#claimsApi(set).create(claim));
          this.#recordClaim('create', set, pod, claim);
        } catch (e) {
          errs.push(`failed to create PVC ${claim.metadata.name}: ${(e as Error).message}`);
          if (!isAlreadyExists(e)) this.#recordClaim('create', set, pod, claim, e);
        }
      } else if (have.metadata.deletionTimestamp) {
        errs.push(`pvc ${claim.metadata.name} is being deleted`);
      }
    }
    if (errs.length === 1) throw new Error(errs[0]);
    if (errs.length > 1) throw new Error(`[${errs.join(', ')}]`);
  }

  /** PodClaimIsStale: with whenScaled Delete, a claim still owned by an earlier pod of this name blocks it. */
  podClaimIsStale(set: StatefulSet, pod: Pod): boolean {
    if (retentionPolicy(set).whenScaled === 'Retain') return false;
    for (const claim of podClaims(set, pod).values()) {
      const have = this.#claim(set, claim.metadata.name ?? '');
      if (have && hasStaleOwnerRef(have, pod, POD_KIND)) return true;
    }
    return false;
  }

  /** ClaimsMatchRetentionPolicy: a claim not in the cache yet is picked up on a later sync. */
  claimsMatchRetentionPolicy(set: StatefulSet, pod: Pod): boolean {
    const ordinal = ordinalOf(pod);
    for (const t of set.spec?.volumeClaimTemplates ?? []) {
      const claim = this.#claim(set, claimNameFor(set, t, ordinal));
      if (claim && !isClaimOwnerUpToDate(claim, set, pod)) return false;
    }
    return true;
  }

  /** UpdatePodClaimForRetentionPolicy. */
  async updateClaimsForRetentionPolicy(set: StatefulSet, pod: Pod): Promise<void> {
    const ordinal = ordinalOf(pod);
    for (const t of set.spec?.volumeClaimTemplates ?? []) {
      const name = claimNameFor(set, t, ordinal);
      const claim = this.#claim(set, name);
      if (!claim) continue;
      if (hasUnexpectedController(claim, set, pod))
        this.recorder.event(
          set,
          'Warning',
          'ConflictingController',
          `PersistentVolumeClaim ${name} has a conflicting OwnerReference that acts as a manging controller, the retention policy is ignored for this claim`,
        );
      if (isClaimOwnerUpToDate(claim, set, pod)) continue;
      try {
        this.#wrote(await this.#claimsApi(set).update(withPolicyOwnerRefs(claim, set, pod)));
      } catch (e) {
        throw new Error(`could not update claim ${name} for delete policy ownerRefs: ${(e as Error).message}`);
      }
    }
  }

  /** CreateStatefulPod: the claims first, then the pod, then the claims' owners as far as possible. */
  async create(set: StatefulSet, pod: Pod): Promise<void> {
    try {
      await this.createClaims(set, pod);
    } catch (e) {
      this.#record('create', set, pod, e);
      throw e;
    }
    let created: Pod;
    try {
      created = await this.#pods(set).create(pod);
    } catch (e) {
      if (!isAlreadyExists(e)) this.#record('create', set, pod, e);
      throw e;
    }
    try {
      await this.updateClaimsForRetentionPolicy(set, created);
    } catch (e) {
      this.#record('update', set, pod, e);
      throw e;
    }
    this.#record('create', set, pod);
  }

  async delete(set: StatefulSet, pod: Pod): Promise<void> {
    try {
      await this.#pods(set).delete(pod.metadata.name ?? '');
    } catch (e) {
      this.#record('delete', set, pod, e);
      throw e;
    }
    this.#record('delete', set, pod);
  }

  /**
   * UpdateStatefulPod: restores the pod's identity and storage (making missing claims) and its
   * claims' owners, re-reading the pod on a conflict.
   */
  async update(set: StatefulSet, pod: Pod): Promise<void> {
    let cur = pod;
    for (let attempt = 0; ; attempt++) {
      let consistent = true;
      if (!identityMatches(set, cur)) {
        cur = updateIdentity(set, cur);
        consistent = false;
      }
      try {
        if (!storageMatches(set, cur)) {
          cur = withStorage(set, cur);
          consistent = false;
          await this.createClaims(set, cur);
        }
        if (!this.claimsMatchRetentionPolicy(set, cur)) {
          await this.updateClaimsForRetentionPolicy(set, cur);
          consistent = false;
        }
      } catch (e) {
        this.#record('update', set, pod, e);
        throw e;
      }
      if (consistent) return;
      try {
        await this.#pods(set).update(cur);
        this.#record('update', set, pod);
        return;
      } catch (e) {
        if (!isConflict(e) || attempt >= 4) {
          this.#record('update', set, pod, e);
          throw e;
        }
        cur = await this.#pods(set).get(pod.metadata.name ?? '');
      }
    }
  }
}
