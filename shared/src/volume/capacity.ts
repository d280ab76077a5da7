// A claim's requested and a volume's offered storage. Go reads a missing map entry as a zero
// Quantity; a malformed one cannot reach Go, so here it counts as zero too rather than throwing.
import type { PersistentVolume, PersistentVolumeClaim } from '../api/index.js';
import { Quantity } from '../quantity/index.js';

export function storageOf(list: Readonly<Record<string, unknown>> | undefined): Quantity {
  const raw = list?.storage;
  if (typeof raw !== 'string' && typeof raw !== 'number') return new Quantity(0n);
  try {
    return Quantity.parse(String(raw));
  } catch {
    return new Quantity(0n);
  }
}

export const requestedStorage = (c: PersistentVolumeClaim): Quantity => storageOf(c.spec?.resources?.requests);
export const volumeCapacity = (v: PersistentVolume): Quantity => storageOf(v.spec?.capacity);
