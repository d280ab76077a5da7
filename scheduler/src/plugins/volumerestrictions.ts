// VolumeRestrictions (plugins/volumerestrictions), the part mkube's volume sources need: a claim
// with the ReadWriteOncePod access mode is used by one pod at most. mkube has none of the in-tree
// disks (GCE PD, EBS, RBD, iSCSI) the plugin's disk-conflict check is for, so that check is absent.
import type { PersistentVolumeClaim } from '@mkube/shared/api';
import type { Pod } from '../api/index.js';
import type { CycleState, FilterPlugin } from '../framework/interface.js';
import type { NodeInfo } from '../framework/nodeinfo.js';
import { status, unresolvable, unschedulable } from '../framework/status.js';
import { NAMES } from './names.js';
import { claimKey } from './volumebinding/claims.js';
import { claimNotFound } from './volumebinding/reasons.js';

export const ERR_REASON_READ_WRITE_ONCE_POD_CONFLICT =
  'node has pod using PersistentVolumeClaim with the same name and ReadWriteOncePod access mode';

const STATE_KEY = `PreFilter${NAMES.VolumeRestrictions}`;

interface PreFilterState {
  /** namespace/name of the pod's ReadWriteOncePod claims. */
  readonly claims: ReadonlySet<string>;
  /** Pods using one of them, per node, in the cycle's snapshot. */
  readonly usersByNode: ReadonlyMap<string, number>;
  readonly users: number;
}

/** The claims a pod mounts by name (only direct persistentVolumeClaim volumes, as upstream). */
function claimKeysOf(pod: Pod): string[] {
  const ns = pod.metadata?.namespace ?? '';
  const out: string[] = [];
  for (const v of pod.spec?.volumes ?? [])
    if (v.persistentVolumeClaim) out.push(claimKey(ns, v.persistentVolumeClaim.claimName));
  return out;
}

function usersOn(node: NodeInfo, claims: ReadonlySet<string>): number {
  let n = 0;
  for (const p of node.pods) if (claimKeysOf(p.pod).some((k) => claims.has(k))) n++;
  return n;
}

export function newVolumeRestrictions(getClaim: (key: string) => PersistentVolumeClaim | undefined): FilterPlugin {
  return {
    name: NAMES.VolumeRestrictions,
    preFilter(state: CycleState, pod, nodes) {
      const rwop = new Set<string>();
      for (const key of claimKeysOf(pod)) {
        const pvc = getClaim(key);
        if (!pvc) return unresolvable(claimNotFound(key.slice(key.indexOf('/') + 1)));
        if (pvc.spec?.accessModes?.includes('ReadWriteOncePod')) rwop.add(key);
      }
      if (rwop.size === 0) return status('Skip');
      const usersByNode = new Map<string, number>();
      let users = 0;
      for (const n of nodes ?? []) {
        const u = usersOn(n, rwop);
        if (u > 0) usersByNode.set(n.name, u);
        users += u;
      }
      // Nobody uses them: nothing for Filter to find (upstream skips too).
      if (users === 0) return status('Skip');
      state.set(STATE_KEY, { claims: rwop, usersByNode, users } satisfies PreFilterState);
      return undefined;
    },
    filter(state, _pod, node) {
      const s = state.get(STATE_KEY) as PreFilterState | undefined;
      if (!s) return undefined;
      // Recounted on this node so preemption's dry run (the node without its victims) sees them gone,
      // as upstream's RemovePod extension does.
      const users = s.users - (s.usersByNode.get(node.name) ?? 0) + usersOn(node, s.claims);
      return users > 0 ? unschedulable(ERR_REASON_READ_WRITE_ONCE_POD_CONFLICT) : undefined;
    },
    queueingHint(pod, e) {
      // Add of a node, of one of the pod's claims, or a deleted pod that used one of them.
      if (e.kind === 'NodeAdd') return 'Queue';
      const mine = new Set(claimKeysOf(pod));
      if (e.kind === 'PvcChange' && !e.old) {
        const m = e.pvc.metadata;
        return mine.has(claimKey(m?.namespace ?? '', m?.name ?? '')) ? 'Queue' : 'QueueSkip';
      }
      if (e.kind === 'AssignedPodDelete') return claimKeysOf(e.pod).some((k) => mine.has(k)) ? 'Queue' : 'QueueSkip';
      return 'QueueSkip';
    },
  };
}
