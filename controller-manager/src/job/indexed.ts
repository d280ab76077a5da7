// Indexed completion mode (upstream indexed_job_utils.go): each pod carries its completion index
// in an annotation and label, and the Job's status.completedIndexes lists the indexes that
// succeeded as intervals ("0,2-4").
import type { EnvVar, Job, Pod, PodTemplateSpec } from '@mkube/shared/api';
import { compareForDeletion, hasTrackingFinalizer, isPodFailed, onlyReplaceFailedPods } from './pods.js';

export const COMPLETION_INDEX_ANNOTATION = 'batch.kubernetes.io/job-completion-index';
const COMPLETION_INDEX_ENV = 'JOB_COMPLETION_INDEX';
/** names.MaxGeneratedNameLength: 63 less the 5 random characters. */
const MAX_GENERATED_NAME_LENGTH = 58;

export const isIndexedJob = (job: Job): boolean => job.spec?.completionMode === 'Indexed';

/** getCompletionIndex: the pod's index, or -1 when missing or malformed. */
export function completionIndex(p: Pod): number {
  const v = p.metadata?.annotations?.[COMPLETION_INDEX_ANNOTATION];
  if (v === undefined || !/^(0|[1-9][0-9]*)$/.test(v)) return -1;
  const n = Number(v);
  return Number.isSafeInteger(n) ? n : -1;
}

/** Parses "0,2-4" into its indexes below `completions`. */
export function parseIndexes(s: string | undefined, completions: number): Set<number> {
  const out = new Set<number>();
  for (const part of (s ?? '').split(',')) {
    if (!part) continue;
    const [a, b] = part.split('-');
    const from = Number(a);
    const to = b === undefined ? from : Number(b);
    if (!Number.isInteger(from) || !Number.isInteger(to)) continue;
    for (let i = from; i <= to && i < completions; i++) out.add(i);
  }
  return out;
}

/** orderedIntervals.String: "0,2-4"; two neighbours are listed, not joined ("0,1"). */
export function formatIndexes(set: ReadonlySet<number>): string {
  const xs = [...set].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < xs.length; ) {
    let j = i;
    while (j + 1 < xs.length && xs[j + 1] === xs[j]! + 1) j++;
    parts.push(i === j ? `${xs[i]}` : `${xs[i]}${j === i + 1 ? ',' : '-'}${xs[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}

/** calculateSucceededIndexes: those in status, plus succeeded pods not yet counted. */
export function succeededIndexes(job: Job, pods: readonly Pod[]): { prev: Set<number>; all: Set<number> } {
  const completions = job.spec?.completions ?? 0;
  const prev = parseIndexes(job.status?.completedIndexes, completions);
  const all = new Set(prev);
  for (const p of pods) {
    const ix = completionIndex(p);
    if (p.status?.phase === 'Succeeded' && hasTrackingFinalizer(p) && ix >= 0 && ix < completions) all.add(ix);
  }
  return { prev, all };
}

/**
 * firstPendingIndexes: the lowest indexes that have neither succeeded, nor failed for good, nor an
 * active pod (nor, when only failed pods are replaced, a terminating one).
 */
export function firstPendingIndexes(
  job: Job,
  active: readonly Pod[],
  pods: readonly Pod[],
  done: { readonly succeeded: ReadonlySet<number>; readonly failed: ReadonlySet<number> },
  count: number,
): number[] {
  const completions = job.spec?.completions ?? 0;
  const taken = new Set([...done.succeeded, ...done.failed]);
  for (const p of active) taken.add(completionIndex(p));
  if (onlyReplaceFailedPods(job))
    for (const p of pods) if (p.metadata?.deletionTimestamp && !isPodFailed(p, job)) taken.add(completionIndex(p));
  const out: number[] = [];
  for (let i = 0; i < completions && out.length < count; i++) if (!taken.has(i)) out.push(i);
  return out;
}

/**
 * appendDuplicatedIndexPodsForRemoval: pods without a valid index, and all but one pod of any
 * index, are removed (the one furthest along stays).
 */
export function duplicatedIndexPods(pods: readonly Pod[], completions: number): { rm: Pod[]; left: Pod[] } {
  const rm: Pod[] = [];
  const byIndex = new Map<number, Pod[]>();
  for (const p of pods) {
    const ix = completionIndex(p);
    if (ix < 0 || ix >= completions) rm.push(p);
    else byIndex.set(ix, [...(byIndex.get(ix) ?? []), p]);
  }
  const left: Pod[] = [];
  for (const group of byIndex.values()) {
    group.sort(compareForDeletion);
    left.push(group.pop()!);
    rm.push(...group);
  }
  return { rm, left };
}

/** The Indexed pod's annotations, label (PodIndexLabel, GA in 1.32), hostname and generateName. */
export function indexedTemplate(
  template: PodTemplateSpec,
  jobName: string,
  index: number,
  annotations: Readonly<Record<string, string>> = {},
): PodTemplateSpec {
  const t = structuredClone(template);
  t.metadata ??= {};
  const m = t.metadata;
  m.annotations = { ...m.annotations, [COMPLETION_INDEX_ANNOTATION]: `${index}`, ...annotations };
  m.labels = { ...m.labels, [COMPLETION_INDEX_ANNOTATION]: `${index}` };
  if (t.spec) t.spec.hostname = `${jobName}-${index}`;
  return t;
}

export function generateNameWithIndex(jobName: string, index: number): string {
  const suffix = `-${index}-`;
  const name = jobName + suffix;
  return name.length > MAX_GENERATED_NAME_LENGTH
    ? name.slice(0, MAX_GENERATED_NAME_LENGTH - suffix.length) + suffix
    : name;
}

/** addCompletionIndexEnvVariables: JOB_COMPLETION_INDEX from the annotation, in every container. */
export function withCompletionIndexEnv(template: PodTemplateSpec): PodTemplateSpec {
  const t = structuredClone(template);
  const env: EnvVar = {
    name: COMPLETION_INDEX_ENV,
    valueFrom: { fieldRef: { fieldPath: `metadata.annotations['${COMPLETION_INDEX_ANNOTATION}']` } },
  };
  for (const c of [...(t.spec?.initContainers ?? []), ...(t.spec?.containers ?? [])]) {
    if (!c.env?.some((e) => e.name === COMPLETION_INDEX_ENV)) c.env = [...(c.env ?? []), env];
  }
  return t;
}
