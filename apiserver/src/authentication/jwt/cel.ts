// The CEL of AuthenticationConfiguration (k8s.io/apiserver pkg/authentication/cel): claim mappings and
// claim validation rules see `claims` (the token's payload, JSON numbers as int when integral, as
// apimachinery's unstructured converter makes them); user validation rules see `user`
// (authentication.k8s.io/v1 UserInfo: username, uid, groups, extra). AuthorizationConfiguration's
// webhook matchConditions see `request` (an authorization.k8s.io/v1 SubjectAccessReviewSpec).
import { Environment } from '@marcbachmann/cel-js';

export type CelVariable = 'claims' | 'user' | 'request';

export interface CompiledExpression {
  readonly expression: string;
  /** The checker's result type (`bool`, `string`, `dyn`, …). */
  readonly type: string;
  /** Evaluates against `{claims}` or `{user}`; throws on evaluation errors (a missing key, a bad type). */
  evaluate(vars: Record<string, unknown>): unknown;
  /** True when the expression selects `claims.<field>` (or `claims.?<field>`) anywhere. */
  selects(field: string): boolean;
}

const environments: Record<CelVariable, Environment> = {
  claims: new Environment({ enableOptionalTypes: true, homogeneousAggregateLiterals: false }).registerVariable(
    'claims',
    'map',
  ),
  user: new Environment({ enableOptionalTypes: true, homogeneousAggregateLiterals: false }).registerVariable(
    'user',
    'map',
  ),
  request: new Environment({ enableOptionalTypes: true, homogeneousAggregateLiterals: false }).registerVariable(
    'request',
    'map',
  ),
};

/** Compiles and type-checks; throws an Error whose message is the compiler's first line. */
export function compileExpression(variable: CelVariable, expression: string): CompiledExpression {
  const env = environments[variable];
  let program: ReturnType<Environment['parse']>;
  try {
    program = env.parse(expression);
  } catch (e) {
    throw new Error(`compilation failed: ${firstLine(e)}`);
  }
  const checked = program.check() as { valid: boolean; error?: unknown; type?: string };
  if (!checked.valid) throw new Error(`compilation failed: ${firstLine(checked.error)}`);
  const ast = program.ast as unknown;
  return {
    expression,
    type: checked.type ?? 'dyn',
    evaluate: (vars) => program(vars),
    selects: (field) => selectsField(ast, variable, field),
  };
}

function firstLine(e: unknown): string {
  const m = e instanceof Error ? e.message : String(e);
  return m.split('\n')[0]!.trim();
}

// cel-js nodes are {op, args}: `.`/`.?` selections have [operand, fieldName].
function selectsField(node: unknown, variable: string, field: string): boolean {
  if (Array.isArray(node)) return node.some((n) => selectsField(n, variable, field));
  if (!node || typeof node !== 'object') return false;
  const n = node as { op?: unknown; args?: unknown };
  if ((n.op === '.' || n.op === '.?') && Array.isArray(n.args)) {
    const [operand, name] = n.args as [unknown, unknown];
    const o = operand as { op?: unknown; args?: unknown } | undefined;
    if (o?.op === 'id' && o.args === variable && name === field) return true;
  }
  return selectsField(n.args, variable, field);
}

/** JSON claims as CEL values: integral numbers become int (bigint), others stay double. */
export function celValue(v: unknown): unknown {
  if (typeof v === 'number') return Number.isSafeInteger(v) ? BigInt(v) : v;
  if (Array.isArray(v)) return v.map(celValue);
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = celValue(x);
    return out;
  }
  return v;
}

/** A claim mapping's result as upstream's convertCELValueToStringList: "" and [] are absent. */
export function stringList(v: unknown): string[] | undefined {
  if (v === null || v === undefined) return undefined;
  if (typeof v === 'string') return v === '' ? undefined : [v];
  if (Array.isArray(v)) {
    const out: string[] = [];
    for (const x of v) {
      if (typeof x !== 'string') throw new Error('expression must return a string or a list of strings');
      if (x !== '') out.push(x);
    }
    return out.length ? out : undefined;
  }
  throw new Error('expression must return a string or a list of strings');
}
