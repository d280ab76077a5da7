// Objects are stored as JSON without metadata.resourceVersion: the revision of the write is the
// resourceVersion, filled in on every read. Decoded objects are cached by key and revision (a
// revision of a key never changes), so a write fanned out to thousands of watches, or a hot object
// read over and over, is parsed once; the JSON a response sends is cached the same way.
import type { KubeObject } from '@mkube/shared/api';
import type { KeyValue } from '../storage/index.js';

const DECODED_CACHE_SIZE = 16_384;
/** One cache per store: two stores in one process (tests) may hold different objects at one key and revision. */
const decodedByStore = new WeakMap<object, Map<string, KubeObject>>();
const json = new WeakMap<object, string>();

export function encodeObject(obj: KubeObject): Buffer {
  const { resourceVersion: _rv, ...meta } = obj.metadata;
  return Buffer.from(JSON.stringify({ ...obj, metadata: meta }));
}

function decodedCache(store: object): Map<string, KubeObject> {
  let decoded = decodedByStore.get(store);
  if (!decoded) {
    decoded = new Map();
    decodedByStore.set(store, decoded);
  }
  return decoded;
}

function remember(decoded: Map<string, KubeObject>, id: string, obj: KubeObject): void {
  if (decoded.size >= DECODED_CACHE_SIZE) decoded.delete(decoded.keys().next().value!);
  decoded.set(id, obj);
}

/** The object at `kv`, with resourceVersion = the write's revision. Read-only: callers clone before changing it. */
export function decodeObject(kv: KeyValue, store: object): KubeObject {
  const decoded = decodedCache(store);
  const id = `${kv.key}\0${kv.modRevision}`;
  let obj = decoded.get(id);
  if (!obj) {
    const parsed = JSON.parse(kv.value.toString('utf8')) as KubeObject;
    parsed.metadata = { ...parsed.metadata, resourceVersion: String(kv.modRevision) };
    obj = parsed;
    remember(decoded, id, obj);
  }
  return obj;
}

/**
 * What decodeObject would return for `kv`, which was just written from `written` (the object
 * encodeObject turned into its value), without parsing the value back: a write's response and
 * its watch events then share one object. `written` must not be changed afterwards.
 */
export function writtenObject(kv: KeyValue, store: object, written: KubeObject): KubeObject {
  const obj: KubeObject = { ...written, metadata: { ...written.metadata, resourceVersion: String(kv.modRevision) } };
  // encodeObject drops resourceVersion; put it last, where decodeObject puts it.
  delete (obj.metadata as { resourceVersion?: string }).resourceVersion;
  obj.metadata.resourceVersion = String(kv.modRevision);
  remember(decodedCache(store), `${kv.key}\0${kv.modRevision}`, obj);
  return obj;
}

/** JSON of a (read-only) object, computed once per object. */
export function jsonOf(obj: object): string {
  let text = json.get(obj);
  if (text === undefined) {
    text = JSON.stringify(obj);
    json.set(obj, text);
  }
  return text;
}

/** A deleted object as watchers see it: its last state at the delete's revision. */
export function decodeDeleted(prev: KeyValue, revision: number, store: object): KubeObject {
  const obj = decodeObject(prev, store);
  return { ...obj, metadata: { ...obj.metadata, resourceVersion: String(revision) } };
}

export function clone<T>(obj: T): T {
  return structuredClone(obj);
}
