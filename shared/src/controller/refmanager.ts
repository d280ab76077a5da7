// BaseControllerRefManager.ClaimObject (k8s pkg/controller/controller_ref_manager.go), for pods
// (PodControllerRefManager), ReplicaSets and ControllerRevisions alike: a controller claims the
// objects it selects — keeps those it owns, adopts matching orphans, releases owned ones that
// stopped matching — through strategic-merge patches of ownerReferences alone, carrying the
// object's uid, so a concurrent writer of the object loses nothing and a patch that raced a delete
// and re-create of the same name fails instead of touching the newcomer. It adopts only after
// re-reading its owner from the apiserver (RecheckDeletionTimestamp): an owner that is being
// deleted, or was replaced, must not take objects.
import type { KubeObject } from '../api/index.js';
import { isInvalid, isNotFound } from '../apierrors/index.js';
import { PatchType, type ResourceClient } from '../client/index.js';
import type { LabelsSelector } from '../selectors/index.js';
import { type ControllerKind, controllerOf, newControllerRef } from './controllerref.js';

export interface RefManagerOptions<T extends KubeObject> {
  /** The controller (a ReplicaSet, a Deployment…) as its cache last saw it. */
  readonly owner: KubeObject;
  readonly kind: ControllerKind;
  readonly selector: LabelsSelector;
  /** The dependents' client, in the owner's namespace. */
  readonly dependents: ResourceClient<T>;
  /** Reads the owner from the apiserver (not the cache). */
  readonly fetchOwner: () => Promise<KubeObject>;
}

export class ControllerRefManager<T extends KubeObject> {
  #canAdopt: Promise<void> | undefined;

  constructor(private readonly o: RefManagerOptions<T>) {}

  /** canAdopt: once per sync, as upstream's sync.Once; throws when adopting is no longer right. */
  canAdopt(): Promise<void> {
    this.#canAdopt ??= this.#recheckDeletionTimestamp();
    return this.#canAdopt;
  }

  async #recheckDeletionTimestamp(): Promise<void> {
    const { owner, kind } = this.o;
    const ns = owner.metadata?.namespace ?? '';
    const name = owner.metadata?.name ?? '';
    let fresh: KubeObject;
    try {
      fresh = await this.o.fetchOwner();
    } catch (e) {
      throw new Error(`can't recheck DeletionTimestamp: ${(e as Error).message}`);
    }
    if (fresh.metadata?.uid !== owner.metadata?.uid)
      throw new Error(
        `can't recheck DeletionTimestamp: original ${kind.kind} ${ns}/${name} is gone: got uid ${fresh.metadata?.uid}, wanted ${owner.metadata?.uid}`,
      );
    if (fresh.metadata?.deletionTimestamp)
      throw new Error(`${ns}/${name} has just been deleted at ${fresh.metadata.deletionTimestamp}`);
  }

  /**
   * ClaimObjects: the objects this owner now controls, an adopted one as the adoption left it (with
   * its controller reference). Every object is tried; if any adoption or release failed, the first
   * error is thrown after all were (the caller retries the sync).
   */
  async claim(objs: readonly T[], extraMatch: (o: T) => boolean = () => true): Promise<T[]> {
    const claimed: T[] = [];
    const errors: unknown[] = [];
    const match = (o: T) => this.o.selector.matches(o.metadata?.labels ?? {}) && extraMatch(o);
    for (const o of objs) {
      try {
        const c = await this.#claimObject(o, match);
        if (c) claimed.push(c);
      } catch (e) {
        errors.push(e);
      }
    }
    if (errors.length > 0) throw errors[0];
    return claimed;
  }

  async #claimObject(o: T, match: (o: T) => boolean): Promise<T | undefined> {
    const { owner } = this.o;
    const ref = controllerOf(o);
    if (ref) {
      // Another controller's: not ours to touch.
      if (ref.uid !== owner.metadata?.uid) return undefined;
      if (match(o)) return o;
      // Ours but no longer selected: let it go, unless we are on the way out anyway.
      if (owner.metadata?.deletionTimestamp) return undefined;
      await this.#release(o);
      return undefined;
    }
    // An orphan: adopt it if it matches and neither side is being deleted.
    if (owner.metadata?.deletionTimestamp || !match(o)) return undefined;
    if (o.metadata?.deletionTimestamp) return undefined;
    if (owner.metadata?.namespace && owner.metadata.namespace !== o.metadata?.namespace) return undefined;
    try {
      return await this.#adopt(o);
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
  }

  async #adopt(o: T): Promise<T> {
    await this.canAdopt();
    const patch = {
      metadata: { ownerReferences: [newControllerRef(this.o.owner, this.o.kind)], uid: o.metadata?.uid },
    };
    return this.o.dependents.patch(o.metadata?.name ?? '', PatchType.StrategicMerge, patch);
  }

  async #release(o: T): Promise<void> {
    const patch = {
      metadata: { ownerReferences: [{ $patch: 'delete', uid: this.o.owner.metadata?.uid }], uid: o.metadata?.uid },
    };
    try {
      await this.o.dependents.patch(o.metadata?.name ?? '', PatchType.StrategicMerge, patch);
    } catch (e) {
      // Gone, or replaced by another object of the same name (its uid differs): nothing to release.
      if (isNotFound(e) || isInvalid(e)) return;
      throw e;
    }
  }
}
