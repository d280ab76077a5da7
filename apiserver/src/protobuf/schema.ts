// How a message's fields map to the JSON form. Field numbers come from Kubernetes' generated.proto
// files (k8s.io/api, k8s.io/apimachinery meta/v1); tables are data, one per API group file.
export type Scalar =
  | 'string'
  /** A *string in Go: written whenever set, so an empty value is kept. */
  | 'stringPtr'
  | 'bytes'
  | 'int'
  | 'intPtr'
  | 'bool'
  | 'boolPtr'
  | 'time'
  | 'microtime'
  /**
   * k8s.io/apimachinery intstr.IntOrString: on the wire the message {1: type (0 int, 1 string),
   * 2: intVal (int32), 3: strVal}; in JSON the bare number or string.
   */
  | 'intOrString'
  /** k8s.io/apimachinery resource.Quantity: on the wire the message {1: string}; in JSON the string. */
  | 'quantity';

export interface MessageSchema {
  readonly [field: number]: FieldSpec;
}

export type FieldType =
  | Scalar
  | { readonly message: () => MessageSchema }
  /** map<string, V>: repeated entries {1: key, 2: value}. */
  | { readonly map: 'string' | 'bytes' | 'quantity' | 'time' | { readonly message: () => MessageSchema } };

export interface FieldSpec {
  readonly name: string;
  readonly type: FieldType;
  readonly repeated?: boolean;
  /**
   * An embedded struct JSON flattens into its parent (`json:",inline"`: Volume.volumeSource,
   * Probe.handler, the localObjectReference of key selectors): its fields become the parent's.
   */
  readonly inline?: boolean;
  /** A pointer to a struct (`emptyDir: {}`): present when sent, even empty. */
  readonly keepEmpty?: boolean;
  /**
   * The Go struct a message field holds (`FieldSelectorAttributes`), as decode errors name it;
   * absent: errors inside it name the struct around it.
   */
  readonly goType?: string;
}

/** Shorthands for the tables. */
export const str = (name: string): FieldSpec => ({ name, type: 'string' });
export const strs = (name: string): FieldSpec => ({ name, type: 'string', repeated: true });
export const msg = (name: string, schema: () => MessageSchema, repeated = false, goType?: string): FieldSpec => ({
  name,
  type: { message: schema },
  repeated,
  ...(goType ? { goType } : {}),
});
export const strMap = (name: string): FieldSpec => ({ name, type: { map: 'string' } });
export const intOrString = (name: string): FieldSpec => ({ name, type: 'intOrString' });
/** A `*intstr.IntOrString` (maxUnavailable, minAvailable): sent means set, so 0 and "" are kept. */
export const intOrStringPtr = (name: string): FieldSpec => ({ name, type: 'intOrString', keepEmpty: true });
export const inline = (name: string, schema: () => MessageSchema): FieldSpec => ({
  name,
  type: { message: schema },
  inline: true,
});
/** A pointer to a struct: kept when sent empty (`emptyDir: {}` selects the volume type). */
export const ptr = (name: string, schema: () => MessageSchema, repeated = false): FieldSpec => ({
  name,
  type: { message: schema },
  repeated,
  keepEmpty: true,
});

const BY_NAME = new WeakMap<object, ReadonlyMap<string, FieldSpec>>();

function collect(schema: MessageSchema, out: Map<string, FieldSpec>): void {
  for (const f of Object.values(schema)) {
    const t = f.type;
    if (f.inline && typeof t === 'object' && 'message' in t) collect(t.message(), out);
    else out.set(f.name, f);
  }
}

/**
 * A message's fields by JSON name, those of inlined structs among them. Kept per table entry
 * (`key`: a kind's schema, or the field type that makes a nested one), since body checks ask on
 * every request and nested schemas are made afresh by their factories.
 */
export function fieldsByName(key: object, schema: () => MessageSchema): ReadonlyMap<string, FieldSpec> {
  let byName = BY_NAME.get(key);
  if (!byName) {
    const out = new Map<string, FieldSpec>();
    collect(schema(), out);
    byName = out;
    BY_NAME.set(key, byName);
  }
  return byName;
}
