// VolumeBinding (plugins/volumebinding): a pod's claims must be bound, or bindable on the node —
// an Available PV whose node affinity the node meets, or a class that provisions there. Reserve
// assumes the choice, PreBind writes it and waits for the PV controller, Unreserve takes it back.
// No Score: mkube has no StorageCapacityScoring (upstream's is feature-gated off in 1.33).

import { podClaims, volumeIsForPod } from '@mkube/shared/api';
import type { Pod } from '../../api/index.js';
import type {
  ClusterEvent,
  CycleState,
  FilterPlugin,
  PreBindPlugin,
  QueueingHint,
  ReservePlugin,
} from '../../framework/interface.js';
import { type Status, status, unresolvable } from '../../framework/status.js';
import { NAMES } from '../names.js';
import type { PodVolumeClaims, PodVolumes, VolumeBinder } from './binder.js';
import { claimKey } from './claims.js';
import { claimBeingDeleted, claimLost, claimNotFound, ERR_UNBOUND_IMMEDIATE, ephemeralNotYet } from './reasons.js';

const STATE_KEY = NAMES.VolumeBinding;

interface StateData {
  /** Undefined when the pod mounts no claim. */
  readonly claims?: PodVolumeClaims;
  readonly byNode: Map<string, PodVolumes>;
  allBound: boolean;
}

const stateOf = (s: CycleState): StateData | undefined => s.get(STATE_KEY) as StateData | undefined;
const errorStatus = (e: unknown): Status => status('Error', e instanceof Error ? e.message : String(e));

export type VolumeBindingPlugin = FilterPlugin & ReservePlugin & PreBindPlugin;

export function newVolumeBinding(binder: VolumeBinder): VolumeBindingPlugin {
  /** podHasPVCs: each claim must exist, not be lost or going away; ephemeral ones must be the pod's. */
  const claimProblem = (pod: Pod): string | undefined => {
    const ns = pod.metadata?.namespace ?? '';
    for (const c of podClaims(pod)) {
      const pvc = binder.sources.pvcs.getApi(claimKey(ns, c.name));
      if (!pvc) return c.ephemeral ? ephemeralNotYet(c.name) : claimNotFound(c.name);
      if (pvc.status?.phase === 'Lost') return claimLost(c.name, pvc.spec?.volumeName ?? '');
      if (pvc.metadata?.deletionTimestamp) return claimBeingDeleted(c.name);
      if (c.ephemeral) {
        const notForPod = volumeIsForPod(pod, pvc);
        if (notForPod) return notForPod;
      }
    }
    return undefined;
  };

  return {
    name: NAMES.VolumeBinding,
    preFilter(state, pod) {
      if (podClaims(pod).length === 0) {
        state.set(STATE_KEY, { byNode: new Map(), allBound: true } satisfies StateData);
        return status('Skip');
      }
      const problem = claimProblem(pod);
      if (problem) return unresolvable(problem);
      let claims: PodVolumeClaims;
      try {
        claims = binder.getPodVolumeClaims(pod);
      } catch (e) {
        return errorStatus(e);
      }
      // The PV controller binds these on its own; the claim's update brings the pod back.
      if (claims.unboundImmediate.length > 0) return unresolvable(ERR_UNBOUND_IMMEDIATE);
      state.set(STATE_KEY, { claims, byNode: new Map(), allBound: false } satisfies StateData);
      return undefined;
    },
    filter(state, _pod, node) {
      const s = stateOf(state);
      if (!s?.claims) return status('Error', `reading "${STATE_KEY}" from cycleState: not found`);
      try {
        const { volumes, reasons } = binder.findPodVolumes(s.claims, node.node);
        if (reasons.length > 0) return unresolvable(...reasons);
        s.byNode.set(node.name, volumes);
        return undefined;
      } catch (e) {
        return errorStatus(e);
      }
    },
    queueingHint(pod, e): QueueingHint {
      return volumeBindingHint(pod, e);
    },
    reserve(state, pod, nodeName) {
      const s = stateOf(state);
      if (!s) return undefined;
      const volumes = s.byNode.get(nodeName);
      if (!volumes) {
        s.allBound = true;
        return undefined;
      }
      try {
        s.allBound = binder.assumePodVolumes(pod, nodeName, volumes);
        return undefined;
      } catch (e) {
        return errorStatus(e);
      }
    },
    unreserve(state, _pod, nodeName) {
      const volumes = stateOf(state)?.byNode.get(nodeName);
      if (volumes) binder.revertAssumed(volumes);
    },
    preBindPreFlight(state) {
      const s = stateOf(state);
      return !s || s.allBound ? status('Skip') : undefined;
    },
    async preBind(state, pod, nodeName, signal) {
      const s = stateOf(state);
      if (!s || s.allBound) return undefined;
      const volumes = s.byNode.get(nodeName);
      if (!volumes) return status('Error', `no pod volumes found for node ${JSON.stringify(nodeName)}`);
      try {
        await binder.bindPodVolumes(pod, volumes, signal);
        return undefined;
      } catch (e) {
        return errorStatus(e);
      }
    },
  };
}

/**
 * EventsToRegister with their hints (queueing hints on, as 1.33 defaults): the pod's own claims
 * added or changed, any PV added or changed, a class added or its allowedTopologies changed, a node
 * added or relabelled.
 */
export function volumeBindingHint(pod: Pod, e: ClusterEvent): QueueingHint {
  switch (e.kind) {
    case 'PvcChange': {
      if (e.pvc.metadata?.namespace !== pod.metadata?.namespace) return 'QueueSkip';
      return podClaims(pod).some((c) => c.name === e.pvc.metadata?.name) ? 'Queue' : 'QueueSkip';
    }
    case 'PvChange':
    case 'NodeAdd':
      return 'Queue';
    case 'StorageClassChange':
      if (!e.old) return 'Queue';
      return JSON.stringify(e.old.allowedTopologies ?? []) !== JSON.stringify(e.sc.allowedTopologies ?? [])
        ? 'Queue'
        : 'QueueSkip';
    case 'NodeUpdate':
      return e.changes.has('UpdateNodeLabel') ? 'Queue' : 'QueueSkip';
    default:
      return 'QueueSkip';
  }
}
