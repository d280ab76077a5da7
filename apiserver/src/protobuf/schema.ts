// How a message's fields map to the JSON form. Field numbers come from Kubernetes' generated.proto
// files (k8s.io/api, k8s.io/apimachinery meta/v1); tables are data, one per API group file.
export type Scalar =
  | 'string'
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
  | 'intOrString';

export interface MessageSchema {
  readonly [field: number]: FieldSpec;
}

export type FieldType =
  | Scalar
  | { readonly message: () => MessageSchema }
  /** map<string, V>: repeated entries {1: key, 2: value}. */
  | { readonly map: 'string' | 'bytes' | { readonly message: () => MessageSchema } };

export interface FieldSpec {
  readonly name: string;
  readonly type: FieldType;
  readonly repeated?: boolean;
}

/** Shorthands for the tables. */
export const str = (name: string): FieldSpec => ({ name, type: 'string' });
export const strs = (name: string): FieldSpec => ({ name, type: 'string', repeated: true });
export const msg = (name: string, schema: () => MessageSchema, repeated = false): FieldSpec => ({
  name,
  type: { message: schema },
  repeated,
});
export const strMap = (name: string): FieldSpec => ({ name, type: { map: 'string' } });
export const intOrString = (name: string): FieldSpec => ({ name, type: 'intOrString' });
