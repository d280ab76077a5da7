// The cell formatters kube's printers share (k/k pkg/printers/internalversion/printers.go and
// apimachinery's labels/metav1 formatting).
import type { Container, LabelSelector } from '@mkube/shared/api';
import { labelSelectorFromObject } from '@mkube/shared/selectors';

/** layoutContainerCells: the names and the images, each comma-joined. */
export function containerCells(containers: readonly Container[] | undefined): [string, string] {
  const list = containers ?? [];
  return [list.map((c) => c.name).join(','), list.map((c) => c.image ?? '').join(',')];
}

/** labels.Selector.String() of a metav1.LabelSelector; `onError` when it does not convert. */
export function selectorString(sel: LabelSelector | undefined, onError: string): string {
  try {
    return labelSelectorFromObject(sel).toString();
  } catch {
    return onError;
  }
}

/** metav1.FormatLabelSelector: `<none>` for a selector that selects by nothing, `<error>` for one that does not convert. */
export function formatLabelSelector(sel: LabelSelector | undefined): string {
  return selectorString(sel, '<error>') || '<none>';
}

/**
 * labels.FormatLabels: Set.String()'s `k=v` pairs sorted as strings (so `app.kubernetes.io/name=x`
 * comes before `app=x`), `<none>` when empty.
 */
export function formatLabels(labels: Readonly<Record<string, string>> | undefined): string {
  const pairs = Object.entries(labels ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .sort();
  return pairs.length ? pairs.join(',') : '<none>';
}
