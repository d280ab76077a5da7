// Status conditions of a CSR: lookups, the server-filled timestamps of the /status and /approval
// paths (k8s strategy.go populateConditionTimestamps) and kubectl's CONDITION column.
import { type CertificateSigningRequest, metaTime } from '@mkube/shared/api';
import { APPROVED, conditionsOf, DENIED, FAILED, findConditions } from '@mkube/shared/certificates';
import { jsonClone } from '../../util/json.js';

export { APPROVED, conditionsOf, DENIED, FAILED, findConditions } from '@mkube/shared/certificates';

/**
 * Puts the old instances of `type` back in place of the new ones when their count is unchanged;
 * a changed count is left for validation to refuse (add/remove).
 */
export function preserveConditionInstances(
  csr: CertificateSigningRequest,
  old: CertificateSigningRequest,
  type: string,
): void {
  const oldOnes = findConditions(old, type);
  const conditions = conditionsOf(csr);
  const newIdx = conditions.flatMap((c, i) => (c.type === type ? [i] : []));
  if (newIdx.length !== oldOnes.length) return;
  newIdx.forEach((idx, k) => {
    conditions[idx] = jsonClone(oldOnes[k]!);
  });
}

/** lastUpdateTime = now when unset; lastTransitionTime kept from an old same type+status condition, else now. */
export function populateConditionTimestamps(
  csr: CertificateSigningRequest,
  old: CertificateSigningRequest,
  now: Date,
): void {
  const ts = metaTime(now);
  for (const c of conditionsOf(csr)) {
    if (!c.lastUpdateTime) c.lastUpdateTime = ts;
    if (!c.lastTransitionTime) {
      const prior = conditionsOf(old).find((o) => o.type === c.type && o.status === c.status && o.lastTransitionTime);
      c.lastTransitionTime = prior?.lastTransitionTime ?? ts;
    }
  }
}

/** kubectl's CONDITION column (k8s pkg/printers/internalversion extractCSRStatus). */
export function csrConditionSummary(csr: CertificateSigningRequest): string {
  let approved = false;
  let denied = false;
  let failed = false;
  for (const c of conditionsOf(csr)) {
    if (c.type === APPROVED) approved = true;
    else if (c.type === DENIED) denied = true;
    else if (c.type === FAILED) failed = true;
  }
  // Denied outranks Approved: a CSR that somehow carries both reads as denied.
  let status = denied ? 'Denied' : approved ? 'Approved' : 'Pending';
  if (failed) status += ',Failed';
  if (csr.status?.certificate) status += ',Issued';
  return status;
}
