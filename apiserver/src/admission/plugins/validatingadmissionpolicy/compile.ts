// A policy's expressions compiled once per generation (upstream's compilePolicy): the variables in
// order, each seeing only the ones before it, then the match conditions, validations, message
// expressions and audit annotations, all seeing every variable. A compile error is kept with its
// expression and reported when the expression is evaluated (as upstream's CompilationResult).
import type { ValidatingAdmissionPolicySpec } from '@mkube/shared/api';
import {
  BOOL,
  type CompileOptions,
  type CompileResult,
  compileExpression,
  STRING,
  STRING_OR_NULL,
  type VariableDecl,
} from '../../cel/environment.js';

export { BOOL, STRING, STRING_OR_NULL };

export interface CompiledVariable {
  readonly name: string;
  readonly result: CompileResult;
}

export interface CompiledPolicy {
  readonly hasParams: boolean;
  readonly variables: readonly CompiledVariable[];
  readonly matchConditions: readonly CompileResult[];
  readonly validations: readonly CompileResult[];
  /** One per validation; undefined where it has no messageExpression. */
  readonly messageExpressions: readonly (CompileResult | undefined)[];
  readonly auditAnnotations: readonly CompileResult[];
}

/**
 * CompileAndStoreVariables: each variable sees the ones declared before it; one that does not
 * compile is still declared (as dyn), so what reads it fails with its error, not a new one.
 */
export function compileVariables(
  variables: readonly { name?: string; expression?: string }[],
  params: boolean,
): { decls: VariableDecl[]; compiled: CompiledVariable[] } {
  const decls: VariableDecl[] = [];
  const compiled: CompiledVariable[] = [];
  for (const v of variables) {
    const name = v.name ?? '';
    const result = compileExpression(v.expression ?? '', { params, authorizer: true, variables: decls }, 'any');
    compiled.push({ name, result });
    decls.push({ name, type: result.ok ? result.program.type : 'dyn' });
  }
  return { decls, compiled };
}

export function compilePolicy(spec: ValidatingAdmissionPolicySpec): CompiledPolicy {
  const hasParams = !!spec.paramKind;
  const { decls, compiled } = compileVariables(spec.variables ?? [], hasParams);
  const withAuthz: CompileOptions = { params: hasParams, authorizer: true, variables: decls };
  const withoutAuthz: CompileOptions = { ...withAuthz, authorizer: false };
  return {
    hasParams,
    variables: compiled,
    matchConditions: (spec.matchConditions ?? []).map((m) => compileExpression(m.expression ?? '', withAuthz, BOOL)),
    validations: (spec.validations ?? []).map((v) => compileExpression(v.expression ?? '', withAuthz, BOOL)),
    messageExpressions: (spec.validations ?? []).map((v) =>
      v.messageExpression ? compileExpression(v.messageExpression, withoutAuthz, STRING) : undefined,
    ),
    auditAnnotations: (spec.auditAnnotations ?? []).map((a) =>
      compileExpression(a.valueExpression ?? '', withAuthz, STRING_OR_NULL),
    ),
  };
}
