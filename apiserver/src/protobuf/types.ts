// The typed decoder's refusals, driven by the field tables that already list every field of each
// kind: a value of the wrong JSON type (a number for a name, a string for a list, an object for a
// label value) is kube-apiserver's 400 "… cannot be handled as a <Kind>: json: cannot unmarshal …",
// not an error from deep inside a registry. The message names the innermost Go struct where the
// table names it (the review kinds'), else the kind; the field path and the JSON kinds are Go's.
import { newBadRequest } from '@mkube/shared/apierrors';
import { goJsonKind } from '../validation/shape.js';
import { type FieldSpec, type FieldType, fieldsByName, type MessageSchema, msg, str, strs } from './schema.js';
import { KINDS, objectMeta } from './tables.js';

interface Mismatch {
  readonly value: unknown;
  /** The Go struct holding the field (the kind's, where the table names none). */
  readonly struct: string;
  readonly path: string;
  readonly type: string;
}

const SCALAR_GO_TYPES: Readonly<Record<string, string>> = {
  string: 'string',
  stringPtr: 'string',
  bytes: '[]uint8',
  int: 'int32',
  intPtr: 'int32',
  bool: 'bool',
  boolPtr: 'bool',
  time: 'string',
  microtime: 'string',
  intOrString: 'intstr.IntOrString',
  quantity: 'resource.Quantity',
};

function scalarOk(type: string, v: unknown): boolean {
  switch (type) {
    case 'int':
    case 'intPtr':
      return typeof v === 'number' && Number.isInteger(v);
    case 'bool':
    case 'boolPtr':
      return typeof v === 'boolean';
    case 'intOrString':
    case 'quantity':
      return typeof v === 'string' || typeof v === 'number';
    default:
      return typeof v === 'string';
  }
}

/** A field's Go type as decode errors print it (one element's, for a list). */
function goTypeOf(spec: FieldSpec): string {
  const t = spec.type;
  if (typeof t === 'string') return SCALAR_GO_TYPES[t] ?? t;
  const named = spec.goType ? `v1.${spec.goType}` : undefined;
  if ('message' in t) return named ?? 'struct';
  return spec.goType ? `map[string]${named}` : 'map[string]…';
}

/** The one repeated `items` field of a list wrapper message (ExtraValue), if `schema` is one. */
function itemsOf(schema: MessageSchema): FieldSpec | undefined {
  const fields = Object.values(schema);
  return fields.length === 1 && fields[0]!.name === 'items' && fields[0]!.repeated ? fields[0] : undefined;
}

/** Go's zero value of a type: what a JSON null decodes to inside a list or a map. */
function zeroOf(t: FieldType): unknown {
  if (typeof t !== 'string') return {};
  if (t === 'int' || t === 'intPtr' || t === 'intOrString') return 0;
  if (t === 'bool' || t === 'boolPtr') return false;
  return t === 'quantity' ? '0' : '';
}

/** The elements of a list, nulls made zero values in place. */
function checkList(list: unknown[], element: FieldSpec, path: string, struct: string): Mismatch | undefined {
  for (let i = 0; i < list.length; i++) {
    if (list[i] === null) list[i] = zeroOf(element.type);
    const bad = checkValue(list[i], element, path, struct);
    if (bad) return bad;
  }
  return undefined;
}

/** One value of `spec` (one element, for a list) inside `struct`: null is Go's zero value and always fits. */
function checkValue(v: unknown, spec: FieldSpec, path: string, struct: string): Mismatch | undefined {
  if (v === null || v === undefined) return undefined;
  const t = spec.type;
  if (typeof t === 'string') return scalarOk(t, v) ? undefined : { value: v, struct, path, type: goTypeOf(spec) };
  if (goJsonKind(v) !== 'object') return { value: v, struct, path, type: goTypeOf(spec) };
  if ('message' in t)
    return checkMessage(v as Record<string, unknown>, fieldsByName(t, t.message), path, spec.goType ?? struct);
  const entries = v as Record<string, unknown>;
  const value: FieldSpec =
    typeof t.map === 'string'
      ? { name: spec.name, type: t.map === 'quantity' ? 'quantity' : 'string' }
      : { name: spec.name, type: t.map };
  // ExtraValue {items} is a plain list in JSON (decode.ts reads it so).
  const items = typeof t.map === 'object' ? itemsOf(t.map.message()) : undefined;
  for (const [key, entry] of Object.entries(entries)) {
    if (items) {
      if (entry === null) continue;
      if (!Array.isArray(entry))
        return { value: entry, struct, path, type: spec.goType ? `v1.${spec.goType}` : `[]${goTypeOf(items)}` };
      const bad = checkList(entry, { name: spec.name, type: items.type }, path, struct);
      if (bad) return bad;
      continue;
    }
    if (entry === null) entries[key] = zeroOf(value.type);
    const bad = checkValue(entries[key], value, path, struct);
    if (bad) return bad;
  }
  return undefined;
}

function checkMessage(
  v: Record<string, unknown>,
  byName: ReadonlyMap<string, FieldSpec>,
  path: string,
  struct: string,
): Mismatch | undefined {
  for (const [key, value] of Object.entries(v)) {
    const spec = byName.get(key);
    // Unknown fields are fieldValidation's (fields.ts); managedFields are server-side apply's.
    if (!spec || value === null || value === undefined) continue;
    const at = path ? `${path}.${key}` : key;
    if (!spec.repeated) {
      const bad = checkValue(value, spec, at, struct);
      if (bad) return bad;
    } else if (!Array.isArray(value)) return { value, struct, path: at, type: `[]${goTypeOf(spec)}` };
    else {
      const bad = checkList(value, spec, at, struct);
      if (bad) return bad;
    }
  }
  return undefined;
}

const METADATA_ONLY: MessageSchema = { 1: msg('metadata', () => objectMeta) };

// Kinds the protobuf codec has no table for: only the fields their registries read, for the check
// (a field not listed is not checked; these never drive encoding or decoding).
const taint: MessageSchema = {
  1: str('key'),
  2: str('value'),
  3: str('effect'),
  4: { name: 'timeAdded', type: 'time' },
};
const SHAPES: Readonly<Record<string, MessageSchema>> = {
  'v1/Node': {
    1: msg('metadata', () => objectMeta),
    2: msg('spec', () => ({
      1: str('podCIDR'),
      2: strs('podCIDRs'),
      3: str('providerID'),
      4: { name: 'unschedulable', type: 'bool' },
      5: msg('taints', () => taint, true),
    })),
  },
  'v1/Event': {
    1: msg('metadata', () => objectMeta),
    2: msg('involvedObject', () => ({ 1: str('kind'), 2: str('namespace'), 3: str('name'), 4: str('uid') })),
    3: str('reason'),
    4: str('message'),
    5: str('type'),
    6: { name: 'count', type: 'int' },
  },
};

/**
 * Throws kube-apiserver's 400 when a field of `obj` has the wrong JSON type, and turns the nulls of
 * lists and maps into Go's zero values, as decoding into the typed struct would. A kind without a
 * table of its own has its metadata checked.
 */
export function checkFieldTypes(obj: unknown, apiVersion: string, kind: string): void {
  const gvk = `${apiVersion}/${kind}`;
  const schema = KINDS[gvk] ?? SHAPES[gvk] ?? METADATA_ONLY;
  if (goJsonKind(obj) !== 'object') return;
  const bad = checkMessage(
    obj as Record<string, unknown>,
    fieldsByName(schema, () => schema),
    '',
    kind,
  );
  if (!bad) return;
  const version = apiVersion.includes('/') ? apiVersion.slice(apiVersion.indexOf('/') + 1) : apiVersion;
  throw newBadRequest(
    `${kind} in version "${version}" cannot be handled as a ${kind}: json: cannot unmarshal ${goJsonKind(bad.value)} into Go struct field ${bad.struct}.${bad.path} of type ${bad.type}`,
  );
}
