// The persistentvolumeclaims evaluator (pkg/quota/v1/evaluator/core/persistent_volume_claims.go):
// each claim costs `persistentvolumeclaims` and `count/persistentvolumeclaims`, its storage request
// `requests.storage`, and both again under `<class>.storageclass.storage.k8s.io/` when it names a
// class. With RecoverVolumeExpansionFailure (on in 1.33) an allocation above the request is charged.
import type { PersistentVolumeClaim } from '../api/index.js';
import { Quantity } from '../quantity/index.js';
import { claimClass } from '../volume/index.js';
import { type Evaluator, NO_SCOPES } from './evaluator.js';
import { objectCountName } from './generic.js';
import { QuotaQuantity } from './quantity.js';
import type { Usage } from './resources.js';

const STORAGE_CLASS_SUFFIX = '.storageclass.storage.k8s.io/';
const PVC_RESOURCES = ['persistentvolumeclaims', 'requests.storage'];
const COUNT = objectCountName('', 'persistentvolumeclaims');

/** The quota name of a resource charged to one class. */
export const resourceByStorageClass = (cls: string, resource: string) => `${cls}${STORAGE_CLASS_SUFFIX}${resource}`;

function parse(v: unknown): QuotaQuantity | undefined {
  if (v === undefined || v === null) return undefined;
  try {
    return QuotaQuantity.parse(String(v));
  } catch {
    return undefined;
  }
}

/** RoundUp(0): storage is counted in whole bytes. */
function roundUp(q: QuotaQuantity): QuotaQuantity {
  const v = q.value;
  if (v.den === 1n) return q;
  const whole = v.num / v.den + (v.num % v.den > 0n ? 1n : 0n);
  return new QuotaQuantity(new Quantity(whole), q.format);
}

function storageUsage(pvc: PersistentVolumeClaim): QuotaQuantity | undefined {
  const requested = parse(pvc.spec?.resources?.requests?.storage);
  if (!requested) return undefined;
  const result = roundUp(requested);
  const allocated = parse(pvc.status?.allocatedResources?.storage);
  return allocated && allocated.compare(result) > 0 ? roundUp(allocated) : result;
}

export const pvcEvaluator: Evaluator = {
  group: '',
  resource: 'persistentvolumeclaims',
  handles: (op, sub) => sub === '' && (op === 'CREATE' || op === 'UPDATE'),
  matchingResources: (names) =>
    names.filter(
      (n) =>
        n === COUNT ||
        PVC_RESOURCES.includes(n) ||
        PVC_RESOURCES.some((r) => n.endsWith(`${STORAGE_CLASS_SUFFIX}${r}`)),
    ),
  ...NO_SCOPES,
  constraints: () => undefined,
  usage(obj) {
    const pvc = obj as PersistentVolumeClaim;
    const cls = claimClass(pvc);
    const u: Usage = new Map([
      ['persistentvolumeclaims', QuotaQuantity.count(1)],
      [COUNT, QuotaQuantity.count(1)],
    ]);
    if (cls) u.set(resourceByStorageClass(cls, 'persistentvolumeclaims'), QuotaQuantity.count(1));
    const storage = storageUsage(pvc);
    if (storage) {
      u.set('requests.storage', storage);
      if (cls) u.set(resourceByStorageClass(cls, 'requests.storage'), storage);
    }
    return u;
  },
};
