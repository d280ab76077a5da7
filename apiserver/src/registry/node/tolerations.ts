// ValidateTolerations (pkg/apis/core/validation), which a RuntimeClass's scheduling.tolerations go
// through: an empty key only with Exists, tolerationSeconds only for NoExecute, a label value for
// Equal and none for Exists, and a known effect when one is given.
import type { Toleration } from '@mkube/shared/api';
import { type FieldError, fieldErrors, GoSyntax } from '@mkube/shared/apierrors';
import { isValidLabelValue } from '@mkube/shared/selectors';
import { validateLabelName } from '../../validation/objectmeta.js';

const OPERATORS = ['Equal', 'Exists'];

const q = (s: string | undefined) => JSON.stringify(s ?? '');

/** %#v of a core.Toleration; a set tolerationSeconds is a pointer, which Go prints as an address. */
function goToleration(t: Toleration): GoSyntax {
  const seconds = t.tolerationSeconds === undefined || t.tolerationSeconds === null ? 'nil' : '0xc000000000';
  return new GoSyntax(
    `core.Toleration{Key:${q(t.key)}, Operator:${q(t.operator)}, Value:${q(t.value)}, Effect:${q(t.effect)}, TolerationSeconds:(*int64)(${seconds})}`,
  );
}
const EFFECTS = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'];

function validateToleration(t: Toleration, at: string): FieldError[] {
  const errs: FieldError[] = [];
  const key = t.key ?? '';
  const operator = t.operator ?? '';
  const effect = t.effect ?? '';
  if (key) errs.push(...validateLabelName(key, `${at}.key`));
  if (!key && operator !== 'Exists') {
    errs.push(
      fieldErrors.invalid(
        `${at}.operator`,
        operator,
        'operator must be Exists when `key` is empty, which means "match all values and all keys"',
      ),
    );
  }
  if (t.tolerationSeconds !== undefined && t.tolerationSeconds !== null && effect !== 'NoExecute') {
    errs.push(
      fieldErrors.invalid(`${at}.effect`, effect, "effect must be 'NoExecute' when `tolerationSeconds` is set"),
    );
  }
  if (operator === 'Equal' || operator === '') {
    const valueErrs = isValidLabelValue(t.value ?? '');
    if (valueErrs.length) errs.push(fieldErrors.invalid(`${at}.operator`, t.value ?? '', valueErrs.join(';')));
  } else if (operator === 'Exists') {
    if (t.value)
      errs.push(
        fieldErrors.invalid(`${at}.operator`, goToleration(t), "value must be empty when `operator` is 'Exists'"),
      );
  } else {
    errs.push(fieldErrors.notSupported(`${at}.operator`, operator, OPERATORS));
  }
  // An empty effect tolerates every effect.
  if (effect && !EFFECTS.includes(effect)) errs.push(fieldErrors.notSupported(`${at}.effect`, effect, EFFECTS));
  return errs;
}

export function validateTolerations(tolerations: readonly Toleration[] | undefined, path: string): FieldError[] {
  return (tolerations ?? []).flatMap((t, i) => validateToleration(t ?? {}, `${path}[${i}]`));
}
