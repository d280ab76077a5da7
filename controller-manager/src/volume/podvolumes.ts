// Which claims a pod uses (the pod→PVC index of pkg/controller/volume/common): its
// persistentVolumeClaim volumes, and the `<pod>-<volume>` claim of each generic ephemeral volume.
import type { ContainerStatus, PersistentVolumeClaim, Pod, Volume } from '@mkube/shared/api';
import { controllerOf } from '@mkube/shared/controller';

/** ephemeral.VolumeClaimName. */
export const ephemeralClaimName = (pod: Pod, v: Volume): string => `${pod.metadata?.name ?? ''}-${v.name}`;

/** ephemeral.VolumeIsForPod: the claim is controlled by this very pod. */
export const claimIsForPod = (pod: Pod, pvc: PersistentVolumeClaim): boolean =>
  controllerOf(pvc)?.uid === pod.metadata?.uid;

/** The names of the claims the pod's volumes reference, in its namespace. */
export function podClaimNames(pod: Pod): string[] {
  const names: string[] = [];
  for (const v of pod.spec?.volumes ?? []) {
    if (v.persistentVolumeClaim) names.push(v.persistentVolumeClaim.claimName);
    else if (v.ephemeral) names.push(ephemeralClaimName(pod, v));
  }
  return names;
}

export const podReferencesClaim = (pod: Pod, namespace: string, name: string): boolean =>
  pod.metadata?.namespace === namespace && podClaimNames(pod).includes(name);

const notRunning = (statuses: readonly ContainerStatus[] | undefined): boolean =>
  (statuses ?? []).every((s) => s.state?.terminated !== undefined || s.state?.waiting !== undefined);

/** volumeutil.IsPodTerminated: finished, or being deleted with no container running. */
export function isPodTerminated(pod: Pod): boolean {
  const phase = pod.status?.phase;
  if (phase === 'Failed' || phase === 'Succeeded') return true;
  return (
    !!pod.metadata?.deletionTimestamp &&
    notRunning(pod.status?.initContainerStatuses) &&
    notRunning(pod.status?.containerStatuses) &&
    notRunning(pod.status?.ephemeralContainerStatuses)
  );
}
