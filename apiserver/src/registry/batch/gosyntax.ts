// Bad values as Go's field.Error prints them with %#v: a label map and a metav1.LabelSelector (whose
// String method is on the pointer, which the error formatting dereferences away).
import type { LabelSelector } from '@mkube/shared/api';
import { GoSyntax } from '@mkube/shared/apierrors';

const q = (s: string): string => JSON.stringify(s);

function stringMap(m: Readonly<Record<string, string>> | undefined): string {
  if (!m) return 'map[string]string(nil)';
  const keys = Object.keys(m).sort();
  return `map[string]string{${keys.map((k) => `${q(k)}:${q(m[k]!)}`).join(', ')}}`;
}

function stringSlice(v: readonly string[] | undefined): string {
  return v ? `[]string{${v.map(q).join(', ')}}` : '[]string(nil)';
}

/** `map[string]string{"a":"b"}`, keys sorted, as %#v prints a map. */
export const goLabels = (m: Readonly<Record<string, string>> | undefined): GoSyntax => new GoSyntax(stringMap(m));

/** `v1.LabelSelector{MatchLabels:…, MatchExpressions:…}`; a nil pointer prints `null`. */
export function goLabelSelector(sel: LabelSelector | undefined): GoSyntax | null {
  if (!sel) return null;
  const exprs = sel.matchExpressions
    ? `[]v1.LabelSelectorRequirement{${sel.matchExpressions
        .map(
          (e) =>
            `v1.LabelSelectorRequirement{Key:${q(e.key)}, Operator:${q(e.operator)}, Values:${stringSlice(e.values)}}`,
        )
        .join(', ')}}`
    : '[]v1.LabelSelectorRequirement(nil)';
  return new GoSyntax(`v1.LabelSelector{MatchLabels:${stringMap(sel.matchLabels)}, MatchExpressions:${exprs}}`);
}
