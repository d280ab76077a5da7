// JSON merge patch (RFC 7386, `application/merge-patch+json`): maps merge recursively, null
// deletes, anything else (lists included) replaces.
import { clone, isMap, type Json, type JsonMap } from './json.js';

function pruneNulls(v: Json): Json {
  if (!isMap(v)) return v;
  const out: JsonMap = {};
  for (const [k, x] of Object.entries(v)) if (x !== null) out[k] = pruneNulls(x);
  return out;
}

function merge(target: Json | undefined, patch: Json): Json {
  if (!isMap(patch)) return patch;
  const out: JsonMap = isMap(target) ? target : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = isMap(v) ? merge(out[k], v) : pruneNulls(v);
  }
  return out;
}

/** Returns `original` with `patch` applied; neither argument is modified. */
export function jsonMergePatch(original: Json, patch: Json): Json {
  return merge(clone(original), clone(patch));
}
