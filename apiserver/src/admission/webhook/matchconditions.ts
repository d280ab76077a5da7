// Webhooks' CEL matchConditions (k8s.io/apiserver pkg/admission/plugin/webhook/matchconditions):
// evaluated after the rules and selectors matched, with `object`, `oldObject`, `request` and
// `authorizer`. Any false condition skips the webhook (even when another errored); otherwise an
// error fails the request as Forbidden under failurePolicy Fail and skips the webhook under Ignore.
import type { MatchCondition } from '@mkube/shared/api';
import { aggregateMessages as aggregate, newForbidden } from '@mkube/shared/apierrors';
import type { Authorizer } from '@mkube/shared/auth';
import { authorizerValue } from '../cel/authz.js';
import { BOOL, type CompileResult, compileExpression } from '../cel/environment.js';
import { Activation, admissionRequestValue, objectValue } from '../plugins/validatingadmissionpolicy/activation.js';
import type { CompiledPolicy } from '../plugins/validatingadmissionpolicy/compile.js';
import type { AdmissionAttributes } from '../types.js';
import type { Invocation } from './matching.js';

/** A webhook's conditions compiled once per configuration change, as an Activation reads them. */
export type CompiledConditions = CompiledPolicy | undefined;

export function compileMatchConditions(conditions: readonly MatchCondition[] | undefined): CompiledConditions {
  if (!conditions?.length) return undefined;
  const compiled: CompileResult[] = conditions.map((m) =>
    compileExpression(m.expression ?? '', { params: false, authorizer: true, variables: undefined }, BOOL),
  );
  return {
    hasParams: false,
    variables: [],
    matchConditions: compiled,
    validations: [],
    messageExpressions: [],
    auditAnnotations: [],
  };
}

/** utilerrors.NewAggregate(...).Error(). */

/** Whether the webhook is to be called; throws the Forbidden of a failed evaluation under Fail. */
export async function matchConditionsAllow(
  compiled: CompiledConditions,
  failurePolicy: string | undefined,
  a: AdmissionAttributes,
  inv: Invocation,
  authorizer: Authorizer | undefined,
): Promise<boolean> {
  if (!compiled) return true;
  const matched = { ...inv.resource, kind: inv.kind.kind };
  const act = new Activation(compiled, {
    object: objectValue(a.object),
    oldObject: objectValue(a.oldObject),
    request: admissionRequestValue(a, matched),
    namespaceObject: null,
    params: null,
    authorizer: authorizerValue(a.user, authorizer ?? DENY_ALL, a),
  });
  const errors: string[] = [];
  for (const c of compiled.matchConditions) {
    const r = await act.evaluate(c, true);
    if ('error' in r) errors.push(r.error);
    else if (r.value === false) return false;
  }
  if (errors.length === 0) return true;
  if (failurePolicy === 'Ignore') return false;
  throw newForbidden({ group: inv.resource.group, resource: inv.resource.resource }, a.name, aggregate(errors));
}

// Without an authorizer (a server built without one) an `authorizer` check is a no-opinion deny.
const DENY_ALL: Authorizer = { authorize: async () => ({ decision: 'NoOpinion', reason: '' }) };
