// A pod's inter-pod (anti-)affinity terms as the scheduler matches them (framework.AffinityTerm),
// computed once per PodInfo: the label selector with matchLabelKeys/mismatchLabelKeys folded in,
// and the namespaces the term looks at.
import type { LabelSelector, PodAffinityTerm } from '@mkube/shared/api';
import { type Labels, LabelsSelector, labelSelectorFromObject } from '@mkube/shared/selectors';
import type { Pod } from '../api/index.js';

export interface AffinityTerm {
  /** Namespaces named by the term (the pod's own when it names none and has no namespaceSelector). */
  readonly namespaces: ReadonlySet<string>;
  readonly selector: LabelsSelector;
  readonly topologyKey: string;
  /** Namespaces chosen by labels; a null namespaceSelector chooses none. */
  readonly namespaceSelector: LabelsSelector;
}

export interface WeightedAffinityTerm extends AffinityTerm {
  readonly weight: number;
}

export interface PodAffinityTerms {
  readonly requiredAffinity: readonly AffinityTerm[];
  readonly requiredAntiAffinity: readonly AffinityTerm[];
  readonly preferredAffinity: readonly WeightedAffinityTerm[];
  readonly preferredAntiAffinity: readonly WeightedAffinityTerm[];
}

/**
 * matchLabelKeys/mismatchLabelKeys as `key In (v)` / `key NotIn (v)` with the pod's own values.
 * Upstream's apiserver merges them at pod create (MatchLabelKeysInPodAffinity, beta in 1.33);
 * mkube's does not, so the scheduler does it here. A requirement that is already there (a pod
 * created by a server that merged) is repeated harmlessly.
 */
export function withLabelKeys(pod: Pod, term: PodAffinityTerm): LabelSelector | undefined {
  const sel = term.labelSelector;
  if (!sel) return sel;
  const labels = pod.metadata?.labels ?? {};
  const extra: NonNullable<LabelSelector['matchExpressions']> = [];
  for (const k of term.matchLabelKeys ?? [])
    if (k in labels) extra.push({ key: k, operator: 'In', values: [labels[k]!] });
  for (const k of term.mismatchLabelKeys ?? [])
    if (k in labels) extra.push({ key: k, operator: 'NotIn', values: [labels[k]!] });
  return extra.length === 0 ? sel : { ...sel, matchExpressions: [...(sel.matchExpressions ?? []), ...extra] };
}

export function affinityTermOf(pod: Pod, term: PodAffinityTerm): AffinityTerm {
  const own = (term.namespaces?.length ?? 0) === 0 && !term.namespaceSelector;
  return {
    namespaces: new Set(own ? [pod.metadata?.namespace ?? ''] : term.namespaces),
    selector: labelSelectorFromObject(withLabelKeys(pod, term)),
    topologyKey: term.topologyKey,
    namespaceSelector: labelSelectorFromObject(term.namespaceSelector),
  };
}

export function affinityTermsOf(pod: Pod): PodAffinityTerms {
  const a = pod.spec?.affinity;
  const req = (terms: readonly PodAffinityTerm[] | undefined) => (terms ?? []).map((t) => affinityTermOf(pod, t));
  const pref = (terms: readonly { weight: number; podAffinityTerm: PodAffinityTerm }[] | undefined) =>
    (terms ?? []).map((t) => ({ ...affinityTermOf(pod, t.podAffinityTerm), weight: t.weight }));
  return {
    requiredAffinity: req(a?.podAffinity?.requiredDuringSchedulingIgnoredDuringExecution),
    requiredAntiAffinity: req(a?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution),
    preferredAffinity: pref(a?.podAffinity?.preferredDuringSchedulingIgnoredDuringExecution),
    preferredAntiAffinity: pref(a?.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution),
  };
}

/**
 * AffinityTerm.Matches: `pod` is in one of the term's namespaces (by name, or by its namespace's
 * labels) and carries matching labels. Without `nsLabels` only an empty namespaceSelector admits
 * namespaces by labels.
 */
export function termMatches(term: AffinityTerm, pod: Pod, nsLabels?: Labels): boolean {
  const ns = pod.metadata?.namespace ?? '';
  if (!term.namespaces.has(ns) && !term.namespaceSelector.matches(nsLabels ?? {})) return false;
  return term.selector.matches(pod.metadata?.labels ?? {});
}

/** podMatchesAllAffinityTerms: false for no terms. */
export function matchesAllTerms(terms: readonly AffinityTerm[], pod: Pod): boolean {
  return terms.length > 0 && terms.every((t) => termMatches(t, pod));
}

/** The incoming pod's term with namespaceSelector unrolled into names (so existing pods' namespaces need no lookup). */
export function withSelectedNamespaces<T extends AffinityTerm>(term: T, namespaces: NamespaceLister): T {
  if (term.namespaceSelector.empty()) return term;
  const names = new Set(term.namespaces);
  for (const n of namespaces.list())
    if (term.namespaceSelector.matches(n.metadata?.labels ?? {})) names.add(n.metadata?.name ?? '');
  return { ...term, namespaces: names, namespaceSelector: LabelsSelector.nothing() };
}

/** The Namespaces the scheduler's informer holds. */
export interface NamespaceLister {
  get(name: string): { metadata?: { name?: string; labels?: Record<string, string> } } | undefined;
  list(): readonly { metadata?: { name?: string; labels?: Record<string, string> } }[];
}

export const NO_NAMESPACES: NamespaceLister = { get: () => undefined, list: () => [] };
