// The claim a generic ephemeral volume stands for (ephemeral controller's handleVolume): named
// `<pod>-<volume>`, labels, annotations and spec from the volume's template, controlled by the pod so
// that the garbage collector deletes it with the pod and the kubelet can tell it is the pod's own.
import type { PersistentVolumeClaim, PersistentVolumeClaimTemplate, Pod, Volume } from '@mkube/shared/api';
import { ephemeralClaimName } from '@mkube/shared/api';
import { newControllerRef } from '@mkube/shared/controller';

const POD_KIND = { apiVersion: 'v1', kind: 'Pod' } as const;

/** core/v1 EphemeralVolumeSource: the Volume type keeps sources it does not model as unknown. */
export interface EphemeralVolumeSource {
  volumeClaimTemplate?: PersistentVolumeClaimTemplate;
}

export const ephemeralSource = (v: Volume): EphemeralVolumeSource | undefined =>
  v.ephemeral ? (v.ephemeral as EphemeralVolumeSource) : undefined;

/** The claim to create for the pod's ephemeral volume `v`. */
export function newEphemeralClaim(pod: Pod, v: Volume, source: EphemeralVolumeSource): PersistentVolumeClaim {
  const template = source.volumeClaimTemplate;
  const meta = template?.metadata;
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: {
      name: ephemeralClaimName(pod, v),
      namespace: pod.metadata?.namespace,
      ownerReferences: [newControllerRef(pod, POD_KIND)],
      // Only these two: a template's name, namespace or finalizers are not the claim's.
      ...(meta?.annotations ? { annotations: structuredClone(meta.annotations) } : {}),
      ...(meta?.labels ? { labels: structuredClone(meta.labels) } : {}),
    },
    spec: structuredClone(template?.spec ?? {}),
  };
}
