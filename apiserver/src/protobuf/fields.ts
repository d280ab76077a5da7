// Unknown-field detection for `fieldValidation=Strict|Warn`, driven by the same field tables the
// protobuf decoder uses (they list every field of each kind by its JSON name).
import { type FieldSpec, fieldsByName } from './schema.js';
import { KINDS } from './tables.js';

const TOP_LEVEL = new Set(['apiVersion', 'kind']);

function walk(value: unknown, byName: ReadonlyMap<string, FieldSpec>, path: string, out: string[]): void {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return;
  for (const [key, v] of Object.entries(value)) {
    const spec = byName.get(key);
    const at = path ? `${path}.${key}` : key;
    if (!spec) {
      // managedFields are server-side apply's (fieldmanager/), not the protobuf tables': they pass as they are.
      const tolerated = (path === '' && TOP_LEVEL.has(key)) || (path === 'metadata' && key === 'managedFields');
      if (!tolerated) out.push(at);
      continue;
    }
    const t = spec.type;
    if (typeof t !== 'object' || !('message' in t)) continue;
    const fields = fieldsByName(t, t.message);
    if (spec.repeated && Array.isArray(v)) {
      v.forEach((item, i) => {
        walk(item, fields, `${at}[${i}]`, out);
      });
    } else walk(v, fields, at, out);
  }
}

/**
 * The paths of fields the kind does not have, as kube-apiserver names them (`foo`, `spec.bar`,
 * `rules[0].verb`); undefined when mkube has no field table for the kind (nothing is checked).
 */
export function unknownFields(obj: unknown, apiVersion: string, kind: string): string[] | undefined {
  const schema = KINDS[`${apiVersion}/${kind}`];
  if (!schema) return undefined;
  const out: string[] = [];
  walk(
    obj,
    fieldsByName(schema, () => schema),
    '',
    out,
  );
  return out;
}
