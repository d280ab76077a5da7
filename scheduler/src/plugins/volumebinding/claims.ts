// How the volume binding plugin keys claims, and when it counts one as bound.
import { ANN_BIND_COMPLETED, type PersistentVolumeClaim } from '@mkube/shared/api';

export const claimKey = (namespace: string, name: string): string => `${namespace}/${name}`;

/**
 * isPVCFullyBound: a volume named and the binding finished. Upstream waits for bind-completed; a
 * claim whose phase is already Bound counts too, as the PV controller sets both in one pass.
 */
export function isClaimFullyBound(pvc: PersistentVolumeClaim): boolean {
  if (!pvc.spec?.volumeName) return false;
  return pvc.metadata?.annotations?.[ANN_BIND_COMPLETED] !== undefined || pvc.status?.phase === 'Bound';
}
