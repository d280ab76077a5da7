// How patch failures reach the client, as kube-apiserver's patch handler maps them: malformed
// patches are 400; a well-formed patch that does not apply is 422 with the generic text of
// NewGenericServerResponse (the detail is kept as the error's cause, for logs only); anything
// else the strategic-merge code returns is a plain error, i.e. a 500.
import { fieldErrors, newInvalid, StatusError } from '@mkube/shared/apierrors';

export const badRequest = (message: string): StatusError => new StatusError('BadRequest', message);

/** 422 the way the apiserver builds it: the reason is Invalid, the specific text is dropped. */
export function unprocessable(detail: string): StatusError {
  const e = new StatusError('Invalid', 'the server rejected our request due to an error in our request', {});
  (e as Error).cause = detail;
  return e;
}

export const internal = (message: string): StatusError => new StatusError('InternalError', message);

/** The patched document does not decode into the kind (e.g. a merge patch that turned it into a list). */
export const undecodable = (patched: unknown, why: string): StatusError =>
  newInvalid({ group: '', kind: '' }, '', [fieldErrors.invalid('patch', JSON.stringify(patched), why)]);

// Go's mergepatch package errors, compared by identity there and by text here.
export const MERGEPATCH = {
  badJSONDoc: 'invalid JSON document',
  noListOfLists: 'lists of lists are not supported',
  badPatchFormatForPrimitiveList: 'invalid patch format of primitive list',
  badPatchFormatForRetainKeys: 'invalid patch format of retainKeys',
  badPatchFormatForSetElementOrderList: 'invalid patch format of setElementOrder list',
  patchContentNotMatchRetainKeys: "patch content doesn't match retainKeys list",
  unsupportedStrategicMergePatchFormat: 'strategic merge patch format is not supported',
} as const;

/** Go's `%v` of a decoded JSON value (maps print as `map[k:v]` with sorted keys). */
export function goValue(v: unknown): string {
  if (v === null || v === undefined) return '<nil>';
  if (Array.isArray(v)) return `[${v.map(goValue).join(' ')}]`;
  if (typeof v === 'object') {
    const entries = Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `map[${entries.map(([k, x]) => `${k}:${goValue(x)}`).join(' ')}]`;
  }
  return String(v);
}
