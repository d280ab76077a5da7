// The CEL environment of admission policies and of admission webhooks' matchConditions
// (k8s.io/apiserver pkg/admission/plugin/cel/compile.go):
// `object`, `oldObject`, `request`, `namespaceObject` always; `params` only when the policy has a
// paramKind; `authorizer` everywhere but in messageExpression; `variables` typed with the policy's
// variables declared before the expression, so a typo is a compile error as upstream's. Compile
// errors are rendered as cel-go renders them (`ERROR: <input>:1:5: … | expr | ....^`).
import { Environment } from '@marcbachmann/cel-js';
import { AUTHORIZER, registerAuthzLibrary } from './authz.js';
import { registerFormatLibrary } from './format.js';
import { registerExtraLibrary } from './library.js';
import { registerNetLibrary } from './net.js';
import { registerQuantityLibrary } from './quantity.js';
import { registerSemverLibrary } from './semver.js';
import { registerURLLibrary } from './url.js';

/** What an expression must evaluate to; `dyn` results are refused as upstream's IsExactType does. */
export type ReturnTypes = readonly string[] | 'any';

export const BOOL: ReturnTypes = ['bool'];
export const STRING: ReturnTypes = ['string'];
export const STRING_OR_NULL: ReturnTypes = ['string', 'null_type'];

export interface VariableDecl {
  readonly name: string;
  /** The checker's type of the variable's expression (`bool`, `list<string>`, `dyn`, …). */
  readonly type: string;
}

export interface CompileOptions {
  readonly params: boolean;
  readonly authorizer: boolean;
  /** Undefined where upstream compiles without composition: `variables` is then undeclared. */
  readonly variables: readonly VariableDecl[] | undefined;
}

export interface CompiledExpression {
  readonly expression: string;
  readonly type: string;
  /** The `variables.<name>` it reads, or 'all' when it uses `variables` another way. */
  readonly variableRefs: ReadonlySet<string> | 'all';
  /** Evaluates; may return a promise (authorizer checks are asynchronous); throws on errors. */
  run(vars: Record<string, unknown>): unknown;
}

export type CompileResult =
  | { readonly ok: true; readonly program: CompiledExpression }
  | { readonly ok: false; readonly error: string };

/** The value of `variables`: its fields are getters over the request's lazily evaluated variables. */
export class VariablesVal {}

const VARIABLES_TYPE = 'kubernetes.Variables';

// The AdmissionRequest as upstream declares it (BuildRequestType): a typo in a field is a compile error.
const GVK = { group: 'string', version: 'string', kind: 'string' };
const GVR = { group: 'string', version: 'string', resource: 'string' };
const REQUEST_SCHEMA = {
  kind: GVK,
  resource: GVR,
  subResource: 'string',
  requestKind: GVK,
  requestResource: GVR,
  requestSubResource: 'string',
  name: 'string',
  namespace: 'string',
  operation: 'string',
  userInfo: { username: 'string', uid: 'string', groups: 'list<string>', extra: 'map<string, list<string>>' },
  dryRun: 'bool',
  options: 'dyn',
};

let base: Environment | undefined;

function baseEnvironment(): Environment {
  if (!base) {
    const env = new Environment({ enableOptionalTypes: true, homogeneousAggregateLiterals: false });
    registerExtraLibrary(env);
    registerQuantityLibrary(env);
    registerNetLibrary(env);
    registerURLLibrary(env);
    registerFormatLibrary(env);
    registerSemverLibrary(env);
    registerAuthzLibrary(env);
    env
      .registerVariable('object', 'dyn')
      .registerVariable('oldObject', 'dyn')
      .registerVariable('namespaceObject', 'dyn')
      .registerVariable({ name: 'request', schema: REQUEST_SCHEMA });
    base = env;
  }
  return base;
}

function environment(opts: CompileOptions): Environment {
  const env = baseEnvironment().clone();
  if (opts.params) env.registerVariable('params', 'dyn');
  if (opts.authorizer) env.registerVariable('authorizer', AUTHORIZER);
  if (!opts.variables) return env;
  const fields: Record<string, string> = {};
  for (const v of opts.variables) fields[v.name] = v.type;
  try {
    env.registerType(VARIABLES_TYPE, { ctor: VariablesVal, fields });
  } catch {
    // A type cel-js cannot declare as a field (rare) makes every variable dyn rather than fail.
    env.registerType(VARIABLES_TYPE, {
      ctor: VariablesVal,
      fields: Object.fromEntries(opts.variables.map((v) => [v.name, 'dyn'])),
    });
  }
  return env.registerVariable('variables', VARIABLES_TYPE);
}

export function compileExpression(expression: string, opts: CompileOptions, returns: ReturnTypes): CompileResult {
  const env = environment(opts);
  let program: ReturnType<Environment['parse']>;
  try {
    program = env.parse(expression);
  } catch (e) {
    return { ok: false, error: `compilation failed: ${celIssue(e, expression, true)}` };
  }
  const checked = program.check() as { valid: boolean; error?: unknown; type?: string };
  if (!checked.valid) return { ok: false, error: `compilation failed: ${celIssue(checked.error, expression, false)}` };
  const type = goTypeName(checked.type ?? 'dyn');
  if (returns !== 'any' && !returns.includes(type)) {
    const want = returns.length === 1 ? returns[0]! : `one of [${returns.join(' ')}]`;
    return { ok: false, error: `must evaluate to ${want} but got ${type}` };
  }
  const variableRefs = referencedVariables(program.ast);
  return { ok: true, program: { expression, type, variableRefs, run: (vars) => program(vars) } };
}

/** cel-go's names for what cel-js calls `null` and bare `list`/`map`. */
function goTypeName(t: string): string {
  if (t === 'null') return 'null_type';
  return t;
}

/** An error's one-line summary, as cel-go words the common ones. */
function summaryOf(e: unknown): string {
  const err = e as { summary?: unknown; message?: unknown };
  const s = typeof err?.summary === 'string' ? err.summary : String(err?.message ?? e).split('\n')[0]!;
  return s.trim();
}

function checkerWording(s: string): string {
  let m = /^Unknown variable: (.*)$/.exec(s);
  if (m) return `undeclared reference to '${m[1]}' (in container '')`;
  m = /^No such key: (.*)$/.exec(s);
  if (m) return `undefined field '${m[1]}'`;
  m = /^Ternary branches must have the same type, got '(.+)' and '(.+)'$/.exec(s);
  if (m)
    return `found no matching overload for '_?_:_' applied to '(bool, ${goTypeName(m[1]!)}, ${goTypeName(m[2]!)})'`;
  m = /^found no matching overload for '(?:(.+)\.)?([\w]+)\((.*)\)'$/.exec(s);
  if (m) return `found no matching overload for '${m[2]}' applied to '${m[1] ? `${m[1]}.` : ''}(${m[3]})'`;
  return s;
}

/** `ERROR: <input>:line:col: message`, then the line and a caret, as cel-go's issues print. */
export function celIssue(e: unknown, expression: string, syntax: boolean): string {
  const summary = summaryOf(e);
  const start = Math.min((e as { range?: { start?: number } })?.range?.start ?? 0, expression.length);
  const lines = expression.split('\n');
  const line = expression.slice(0, start).split('\n').length;
  const col = start - (expression.lastIndexOf('\n', start - 1) + 1) + 1;
  const text = syntax ? `Syntax error: ${summary}` : checkerWording(summary);
  return `ERROR: <input>:${line}:${col}: ${text}\n | ${lines[line - 1] ?? ''}\n | ${'.'.repeat(col - 1)}^`;
}

/** A runtime error's message as cel-go words it (`no such key: x`). */
export function runtimeError(e: unknown): string {
  const s = summaryOf(e);
  return /^No such key/.test(s) ? `n${s.slice(1)}` : s;
}

// cel-js nodes are {op, args}: `variables.x` is {op: '.', args: [{op: 'id', args: 'variables'}, 'x']}.
function referencedVariables(ast: unknown): ReadonlySet<string> | 'all' {
  const names = new Set<string>();
  let all = false;
  const walk = (node: unknown): void => {
    if (all) return;
    if (Array.isArray(node)) {
      for (const n of node) walk(n);
      return;
    }
    if (!node || typeof node !== 'object') return;
    const n = node as { op?: unknown; args?: unknown };
    if ((n.op === '.' || n.op === '.?') && Array.isArray(n.args)) {
      const [operand, field] = n.args as [{ op?: unknown; args?: unknown } | undefined, unknown];
      if (operand?.op === 'id' && operand.args === 'variables' && typeof field === 'string') {
        names.add(field);
        return;
      }
    }
    if (n.op === 'id' && n.args === 'variables') {
      all = true;
      return;
    }
    walk(n.args);
  };
  walk(ast);
  return all ? 'all' : names;
}
