// JSON patch (RFC 6902, `application/json-patch+json`) with JSON pointers (RFC 6901). A body that
// is not a list of operations is a 400; an operation that does not apply (missing path, failed
// `test`) is the apiserver's 422.
import { newRequestEntityTooLarge } from '@mkube/shared/apierrors';
import { badRequest, unprocessable } from './errors.js';
import { clone, deepEqual, has, isMap, type Json, type JsonMap } from './json.js';

/** kube-apiserver refuses longer patches (maxJSONPatchOperations). */
export const MAX_JSON_PATCH_OPERATIONS = 10000;

export type JsonPatchOp = 'add' | 'remove' | 'replace' | 'move' | 'copy' | 'test';

export interface JsonPatchOperation {
  op: JsonPatchOp;
  path: string;
  from?: string;
  value?: Json;
}

const OPS: ReadonlySet<string> = new Set(['add', 'remove', 'replace', 'move', 'copy', 'test']);

/** Checks the shape of a decoded patch body (jsonpatch.DecodePatch). */
export function decodeJsonPatch(body: unknown): JsonPatchOperation[] {
  if (!Array.isArray(body)) {
    throw badRequest(`json: cannot unmarshal ${goJsonKind(body)} into Go value of type jsonpatch.Patch`);
  }
  return body.map((op) => {
    if (!isMap(op as Json)) {
      throw badRequest(`json: cannot unmarshal ${goJsonKind(op)} into Go value of type jsonpatch.Operation`);
    }
    return op as unknown as JsonPatchOperation;
  });
}

function goJsonKind(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v === 'object' ? 'object' : typeof v;
}

/** RFC 6901: `/a~1b/~0c` → ['a/b', '~c']; `` is the whole document. */
export function parsePointer(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw unprocessable(`JSON pointer must be empty or start with a "/": ${pointer}`);
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replaceAll('~1', '/').replaceAll('~0', '~'));
}

function arrayIndex(token: string, length: number, allowEnd: boolean, pointer: string): number {
  if (allowEnd && token === '-') return length;
  if (!/^(0|[1-9][0-9]*)$/.test(token))
    throw unprocessable(`invalid array index ${JSON.stringify(token)} in ${pointer}`);
  const i = Number(token);
  if (i > length || (!allowEnd && i === length)) throw unprocessable(`array index out of bounds: ${pointer}`);
  return i;
}

/** The container holding the last token of `path`, and that token. */
function parentOf(doc: Json, tokens: string[], pointer: string): [Json, string] {
  let cur: Json = doc;
  for (const t of tokens.slice(0, -1)) {
    if (Array.isArray(cur)) cur = cur[arrayIndex(t, cur.length, false, pointer)]!;
    else if (isMap(cur) && has(cur, t)) cur = cur[t]!;
    else throw unprocessable(`doc is missing path: ${JSON.stringify(pointer)}: missing value`);
  }
  return [cur, tokens[tokens.length - 1]!];
}

function get(doc: Json, pointer: string): Json {
  const tokens = parsePointer(pointer);
  if (tokens.length === 0) return doc;
  const [parent, last] = parentOf(doc, tokens, pointer);
  if (Array.isArray(parent)) return parent[arrayIndex(last, parent.length, false, pointer)]!;
  if (isMap(parent) && has(parent, last)) return parent[last]!;
  throw unprocessable(`doc is missing key: ${pointer}: missing value`);
}

function add(doc: Json, pointer: string, value: Json): Json {
  const tokens = parsePointer(pointer);
  if (tokens.length === 0) return value;
  const [parent, last] = parentOf(doc, tokens, pointer);
  if (Array.isArray(parent)) parent.splice(arrayIndex(last, parent.length, true, pointer), 0, value);
  else if (isMap(parent)) parent[last] = value;
  else throw unprocessable(`doc is missing path: ${JSON.stringify(pointer)}: missing value`);
  return doc;
}

function remove(doc: Json, pointer: string): [Json, Json] {
  const tokens = parsePointer(pointer);
  if (tokens.length === 0) return [null, doc];
  const [parent, last] = parentOf(doc, tokens, pointer);
  if (Array.isArray(parent)) {
    const [removed] = parent.splice(arrayIndex(last, parent.length, false, pointer), 1);
    return [doc, removed!];
  }
  if (isMap(parent) && has(parent, last)) {
    const removed = parent[last]!;
    delete (parent as JsonMap)[last];
    return [doc, removed];
  }
  throw unprocessable(`remove operation does not apply: doc is missing path: ${JSON.stringify(pointer)}`);
}

function requireField<K extends 'path' | 'from'>(op: JsonPatchOperation, k: K): string {
  const v = op[k];
  if (typeof v !== 'string') throw unprocessable(`operation missing ${k} field`);
  return v;
}

function requireValue(op: JsonPatchOperation): Json {
  if (!has(op as unknown as JsonMap, 'value')) throw unprocessable(`missing value for ${op.op} operation`);
  return clone(op.value as Json);
}

/** Applies the operations in order to a copy of `original`; atomic (all or nothing). */
export function applyJsonPatch(original: Json, body: unknown): Json {
  const ops = decodeJsonPatch(body);
  if (ops.length > MAX_JSON_PATCH_OPERATIONS) return tooMany(ops.length);
  let doc = clone(original);
  for (const op of ops) {
    const path = requireField(op, 'path');
    switch (op.op) {
      case 'add':
        doc = add(doc, path, requireValue(op));
        break;
      case 'remove':
        [doc] = remove(doc, path);
        break;
      case 'replace': {
        const value = requireValue(op);
        get(doc, path);
        [doc] = remove(doc, path);
        doc = add(doc, path, value);
        break;
      }
      case 'move': {
        const from = requireField(op, 'from');
        if (path !== from && path.startsWith(`${from}/`)) {
          throw unprocessable(`move operation does not apply: ${path} is a child of ${from}`);
        }
        let moved: Json;
        [doc, moved] = remove(doc, from);
        doc = add(doc, path, moved);
        break;
      }
      case 'copy':
        doc = add(doc, path, clone(get(doc, requireField(op, 'from'))));
        break;
      case 'test': {
        const want = requireValue(op);
        let got: Json | undefined;
        try {
          got = get(doc, path);
        } catch {
          got = undefined;
        }
        if (!(got === undefined ? want === null : deepEqual(got, want))) {
          throw unprocessable(`testing value ${path} failed: test failed`);
        }
        break;
      }
      default:
        if (!OPS.has(String((op as { op: unknown }).op))) {
          throw unprocessable(`Unexpected kind: ${String((op as { op: unknown }).op)}`);
        }
    }
  }
  return doc;
}

function tooMany(n: number): never {
  throw newRequestEntityTooLarge(
    `The allowed maximum operations in a JSON patch is ${MAX_JSON_PATCH_OPERATIONS}, got ${n}`,
  );
}
