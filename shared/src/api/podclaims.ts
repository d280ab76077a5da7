// Which PersistentVolumeClaims a pod uses (k8s.io/component-helpers/storage/ephemeral): a
// persistentVolumeClaim volume names its claim, a generic ephemeral volume's claim is `<pod>-<volume>`
// and is the pod's only if the pod controls it, since anyone may create a claim of that name.

import type { Pod, Volume } from './core.js';
import type { PersistentVolumeClaim } from './persistentvolume.js';

export interface PodClaim {
  readonly name: string;
  /** A generic ephemeral volume's claim: made by the ephemeral volume controller, owned by the pod. */
  readonly ephemeral: boolean;
}

/** ephemeral.VolumeClaimName. */
export const ephemeralClaimName = (pod: Pod, v: Volume): string => `${pod.metadata?.name ?? ''}-${v.name}`;

/** The claim a pod volume uses, if any. */
export function volumeClaim(pod: Pod, v: Volume): PodClaim | undefined {
  if (v.persistentVolumeClaim) return { name: v.persistentVolumeClaim.claimName, ephemeral: false };
  if (v.ephemeral) return { name: ephemeralClaimName(pod, v), ephemeral: true };
  return undefined;
}

/** The claims the pod's volumes use, in spec.volumes order, all in the pod's namespace. */
export function podClaims(pod: Pod): PodClaim[] {
  const out: PodClaim[] = [];
  for (const v of pod.spec?.volumes ?? []) {
    const c = volumeClaim(pod, v);
    if (c) out.push(c);
  }
  return out;
}

/**
 * ephemeral.VolumeIsForPod: undefined when the claim is in the pod's namespace and controlled by the
 * pod (metav1.IsControlledBy), else the error upstream returns.
 */
export function volumeIsForPod(pod: Pod, pvc: PersistentVolumeClaim): string | undefined {
  const controller = pvc.metadata?.ownerReferences?.find((r) => r.controller === true);
  if (
    pod.metadata?.namespace === pvc.metadata?.namespace &&
    controller !== undefined &&
    controller.uid === pod.metadata?.uid
  )
    return undefined;
  const pvcKey = `${pvc.metadata?.namespace ?? ''}/${pvc.metadata?.name ?? ''}`;
  const podKey = `${pod.metadata?.namespace ?? ''}/${pod.metadata?.name ?? ''}`;
  return `PVC ${pvcKey} was not created for pod ${podKey} (pod is not owner)`;
}
