// LimitRanger's PersistentVolumeClaim limits (PersistentVolumeClaimValidateLimitFunc): a claim,
// created or resized, must request at least each PersistentVolumeClaim item's min and at most its
// max. Claims get no defaults.
import type { LimitRange, PersistentVolumeClaim } from '@mkube/shared/api';
import { formatQuantity, type Quantity, quantityFormat, tryParseQuantity } from '@mkube/shared/quantity';
import { quantityString } from '../../registry/core/resourcenames.js';
import type { AdmissionAttributes } from '../types.js';

const TYPE = 'PersistentVolumeClaim';

/** SupportsAttributes for claims: creates and updates of the claim itself. */
export const appliesToClaim = (a: AdmissionAttributes): boolean =>
  !a.subresource && a.group === '' && a.resource === 'persistentvolumeclaims';

interface Q {
  readonly q: Quantity;
  readonly text: string;
}

function q(v: unknown): Q | undefined {
  const s = quantityString(v);
  const parsed = tryParseQuantity(s);
  return parsed ? { q: parsed, text: formatQuantity(parsed, quantityFormat(s)) } : undefined;
}

export function claimLimitErrors(lr: LimitRange, pvc: PersistentVolumeClaim): string[] {
  const errs: string[] = [];
  const requests = pvc.spec?.resources?.requests ?? {};
  for (const item of lr.spec?.limits ?? []) {
    if (item.type !== TYPE) continue;
    for (const [name, v] of Object.entries(item.min ?? {})) {
      const enforced = q(v);
      if (!enforced) continue;
      const req = q(requests[name]);
      if (!req) errs.push(`minimum ${name} usage per ${TYPE} is ${enforced.text}.  No request is specified`);
      else if (req.q.compare(enforced.q) < 0) {
        errs.push(`minimum ${name} usage per ${TYPE} is ${enforced.text}, but request is ${req.text}`);
      }
    }
    for (const [name, v] of Object.entries(item.max ?? {})) {
      const enforced = q(v);
      if (!enforced) continue;
      const req = q(requests[name]);
      if (!req) errs.push(`maximum ${name} usage per ${TYPE} is ${enforced.text}.  No request is specified`);
      else if (req.q.compare(enforced.q) > 0) {
        errs.push(`maximum ${name} usage per ${TYPE} is ${enforced.text}, but request is ${req.text}`);
      }
    }
  }
  return errs;
}
