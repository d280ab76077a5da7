// The reasons VolumeBinding gives a node (volumebinding/binder.go's ConflictReasons) and the text of
// its PreFilter rejections, as kube-scheduler words them.

export const ERR_REASON_BIND_CONFLICT = "node(s) didn't find available persistent volumes to bind";
export const ERR_REASON_NODE_CONFLICT = 'node(s) had volume node affinity conflict';
export const ERR_REASON_NOT_ENOUGH_SPACE = 'node(s) did not have enough free storage';
export const ERR_REASON_PV_NOT_EXIST = 'node(s) unavailable due to one or more pvc(s) bound to non-existent pv(s)';

export const ERR_UNBOUND_IMMEDIATE = 'pod has unbound immediate PersistentVolumeClaims';

/** The lister's NotFound text: `persistentvolumeclaim "<name>" not found`. */
export const claimNotFound = (name: string): string => `persistentvolumeclaim ${JSON.stringify(name)} not found`;
export const claimBeingDeleted = (name: string): string =>
  `persistentvolumeclaim ${JSON.stringify(name)} is being deleted`;
export const claimLost = (name: string, volume: string): string =>
  `persistentvolumeclaim ${JSON.stringify(name)} bound to non-existent persistentvolume ${JSON.stringify(volume)}`;
export const ephemeralNotYet = (name: string): string =>
  `waiting for ephemeral volume controller to create the persistentvolumeclaim ${JSON.stringify(name)}`;
