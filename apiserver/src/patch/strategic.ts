// Strategic merge patch as apimachinery's strategicpatch applies it on the server
// (MergeParallelList and IgnoreUnmatchedNulls on): lists with a merge strategy merge item by item
// on their merge key (or as sets of scalars), other lists are replaced, maps merge, null deletes;
// the directives `$patch`, `$retainKeys`, `$setElementOrder/<f>` and `$deleteFromPrimitiveList/<f>`
// are honoured and never stored.
import { badRequest, goValue, internal, MERGEPATCH, unprocessable } from './errors.js';
import { clone, has, isMap, type Json, type JsonKind, type JsonMap, kindOf } from './json.js';
import { childMeta, type PatchMeta } from './schema.js';

const DIRECTIVE = '$patch';
const RETAIN_KEYS = '$retainKeys';
const SET_ELEMENT_ORDER = '$setElementOrder/';
const DELETE_FROM_PRIMITIVE_LIST = '$deleteFromPrimitiveList/';

const noMergeKey = (m: JsonMap, key: string) =>
  internal(`map: ${goValue(m)} does not contain declared merge key: ${key}`);
const badPatchType = (t: Json, m: JsonMap) => internal(`unknown patch type: ${goValue(t)} in map: ${goValue(m)}`);

/** Applies `patch` to `original` (neither is modified) and returns the merged object. */
export function strategicMergePatch(original: JsonMap, patch: JsonMap, schema: PatchMeta): JsonMap {
  return mergeMap(clone(original), clone(patch), schema);
}

/** What a typed decode leaves of a value taken wholesale from a patch: no nulls, no directives. */
function stripDirectives(v: Json): Json {
  if (Array.isArray(v)) {
    return v.filter((x) => !(isMap(x) && x[DIRECTIVE] === 'delete')).map(stripDirectives);
  }
  if (!isMap(v)) return v;
  const out: JsonMap = {};
  for (const [k, x] of Object.entries(v)) {
    if (x === null || k.startsWith('$')) continue;
    out[k] = stripDirectives(x);
  }
  return out;
}

const strategyOf = (meta: PatchMeta | undefined): 'merge' | 'replace' | '' => {
  const s = meta?.strategy ?? '';
  if (s.startsWith('merge')) return 'merge';
  return s === 'replace' ? 'replace' : '';
};

/** `$deleteFromPrimitiveList/finalizers` → `finalizers`; anything but one `/` is malformed. */
function extractKey(key: string, prefix: string, malformed: string): string {
  const parts = key.split('/');
  if (parts.length !== 2 || `${parts[0]}/` !== prefix) throw badRequest(malformed);
  return parts[1]!;
}

function mergeMap(original: JsonMap, patch: JsonMap, schema: PatchMeta | undefined): JsonMap {
  if (has(patch, DIRECTIVE)) {
    const directive = patch[DIRECTIVE]!;
    if (directive === 'replace') {
      delete patch[DIRECTIVE];
      return stripDirectives(patch) as JsonMap;
    }
    if (directive === 'delete') return {};
    throw badPatchType(directive, patch);
  }
  applyRetainKeys(original, patch);
  mergeOrderedLists(original, patch, schema);

  for (const [patchKey, patchV] of Object.entries(patch)) {
    let k = patchKey;
    const isDeleteList = patchKey.startsWith(DELETE_FROM_PRIMITIVE_LIST);
    if (isDeleteList) k = extractKey(patchKey, DELETE_FROM_PRIMITIVE_LIST, MERGEPATCH.badPatchFormatForPrimitiveList);
    if (patchV === null) {
      delete original[k];
      continue;
    }
    if (!has(original, k) || kindOf(original[k]!) !== kindOf(patchV)) {
      if (!isDeleteList) original[k] = stripDirectives(patchV);
      continue;
    }
    const current = original[k]!;
    const meta = childMeta(schema, k);
    if (isMap(current) && isMap(patchV)) {
      original[k] =
        strategyOf(meta) === 'replace' ? (stripDirectives(patchV) as JsonMap) : mergeMap(current, patchV, meta);
    } else if (Array.isArray(current) && Array.isArray(patchV)) {
      original[k] = mergeSliceHandler(current, patchV, meta, isDeleteList);
    } else {
      original[k] = patchV;
    }
  }
  return original;
}

function mergeSliceHandler(
  original: Json[],
  patch: Json[],
  meta: PatchMeta | undefined,
  isDeleteList: boolean,
): Json[] {
  if (strategyOf(meta) === 'merge' || isDeleteList) {
    return mergeSlice(original, patch, meta, meta?.mergeKey ?? '', isDeleteList);
  }
  return stripDirectives(patch) as Json[];
}

/** `$retainKeys`: fields of the map not listed are cleared (union types such as a volume source). */
function applyRetainKeys(original: JsonMap, patch: JsonMap): void {
  if (!has(patch, RETAIN_KEYS)) return;
  const list = patch[RETAIN_KEYS];
  delete patch[RETAIN_KEYS];
  if (!Array.isArray(list)) throw badRequest(MERGEPATCH.badPatchFormatForRetainKeys);
  const keep = new Set(list.filter((x): x is string => typeof x === 'string'));
  for (const [k, v] of Object.entries(patch)) {
    if (v === null || k.startsWith(DELETE_FROM_PRIMITIVE_LIST) || k.startsWith(SET_ELEMENT_ORDER)) continue;
    if (!keep.has(k)) throw badRequest(MERGEPATCH.badPatchFormatForRetainKeys);
  }
  for (const k of Object.keys(original)) if (!keep.has(k)) delete original[k];
}

/**
 * `$setElementOrder/<f>`: merge the patch list for `<f>` now, then order the result by the
 * directive (precedence: $setElementOrder > patch order > live order). Both keys leave the patch.
 */
function mergeOrderedLists(original: JsonMap, patch: JsonMap, schema: PatchMeta | undefined): void {
  for (const key of Object.keys(patch)) {
    if (!key.startsWith(SET_ELEMENT_ORDER)) continue;
    const order = patch[key];
    const field = extractKey(key, SET_ELEMENT_ORDER, MERGEPATCH.badPatchFormatForSetElementOrderList);
    if (!Array.isArray(order)) throw badRequest(MERGEPATCH.badPatchFormatForSetElementOrderList);
    const originalList = listAt(original, field);
    const patchList = listAt(patch, field);
    delete patch[key];
    delete patch[field];
    if (originalList.length === 0 && patchList.length === 0) continue;
    const meta = childMeta(schema, field);
    const mergeKey = meta?.mergeKey ?? '';
    const merged = mergeSliceHandler(originalList, patchList, meta, false);
    const kind = sliceElementKind(originalList, patchList);
    const [patchItems, serverOnly] = partition(merged, order, mergeKey, kind);
    original[field] = normalizeElementOrder(patchItems, serverOnly, order, originalList, mergeKey, kind);
  }
}

function listAt(m: JsonMap, field: string): Json[] {
  const v = m[field];
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw internal(`expected a []interface {}, but received a ${goTypeName(v)}`);
  return v;
}

function goTypeName(v: Json): string {
  const names: Record<JsonKind, string> = {
    null: '<nil>',
    boolean: 'bool',
    number: 'float64',
    string: 'string',
    array: '[]interface {}',
    map: 'map[string]interface {}',
  };
  return names[kindOf(v)];
}

/** All elements of the lists must share one kind, and lists of lists are not supported. */
function sliceElementKind(...lists: Json[][]): JsonKind {
  let kind: JsonKind | undefined;
  for (const list of lists) {
    for (const v of list) {
      const k = kindOf(v);
      if (kind === undefined) {
        if (k === 'array') throw unprocessable(MERGEPATCH.noListOfLists);
        kind = k;
      } else if (k !== kind) {
        throw internal(`list element types are not identical: ${goValue(lists)}`);
      }
    }
  }
  if (kind === undefined) throw internal('no elements in any of the given slices');
  return kind;
}

function mergeSlice(
  original: Json[],
  patch: Json[],
  meta: PatchMeta | undefined,
  mergeKey: string,
  isDeleteList: boolean,
): Json[] {
  if (original.length === 0 && patch.length === 0) return original;
  const kind = sliceElementKind(original, patch);
  let merged: Json[];
  if (kind !== 'map') {
    if (isDeleteList) return original.filter((v) => !patch.includes(v));
    merged = dedupeScalars([...original, ...patch]);
  } else {
    if (!mergeKey) throw internal('cannot merge lists without merge key');
    [original, patch] = splitSpecialElements(original, patch as JsonMap[], mergeKey);
    merged = mergeByKey(original, patch as JsonMap[], mergeKey, meta);
  }
  const [patchItems, serverOnly] = partition(merged, patch, mergeKey, kind);
  return normalizeElementOrder(patchItems, serverOnly, patch, original, mergeKey, kind);
}

function dedupeScalars(list: Json[]): Json[] {
  return list.filter((v, i) => list.indexOf(v) === i);
}

/** Handles `{$patch: delete, <key>: v}` (drop matching items) and `{$patch: replace}` (the patch list wins). */
function splitSpecialElements(original: Json[], patch: JsonMap[], mergeKey: string): [Json[], Json[]] {
  const plain: Json[] = [];
  let replace = false;
  for (const item of patch) {
    if (!has(item, DIRECTIVE)) {
      plain.push(item);
      continue;
    }
    const directive = item[DIRECTIVE]!;
    if (directive === 'delete') {
      if (!has(item, mergeKey)) throw noMergeKey(item, mergeKey);
      const value = item[mergeKey];
      original = original.filter((o) => !(isMap(o) && has(o, mergeKey) && o[mergeKey] === value));
    } else if (directive === 'replace') {
      replace = true;
    } else if (directive === 'merge') {
      throw internal('merging lists cannot yet be specified in the patch');
    } else {
      throw badPatchType(directive, item);
    }
  }
  return replace ? [plain.map(stripDirectives), []] : [original, plain];
}

function mergeByKey(original: Json[], patch: JsonMap[], mergeKey: string, meta: PatchMeta | undefined): Json[] {
  const out = [...original];
  for (const item of patch) {
    if (!has(item, mergeKey)) throw noMergeKey(item, mergeKey);
    const i = out.findIndex((o) => isMap(o) && has(o, mergeKey) && o[mergeKey] === item[mergeKey]);
    if (i >= 0) out[i] = mergeMap(out[i] as JsonMap, item, meta);
    else out.push(stripDirectives(item));
  }
  return out;
}

function keyOf(item: Json, mergeKey: string, kind: JsonKind): Json | undefined {
  if (kind !== 'map') return item;
  if (!isMap(item) || !has(item, mergeKey)) throw noMergeKey(isMap(item) ? item : {}, mergeKey);
  return item[mergeKey];
}

function indexIn(list: readonly Json[], item: Json, mergeKey: string, kind: JsonKind): number {
  const k = keyOf(item, mergeKey, kind);
  return list.findIndex((x) => {
    if (kind !== 'map') return x === item;
    return isMap(x) && has(x, mergeKey) && x[mergeKey] === k;
  });
}

/** Splits `list` into the items that appear in `by` and the rest, keeping order. */
function partition(list: Json[], by: readonly Json[], mergeKey: string, kind: JsonKind): [Json[], Json[]] {
  const inBy: Json[] = [];
  const rest: Json[] = [];
  for (const item of list) (indexIn(by, item, mergeKey, kind) >= 0 ? inBy : rest).push(item);
  return [inBy, rest];
}

function sortByOrder(toSort: Json[], order: readonly Json[], mergeKey: string, kind: JsonKind): Json[] {
  const toDelete = kind === 'map' ? order.filter((o) => isMap(o) && o[DIRECTIVE] === 'delete') : [];
  const pos = (x: Json): number => {
    const i = indexIn(order, x, mergeKey, kind);
    return i < 0 ? order.length : i;
  };
  const sorted = toSort
    .map((item, i) => ({ item, p: pos(item), i }))
    .sort((a, b) => a.p - b.p || a.i - b.i)
    .map((x) => x.item);
  return toDelete.length ? sorted.filter((x) => indexIn(toDelete, x, mergeKey, kind) < 0) : sorted;
}

/**
 * Sorts patch items by the patch (or $setElementOrder) order and server-only items by the live
 * order, then interleaves them: a server-only item goes before the first patch item that follows
 * it in the live list.
 */
function normalizeElementOrder(
  patchItems: Json[],
  serverOnly: Json[],
  patchOrder: readonly Json[],
  serverOrder: readonly Json[],
  mergeKey: string,
  kind: JsonKind,
): Json[] {
  const right = sortByOrder(patchItems, patchOrder, mergeKey, kind);
  const left = sortByOrder(serverOnly, serverOrder, mergeKey, kind);
  const out: Json[] = [];
  let i = 0;
  let j = 0;
  while (i < left.length || j < right.length) {
    if (i >= left.length) out.push(right[j++]!);
    else if (j >= right.length) out.push(left[i++]!);
    else {
      const li = indexIn(serverOrder, left[i]!, mergeKey, kind);
      const ri = indexIn(serverOrder, right[j]!, mergeKey, kind);
      if (li >= 0 && ri >= 0 && li < ri) out.push(left[i++]!);
      else out.push(right[j++]!);
    }
  }
  return out;
}
