// One policy evaluated for one binding and one param (upstream's validator.Validate): match
// conditions first (any false skips the policy; errors follow the failure policy), then each
// validation becomes a decision with its message, then the audit annotations are computed.

import type { FailurePolicyType, ValidatingAdmissionPolicySpec } from '@mkube/shared/api';
import { aggregateMessages as aggregate } from '@mkube/shared/apierrors';
import type { Activation } from './activation.js';
import type { CompiledPolicy } from './compile.js';

export interface PolicyDecision {
  readonly action: 'admit' | 'deny';
  readonly evaluation: 'admit' | 'deny' | 'error';
  readonly message: string;
  /** For a failed validation: its reason (Invalid by default). */
  readonly reason?: string;
}

export type AuditAnnotationResult =
  | { readonly action: 'publish'; readonly key: string; readonly value: string }
  | { readonly action: 'exclude'; readonly key: string }
  | { readonly action: 'error'; readonly key: string; readonly error: string };

export interface ValidateResult {
  readonly decisions: readonly PolicyDecision[];
  readonly auditAnnotations: readonly AuditAnnotationResult[];
}

/** celconfig.MaxEvaluatedMessageExpressionSizeBytes. */
const MAX_MESSAGE_BYTES = 5 * 1024;

const EMPTY: ValidateResult = { decisions: [], auditAnnotations: [] };

/** utilerrors.NewAggregate(...).Error(). */

function goTypeOf(v: unknown): string {
  if (typeof v === 'bigint') return 'int';
  if (typeof v === 'number') return 'double';
  if (typeof v === 'boolean') return 'bool';
  if (Array.isArray(v)) return 'list';
  if (v instanceof Uint8Array) return 'bytes';
  return v && typeof v === 'object' ? 'map' : typeof v;
}

export async function validatePolicy(
  spec: ValidatingAdmissionPolicySpec,
  compiled: CompiledPolicy,
  act: Activation,
): Promise<ValidateResult> {
  const failurePolicy: FailurePolicyType = spec.failurePolicy ?? 'Fail';
  const onError: PolicyDecision['action'] = failurePolicy === 'Ignore' ? 'admit' : 'deny';

  if (compiled.matchConditions.length > 0) {
    const results = await Promise.all(compiled.matchConditions.map((c) => act.evaluate(c, true)));
    const errors: string[] = [];
    for (const r of results) {
      if ('error' in r) errors.push(r.error);
      else if (r.value === false) return EMPTY;
    }
    if (errors.length > 0) {
      if (failurePolicy === 'Ignore') return EMPTY;
      return { decisions: [{ action: 'deny', evaluation: 'error', message: aggregate(errors) }], auditAnnotations: [] };
    }
  }

  const decisions: PolicyDecision[] = [];
  const validations = spec.validations ?? [];
  for (const [i, c] of compiled.validations.entries()) {
    const v = validations[i]!;
    const r = await act.evaluate(c, true);
    if ('error' in r) {
      decisions.push({ action: onError, evaluation: 'error', message: r.error });
    } else if (r.value !== true) {
      decisions.push({
        action: 'deny',
        evaluation: 'deny',
        reason: v.reason ?? 'Invalid',
        message: await failureMessage(v, compiled.messageExpressions[i], act),
      });
    } else {
      decisions.push({ action: 'admit', evaluation: 'admit', message: '' });
    }
  }

  const auditAnnotations: AuditAnnotationResult[] = [];
  for (const [i, c] of compiled.auditAnnotations.entries()) {
    const a = spec.auditAnnotations![i]!;
    const r = await act.evaluate(c, true);
    if ('error' in r) {
      auditAnnotations.push(
        failurePolicy === 'Ignore'
          ? { action: 'exclude', key: a.key }
          : { action: 'error', key: a.key, error: r.error },
      );
    } else if (typeof r.value === 'string') {
      const value = r.value.trim();
      auditAnnotations.push(value ? { action: 'publish', key: a.key, value } : { action: 'exclude', key: a.key });
    } else if (r.value === null) {
      auditAnnotations.push({ action: 'exclude', key: a.key });
    } else {
      auditAnnotations.push({
        action: 'error',
        key: a.key,
        error: `valueExpression '${a.valueExpression}' resulted in unsupported return type: ${goTypeOf(r.value)}. Return type must be either string or null.`,
      });
    }
  }
  return { decisions, auditAnnotations };
}

/** messageExpression's string (one line, not too long), else message, else `failed expression: …`. */
async function failureMessage(
  v: { expression: string; message?: string },
  messageExpression: CompiledPolicy['messageExpressions'][number],
  act: Activation,
): Promise<string> {
  let message = '';
  if (messageExpression) {
    const r = await act.evaluate(messageExpression, false);
    if ('value' in r && typeof r.value === 'string') {
      message = r.value.trim();
      if (Buffer.byteLength(message) > MAX_MESSAGE_BYTES || message.includes('\n')) message = '';
    }
  }
  if (!message && v.message) message = v.message.trim();
  return message || `failed expression: ${(v.expression ?? '').trim()}`;
}
