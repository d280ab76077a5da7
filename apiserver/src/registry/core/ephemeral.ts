// pods/ephemeralcontainers (pkg/registry/core/pod's EphemeralContainersStrategy): the one write that
// adds to a pod's spec.ephemeralContainers — what `kubectl debug` patches — and it changes nothing
// else; the main resource keeps them as stored (podStrategy's update), so they cannot be added,
// changed or dropped there.
import type { Pod } from '@mkube/shared/api';
import { validatePodEphemeralContainersUpdate, validatePrivilegedDisallowed } from '../../validation/index.js';
import { resetToStored, type SubresourceStrategy } from '../strategy.js';
import { defaultPod } from './poddefaults.js';

/** `allowPrivileged`: --allow-privileged, which holds for ephemeral containers as for any. */
export const ephemeralContainersSubresourceFor = ({
  allowPrivileged = true,
}: {
  allowPrivileged?: boolean;
} = {}): SubresourceStrategy => ({
  prepareForUpdate(o, old) {
    const sent = (o as Pod).spec?.ephemeralContainers;
    resetToStored(o, old);
    const pod = o as Pod;
    if (!pod.spec) return;
    if (sent?.length) pod.spec.ephemeralContainers = sent;
    else delete pod.spec.ephemeralContainers;
    // Decoded as any Pod body is: the new containers get SetDefaults_EphemeralContainer.
    defaultPod(pod);
  },
  validateUpdate: (o, old) => [
    ...validatePodEphemeralContainersUpdate(o as Pod, old as Pod),
    ...(allowPrivileged ? [] : validatePrivilegedDisallowed(o as Pod)),
  ],
});
