// What kube-apiserver's typed JSON decoder refuses before any validation runs: a list that is not a
// list, a number where a string goes. A registry checks the fields it reads, so a body of the wrong
// shape is the same 400 as upstream's instead of failing (or worse, looping) further in.
import { newBadRequest } from '@mkube/shared/apierrors';

/** encoding/json's name for a JSON value's kind, as in "cannot unmarshal <kind> into …". */
export const goJsonKind = (v: unknown): string =>
  v === null
    ? 'null'
    : Array.isArray(v)
      ? 'array'
      : typeof v === 'object'
        ? 'object'
        : typeof v === 'boolean'
          ? 'bool'
          : typeof v;

export type Fail = (v: unknown, struct: string, field: string, type: string) => never;

/** `<Kind> in version "v1" cannot be handled as a <Kind>: json: cannot unmarshal …`, a 400. */
export function decodeFailure(kind: string, version = 'v1'): Fail {
  return (v, struct, field, type) => {
    throw newBadRequest(
      `${kind} in version "${version}" cannot be handled as a ${kind}: json: cannot unmarshal ${goJsonKind(v)} into Go struct field ${struct}.${field} of type ${type}`,
    );
  };
}

/** Checks as Go would decode: absent and null are the zero value, anything else must have the field's type. */
export class ShapeCheck {
  constructor(private readonly fail: Fail) {}

  object(v: unknown, struct: string, field: string, type: string): Record<string, unknown> {
    if (v === undefined || v === null) return {};
    return goJsonKind(v) === 'object' ? (v as Record<string, unknown>) : this.fail(v, struct, field, type);
  }

  list(v: unknown, struct: string, field: string, type: string): unknown[] {
    if (v === undefined || v === null) return [];
    return Array.isArray(v) ? v : this.fail(v, struct, field, type);
  }

  /** A string (or what JSON carries as one: `type` '[]uint8' for bytes). */
  string(v: unknown, struct: string, field: string, type = 'string'): void {
    if (v !== undefined && v !== null && typeof v !== 'string') this.fail(v, struct, field, type);
  }

  int32(v: unknown, struct: string, field: string): void {
    if (v !== undefined && v !== null && !Number.isInteger(v)) this.fail(v, struct, field, 'int32');
  }

  strings(v: unknown, struct: string, field: string): void {
    for (const s of this.list(v, struct, field, '[]string')) this.string(s, struct, field);
  }

  /** A map of string lists (a user's extra). */
  stringLists(v: unknown, struct: string, field: string, type: string): void {
    for (const list of Object.values(this.object(v, struct, field, type))) this.strings(list, struct, field);
  }

  /** Objects of a list, each with string fields. */
  records(v: unknown, struct: string, field: string, item: string, fields: readonly string[]): void {
    for (const e of this.list(v, struct, field, `[]v1.${item}`)) {
      const o = this.object(e, struct, field, `v1.${item}`);
      for (const f of fields) this.string(o[f], item, `${field}.${f}`);
    }
  }
}
