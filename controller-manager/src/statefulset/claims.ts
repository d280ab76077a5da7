// A StatefulSet's claims (stateful_set_utils.go): each pod gets one claim per volumeClaimTemplate,
// `<template>-<set>-<ordinal>`, labelled with the set's selector, mounted in the pod under the
// template's name. The set's persistentVolumeClaimRetentionPolicy (StatefulSetAutoDeletePVC, GA)
// becomes owner references the garbage collector acts on: whenDeleted: Delete makes the set the
// claim's controller, whenScaled: Delete makes a scaled-down pod its controller; Retain, neither.
import type { OwnerReference, PersistentVolumeClaim, Pod, StatefulSet, Volume } from '@mkube/shared/api';
import { newControllerRef } from '@mkube/shared/controller';
import { ordinalOf, podInOrdinalRange, STATEFULSET_KIND } from './utils.js';

const POD_KIND = { apiVersion: 'v1', kind: 'Pod' } as const;
type Kind = { readonly apiVersion: string; readonly kind: string };
type Template = NonNullable<NonNullable<StatefulSet['spec']>['volumeClaimTemplates']>[number];

/** getPersistentVolumeClaimName. */
export const claimNameFor = (set: StatefulSet, template: Template, ordinal: number): string =>
  `${template.metadata?.name ?? ''}-${set.metadata.name}-${ordinal}`;

/** getPersistentVolumeClaims: the pod's claims by template name, as they would be created. */
export function podClaims(set: StatefulSet, pod: Pod): Map<string, PersistentVolumeClaim> {
  const ordinal = ordinalOf(pod);
  const claims = new Map<string, PersistentVolumeClaim>();
  for (const t of set.spec?.volumeClaimTemplates ?? []) {
    const meta = structuredClone(t.metadata ?? {});
    claims.set(t.metadata?.name ?? '', {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: {
        ...meta,
        name: claimNameFor(set, t, ordinal),
        namespace: set.metadata.namespace,
        labels: { ...meta.labels, ...set.spec?.selector?.matchLabels },
      },
      spec: structuredClone(t.spec ?? {}),
    });
  }
  return claims;
}

/** updateStorage: a claim volume per template (first), replacing any pod volume of the same name. */
export function withStorage(set: StatefulSet, pod: Pod): Pod {
  const claims = podClaims(set, pod);
  if (claims.size === 0) return pod;
  const volumes: Volume[] = [...claims].map(([name, c]) => ({
    name,
    persistentVolumeClaim: { claimName: c.metadata.name ?? '' },
  }));
  for (const v of pod.spec?.volumes ?? []) if (!claims.has(v.name)) volumes.push(v);
  return { ...pod, spec: { ...(pod.spec ?? { containers: [] }), volumes } };
}

/** storageMatches: every template's volume is there, naming this pod's claim. */
export function storageMatches(set: StatefulSet, pod: Pod): boolean {
  const ordinal = ordinalOf(pod);
  if (ordinal < 0) return false;
  const volumes = new Map((pod.spec?.volumes ?? []).map((v) => [v.name, v]));
  return (set.spec?.volumeClaimTemplates ?? []).every(
    (t) => volumes.get(t.metadata?.name ?? '')?.persistentVolumeClaim?.claimName === claimNameFor(set, t, ordinal),
  );
}

/** getPersistentVolumeClaimRetentionPolicy: Retain for whatever is unset. */
export function retentionPolicy(set: StatefulSet): { whenDeleted: string; whenScaled: string } {
  const p = set.spec?.persistentVolumeClaimRetentionPolicy;
  return { whenDeleted: p?.whenDeleted ?? 'Retain', whenScaled: p?.whenScaled ?? 'Retain' };
}

const refs = (c: PersistentVolumeClaim): OwnerReference[] => c.metadata?.ownerReferences ?? [];

/** matchesRef: same kind and name, whatever the UID. */
const matchesRef = (ref: OwnerReference, owner: { metadata?: { name?: string } }, kind: Kind) =>
  ref.apiVersion === kind.apiVersion && ref.kind === kind.kind && ref.name === owner.metadata?.name;

const hasOwnerRef = (c: PersistentVolumeClaim, owner: { metadata?: { uid?: string } }) =>
  refs(c).some((r) => r.uid === (owner.metadata?.uid ?? ''));

/** hasStaleOwnerRef: a reference to an earlier object of the same name (a pod not created yet included). */
export function hasStaleOwnerRef(c: PersistentVolumeClaim, owner: Pod | StatefulSet, kind: Kind): boolean {
  const ref = refs(c).find((r) => matchesRef(r, owner, kind));
  return ref !== undefined && ref.uid !== (owner.metadata?.uid ?? '');
}

const retainsAll = (set: StatefulSet) => {
  const p = retentionPolicy(set);
  return p.whenScaled === 'Retain' && p.whenDeleted === 'Retain';
};

/** hasUnexpectedController: with a Delete policy, another controller (or an earlier set or pod) holds the claim. */
export function hasUnexpectedController(c: PersistentVolumeClaim, set: StatefulSet, pod: Pod): boolean {
  if (retainsAll(set)) return false;
  for (const r of refs(c)) {
    if (matchesRef(r, set, STATEFULSET_KIND)) {
      if (r.uid !== set.metadata.uid) return true;
      continue;
    }
    if (matchesRef(r, pod, POD_KIND)) {
      if (r.uid !== (pod.metadata?.uid ?? '')) return true;
      continue;
    }
    if (r.controller === true) return true;
  }
  return false;
}

const hasNonControllerOwner = (c: PersistentVolumeClaim, set: StatefulSet, pod: Pod) =>
  refs(c).some((r) => (r.uid === set.metadata.uid || r.uid === (pod.metadata?.uid ?? '')) && r.controller !== true);

/** isClaimOwnerUpToDate: the claim's references say what the policy asks (claims in an odd state are left alone). */
export function isClaimOwnerUpToDate(c: PersistentVolumeClaim, set: StatefulSet, pod: Pod): boolean {
  if (hasStaleOwnerRef(c, set, STATEFULSET_KIND) || hasStaleOwnerRef(c, pod, POD_KIND)) return true;
  if (hasUnexpectedController(c, set, pod)) return !(hasOwnerRef(c, set) || hasOwnerRef(c, pod));
  if (hasNonControllerOwner(c, set, pod)) return false;
  const { whenDeleted, whenScaled } = retentionPolicy(set);
  const scaledDown = !podInOrdinalRange(pod, set);
  if (whenScaled === 'Delete' && whenDeleted === 'Delete')
    return scaledDown !== hasOwnerRef(c, set) && scaledDown === hasOwnerRef(c, pod);
  if (whenScaled === 'Delete') return !hasOwnerRef(c, set) && scaledDown === hasOwnerRef(c, pod);
  if (whenDeleted === 'Delete') return hasOwnerRef(c, set) && !hasOwnerRef(c, pod);
  return !hasOwnerRef(c, set) && !hasOwnerRef(c, pod);
}

/** updateClaimOwnerRefForSetAndPod: the claim with its set and pod references as the policy asks. */
export function withPolicyOwnerRefs(c: PersistentVolumeClaim, set: StatefulSet, pod: Pod): PersistentVolumeClaim {
  const unexpected = hasUnexpectedController(c, set, pod);
  const out = refs(c).filter((r) => !matchesRef(r, set, STATEFULSET_KIND) && !matchesRef(r, pod, POD_KIND));
  const add = (owner: Pod | StatefulSet, kind: Kind) => {
    if (!out.some((r) => r.uid === (owner.metadata?.uid ?? ''))) out.push(newControllerRef(owner, kind));
  };
  if (!unexpected) {
    const { whenDeleted, whenScaled } = retentionPolicy(set);
    const scaledDown = !podInOrdinalRange(pod, set);
    if (whenScaled === 'Delete' && scaledDown) add(pod, POD_KIND);
    else if (whenDeleted === 'Delete' && (whenScaled !== 'Delete' || !scaledDown)) add(set, STATEFULSET_KIND);
  }
  const clone = structuredClone(c);
  if (out.length > 0) clone.metadata.ownerReferences = out;
  else delete clone.metadata.ownerReferences;
  return clone;
}
