// The bad values apps and batch validation report are Go structs, maps and IntOrStrings, which field.Error
// prints with %#v: `spec.selector: Invalid value: v1.LabelSelector{…}: field is immutable` is the
// message users search for, so it is reproduced as Go renders it.
import type { IntOrString, LabelSelector, LabelSelectorRequirement } from '@mkube/shared/api';
import { GoSyntax } from '@mkube/shared/apierrors';

const q = (s: string | undefined): string => JSON.stringify(s ?? '');

/** %#v of a map[string]string: keys sorted, `map[string]string(nil)` when absent. */
export function goStringMap(m: Readonly<Record<string, string>> | undefined | null): string {
  if (!m) return 'map[string]string(nil)';
  const entries = Object.keys(m)
    .sort()
    .map((k) => `${q(k)}:${q(m[k])}`);
  return `map[string]string{${entries.join(', ')}}`;
}

function goStrings(values: readonly string[] | undefined): string {
  return values ? `[]string{${values.map(q).join(', ')}}` : '[]string(nil)';
}

function goRequirement(r: LabelSelectorRequirement): string {
  return `v1.LabelSelectorRequirement{Key:${q(r.key)}, Operator:${q(r.operator)}, Values:${goStrings(r.values)}}`;
}

/** A template's labels, as `selector does not match template labels` reports them. */
export function goLabels(m: Readonly<Record<string, string>> | undefined): GoSyntax {
  return new GoSyntax(goStringMap(m));
}

/** %#v of a metav1.LabelSelector (the pointer dereferenced, as field.Error does). */
export function goLabelSelector(s: LabelSelector | undefined | null): GoSyntax | null {
  if (!s) return null;
  const exprs = s.matchExpressions
    ? `[]v1.LabelSelectorRequirement{${s.matchExpressions.map(goRequirement).join(', ')}}`
    : '[]v1.LabelSelectorRequirement(nil)';
  return new GoSyntax(`v1.LabelSelector{MatchLabels:${goStringMap(s.matchLabels)}, MatchExpressions:${exprs}}`);
}

/** %#v of an intstr.IntOrString value (its String method is on the pointer, so %#v applies). */
export function goIntOrStringText(v: IntOrString | undefined): string {
  if (typeof v === 'string') return `intstr.IntOrString{Type:1, IntVal:0, StrVal:${q(v)}}`;
  return `intstr.IntOrString{Type:0, IntVal:${v ?? 0}, StrVal:""}`;
}

export function goIntOrString(v: IntOrString | undefined): GoSyntax {
  return new GoSyntax(goIntOrStringText(v));
}

/** %#v of a strategy struct `pkg.Type{Type:"…", RollingUpdate:(*pkg.RollingType)(nil)}` with no rolling update. */
export function goStrategy(structName: string, rollingType: string, type: string | undefined): GoSyntax {
  return new GoSyntax(`apps.${structName}{Type:${q(type)}, RollingUpdate:(*apps.${rollingType})(nil)}`);
}
