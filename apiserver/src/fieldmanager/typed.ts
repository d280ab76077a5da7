// Objects seen through their apply schema (structured-merge-diff's typed values): the set of fields
// an object sets, what changed between two objects, an applied configuration merged into a live
// object, and fields removed by path.
import { jsonEqual } from '../util/json.js';
import { FieldSet, fieldElement, keyElement, type PathElement, valueElement } from './fieldpath.js';
import { type ApplyMeta, fieldMeta } from './schema.js';

type JsonObject = Record<string, unknown>;

const isObject = (v: unknown): v is JsonObject => v !== null && typeof v === 'object' && !Array.isArray(v);

/** The `k:` element of a keyed list item, or undefined when the item is not an object. */
export function itemKey(item: unknown, meta: ApplyMeta | undefined): PathElement | undefined {
  if (!isObject(item)) return undefined;
  const keys: JsonObject = {};
  for (const k of meta?.keys ?? []) {
    const v = item[k] ?? meta?.keyDefaults?.[k];
    if (v !== undefined) keys[k] = v;
  }
  return keyElement(keys);
}

/**
 * Every field the object sets (typed.ToFieldSet): scalars, atomic lists and maps, empty or null
 * values, set values and keyed list items are members; maps and structs are parents only.
 */
export function toFieldSet(obj: unknown, meta: ApplyMeta | undefined): FieldSet {
  const set = new FieldSet();
  if (isObject(obj)) walkMap(obj, meta, set);
  return set;
}

function walkMap(obj: JsonObject, meta: ApplyMeta | undefined, set: FieldSet): void {
  for (const [key, val] of Object.entries(obj)) {
    if (val === undefined) continue;
    walkValue(fieldElement(key), val, fieldMeta(meta, key), set);
  }
}

function walkValue(pe: PathElement, val: unknown, meta: ApplyMeta | undefined, set: FieldSet): void {
  if (Array.isArray(val)) {
    const kind = meta?.list ?? 'atomic';
    if (kind === 'atomic' || val.length === 0) {
      set.members.add(pe);
      return;
    }
    const child = set.child(pe);
    for (const item of val) {
      if (kind === 'set') {
        child.members.add(valueElement(item));
        continue;
      }
      const ke = itemKey(item, meta);
      if (!ke) continue;
      child.members.add(ke);
      if (isObject(item)) walkMap(item, meta, child.child(ke));
    }
    if (child.isEmpty()) set.children.delete(pe);
    return;
  }
  if (isObject(val) && Object.keys(val).length > 0 && !meta?.atomicMap) {
    walkMap(val, meta, set.child(pe));
    return;
  }
  set.members.add(pe);
}

/** The value a path leads to, or undefined. */
export function valueAt(obj: unknown, path: readonly PathElement[], meta: ApplyMeta | undefined): unknown {
  let cur: unknown = obj;
  let m = meta;
  for (const e of path) {
    if (e.startsWith('f:')) {
      if (!isObject(cur)) return undefined;
      const name = e.slice(2);
      cur = cur[name];
      m = fieldMeta(m, name);
    } else if (e.startsWith('k:')) {
      if (!Array.isArray(cur)) return undefined;
      const mm = m;
      cur = cur.find((item) => itemKey(item, mm) === e);
    } else if (e.startsWith('v:')) {
      if (!Array.isArray(cur)) return undefined;
      cur = cur.find((item) => valueElement(item) === e);
    } else return undefined;
    if (cur === undefined) return undefined;
  }
  return cur;
}

export interface Comparison {
  readonly added: FieldSet;
  readonly modified: FieldSet;
  readonly removed: FieldSet;
}

/** What changed from `a` to `b` (typed.Compare): fields added, removed, and leaves whose value differs. */
export function compare(a: unknown, b: unknown, meta: ApplyMeta | undefined): Comparison {
  const sa = toFieldSet(a, meta);
  const sb = toFieldSet(b, meta);
  const modified = new FieldSet();
  const both = sa.intersection(sb);
  for (const path of both.paths()) {
    // Parents of other members (keyed items, non-empty maps) change only through their leaves.
    if (hasChildren(sa, path) || hasChildren(sb, path)) continue;
    if (!jsonEqual(valueAt(a, path, meta), valueAt(b, path, meta))) insert(modified, path);
  }
  return { added: sb.difference(sa), removed: sa.difference(sb), modified };
}

function hasChildren(set: FieldSet, path: readonly PathElement[]): boolean {
  let node: FieldSet | undefined = set;
  for (const e of path) node = node?.children.get(e);
  return !!node && !node.isEmpty();
}

export function insert(set: FieldSet, path: readonly PathElement[]): void {
  let node = set;
  for (let i = 0; i < path.length - 1; i++) node = node.child(path[i]!);
  node.members.add(path[path.length - 1]!);
}

/**
 * `config` merged into `live` (typed.Merge): the configuration's values win; maps merge key by key,
 * keyed lists item by item (new items appended), sets by value; atomic lists and maps are replaced.
 * The caller has dropped the configuration's nulls (fields it does not set).
 */
export function merge(live: unknown, config: unknown, meta: ApplyMeta | undefined): unknown {
  if (isObject(live) && isObject(config) && !meta?.atomicMap) {
    const out: JsonObject = { ...live };
    for (const [k, v] of Object.entries(config)) out[k] = k in live ? merge(live[k], v, fieldMeta(meta, k)) : v;
    return out;
  }
  if (Array.isArray(live) && Array.isArray(config) && meta?.list === 'set') {
    const out = [...live];
    for (const v of config) if (!out.some((x) => jsonEqual(x, v))) out.push(v);
    return out;
  }
  if (Array.isArray(live) && Array.isArray(config) && meta?.list === 'map') {
    const out = [...live];
    for (const item of config) {
      const ke = itemKey(item, meta);
      const i = ke === undefined ? -1 : out.findIndex((x) => itemKey(x, meta) === ke);
      if (i >= 0) out[i] = merge(out[i], item, meta);
      else out.push(item);
    }
    return out;
  }
  return config;
}

/**
 * `obj` without the member paths of `set`; a member that still has fields in `keep` (owned by
 * someone) stays, so that pruning one manager's field never takes another's with it.
 */
export function removeItems(obj: unknown, set: FieldSet, keep: FieldSet, meta: ApplyMeta | undefined): unknown {
  if (isObject(obj)) {
    const out: JsonObject = { ...obj };
    for (const [k, v] of Object.entries(obj)) {
      const pe = fieldElement(k);
      const kept = keep.children.get(pe);
      if (set.members.has(pe) && (!kept || kept.isEmpty())) {
        delete out[k];
        continue;
      }
      const sub = set.children.get(pe);
      if (sub) out[k] = removeItems(v, sub, kept ?? new FieldSet(), fieldMeta(meta, k));
    }
    return out;
  }
  if (Array.isArray(obj) && meta?.list && meta.list !== 'atomic') {
    const out: unknown[] = [];
    for (const item of obj) {
      const pe = meta.list === 'set' ? valueElement(item) : itemKey(item, meta);
      if (pe === undefined) {
        out.push(item);
        continue;
      }
      const kept = keep.children.get(pe);
      if (set.members.has(pe) && (!kept || kept.isEmpty())) continue;
      const sub = set.children.get(pe);
      out.push(sub ? removeItems(item, sub, kept ?? new FieldSet(), meta) : item);
    }
    return out;
  }
  return obj;
}
