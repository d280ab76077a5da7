// The daemon pod's shape (k8s pkg/controller/daemon/util): the template plus the tolerations every
// daemon pod gets, the labels that say which revision made it, and a required node affinity pinning
// it to its node by name so the scheduler binds it there and nowhere else.
import type { Affinity, DaemonSet, NodeSelector, Pod, PodSpec, PodTemplateSpec, Toleration } from '@mkube/shared/api';
import { scaledValueFromIntOrPercent } from '@mkube/shared/controller';

/** What the DaemonSet writes into its pods' and revisions' controller reference. */
export const DAEMONSET_KIND = { apiVersion: 'apps/v1', kind: 'DaemonSet' } as const;

/** apps.DefaultDaemonSetUniqueLabelKey (= ControllerRevisionHashLabelKey). */
export const CONTROLLER_REVISION_HASH_LABEL = 'controller-revision-hash';
/** extensions.DaemonSetTemplateGenerationKey. */
export const POD_TEMPLATE_GENERATION_LABEL = 'pod-template-generation';
/** The apps/v1 home of the internal spec.templateGeneration, which the apiserver keeps. */
export const TEMPLATE_GENERATION_ANNOTATION = 'deprecated.daemonset.template.generation';

/** util.GetTemplateGeneration: undefined when absent or not a number. */
export function templateGeneration(ds: DaemonSet): number | undefined {
  const v = ds.metadata.annotations?.[TEMPLATE_GENERATION_ANNOTATION];
  if (v === undefined || !/^-?[0-9]+$/.test(v)) return undefined;
  return Number(v);
}

/**
 * The tolerations a daemon pod always has: it keeps running through the node conditions the node
 * lifecycle controller taints for, and lands on cordoned or pressured nodes (it may be what relieves
 * them). network-unavailable only for hostNetwork pods, which need no pod network.
 */
export function daemonPodTolerations(spec: PodSpec): Toleration[] {
  const t = (key: string, effect: 'NoExecute' | 'NoSchedule'): Toleration => ({ key, operator: 'Exists', effect });
  const out = [
    t('node.kubernetes.io/not-ready', 'NoExecute'),
    t('node.kubernetes.io/unreachable', 'NoExecute'),
    t('node.kubernetes.io/disk-pressure', 'NoSchedule'),
    t('node.kubernetes.io/memory-pressure', 'NoSchedule'),
    t('node.kubernetes.io/pid-pressure', 'NoSchedule'),
    t('node.kubernetes.io/unschedulable', 'NoSchedule'),
  ];
  if (spec.hostNetwork) out.push(t('node.kubernetes.io/network-unavailable', 'NoSchedule'));
  return out;
}

/** v1helper.AddOrUpdateTolerationInPodSpec for each daemon toleration: a matching one is replaced. */
export function addOrUpdateDaemonPodTolerations(spec: PodSpec): PodSpec {
  const tolerations = [...(spec.tolerations ?? [])];
  for (const want of daemonPodTolerations(spec)) {
    const same = (t: Toleration) =>
      (t.key ?? '') === want.key &&
      (t.operator ?? 'Equal') === want.operator &&
      (t.value ?? '') === '' &&
      (t.effect ?? '') === want.effect;
    const i = tolerations.findIndex(same);
    if (i >= 0) tolerations[i] = want;
    else tolerations.push(want);
  }
  return { ...spec, tolerations };
}

/** util.CreatePodTemplate: the template with daemon tolerations and the revision labels. */
export function createPodTemplate(
  template: PodTemplateSpec,
  generation: number | undefined,
  hash: string,
): PodTemplateSpec {
  const t = structuredClone(template);
  const labels: Record<string, string> = { ...t.metadata?.labels };
  if (generation !== undefined) labels[POD_TEMPLATE_GENERATION_LABEL] = String(generation);
  if (hash) labels[CONTROLLER_REVISION_HASH_LABEL] = hash;
  return {
    ...t,
    metadata: { ...t.metadata, labels },
    spec: addOrUpdateDaemonPodTolerations(t.spec ?? { containers: [] }),
  };
}

/**
 * util.ReplaceDaemonSetPodNodeNameNodeAffinity: the required terms become exactly one, matching the
 * node's name (the controller has already checked the template's own terms against the node).
 * Preferred terms stay.
 */
export function replaceNodeNameAffinity(affinity: Affinity | undefined, nodeName: string): Affinity {
  const required: NodeSelector = {
    nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: [nodeName] }] }],
  };
  return {
    ...affinity,
    nodeAffinity: { ...affinity?.nodeAffinity, requiredDuringSchedulingIgnoredDuringExecution: required },
  };
}

/** util.GetTargetNodeName: the bound node, or the one an unscheduled daemon pod's affinity names. */
export function targetNodeName(pod: Pod): string {
  if (pod.spec?.nodeName) return pod.spec.nodeName;
  const who = `${pod.metadata.namespace}/${pod.metadata.name}`;
  const terms = pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms;
  if (!terms)
    throw new Error(`no spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution for pod ${who}`);
  if (terms.length < 1)
    throw new Error(`no nodeSelectorTerms in requiredDuringSchedulingIgnoredDuringExecution of pod ${who}`);
  for (const term of terms) {
    for (const exp of term.matchFields ?? []) {
      if (exp.key !== 'metadata.name' || exp.operator !== 'In') continue;
      if ((exp.values ?? []).length !== 1)
        throw new Error(`the matchFields value of 'metadata.name' is not unique for pod ${who}`);
      return exp.values?.[0] ?? '';
    }
  }
  throw new Error(`no node name found for pod ${who}`);
}

/** util.IsPodUpdated: made from the current revision (by hash, or by the older template generation). */
export function isPodUpdated(pod: Pod, hash: string, generation: number | undefined): boolean {
  const labels = pod.metadata.labels ?? {};
  const templateMatches = generation !== undefined && labels[POD_TEMPLATE_GENERATION_LABEL] === String(generation);
  const hashMatches = hash.length > 0 && labels[CONTROLLER_REVISION_HASH_LABEL] === hash;
  return hashMatches || templateMatches;
}

const rollingUpdate = (ds: DaemonSet) =>
  (ds.spec?.updateStrategy?.type ?? 'RollingUpdate') === 'RollingUpdate'
    ? ds.spec?.updateStrategy?.rollingUpdate
    : undefined;

/** util.SurgeCount: 0 unless asked for. */
export function surgeCount(ds: DaemonSet, numberToSchedule: number): number {
  return scaledValueFromIntOrPercent(rollingUpdate(ds)?.maxSurge, numberToSchedule, true);
}

/** util.UnavailableCount; an unset maxUnavailable is the apps/v1 default, 1. */
export function unavailableCount(ds: DaemonSet, numberToSchedule: number): number {
  if ((ds.spec?.updateStrategy?.type ?? 'RollingUpdate') !== 'RollingUpdate') return 0;
  return scaledValueFromIntOrPercent(rollingUpdate(ds)?.maxUnavailable ?? 1, numberToSchedule, true);
}

/** util.AllowsSurge. */
export function allowsSurge(ds: DaemonSet): boolean {
  try {
    return surgeCount(ds, 1) !== 0;
  } catch {
    return false;
  }
}
