// A pod's claims as the volume controllers look them up (the pod→PVC index of
// pkg/controller/volume/common), and when a pod is done with them.
import { type ContainerStatus, type Pod, podClaims } from '@mkube/shared/api';

/** The names of the claims the pod's volumes reference, in its namespace. */
export const podClaimNames = (pod: Pod): string[] => podClaims(pod).map((c) => c.name);

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
