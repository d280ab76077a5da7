// Objects are stored as JSON without metadata.resourceVersion: the revision of the write is the
// resourceVersion, filled in on every read. Decoded objects are cached per stored value, which the
// store shares among all readers and watchers of one revision, so a write fanned out to thousands
// of watches is parsed once.
import type { KubeObject } from '@mkube/shared/api';
import type { KeyValue } from '../storage/index.js';

const decoded = new WeakMap<Buffer, KubeObject>();

export function encodeObject(obj: KubeObject): Buffer {
  const { resourceVersion: _rv, ...meta } = obj.metadata;
  return Buffer.from(JSON.stringify({ ...obj, metadata: meta }));
}

/** The object at `kv`, with resourceVersion = the write's revision. Read-only: callers clone before changing it. */
export function decodeObject(kv: KeyValue): KubeObject {
  let obj = decoded.get(kv.value);
  if (!obj) {
    const parsed = JSON.parse(kv.value.toString('utf8')) as KubeObject;
    parsed.metadata = { ...parsed.metadata, resourceVersion: String(kv.modRevision) };
    obj = parsed;
    decoded.set(kv.value, obj);
  }
  return obj;
}

/** A deleted object as watchers see it: its last state at the delete's revision. */
export function decodeDeleted(prev: KeyValue, revision: number): KubeObject {
  const obj = decodeObject(prev);
  return { ...obj, metadata: { ...obj.metadata, resourceVersion: String(revision) } };
}

export function clone<T>(obj: T): T {
  return structuredClone(obj);
}
