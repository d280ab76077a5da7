// Query parameters shared by the verbs, validated once.
import { newBadRequest } from '@mkube/shared/apierrors';

export function isDryRun(query: URLSearchParams): boolean {
  const values = query.getAll('dryRun');
  for (const v of values) {
    if (v !== 'All') throw newBadRequest(`Invalid dryRun value: ${JSON.stringify(v)}: supported values: "All"`);
  }
  return values.length > 0;
}

export function checkFieldValidation(query: URLSearchParams): void {
  const v = query.get('fieldValidation');
  if (v !== null && v !== 'Ignore' && v !== 'Warn' && v !== 'Strict' && v !== '') {
    throw newBadRequest(`fieldValidation must be one of "Ignore", "Warn" or "Strict", got ${JSON.stringify(v)}`);
  }
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
