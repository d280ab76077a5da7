// metav1 Conditions as every status that carries them is validated (apimachinery's
// metav1validation.ValidateConditions): ValidatingAdmissionPolicy and PodCertificateRequest status.
import type { Condition } from '@mkube/shared/api';
import { type FieldError, fieldErrors } from '@mkube/shared/apierrors';
import { isQualifiedName } from '@mkube/shared/selectors';

const CONDITION_REASON = /^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$/;
const CONDITION_REASON_MSG =
  "a condition reason must start with alphabetic character, optionally followed by a string of alphanumeric characters or '_,:', and must end with an alphanumeric character or '_' (e.g. 'my_name',  or 'MY_NAME',  or 'MyName',  or 'ReasonA,ReasonB',  or 'ReasonA:ReasonB', regex used for validation is '[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?')";

/** metav1validation.ValidateConditions. */
export function validateConditions(conditions: readonly Condition[], path: string): FieldError[] {
  const errs: FieldError[] = [];
  const types = new Set<string>();
  conditions.forEach((c, i) => {
    const at = `${path}[${i}]`;
    if (types.has(c.type)) errs.push(fieldErrors.duplicate(`${at}.type`, c.type));
    types.add(c.type);
    for (const msg of isQualifiedName(c.type ?? '')) errs.push(fieldErrors.invalid(`${at}.type`, c.type, msg));
    if (!['False', 'True', 'Unknown'].includes(c.status)) {
      errs.push(fieldErrors.notSupported(`${at}.status`, c.status, ['False', 'True', 'Unknown']));
    }
    if ((c.observedGeneration ?? 0) < 0) {
      errs.push(
        fieldErrors.invalid(`${at}.observedGeneration`, c.observedGeneration, 'must be greater than or equal to zero'),
      );
    }
    if (!c.lastTransitionTime) errs.push(fieldErrors.required(`${at}.lastTransitionTime`, 'must be set'));
    if (!c.reason) errs.push(fieldErrors.required(`${at}.reason`, 'must be set'));
    else if (!CONDITION_REASON.test(c.reason))
      errs.push(fieldErrors.invalid(`${at}.reason`, c.reason, CONDITION_REASON_MSG));
    else if (c.reason.length > 1024) errs.push(fieldErrors.tooLong(`${at}.reason`, 1024));
    if ((c.message ?? '').length > 32768) errs.push(fieldErrors.tooLong(`${at}.message`, 32768));
  });
  return errs;
}
