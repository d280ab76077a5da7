// storage.k8s.io/v1 CSIStorageCapacity (pkg/registry/storage/csistoragecapacity/strategy.go):
// namespaced, no spec/status split and no generation. The decoder refuses a capacity that is no
// quantity (400) and writes the quantities back in canonical form, as upstream serializes them.
import type { CSIStorageCapacity } from '@mkube/shared/api';
import { newBadRequest } from '@mkube/shared/apierrors';
import { canonicalQuantity, QUANTITY_FORMAT_WRONG, tryParseQuantity } from '@mkube/shared/quantity';
import { quantityString } from '../core/resourcenames.js';
import type { RESTStrategy } from '../strategy.js';
import { validateCSIStorageCapacity, validateCSIStorageCapacityUpdate } from './csistoragecapacityvalidation.js';

const KIND = 'CSIStorageCapacity';

function decodeQuantities(c: CSIStorageCapacity): void {
  for (const f of ['capacity', 'maximumVolumeSize'] as const) {
    if (c[f] == null) continue;
    const s = quantityString(c[f]);
    if (!tryParseQuantity(s)) {
      throw newBadRequest(`${KIND} in version "v1" cannot be handled as a ${KIND}: ${QUANTITY_FORMAT_WRONG}`);
    }
    c[f] = canonicalQuantity(s);
  }
}

export const csiStorageCapacityStrategy: RESTStrategy<CSIStorageCapacity> = {
  prepareForCreate: (c) => decodeQuantities(c),
  prepareForUpdate: (c) => decodeQuantities(c),
  validate: (c) => validateCSIStorageCapacity(c),
  validateUpdate: (c, old) => validateCSIStorageCapacityUpdate(c, old),
};
