// Field selectors as apimachinery pkg/fields parses them: `f=v`, `f==v`, `f!=v`, comma = AND, with
// `\,` `\=` `\\` escapes in values. The registry decides which field names a resource supports.
import { StatusError } from '../apierrors/errors.js';

export type FieldOperator = '=' | '!=';

export interface FieldRequirement {
  readonly field: string;
  /** `==` parses to `=`. */
  readonly operator: FieldOperator;
  readonly value: string;
}

const badRequest = (message: string): StatusError => new StatusError('BadRequest', message);

/** Escapes a value for use in a selector string (fields.EscapeValue). */
export function escapeFieldValue(s: string): string {
  return s.replace(/[\\,=]/g, (c) => `\\${c}`);
}

/** fields.UnescapeValue; unescaped `,`/`=` and unknown escapes are errors. */
export function unescapeFieldValue(s: string): string {
  if (!/[\\,=]/.test(s)) return s;
  let out = '';
  let inSlash = false;
  for (const c of s) {
    if (inSlash) {
      if (c !== '\\' && c !== ',' && c !== '=') {
        throw badRequest(`invalid field selector: invalid escape sequence: \\${c}`);
      }
      out += c;
      inSlash = false;
    } else if (c === '\\') {
      inSlash = true;
    } else if (c === ',' || c === '=') {
      throw badRequest(`invalid field selector: unescaped character in value: ${c}`);
    } else {
      out += c;
    }
  }
  if (inSlash) throw badRequest('invalid field selector: invalid escape sequence: \\');
  return out;
}

/** Splits on commas that are not escaped. */
function splitTerms(selector: string): string[] {
  if (selector.length === 0) return [];
  const terms: string[] = [];
  let start = 0;
  let inSlash = false;
  for (let i = 0; i < selector.length; i++) {
    const c = selector[i];
    if (inSlash) inSlash = false;
    else if (c === '\\') inSlash = true;
    else if (c === ',') {
      terms.push(selector.slice(start, i));
      start = i + 1;
    }
  }
  terms.push(selector.slice(start));
  return terms;
}

const TERM_OPERATORS = ['!=', '==', '='] as const;

function splitTerm(term: string): [string, (typeof TERM_OPERATORS)[number], string] | undefined {
  for (let i = 0; i < term.length; i++) {
    for (const op of TERM_OPERATORS) {
      if (term.startsWith(op, i)) return [term.slice(0, i), op, term.slice(i + op.length)];
    }
  }
  return undefined;
}

/** Returns the value of a field of an object, or undefined when the object has no such field. */
export type FieldGetter = (field: string) => string | undefined;

/** fields.Selector: requirements ANDed together, sorted by their term text as apimachinery does. */
export class FieldsSelector {
  private constructor(readonly requirements: readonly FieldRequirement[]) {}

  static everything(): FieldsSelector {
    return new FieldsSelector([]);
  }

  static of(requirements: readonly FieldRequirement[]): FieldsSelector {
    return new FieldsSelector(requirements);
  }

  /** A missing field reads as the empty string, as fields.Set.Get does. */
  matches(getField: FieldGetter): boolean {
    return this.requirements.every((r) => {
      const v = getField(r.field) ?? '';
      return r.operator === '=' ? v === r.value : v !== r.value;
    });
  }

  empty(): boolean {
    return this.requirements.length === 0;
  }

  /** The value `field` is pinned to by an `=` term (e.g. `metadata.name` for single-object watches). */
  requiresExactMatch(field: string): string | undefined {
    return this.requirements.find((r) => r.field === field && r.operator === '=')?.value;
  }

  /**
   * The registry's hook: every field must be supported by the resource, else BadRequest
   * `field label not supported: <field>` as the apiserver's field-label conversion answers.
   */
  validate(supported: ReadonlySet<string> | ((field: string) => boolean)): this {
    const ok = typeof supported === 'function' ? supported : (f: string) => supported.has(f);
    for (const r of this.requirements) {
      if (!ok(r.field)) throw badRequest(`field label not supported: ${r.field}`);
    }
    return this;
  }

  toString(): string {
    return this.requirements.map((r) => `${r.field}${r.operator}${escapeFieldValue(r.value)}`).join(',');
  }
}

/** fields.ParseSelector: throws StatusError BadRequest with apimachinery's message on a bad selector. */
export function parseFieldSelector(selector: string): FieldsSelector {
  const parts = splitTerms(selector).sort();
  const reqs: FieldRequirement[] = [];
  for (const part of parts) {
    if (part === '') continue;
    const t = splitTerm(part);
    if (!t) throw badRequest(`invalid selector: '${selector}'; can't understand '${part}'`);
    const [field, op, rhs] = t;
    reqs.push({ field, operator: op === '!=' ? '!=' : '=', value: unescapeFieldValue(rhs) });
  }
  return FieldsSelector.of(reqs);
}

/** Field labels every resource supports (runtime.DefaultMetaV1FieldSelectorConversion). */
export const DEFAULT_FIELD_LABELS: ReadonlySet<string> = new Set(['metadata.name', 'metadata.namespace']);

/** Field labels kube-apiserver accepts per resource, beyond metadata.name/namespace (pkg/apis/<group>/v1/conversion.go). */
export const RESOURCE_FIELD_LABELS: Readonly<Record<string, readonly string[]>> = {
  pods: [
    'spec.nodeName',
    'spec.restartPolicy',
    'spec.schedulerName',
    'spec.serviceAccountName',
    'spec.hostNetwork',
    'status.phase',
    'status.podIP',
    'status.podIPs',
    'status.nominatedNodeName',
  ],
  nodes: ['spec.unschedulable'],
  namespaces: ['status.phase'],
  secrets: ['type'],
  events: [
    'involvedObject.kind',
    'involvedObject.namespace',
    'involvedObject.name',
    'involvedObject.uid',
    'involvedObject.apiVersion',
    'involvedObject.resourceVersion',
    'involvedObject.fieldPath',
    'reason',
    'reportingComponent',
    'source',
    'type',
  ],
  certificatesigningrequests: ['spec.signerName'],
  clustertrustbundles: ['spec.signerName'],
  podcertificaterequests: ['spec.signerName', 'spec.podName', 'spec.nodeName'],
  replicasets: ['status.replicas'],
  replicationcontrollers: ['status.replicas'],
  jobs: ['status.successful'],
};

/** The supported field set of a resource (plural name), for FieldsSelector.validate. */
export function supportedFieldLabels(resource: string): ReadonlySet<string> {
  return new Set([...DEFAULT_FIELD_LABELS, ...(RESOURCE_FIELD_LABELS[resource] ?? [])]);
}
