// What one evaluation of a policy sees (upstream's evaluationActivation): the request's objects as
// CEL values (integral JSON numbers become int), the AdmissionRequest, the namespace, the params
// and the authorizer, plus `variables`, evaluated lazily: an expression first evaluates only the
// variables it names (once per activation), and a variable's error surfaces only where it is read.
import type { KubeObject, Namespace } from '@mkube/shared/api';
import { celValue } from '../../../authentication/jwt/cel.js';
import type { AuthorizerVal } from '../../cel/authz.js';
import { type CompileResult, runtimeError, VariablesVal } from '../../cel/environment.js';
import type { AdmissionAttributes } from '../../types.js';
import { requestNamespace } from '../../webhook/matching.js';
import type { CompiledPolicy } from './compile.js';

export type Evaluation = { readonly value: unknown } | { readonly error: string };

export interface ActivationInputs {
  readonly object: unknown;
  readonly oldObject: unknown;
  readonly request: unknown;
  readonly namespaceObject: unknown;
  /** null without a paramKind or a paramRef. */
  readonly params: unknown;
  readonly authorizer: AuthorizerVal;
}

/** CreateAdmissionRequest: the matched kind and resource, and the request's own. */
export function admissionRequestValue(
  a: AdmissionAttributes,
  matched: { group: string; version: string; resource: string; kind: string },
): Record<string, unknown> {
  const extra: Record<string, string[]> = {};
  for (const [k, v] of Object.entries(a.user.extra ?? {})) extra[k] = [...v];
  return {
    kind: { group: matched.group, version: matched.version, kind: matched.kind },
    resource: { group: matched.group, version: matched.version, resource: matched.resource },
    subResource: a.subresource,
    requestKind: { group: a.group, version: a.version, kind: a.kind },
    requestResource: { group: a.group, version: a.version, resource: a.resource },
    requestSubResource: a.subresource,
    name: a.name,
    namespace: requestNamespace(a),
    operation: a.operation,
    userInfo: { username: a.user.username, uid: a.user.uid ?? '', groups: [...a.user.groups], extra },
    dryRun: a.dryRun,
    options: a.options ? celValue(a.options) : null,
  };
}

/** CreateNamespaceObject: the namespace's metadata without managed fields or owners, spec and status. */
export function namespaceValue(ns: Namespace | undefined): unknown {
  if (!ns) return null;
  const m = ns.metadata;
  const metadata: Record<string, unknown> = {};
  for (const k of [
    'name',
    'generateName',
    'namespace',
    'uid',
    'resourceVersion',
    'generation',
    'creationTimestamp',
    'deletionTimestamp',
    'deletionGracePeriodSeconds',
    'labels',
    'annotations',
    'finalizers',
  ] as const) {
    if (m[k] !== undefined) metadata[k] = m[k];
  }
  return celValue({ metadata, spec: ns.spec ?? {}, status: ns.status ?? {} });
}

export const objectValue = (o: KubeObject | undefined): unknown => (o ? celValue(o) : null);

export class Activation {
  readonly #memo = new Map<string, Evaluation>();
  readonly #pending = new Map<string, Promise<void>>();
  readonly #variables = new VariablesVal();

  constructor(
    private readonly policy: CompiledPolicy,
    private readonly inputs: ActivationInputs,
  ) {
    for (const v of policy.variables) {
      Object.defineProperty(this.#variables, v.name, {
        enumerable: true,
        get: () => {
          const e = this.#memo.get(v.name);
          if (!e) throw new Error(`composited variable "${v.name}" was not evaluated`);
          if ('error' in e) throw new Error(e.error);
          return e.value;
        },
      });
    }
  }

  /** Evaluates one compiled expression; an error is upstream's `expression '…' resulted in error: …`. */
  async evaluate(c: CompileResult, withAuthorizer: boolean): Promise<Evaluation> {
    if (!c.ok) return { error: `compilation error: ${c.error}` };
    const r = await this.#run(c, withAuthorizer);
    if ('error' in r) return { error: `expression '${c.program.expression}' resulted in error: ${r.error}` };
    return r;
  }

  async #run(c: Extract<CompileResult, { ok: true }>, withAuthorizer: boolean): Promise<Evaluation> {
    const refs = c.program.variableRefs;
    const names = refs === 'all' ? this.policy.variables.map((v) => v.name) : [...refs];
    for (const n of names) await this.#variable(n);
    const vars: Record<string, unknown> = {
      object: this.inputs.object,
      oldObject: this.inputs.oldObject,
      request: this.inputs.request,
      namespaceObject: this.inputs.namespaceObject,
      variables: this.#variables,
    };
    if (this.policy.hasParams) vars.params = this.inputs.params;
    if (withAuthorizer) vars.authorizer = this.inputs.authorizer;
    try {
      let value = c.program.run(vars);
      if (value instanceof Promise) value = await value;
      return { value };
    } catch (e) {
      return { error: runtimeError(e) };
    }
  }

  #variable(name: string): Promise<void> {
    if (this.#memo.has(name)) return Promise.resolve();
    let p = this.#pending.get(name);
    if (!p) {
      p = this.#compute(name);
      this.#pending.set(name, p);
    }
    return p;
  }

  async #compute(name: string): Promise<void> {
    const v = this.policy.variables.find((x) => x.name === name);
    if (!v) return;
    const r = v.result;
    const e: Evaluation = r.ok
      ? await this.#run(r, true)
      : { error: `composited variable "${name}" fails to compile: ${r.error}` };
    this.#memo.set(name, e);
  }
}
