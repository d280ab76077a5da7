// The binder's writes through the scheduler's client: full updates of the PV (claimRef) and the
// claim (selected-node), each waiting for a token of the client's rate limit like every other write.
import type { PersistentVolume, PersistentVolumeClaim } from '@mkube/shared/api';
import type { KubeClient } from '@mkube/shared/client';
import type { Throttle } from '../../apicalls.js';
import type { VolumeWrites } from './binder.js';

export const PERSISTENT_VOLUMES = { group: '', version: 'v1', resource: 'persistentvolumes' } as const;
export const PERSISTENT_VOLUME_CLAIMS = { group: '', version: 'v1', resource: 'persistentvolumeclaims' } as const;
export const STORAGE_CLASSES = { group: 'storage.k8s.io', version: 'v1', resource: 'storageclasses' } as const;

export function volumeWrites(client: KubeClient, throttle: Throttle): VolumeWrites {
  return {
    async updatePV(pv, signal) {
      await throttle.wait(signal);
      return client.resource<PersistentVolume>(PERSISTENT_VOLUMES).update(pv, { signal });
    },
    async updatePVC(pvc, signal) {
      await throttle.wait(signal);
      return client
        .resource<PersistentVolumeClaim>({ ...PERSISTENT_VOLUME_CLAIMS, namespace: pvc.metadata?.namespace ?? '' })
        .update(pvc, { signal });
    },
  };
}
