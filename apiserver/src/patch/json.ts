// The JSON value model the patch code works on, and the few helpers all three patch types share.
import { jsonClone } from '../util/json.js';

export type Json = null | boolean | number | string | Json[] | JsonMap;
export interface JsonMap {
  [key: string]: Json;
}

export type JsonKind = 'null' | 'boolean' | 'number' | 'string' | 'array' | 'map';

/** Mirrors Go's reflect.Kind comparison of decoded JSON (float64, string, bool, map, slice). */
export function kindOf(v: Json): JsonKind {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  switch (typeof v) {
    case 'object':
      return 'map';
    case 'boolean':
      return 'boolean';
    case 'number':
      return 'number';
    default:
      return 'string';
  }
}

export const isMap = (v: Json | undefined): v is JsonMap => v !== null && typeof v === 'object' && !Array.isArray(v);

export function deepEqual(a: Json | undefined, b: Json | undefined): boolean {
  if (a === b) return true;
  if (a === null || b === null || a === undefined || b === undefined) return false;
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  if (isMap(a)) {
    if (!isMap(b)) return false;
    const ka = Object.keys(a);
    if (ka.length !== Object.keys(b).length) return false;
    return ka.every((k) => Object.hasOwn(b, k) && deepEqual(a[k], b[k]));
  }
  return false;
}

export const clone = <T extends Json>(v: T): T => jsonClone(v);

export const has = (m: JsonMap, k: string): boolean => Object.hasOwn(m, k);
