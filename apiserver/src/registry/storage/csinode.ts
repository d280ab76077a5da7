// storage.k8s.io/v1 CSINode (pkg/registry/storage/csinode/strategy.go): cluster-scoped, named after
// its Node, no status; a PUT must name the resourceVersion it replaces. A driver's topologyKeys has
// no omitempty upstream, so one never set reads back as null.
import type { CSINode } from '@mkube/shared/api';
import type { RESTStrategy } from '../strategy.js';
import { hasLongNodeID, validateCSINode, validateCSINodeUpdate } from './csinodevalidation.js';

function normalize(n: CSINode): void {
  for (const d of n.spec?.drivers ?? []) if (d && d.topologyKeys === undefined) d.topologyKeys = null;
}

export const csiNodeStrategy: RESTStrategy<CSINode> = {
  prepareForCreate: normalize,
  prepareForUpdate: normalize,
  // A new object gets the normal node ID limit; an update the longer one only if it had a long ID already.
  validate: (n) => validateCSINode(n, { allowLongNodeID: false }),
  validateUpdate: (n, old) => validateCSINodeUpdate(n, old, { allowLongNodeID: hasLongNodeID(old) }),
  allowUnconditionalUpdate: false,
};
