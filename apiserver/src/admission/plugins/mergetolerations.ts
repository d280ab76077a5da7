// MergeTolerations (pkg/util/tolerations): the pod's tolerations then the RuntimeClass's, dropping
// any one that another in the list already covers (of two equal ones the first stays).
import type { Toleration } from '@mkube/shared/api';

const seconds = (t: Toleration) => t.tolerationSeconds ?? null;

/** Semantic equality of two tolerations: unset and empty strings alike, as Go's zero values. */
function equal(a: Toleration, b: Toleration): boolean {
  return (
    (a.key ?? '') === (b.key ?? '') &&
    (a.operator ?? '') === (b.operator ?? '') &&
    (a.value ?? '') === (b.value ?? '') &&
    (a.effect ?? '') === (b.effect ?? '') &&
    seconds(a) === seconds(b)
  );
}

/** isSuperset: whether `ss` tolerates every taint `t` does. */
function isSuperset(ss: Toleration, t: Toleration): boolean {
  if (equal(ss, t)) return true;
  // An empty key with Exists matches every key and value.
  if ((t.key ?? '') !== (ss.key ?? '') && ((ss.key ?? '') !== '' || ss.operator !== 'Exists')) return false;
  // An empty effect matches every effect.
  if ((t.effect ?? '') !== (ss.effect ?? '') && (ss.effect ?? '') !== '') return false;
  if (ss.effect === 'NoExecute' && seconds(ss) !== null) {
    if (seconds(t) === null || seconds(t)! > seconds(ss)!) return false;
  }
  switch (ss.operator ?? '') {
    case 'Equal':
    case '':
      return t.operator === 'Equal' && (t.value ?? '') === (ss.value ?? '');
    case 'Exists':
      return true;
    default:
      return false;
  }
}

export function mergeTolerations(first: readonly Toleration[], second: readonly Toleration[]): Toleration[] {
  const all = [...first, ...second];
  const merged: Toleration[] = [];
  all.forEach((t, i) => {
    if (merged.some((m) => isSuperset(m, t))) return;
    if (all.slice(i + 1).some((later) => !equal(t, later) && isSuperset(later, t))) return;
    merged.push(t);
  });
  return merged;
}
