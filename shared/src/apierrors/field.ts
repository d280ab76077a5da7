// field.Error from apimachinery's validation/field: a path, a type and a detail, rendered as
// `<path>: <Type text>[: <value>][: <detail>]` exactly as Kubernetes prints them.
import type { CauseType } from './status.js';

export type FieldErrorType =
  | 'NotFound'
  | 'Required'
  | 'Duplicate'
  | 'Invalid'
  | 'NotSupported'
  | 'Forbidden'
  | 'TooLong'
  | 'TooMany'
  | 'Internal'
  | 'TypeInvalid';

const TYPE_TEXT: Record<FieldErrorType, { text: string; cause: CauseType }> = {
  NotFound: { text: 'Not found', cause: 'FieldValueNotFound' },
  Required: { text: 'Required value', cause: 'FieldValueRequired' },
  Duplicate: { text: 'Duplicate value', cause: 'FieldValueDuplicate' },
  Invalid: { text: 'Invalid value', cause: 'FieldValueInvalid' },
  NotSupported: { text: 'Unsupported value', cause: 'FieldValueNotSupported' },
  Forbidden: { text: 'Forbidden', cause: 'FieldValueForbidden' },
  TooLong: { text: 'Too long', cause: 'FieldValueTooLong' },
  TooMany: { text: 'Too many', cause: 'FieldValueTooMany' },
  Internal: { text: 'Internal error', cause: 'InternalError' },
  TypeInvalid: { text: 'Invalid value', cause: 'FieldValueTypeInvalid' },
};

/** Types whose message leaves the value out, as Go's field.Error.ErrorBody does. */
const OMIT_VALUE = new Set<FieldErrorType>(['Required', 'Forbidden', 'TooLong', 'Internal']);

export interface FieldError {
  readonly type: FieldErrorType;
  readonly field: string;
  readonly badValue?: unknown;
  readonly detail?: string;
}

/** A bad value Go prints with %#v (a slice: `[]string{"a", "b"}`), where JSON would read differently. */
export class GoSyntax {
  constructor(readonly text: string) {}
  toJSON(): string {
    return this.text;
  }
}

/** `[]<type>{"a", "b"}`, as Go's %#v prints a slice of strings. */
export const goStringSlice = (values: readonly string[], type = 'string'): GoSyntax =>
  new GoSyntax(`[]${type}{${values.map((v) => JSON.stringify(v)).join(', ')}}`);

function formatValue(v: unknown): string {
  if (v instanceof GoSyntax) return v.text;
  if (typeof v === 'string') return JSON.stringify(v);
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  return JSON.stringify(v);
}

/** The part after `<field>: ` (Go's ErrorBody). */
export function fieldErrorBody(e: FieldError): string {
  let s = TYPE_TEXT[e.type].text;
  if (!OMIT_VALUE.has(e.type) && e.badValue !== undefined) s += `: ${formatValue(e.badValue)}`;
  if (e.detail) s += `: ${e.detail}`;
  return s;
}

export function formatFieldError(e: FieldError): string {
  return `${e.field}: ${fieldErrorBody(e)}`;
}

/** Go's utilerrors.NewAggregate(...).Error() of these messages: one bare, several in brackets. */
export function aggregateMessages(msgs: readonly string[]): string {
  return msgs.length === 1 ? msgs[0]! : `[${msgs.join(', ')}]`;
}

/** The aggregate of field errors, each message once. */
export function formatFieldErrors(errs: readonly FieldError[]): string {
  return aggregateMessages([...new Set(errs.map(formatFieldError))]);
}

export function fieldErrorCauseType(t: FieldErrorType): CauseType {
  return TYPE_TEXT[t].cause;
}

export const fieldErrors = {
  required: (field: string, detail?: string): FieldError => ({ type: 'Required', field, detail }),
  invalid: (field: string, badValue: unknown, detail?: string): FieldError => ({
    type: 'Invalid',
    field,
    badValue,
    detail,
  }),
  forbidden: (field: string, detail: string): FieldError => ({ type: 'Forbidden', field, detail }),
  duplicate: (field: string, badValue: unknown): FieldError => ({ type: 'Duplicate', field, badValue }),
  notFound: (field: string, badValue: unknown): FieldError => ({ type: 'NotFound', field, badValue }),
  notSupported: (field: string, badValue: unknown, supported: readonly string[]): FieldError => ({
    type: 'NotSupported',
    field,
    badValue,
    detail: supported.length ? `supported values: ${supported.map((s) => JSON.stringify(s)).join(', ')}` : undefined,
  }),
  tooLong: (field: string, maxLength: number): FieldError => ({
    type: 'TooLong',
    field,
    detail: `may not be more than ${maxLength} bytes`,
  }),
  tooMany: (field: string, actual: number, max: number): FieldError => ({
    type: 'TooMany',
    field,
    badValue: actual,
    detail: `must have at most ${max} items`,
  }),
  internal: (field: string, detail: string): FieldError => ({ type: 'Internal', field, detail }),
};
