// Query parameters shared by the verbs, validated once.
import { type FieldError, fieldErrors, newBadRequest, newInvalid } from '@mkube/shared/apierrors';
import { warningHeaderValue } from '../server/warnings.js';

export function isDryRun(query: URLSearchParams): boolean {
  const values = query.getAll('dryRun');
  for (const v of values) {
    if (v !== 'All') throw newBadRequest(`Invalid dryRun value: ${JSON.stringify(v)}: supported values: "All"`);
  }
  return values.length > 0;
}

export type FieldValidation = 'Ignore' | 'Warn' | 'Strict';

/** `fieldValidation` (default Warn, as kube-apiserver since 1.27). */
export function checkFieldValidation(query: URLSearchParams): FieldValidation {
  const v = query.get('fieldValidation');
  if (v === null || v === '') return 'Warn';
  if (v !== 'Ignore' && v !== 'Warn' && v !== 'Strict') {
    throw newBadRequest(`fieldValidation must be one of "Ignore", "Warn" or "Strict", got ${JSON.stringify(v)}`);
  }
  return v;
}

/**
 * Applies the field validation mode to the unknown fields of a decoded object: Strict refuses
 * them with kube-apiserver's message, Warn returns them as `Warning` header values.
 */
export function fieldValidationWarnings(
  mode: FieldValidation,
  unknown: readonly string[] | undefined,
  apiVersion: string,
  kind: string,
): string[] {
  if (!unknown?.length || mode === 'Ignore') return [];
  const list = unknown.map((f) => `unknown field ${JSON.stringify(f)}`);
  if (mode === 'Strict') {
    const version = apiVersion.split('/').pop();
    throw newBadRequest(
      `${kind} in version "${version}" cannot be handled as a ${kind}: strict decoding error: ${list.join(', ')}`,
    );
  }
  return list.flatMap((w) => warningHeaderValue(w) ?? []);
}

export function intParam(query: URLSearchParams, name: string, min = 0): number | undefined {
  const raw = query.get(name);
  if (raw === null || raw === '') return undefined;
  if (!/^-?\d+$/.test(raw) || Number(raw) < min) throw newBadRequest(`invalid ${name}: ${JSON.stringify(raw)}`);
  return Number(raw);
}

export function boolParam(query: URLSearchParams, name: string): boolean {
  const raw = query.get(name);
  return raw === 'true' || raw === '1';
}

/**
 * ValidateFieldManager on create, update and patch options: at most 128 bytes, printable characters
 * only; a 422 naming CreateOptions, UpdateOptions or PatchOptions.
 */
export function fieldManagerErrors(manager: string): FieldError[] {
  const errs: FieldError[] = [];
  if (Buffer.byteLength(manager) > 128) errs.push(fieldErrors.tooLong('fieldManager', 128));
  let at = 0;
  for (const ch of manager) {
    // unicode.IsPrint: letters, marks, numbers, punctuation, symbols and the ASCII space.
    if (!/^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u.test(ch)) {
      const code = ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0');
      errs.push(fieldErrors.invalid('fieldManager', manager, `invalid character U+${code} (at position ${at})`));
    }
    at += Buffer.byteLength(ch);
  }
  return errs;
}

export function checkFieldManager(query: URLSearchParams, kind: 'CreateOptions' | 'UpdateOptions'): void {
  const errs = fieldManagerErrors(query.get('fieldManager') ?? '');
  if (errs.length) throw newInvalid({ group: 'meta.k8s.io', kind }, '', errs);
}
