// matchConditions of admission webhooks and ValidatingAdmissionPolicies (k/k
// pkg/apis/admissionregistration/validation validateMatchConditions): at most 64, each a unique
// qualified name and a CEL expression that compiles to bool. They see `object`, `oldObject`,
// `request` and `authorizer` (and `params` in a policy with a paramKind), never `variables`.
import type { MatchCondition } from '@mkube/shared/api';
import { type FieldError, fieldErrors } from '@mkube/shared/apierrors';
import { isQualifiedName } from '@mkube/shared/selectors';
import { BOOL, type CompileOptions, compileExpression, type ReturnTypes } from '../admission/cel/environment.js';

/** An Invalid on `path` with the compiler's message, or nothing. */
export function compileAt(path: string, expression: string, opts: CompileOptions, returns: ReturnTypes): FieldError[] {
  const r = compileExpression(expression, opts, returns);
  return r.ok ? [] : [fieldErrors.invalid(path, expression, r.error)];
}

export function validateMatchConditions(list: readonly MatchCondition[], params: boolean, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (list.length > 64) errs.push(fieldErrors.tooMany(path, list.length, 64));
  const names = new Set<string>();
  const opts: CompileOptions = { params, authorizer: true, variables: undefined };
  list.forEach((entry, i) => {
    const m = entry ?? ({} as MatchCondition);
    const at = `${path}[${i}]`;
    const expression = (m.expression ?? '').trim();
    if (!expression) errs.push(fieldErrors.required(`${at}.expression`, ''));
    else errs.push(...compileAt(`${at}.expression`, expression, opts, BOOL));
    if (!m.name) {
      errs.push(fieldErrors.required(`${at}.name`, ''));
    } else {
      for (const msg of isQualifiedName(m.name)) errs.push(fieldErrors.invalid(`${at}.name`, m.name, msg));
      if (names.has(m.name)) errs.push(fieldErrors.duplicate(`${at}.name`, m.name));
      else names.add(m.name);
    }
  });
  return errs;
}
