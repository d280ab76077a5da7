// What PersistentVolume and PersistentVolumeClaim validation share: the quantity rules and the diff
// upstream appends to its "immutable after creation" errors.
import { type FieldError, fieldErrors } from '@mkube/shared/apierrors';
import { canonicalQuantity, tryParseQuantity } from '@mkube/shared/quantity';
import { jsonEqual } from '../../util/json.js';
import { quantityString } from './resourcenames.js';

/** ValidatePositiveQuantityValue (and validateBasicResource's negative check before it). */
export function validatePositiveQuantity(raw: unknown, path: string): FieldError[] {
  const s = quantityString(raw);
  const q = tryParseQuantity(s);
  if (!q) return [];
  if (q.num > 0n) return [];
  const errs: FieldError[] = [];
  if (q.num < 0n) errs.push(fieldErrors.invalid(path, Math.ceil(q.value()), 'must be a valid resource quantity'));
  errs.push(fieldErrors.invalid(path, canonicalQuantity(s), 'must be greater than zero'));
  return errs;
}

const goName = (k: string) => k.charAt(0).toUpperCase() + k.slice(1);

/**
 * A cmp.Diff-like rendering of what changed between two structs: upstream prints go-cmp's report,
 * whose exact layout (Go types, pointers) is not reproduced; the changed fields are, one -/+ pair each.
 */
export function goSpecDiff(type: string, oldV: Record<string, unknown>, newV: Record<string, unknown>): string {
  const keys = [...new Set([...Object.keys(oldV), ...Object.keys(newV)])];
  const lines = [`  ${type}{`];
  let same = 0;
  for (const k of keys) {
    if (jsonEqual(oldV[k], newV[k])) {
      same++;
      continue;
    }
    if (oldV[k] !== undefined) lines.push(`- \t${goName(k)}: ${JSON.stringify(oldV[k])},`);
    if (newV[k] !== undefined) lines.push(`+ \t${goName(k)}: ${JSON.stringify(newV[k])},`);
  }
  if (same) lines.push(`  \t... // ${same} identical fields`);
  lines.push('  }');
  return lines.join('\n');
}
