// Objects are stored as JSON without metadata.resourceVersion: the revision of the write is the
// resourceVersion, filled in on every read. Decoded objects are cached by key and revision (a
// revision of a key never changes), so a write fanned out to thousands of watches, or a hot object
// read over and over, is parsed once; the JSON a response sends is cached the same way.
import type { KubeObject } from '@mkube/shared/api';
import type { KeyValue } from '../storage/index.js';
import { jsonClone } from '../util/json.js';

const DECODED_CACHE_SIZE = 16_384;

/**
 * One cache per store (two stores in one process — tests — may hold different objects at one key
 * and revision). It keeps the newest revision of each key it has seen: a revision a later write
 * superseded is dropped when that write is cached, so the cache holds current objects rather than
 * history (bench:scale at N = 1,000, paired runs: apiserver peak RSS 400 → 374 MB).
 */
class DecodedCache {
  /** By `${key}\0${revision}`, oldest first. */
  readonly #entries = new Map<string, { key: string; rev: number; obj: KubeObject }>();
  /** The newest cached revision of each key. */
  readonly #newest = new Map<string, number>();

  get(key: string, rev: number): KubeObject | undefined {
    return this.#entries.get(`${key}\0${rev}`)?.obj;
  }

  /** The newest revision of `key` this cache holds. */
  latest(key: string): KubeObject | undefined {
    const rev = this.#newest.get(key);
    return rev === undefined ? undefined : this.get(key, rev);
  }

  set(key: string, rev: number, obj: KubeObject): void {
    const held = this.#newest.get(key);
    // An older revision arriving late (watches replaying history) is kept beside the newer one,
    // for the other watchers replaying it, until the oldest entries make room.
    const newest = held === undefined || held < rev;
    if (held !== undefined && newest) this.#entries.delete(`${key}\0${held}`);
    if (this.#entries.size >= DECODED_CACHE_SIZE) {
      const [id, oldest] = this.#entries.entries().next().value!;
      this.#entries.delete(id);
      if (this.#newest.get(oldest.key) === oldest.rev) this.#newest.delete(oldest.key);
    }
    this.#entries.set(`${key}\0${rev}`, { key, rev, obj });
    if (newest) this.#newest.set(key, rev);
  }
}

const decodedByStore = new WeakMap<object, DecodedCache>();
const json = new WeakMap<object, string>();

export function encodeObject(obj: KubeObject): Buffer {
  const { resourceVersion: _rv, ...meta } = obj.metadata;
  return Buffer.from(JSON.stringify({ ...obj, metadata: meta }));
}

function decodedCache(store: object): DecodedCache {
  let decoded = decodedByStore.get(store);
  if (!decoded) {
    decoded = new DecodedCache();
    decodedByStore.set(store, decoded);
  }
  return decoded;
}

/** The object at `kv`, with resourceVersion = the write's revision. Read-only: callers clone before changing it. */
export function decodeObject(kv: KeyValue, store: object): KubeObject {
  const decoded = decodedCache(store);
  let obj = decoded.get(kv.key, kv.modRevision);
  if (!obj) {
    const parsed = JSON.parse(kv.value.toString('utf8')) as KubeObject;
    parsed.metadata = { ...parsed.metadata, resourceVersion: String(kv.modRevision) };
    obj = parsed;
    decoded.set(kv.key, kv.modRevision, obj);
  }
  return obj;
}

/** The newest object decoded or written at `key` in this process, which the store may since have moved past. */
export function latestDecoded(key: string, store: object): KubeObject | undefined {
  return decodedByStore.get(store)?.latest(key);
}

/**
 * What decodeObject would return for `kv`, which was just written from `written` (the object
 * encodeObject turned into its value), without parsing the value back: a write's response and
 * its watch events then share one object. `written` must not be changed afterwards.
 */
export function writtenObject(kv: KeyValue, store: object, written: KubeObject): KubeObject {
  // encodeObject drops resourceVersion; it goes last, where decodeObject puts it.
  const { resourceVersion: _stored, ...meta } = written.metadata;
  const obj: KubeObject = { ...written, metadata: { ...meta, resourceVersion: String(kv.modRevision) } };
  decodedCache(store).set(kv.key, kv.modRevision, obj);
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
  return jsonClone(obj);
}
