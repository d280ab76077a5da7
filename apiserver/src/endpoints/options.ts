// Query parameters shared by the verbs, validated once.
import { newBadRequest } from '@mkube/shared/apierrors';

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
  return list.map((w) => `299 - ${JSON.stringify(w)}`);
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
