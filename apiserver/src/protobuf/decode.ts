// Kubernetes' protobuf serialization: the 4-byte magic `k8s\0`, then runtime.Unknown
// {typeMeta{apiVersion, kind}, raw, contentEncoding, contentType}, `raw` being the object's own
// message. Decoded into exactly the JSON form, so everything after decoding is shared with JSON.
import type { KubeObject } from '@mkube/shared/api';
import { newBadRequest, newUnsupportedMediaType } from '@mkube/shared/apierrors';
import type { FieldSpec, MessageSchema } from './schema.js';
import { KINDS } from './tables.js';
import { type Field, readFields, readVarint, toSigned } from './wire.js';

const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);
const MAX_DEPTH = 32;

export const PROTOBUF_CONTENT_TYPE = 'application/vnd.kubernetes.protobuf';

function utf8(b: Buffer): string {
  return b.toString('utf8');
}

function rfc3339(seconds: number, nanos: number, micro: boolean): string {
  const iso = new Date(seconds * 1000).toISOString();
  if (!micro) return `${iso.slice(0, 19)}Z`;
  return `${iso.slice(0, 19)}.${String(Math.floor(nanos / 1000)).padStart(6, '0')}Z`;
}

function decodeTime(b: Buffer, micro: boolean): string | undefined {
  let seconds = 0;
  let nanos = 0;
  for (const f of readFields(b)) {
    if (f.number === 1 && f.int !== undefined) seconds = toSigned(f.int);
    if (f.number === 2 && f.int !== undefined) nanos = toSigned(f.int);
  }
  // The zero time is Go's "unset": JSON null, omitted here.
  return seconds === 0 && nanos === 0 ? undefined : rfc3339(seconds, nanos, micro);
}

function wrongWireType(name: string): Error {
  return newBadRequest(`the protobuf body could not be decoded: field ${name} has the wrong wire type`);
}

// intstr.IntOrString {1: type int64, 2: intVal int32, 3: strVal}: JSON is the bare string when type is
// 1 (intstr.String), else the bare number (intstr.Int).
function decodeIntOrString(b: Buffer, spec: FieldSpec): number | string {
  let type = 0n;
  let intVal = 0;
  let strVal = '';
  for (const f of readFields(b)) {
    if (f.number === 1) {
      if (f.int === undefined) throw wrongWireType(`${spec.name}.type`);
      type = f.int;
    } else if (f.number === 2) {
      if (f.int === undefined) throw wrongWireType(`${spec.name}.intVal`);
      intVal = Number(BigInt.asIntN(32, f.int));
    } else if (f.number === 3) {
      if (!f.bytes) throw wrongWireType(`${spec.name}.strVal`);
      strVal = utf8(f.bytes);
    }
  }
  return type === 1n ? strVal : intVal;
}

// resource.Quantity {1: string}: JSON is the bare string.
function decodeQuantity(b: Buffer): string {
  let text = '';
  for (const f of readFields(b)) if (f.number === 1 && f.bytes) text = utf8(f.bytes);
  return text;
}

// A repeated number may also come packed (one LEN field of varints), as proto3 writers send it.
function packedInts(b: Buffer): number[] {
  const out: number[] = [];
  let pos = 0;
  while (pos < b.length) {
    const [v, next] = readVarint(b, pos);
    out.push(toSigned(v));
    pos = next;
  }
  return out;
}

function isEmpty(v: unknown): boolean {
  return v === undefined || (typeof v === 'object' && v !== null && !Array.isArray(v) && Object.keys(v).length === 0);
}

function expectLen(f: Field, spec: FieldSpec): Buffer {
  if (!f.bytes) throw wrongWireType(spec.name);
  return f.bytes;
}

function scalar(f: Field, spec: FieldSpec, depth: number): unknown {
  const t = spec.type;
  if (typeof t === 'string') {
    switch (t) {
      case 'string':
      case 'stringPtr':
        return utf8(expectLen(f, spec));
      case 'quantity':
        return decodeQuantity(expectLen(f, spec));
      case 'bytes':
        return expectLen(f, spec).toString('base64');
      case 'int':
      case 'intPtr':
        if (f.int === undefined)
          throw newBadRequest(`the protobuf body could not be decoded: field ${spec.name} is not a number`);
        return toSigned(f.int);
      case 'bool':
      case 'boolPtr':
        return f.int !== undefined && f.int !== 0n;
      case 'time':
        return decodeTime(expectLen(f, spec), false);
      case 'microtime':
        return decodeTime(expectLen(f, spec), true);
      case 'intOrString':
        return decodeIntOrString(expectLen(f, spec), spec);
    }
  }
  if ('message' in t) return decodeMessage(expectLen(f, spec), t.message(), depth + 1);
  throw newBadRequest(`the protobuf body could not be decoded: field ${spec.name}`);
}

function mapEntry(b: Buffer, spec: FieldSpec, depth: number): [string, unknown] {
  const t = spec.type as Exclude<FieldSpec['type'], string | { message: unknown }>;
  let key = '';
  let value: unknown = t.map === 'string' || t.map === 'time' ? '' : {};
  for (const f of readFields(b)) {
    if (f.number === 1 && f.bytes) key = utf8(f.bytes);
    if (f.number === 2 && f.bytes) {
      value =
        t.map === 'string'
          ? utf8(f.bytes)
          : t.map === 'bytes'
            ? f.bytes.toString('base64')
            : t.map === 'quantity'
              ? decodeQuantity(f.bytes)
              : t.map === 'time'
                ? decodeTime(f.bytes, false)
                : decodeMessage(f.bytes, t.map.message(), depth + 1);
    }
  }
  // ExtraValue {items} is a plain list in JSON.
  if (typeof value === 'object' && value !== null && 'items' in value) value = (value as { items: unknown }).items;
  else if (typeof value === 'object' && value !== null && Object.keys(value).length === 0 && typeof t.map !== 'string')
    value = [];
  return [key, value];
}

/** Decodes one message into its JSON shape, leaving out what JSON's omitempty would leave out. */
export function decodeMessage(buf: Buffer, schema: MessageSchema, depth = 0): Record<string, unknown> {
  if (depth > MAX_DEPTH) throw newBadRequest('the protobuf body could not be decoded: nested too deeply');
  const out: Record<string, unknown> = {};
  for (const f of readFields(buf)) {
    const spec = schema[f.number];
    if (!spec) continue;
    const t = spec.type;
    if (typeof t === 'object' && 'map' in t) {
      const [k, v] = mapEntry(expectLen(f, spec), spec, depth);
      const m = (out[spec.name] as Record<string, unknown> | undefined) ?? {};
      m[k] = v;
      out[spec.name] = m;
      continue;
    }
    if (spec.inline) {
      Object.assign(out, scalar(f, spec, depth) as Record<string, unknown>);
      continue;
    }
    if (spec.repeated && (t === 'int' || t === 'intPtr') && f.bytes) {
      out[spec.name] = [...((out[spec.name] as number[] | undefined) ?? []), ...packedInts(f.bytes)];
      continue;
    }
    const v = scalar(f, spec, depth);
    if (spec.repeated) {
      const list = (out[spec.name] as unknown[] | undefined) ?? [];
      list.push(v ?? (typeof t === 'object' ? {} : v));
      out[spec.name] = list;
      continue;
    }
    // gogo-protobuf writes every non-pointer field, empty or not; JSON omits the empty ones. The zero
    // IntOrString (0 or "") is left out too: it is how an unset targetPort travels, which the
    // apiserver then defaults as it would a missing one. A pointer one (maxUnavailable: 0) is kept.
    if (
      (t === 'string' && v === '') ||
      (t === 'int' && v === 0) ||
      (t === 'bool' && v === false) ||
      (t === 'intOrString' && !spec.keepEmpty && (v === 0 || v === '')) ||
      (isEmpty(v) && !(spec.keepEmpty && v !== undefined))
    ) {
      delete out[spec.name];
      continue;
    }
    out[spec.name] = v;
  }
  return out;
}

/** Decodes a `application/vnd.kubernetes.protobuf` body into the object it carries. */
export function decodeKubernetesProtobuf(body: Buffer, expected: { apiVersion: string; kind: string }): KubeObject {
  if (body.length < 4 || !body.subarray(0, 4).equals(MAGIC)) {
    throw newBadRequest('the protobuf body could not be decoded: it does not start with the Kubernetes magic number');
  }
  let apiVersion = '';
  let kind = '';
  let raw: Buffer | undefined;
  for (const f of readFields(body.subarray(4))) {
    if (f.number === 1 && f.bytes) {
      for (const t of readFields(f.bytes)) {
        if (t.number === 1 && t.bytes) apiVersion = utf8(t.bytes);
        if (t.number === 2 && t.bytes) kind = utf8(t.bytes);
      }
    } else if (f.number === 2 && f.bytes) raw = f.bytes;
    else if (f.number === 3 && f.bytes && f.bytes.length > 0) {
      throw newBadRequest(
        `the protobuf body could not be decoded: content encoding ${JSON.stringify(utf8(f.bytes))} is not supported`,
      );
    }
  }
  apiVersion ||= expected.apiVersion;
  kind ||= expected.kind;
  const schema = KINDS[`${apiVersion}/${kind}`];
  if (!schema) throw newUnsupportedMediaType(`${PROTOBUF_CONTENT_TYPE} (for ${apiVersion}, Kind=${kind})`);
  const obj = decodeMessage(raw ?? Buffer.alloc(0), schema);
  return { apiVersion, kind, ...obj, metadata: (obj.metadata as KubeObject['metadata']) ?? {} } as KubeObject;
}
