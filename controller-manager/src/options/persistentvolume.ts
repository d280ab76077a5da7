// kube-controller-manager's PersistentVolumeBinderControllerOptions: the binder's flags under
// upstream's names and defaults (host-path provisioning off: it only works on one node).
import type { ConfigProblem, FlagSpec, FlagValues } from '@mkube/shared/flags';

export const PV_BINDER_FLAGS: readonly FlagSpec[] = [
  {
    name: 'pvclaimbinder-sync-period',
    type: 'duration',
    default: '15s',
    usage: 'The period for syncing persistent volumes and persistent volume claims',
  },
  {
    name: 'enable-dynamic-provisioning',
    type: 'bool',
    default: true,
    usage: 'Enable dynamic provisioning for environments that support it.',
  },
  {
    name: 'enable-hostpath-provisioner',
    type: 'bool',
    default: false,
    usage:
      "Enable HostPath PV provisioning when running without a cloud provider. This allows testing and development of provisioning features. HostPath provisioning is not supported in any way, won't work in a multi-node cluster, and should not be used for anything other than testing or development.",
  },
];

export interface PVBinderConfig {
  readonly syncPeriodMs: number;
  readonly enableDynamicProvisioning: boolean;
  readonly enableHostPathProvisioning: boolean;
}

export function loadPVBinderConfig(flags: FlagValues, problems: ConfigProblem[]): PVBinderConfig {
  const syncPeriodMs = Number(flags['pvclaimbinder-sync-period']);
  // A zero period would resync without pause.
  if (!(syncPeriodMs > 0))
    problems.push({ code: 'BAD_VALUE', flag: 'pvclaimbinder-sync-period', message: 'must be greater than 0' });
  return {
    syncPeriodMs,
    enableDynamicProvisioning: flags['enable-dynamic-provisioning'] !== false,
    enableHostPathProvisioning: flags['enable-hostpath-provisioner'] === true,
  };
}
