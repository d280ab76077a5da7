// The scheduler's volume binder (volumebinding/binder.go's volumeBinder): sorts a pod's claims into
// bound, unbound-immediate and unbound-delayed; per node, checks bound claims' volumes and finds
// volumes or provisioning for delayed ones; assumes the choice at Reserve; at PreBind writes it
// (claimRef on the PV, selected-node on the claim) and waits for the PV controller to bind.
import { setTimeout as delay } from 'node:timers/promises';
import type { Node, PersistentVolume, PersistentVolumeClaim, StorageClass } from '@mkube/shared/api';
import { ANN_BOUND_BY_CONTROLLER, ANN_SELECTED_NODE, NOT_SUPPORTED_PROVISIONER, podClaims } from '@mkube/shared/api';
import {
  claimClass,
  findMatchingVolume,
  isDelayBindingMode,
  isVolumeBoundToClaim,
  requestedStorage,
  volumeClass,
} from '@mkube/shared/volume';
import type { Pod } from '../../api/index.js';
import type { AssumeCache } from './assumecache.js';
import { versionOf } from './assumecache.js';
import { claimKey, isClaimFullyBound } from './claims.js';
import {
  ERR_REASON_BIND_CONFLICT,
  ERR_REASON_NODE_CONFLICT,
  ERR_REASON_NOT_ENOUGH_SPACE,
  ERR_REASON_PV_NOT_EXIST,
} from './reasons.js';
import { topologyMatches, volumeNodeAffinityMatches } from './topology.js';

/** What the binder reads: the assume caches and the informers' stores. */
export interface VolumeSources {
  readonly pvcs: AssumeCache<PersistentVolumeClaim>;
  readonly pvs: AssumeCache<PersistentVolume>;
  storageClass(name: string): StorageClass | undefined;
  node(name: string): Node | undefined;
  /** Whether the pod (namespace/name) still exists. */
  podExists(key: string): boolean;
}

/** What the binder writes (full updates, so a concurrent change to the object is a conflict). */
export interface VolumeWrites {
  updatePV(pv: PersistentVolume, signal: AbortSignal): Promise<PersistentVolume>;
  updatePVC(pvc: PersistentVolumeClaim, signal: AbortSignal): Promise<PersistentVolumeClaim>;
}

export interface PodVolumeClaims {
  readonly bound: readonly PersistentVolumeClaim[];
  readonly unboundDelayBinding: readonly PersistentVolumeClaim[];
  readonly unboundImmediate: readonly PersistentVolumeClaim[];
  /** The PVs of each class a delayed claim names, read once per cycle. */
  readonly volumesByClass: ReadonlyMap<string, readonly PersistentVolume[]>;
}

export interface BindingInfo {
  pv: PersistentVolume;
  readonly pvc: PersistentVolumeClaim;
}

/** PodVolumes: what a node needs done for the pod's delayed claims. */
export interface PodVolumes {
  staticBindings: BindingInfo[];
  dynamicProvisions: PersistentVolumeClaim[];
}

export interface FindResult {
  readonly volumes: PodVolumes;
  readonly reasons: readonly string[];
}

export interface BinderOptions {
  readonly bindTimeoutMs: number;
  /** How often PreBind looks whether the PV controller finished (upstream: every second). */
  readonly pollMs?: number;
}

const keyOf = (o: PersistentVolumeClaim): string => claimKey(o.metadata?.namespace ?? '', o.metadata?.name ?? '');
const nameOf = (o: PersistentVolume): string => o.metadata?.name ?? '';
const labelsOf = (n: Node): Readonly<Record<string, string>> => n.metadata?.labels ?? {};

export class VolumeBinder {
  constructor(
    readonly sources: VolumeSources,
    readonly writes: VolumeWrites,
    readonly opts: BinderOptions,
  ) {}

  /** GetPodVolumeClaims. Throws where upstream returns an error (the cycle fails with it). */
  getPodVolumeClaims(pod: Pod): PodVolumeClaims {
    const ns = pod.metadata?.namespace ?? '';
    const bound: PersistentVolumeClaim[] = [];
    const delayed: PersistentVolumeClaim[] = [];
    const immediate: PersistentVolumeClaim[] = [];
    for (const c of podClaims(pod)) {
      const pvc = this.sources.pvcs.get(claimKey(ns, c.name));
      if (!pvc) throw new Error(`error getting PVC ${JSON.stringify(claimKey(ns, c.name))}: not found`);
      if (isClaimFullyBound(pvc)) bound.push(pvc);
      // A claim pre-bound to a named volume is the PV controller's to finish, as an immediate one.
      else if (isDelayBindingMode(pvc, (n) => this.sources.storageClass(n)) && !pvc.spec?.volumeName) delayed.push(pvc);
      else immediate.push(pvc);
    }
    const volumesByClass = new Map<string, PersistentVolume[]>();
    for (const pvc of delayed) {
      const cls = claimClass(pvc);
      if (!volumesByClass.has(cls))
        volumesByClass.set(
          cls,
          this.sources.pvs.list((pv) => volumeClass(pv) === cls),
        );
    }
    return { bound, unboundDelayBinding: delayed, unboundImmediate: immediate, volumesByClass };
  }

  /** FindPodVolumes: the node's reasons to refuse the pod, or what binding it there takes. */
  findPodVolumes(claims: PodVolumeClaims, node: Node): FindResult {
    const volumes: PodVolumes = { staticBindings: [], dynamicProvisions: [] };
    const nodeName = node.metadata?.name ?? '';
    const labels = labelsOf(node);
    let boundSatisfied = true;
    let boundExist = true;
    let unboundSatisfied = true;
    let sufficientStorage = true;

    for (const pvc of claims.bound) {
      const pv = this.sources.pvs.get(pvc.spec?.volumeName ?? '');
      if (!pv) {
        boundExist = false;
        break;
      }
      if (!volumeNodeAffinityMatches(pv, labels)) {
        boundSatisfied = false;
        break;
      }
    }

    if (boundSatisfied && boundExist && claims.unboundDelayBinding.length > 0) {
      const toMatch: PersistentVolumeClaim[] = [];
      const toProvision: PersistentVolumeClaim[] = [];
      for (const pvc of claims.unboundDelayBinding) {
        const selected = pvc.metadata?.annotations?.[ANN_SELECTED_NODE];
        if (selected === undefined) toMatch.push(pvc);
        else if (selected === nodeName) toProvision.push(pvc);
        else {
          // Provisioning already started for another node.
          unboundSatisfied = false;
          break;
        }
      }
      if (unboundSatisfied) {
        if (toMatch.length > 0) {
          const m = this.#findMatchingVolumes(toMatch, claims.volumesByClass, labels);
          unboundSatisfied = m.unmatched.length === 0;
          volumes.staticBindings = m.bindings;
          toProvision.push(...m.unmatched);
        }
        if (toProvision.length > 0) {
          const p = this.#checkVolumeProvisions(toProvision, labels);
          unboundSatisfied = p.satisfied;
          sufficientStorage = p.sufficientStorage;
          volumes.dynamicProvisions = p.provisions;
        }
      }
    }

    const reasons: string[] = [];
    if (!boundSatisfied) reasons.push(ERR_REASON_NODE_CONFLICT);
    if (!unboundSatisfied) reasons.push(ERR_REASON_BIND_CONFLICT);
    if (!sufficientStorage) reasons.push(ERR_REASON_NOT_ENOUGH_SPACE);
    if (!boundExist) reasons.push(ERR_REASON_PV_NOT_EXIST);
    return { volumes, reasons };
  }

  /** findMatchingVolumes: smallest claims first, each taking the smallest volume left that fits. */
  #findMatchingVolumes(
    claims: readonly PersistentVolumeClaim[],
    byClass: ReadonlyMap<string, readonly PersistentVolume[]>,
    labels: Readonly<Record<string, string>>,
  ): { bindings: BindingInfo[]; unmatched: PersistentVolumeClaim[] } {
    const sorted = [...claims].sort((a, b) => requestedStorage(a).compare(requestedStorage(b)));
    const chosen = new Set<string>();
    const bindings: BindingInfo[] = [];
    const unmatched: PersistentVolumeClaim[] = [];
    for (const pvc of sorted) {
      const pv = findMatchingVolume(pvc, byClass.get(claimClass(pvc)) ?? [], {
        delayBinding: true,
        fitsNode: (v) => volumeNodeAffinityMatches(v, labels),
        excluded: chosen,
      });
      if (!pv) {
        unmatched.push(pvc);
        continue;
      }
      chosen.add(nameOf(pv));
      bindings.push({ pv, pvc });
    }
    return { bindings, unmatched };
  }

  /**
   * checkVolumeProvisions: each claim's class must provision, onto topology this node is in.
   * mkube tracks no CSIStorageCapacity, so storage always counts as sufficient.
   */
  #checkVolumeProvisions(
    claims: readonly PersistentVolumeClaim[],
    labels: Readonly<Record<string, string>>,
  ): { satisfied: boolean; sufficientStorage: boolean; provisions: PersistentVolumeClaim[] } {
    const provisions: PersistentVolumeClaim[] = [];
    for (const pvc of claims) {
      const cls = claimClass(pvc);
      if (!cls) throw new Error(`no class for claim ${JSON.stringify(keyOf(pvc))}`);
      const sc = this.sources.storageClass(cls);
      if (!sc) throw new Error(`failed to find storage class ${JSON.stringify(cls)}`);
      if (!sc.provisioner || sc.provisioner === NOT_SUPPORTED_PROVISIONER)
        return { satisfied: false, sufficientStorage: true, provisions: [] };
      if (!topologyMatches(sc.allowedTopologies, labels))
        return { satisfied: false, sufficientStorage: true, provisions: [] };
      provisions.push(pvc);
    }
    return { satisfied: true, sufficientStorage: true, provisions };
  }

  /** Whether every claim of the pod is fully bound now (arePodVolumesBound). */
  podVolumesBound(pod: Pod): boolean {
    const ns = pod.metadata?.namespace ?? '';
    return podClaims(pod).every((c) => {
      const pvc = this.sources.pvcs.get(claimKey(ns, c.name));
      return pvc !== undefined && isClaimFullyBound(pvc);
    });
  }

  /**
   * AssumePodVolumes: the node's choices become what later cycles see. Returns whether every claim
   * was already bound (nothing for PreBind to do). `volumes` is rewritten with the assumed objects.
   */
  assumePodVolumes(pod: Pod, nodeName: string, volumes: PodVolumes): boolean {
    if (this.podVolumesBound(pod)) return true;
    const bindings: BindingInfo[] = [];
    const provisions: PersistentVolumeClaim[] = [];
    try {
      for (const b of volumes.staticBindings) {
        const pv = bindVolumeToClaim(b.pv, b.pvc);
        if (pv !== b.pv) this.sources.pvs.assume(pv);
        bindings.push({ pv, pvc: b.pvc });
      }
      for (const pvc of volumes.dynamicProvisions) {
        const assumed: PersistentVolumeClaim = {
          ...pvc,
          metadata: { ...pvc.metadata, annotations: { ...pvc.metadata?.annotations, [ANN_SELECTED_NODE]: nodeName } },
        };
        this.sources.pvcs.assume(assumed);
        provisions.push(assumed);
      }
    } catch (e) {
      this.revertAssumed({ staticBindings: bindings, dynamicProvisions: provisions });
      throw e;
    }
    volumes.staticBindings = bindings;
    volumes.dynamicProvisions = provisions;
    return false;
  }

  /** RevertAssumedPodVolumes. */
  revertAssumed(volumes: PodVolumes): void {
    for (const b of volumes.staticBindings) this.sources.pvs.restore(nameOf(b.pv));
    for (const pvc of volumes.dynamicProvisions) this.sources.pvcs.restore(keyOf(pvc));
  }

  /**
   * BindPodVolumes: writes the assumed PVs and claims, then waits (up to bindTimeout) until the PV
   * controller has bound every claim. Any failure reverts the assumptions.
   */
  async bindPodVolumes(pod: Pod, volumes: PodVolumes, signal: AbortSignal): Promise<void> {
    try {
      for (const b of volumes.staticBindings) b.pv = await this.writes.updatePV(b.pv, signal);
      for (let i = 0; i < volumes.dynamicProvisions.length; i++)
        volumes.dynamicProvisions[i] = await this.writes.updatePVC(volumes.dynamicProvisions[i]!, signal);
      await this.#waitForBindings(pod, volumes, signal);
    } catch (e) {
      this.revertAssumed(volumes);
      throw e;
    }
  }

  async #waitForBindings(pod: Pod, volumes: PodVolumes, signal: AbortSignal): Promise<void> {
    const deadline = Date.now() + this.opts.bindTimeoutMs;
    const poll = this.opts.pollMs ?? 1000;
    for (;;) {
      await delay(Math.max(0, Math.min(poll, deadline - Date.now())), undefined, { signal });
      if (this.#checkBindings(pod, volumes)) return;
      if (Date.now() >= deadline) throw new Error('binding volumes: context deadline exceeded');
    }
  }

  /** checkBindings: true once all are bound; throws when binding was undone or cannot finish. */
  #checkBindings(pod: Pod, volumes: PodVolumes): boolean {
    const nodeName = pod.spec?.nodeName ?? '';
    const node = this.sources.node(nodeName);
    if (!node) throw new Error(`binding volumes: failed to get node ${JSON.stringify(nodeName)}: not found`);
    if (!this.sources.podExists(claimKey(pod.metadata?.namespace ?? '', pod.metadata?.name ?? '')))
      throw new Error('binding volumes: pod does not exist any more');
    const labels = labelsOf(node);
    for (const b of volumes.staticBindings) {
      const pv = this.sources.pvs.getApi(nameOf(b.pv));
      const pvc = this.sources.pvcs.getApi(keyOf(b.pvc));
      if (!pv || !pvc) throw new Error('binding volumes: failed to check binding: not found');
      // Our own write not seen yet: wait for the informer.
      if (versionOf(b.pv) > versionOf(pv)) return false;
      if (!volumeNodeAffinityMatches(pv, labels))
        throw new Error(
          `binding volumes: pv ${JSON.stringify(nameOf(pv))} node affinity doesn't match node ${JSON.stringify(nodeName)}`,
        );
      if (!pv.spec?.claimRef?.uid)
        throw new Error(`binding volumes: ClaimRef got reset for pv ${JSON.stringify(nameOf(pv))}`);
      if (!isClaimFullyBound(pvc)) return false;
    }
    for (const claim of volumes.dynamicProvisions) {
      const pvc = this.sources.pvcs.getApi(keyOf(claim));
      if (!pvc) throw new Error('binding volumes: failed to check provisioning pvc: not found');
      if (versionOf(claim) > versionOf(pvc)) return false;
      // The provisioner takes selected-node away to hand the claim back for another try.
      if (pvc.metadata?.annotations?.[ANN_SELECTED_NODE] !== nodeName) {
        const what = pvc.metadata?.annotations
          ? 'provisioning failed for PVC'
          : 'selectedNode annotation reset for PVC';
        throw new Error(`binding volumes: ${what} ${JSON.stringify(pvc.metadata?.name ?? '')}`);
      }
      if (pvc.spec?.volumeName) {
        const pv = this.sources.pvs.getApi(pvc.spec.volumeName);
        if (!pv) return false;
        if (!volumeNodeAffinityMatches(pv, labels))
          throw new Error(
            `binding volumes: pv ${JSON.stringify(nameOf(pv))} node affinity doesn't match node ${JSON.stringify(nodeName)}`,
          );
      }
      if (!isClaimFullyBound(pvc)) return false;
    }
    return true;
  }
}

/**
 * GetBindVolumeToClaim: the PV with its claimRef naming the claim; the same object when it already
 * does. bound-by-controller marks that the scheduler, not the user, chose this pairing.
 */
export function bindVolumeToClaim(pv: PersistentVolume, pvc: PersistentVolumeClaim): PersistentVolume {
  const ref = pv.spec?.claimRef;
  const refDirty =
    !ref ||
    ref.name !== pvc.metadata?.name ||
    ref.namespace !== pvc.metadata?.namespace ||
    (ref.uid ?? '') !== (pvc.metadata?.uid ?? '');
  const byController =
    !isVolumeBoundToClaim(pv, pvc) && pv.metadata?.annotations?.[ANN_BOUND_BY_CONTROLLER] === undefined;
  if (!refDirty && !byController) return pv;
  return {
    ...pv,
    metadata: {
      ...pv.metadata,
      ...(byController ? { annotations: { ...pv.metadata?.annotations, [ANN_BOUND_BY_CONTROLLER]: 'yes' } } : {}),
    },
    spec: {
      ...pv.spec,
      ...(refDirty
        ? {
            claimRef: {
              kind: 'PersistentVolumeClaim',
              apiVersion: 'v1',
              namespace: pvc.metadata?.namespace ?? '',
              name: pvc.metadata?.name ?? '',
              uid: pvc.metadata?.uid ?? '',
              resourceVersion: pvc.metadata?.resourceVersion ?? '',
            },
          }
        : {}),
    },
  };
}
