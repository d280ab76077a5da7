// The three patch types kubectl sends, behind one entry point the PATCH handler calls with the
// stored object, the request's Content-Type and its body.
import { newUnsupportedMediaType, StatusError } from '@mkube/shared/apierrors';
import { badRequest, undecodable } from './errors.js';
import { isMap, type Json, type JsonMap } from './json.js';
import { applyJsonPatch } from './jsonpatch.js';
import { jsonMergePatch } from './mergepatch.js';
import { type GroupVersionKind, patchSchemaFor } from './schema.js';
import { strategicMergePatch } from './strategic.js';

export type { Json, JsonMap } from './json.js';
export { applyJsonPatch, decodeJsonPatch, type JsonPatchOperation, MAX_JSON_PATCH_OPERATIONS } from './jsonpatch.js';
export { jsonMergePatch } from './mergepatch.js';
export { type GroupVersionKind, type PatchMeta, type PatchStrategy, patchSchemaFor } from './schema.js';
export { strategicMergePatch } from './strategic.js';

/** The Content-Type of each patch this module applies (server-side apply is endpoints/apply.ts). */
export const PATCH_CONTENT_TYPES = {
  json: 'application/json-patch+json',
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
} as const;

export type PatchType = keyof typeof PATCH_CONTENT_TYPES;

const BY_CONTENT_TYPE: Readonly<Record<string, PatchType>> = Object.fromEntries(
  Object.entries(PATCH_CONTENT_TYPES).map(([k, v]) => [v, k as PatchType]),
);

/** The media type of a Content-Type header, without parameters, lower-cased. */
export function patchTypeOf(contentType: string): string {
  return (contentType.split(';')[0] ?? '').trim().toLowerCase();
}

function decodeBody(body: unknown): Json {
  if (typeof body === 'string' || body instanceof Uint8Array) {
    const text = typeof body === 'string' ? body : Buffer.from(body).toString('utf8');
    try {
      return JSON.parse(text) as Json;
    } catch (e) {
      throw badRequest(`error decoding patch: ${(e as Error).message}`);
    }
  }
  return (body ?? null) as Json;
}

/**
 * Applies a PATCH body to `original` (not modified) and returns the patched object. `patchType`
 * is `json` | `merge` | `strategic` or the request's Content-Type. Throws
 * StatusError: UnsupportedMediaType for an unknown type, BadRequest for a malformed patch,
 * Invalid (422) for one that does not apply or leaves something that is not an object.
 */
export function applyPatch<T extends object>(
  kind: GroupVersionKind,
  original: T,
  patchType: PatchType | (string & {}),
  patchBody: unknown,
): T {
  const type: PatchType | undefined = Object.hasOwn(PATCH_CONTENT_TYPES, patchType)
    ? (patchType as PatchType)
    : BY_CONTENT_TYPE[patchTypeOf(patchType)];
  const doc = original as unknown as JsonMap;
  let patched: Json;
  switch (type) {
    case 'json':
      patched = applyJsonPatch(doc, decodeBody(patchBody));
      break;
    case 'merge': {
      const patch = decodeBody(patchBody);
      if (patch === null) throw badRequest('Invalid JSON Patch');
      patched = jsonMergePatch(doc, patch);
      break;
    }
    case 'strategic': {
      const schema = patchSchemaFor(kind);
      if (!schema) throw new StatusError('UnsupportedMediaType', unsupportedForKind());
      const patch = decodeBody(patchBody);
      if (!isMap(patch)) {
        throw badRequest(
          `json: cannot unmarshal ${Array.isArray(patch) ? 'array' : typeof patch} into Go value of type map[string]interface {}`,
        );
      }
      patched = strategicMergePatch(doc, patch, schema);
      break;
    }
    default:
      throw newUnsupportedMediaType(patchType);
  }
  if (!isMap(patched)) throw undecodable(patched, 'the patched document is not a JSON object');
  return patched as unknown as T;
}

/** What kube-apiserver answers for a strategic merge patch of a kind without Go struct tags (CRDs). */
function unsupportedForKind(): string {
  return 'the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml';
}
