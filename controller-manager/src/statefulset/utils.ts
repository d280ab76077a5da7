// A StatefulSet's pods (k8s pkg/controller/statefulset/stateful_set_utils.go): named
// `<set>-<ordinal>`, labelled with that name, their ordinal and the revision that made them, with
// hostname and subdomain giving each a stable DNS name under the governing Service. Revisions hold
// the template as a strategic-merge patch replacing it whole; applying one gives that revision's set.
import type { ControllerRevision, Pod, PodTemplateSpec, StatefulSet } from '@mkube/shared/api';
import { newControllerRef, podFromTemplate } from '@mkube/shared/controller';
import { newControllerRevision } from '../history/revision.js';
import { withStorage } from './claims.js';

/** What the StatefulSet writes into its pods' and revisions' controller reference. */
export const STATEFULSET_KIND = { apiVersion: 'apps/v1', kind: 'StatefulSet' } as const;

/** apps.StatefulSetRevisionLabel: the pod's revision, by the ControllerRevision's name. */
export const STATEFULSET_REVISION_LABEL = 'controller-revision-hash';
/** apps.StatefulSetPodNameLabel. */
export const STATEFULSET_POD_NAME_LABEL = 'statefulset.kubernetes.io/pod-name';
/** apps.PodIndexLabel. */
export const POD_INDEX_LABEL = 'apps.kubernetes.io/pod-index';

const PARENT_AND_ORDINAL = /^(.*)-([0-9]+)$/;

/** getParentNameAndOrdinal: ordinal -1 when the name has none. */
export function parentAndOrdinal(pod: Pod): { parent: string; ordinal: number } {
  const m = PARENT_AND_ORDINAL.exec(pod.metadata.name ?? '');
  if (!m) return { parent: '', ordinal: -1 };
  const ordinal = Number(m[2]);
  return { parent: m[1] ?? '', ordinal: Number.isSafeInteger(ordinal) && ordinal <= 2 ** 31 - 1 ? ordinal : -1 };
}

export const ordinalOf = (pod: Pod): number => parentAndOrdinal(pod).ordinal;
export const startOrdinal = (set: StatefulSet): number => set.spec?.ordinals?.start ?? 0;
export const replicasOf = (set: StatefulSet): number => set.spec?.replicas ?? 1;
export const endOrdinal = (set: StatefulSet): number => startOrdinal(set) + replicasOf(set) - 1;
export const podName = (set: StatefulSet, ordinal: number): string => `${set.metadata.name}-${ordinal}`;

export const isMemberOf = (set: StatefulSet, pod: Pod): boolean => parentAndOrdinal(pod).parent === set.metadata.name;

export function podInOrdinalRange(pod: Pod, set: StatefulSet): boolean {
  const o = ordinalOf(pod);
  return o >= startOrdinal(set) && o <= endOrdinal(set);
}

/** identityMatches: the pod is this set's member at its ordinal, labelled with its name. */
export function identityMatches(set: StatefulSet, pod: Pod): boolean {
  const { parent, ordinal } = parentAndOrdinal(pod);
  const labels = pod.metadata.labels ?? {};
  return (
    ordinal >= 0 &&
    set.metadata.name === parent &&
    pod.metadata.name === podName(set, ordinal) &&
    pod.metadata.namespace === set.metadata.namespace &&
    labels[STATEFULSET_POD_NAME_LABEL] === pod.metadata.name
  );
}

/** updateIdentity: name, namespace and the identity labels from the ordinal. */
export function updateIdentity(set: StatefulSet, pod: Pod): Pod {
  const ordinal = ordinalOf(pod);
  const name = podName(set, ordinal);
  return {
    ...pod,
    metadata: {
      ...pod.metadata,
      name,
      namespace: set.metadata.namespace,
      labels: { ...pod.metadata.labels, [STATEFULSET_POD_NAME_LABEL]: name, [POD_INDEX_LABEL]: String(ordinal) },
    },
  };
}

/**
 * newStatefulSetPod: the template with the set as controller, its identity, a volume for each of its
 * claims (updateStorage), and hostname and subdomain.
 */
export function newStatefulSetPod(set: StatefulSet, ordinal: number): Pod {
  const name = podName(set, ordinal);
  const pod = podFromTemplate(set.spec?.template ?? {}, set, newControllerRef(set, STATEFULSET_KIND));
  // Named by its ordinal, never generated: the name is the pod's identity.
  delete pod.metadata.generateName;
  pod.metadata.name = name;
  const withIdentity = withStorage(set, updateIdentity(set, pod));
  const spec = { ...(withIdentity.spec ?? { containers: [] }), hostname: name };
  if (set.spec?.serviceName) spec.subdomain = set.spec.serviceName;
  return { ...withIdentity, spec };
}

export const podRevision = (pod: Pod): string => pod.metadata.labels?.[STATEFULSET_REVISION_LABEL] ?? '';

function withRevision(pod: Pod, revision: string): Pod {
  return {
    ...pod,
    metadata: { ...pod.metadata, labels: { ...pod.metadata.labels, [STATEFULSET_REVISION_LABEL]: revision } },
  };
}

/**
 * newVersionedStatefulSetPod: ordinals below the partition (or, with no rollingUpdate, below the
 * current replicas) are made from the current revision, the rest from the update revision.
 */
export function newVersionedStatefulSetPod(
  currentSet: StatefulSet,
  updateSet: StatefulSet,
  currentRevision: string,
  updateRevision: string,
  ordinal: number,
): Pod {
  const strategy = currentSet.spec?.updateStrategy;
  const rolling = (strategy?.type ?? 'RollingUpdate') === 'RollingUpdate';
  const start = startOrdinal(currentSet);
  const keepCurrent =
    (rolling && !strategy?.rollingUpdate && ordinal < start + (currentSet.status?.currentReplicas ?? 0)) ||
    (strategy?.rollingUpdate !== undefined && ordinal < start + (strategy.rollingUpdate.partition ?? 0));
  return keepCurrent
    ? withRevision(newStatefulSetPod(currentSet, ordinal), currentRevision)
    : withRevision(newStatefulSetPod(updateSet, ordinal), updateRevision);
}

/** getPatch: the template as a patch that replaces it whole. */
export function templatePatch(set: StatefulSet): unknown {
  return { spec: { template: { ...structuredClone(set.spec?.template ?? {}), $patch: 'replace' } } };
}

/** newRevision: the set's template at `revision`, carrying the set's annotations. */
export function newRevision(set: StatefulSet, revision: number, collisionCount: number): ControllerRevision {
  const cr = newControllerRevision(
    set,
    STATEFULSET_KIND,
    set.spec?.template?.metadata?.labels,
    templatePatch(set),
    revision,
    collisionCount,
  );
  if (set.metadata.annotations) cr.metadata.annotations = { ...cr.metadata.annotations, ...set.metadata.annotations };
  return cr;
}

/** ApplyRevision: the set with the revision's template. */
export function applyRevision(set: StatefulSet, revision: ControllerRevision): StatefulSet {
  const tpl = (revision.data as { spec?: { template?: PodTemplateSpec & { $patch?: string } } } | undefined)?.spec
    ?.template;
  if (!tpl) return set;
  const { $patch: _, ...template } = structuredClone(tpl);
  return { ...set, spec: { ...(set.spec as NonNullable<StatefulSet['spec']>), template } };
}
