// Dynamic provisioning (pv_controller.go provisionClaim): a claim of a class no volume matched gets
// one from its class's provisioner. The in-tree host-path plugin provisions here, in an operation
// beside the queues, and saves the volume pre-bound to the claim, whose next sync binds it; any
// other provisioner is external: the claim is annotated with its name, which that provisioner
// watches for, and waits.
import { setTimeout as sleep } from 'node:timers/promises';
import type { PersistentVolume, PersistentVolumeClaim, StorageClass } from '@mkube/shared/api';
import {
  ANN_BETA_STORAGE_PROVISIONER,
  ANN_BOUND_BY_CONTROLLER,
  ANN_DYNAMICALLY_PROVISIONED,
  ANN_MIGRATED_TO,
  ANN_SELECTED_NODE,
  ANN_STORAGE_PROVISIONER,
  PV_DELETION_IN_TREE_PROTECTION_FINALIZER,
} from '@mkube/shared/api';
import { isAlreadyExists, isNotFound } from '@mkube/shared/apierrors';
import { claimClass } from '@mkube/shared/volume';
import { claimKey, claimReference } from '../helpers.js';
import type { HostPathPlugin } from '../hostpath.js';
import { PVCS, PVS } from '../resources.js';
import type { BinderContext } from './context.js';

/** Number of tries to save a provisioned volume's object, and the pause between them. */
const CREATE_PROVISIONED_PV_RETRIES = 5;
const CREATE_PROVISIONED_PV_INTERVAL_MS = 10_000;

/** The in-tree provisioners CSI migration hands to their drivers (csi-translation-lib). */
const MIGRATED_TO_CSI: Readonly<Record<string, string>> = {
  'kubernetes.io/aws-ebs': 'ebs.csi.aws.com',
  'kubernetes.io/gce-pd': 'pd.csi.storage.gke.io',
  'kubernetes.io/azure-disk': 'disk.csi.azure.com',
  'kubernetes.io/azure-file': 'file.csi.azure.com',
  'kubernetes.io/cinder': 'cinder.csi.openstack.org',
  'kubernetes.io/vsphere-volume': 'csi.vsphere.vmware.com',
  'kubernetes.io/portworx-volume': 'pxd.portworx.com',
};

/** getProvisionedVolumeNameForClaim. */
export const provisionedVolumeName = (claim: PersistentVolumeClaim): string => `pvc-${claim.metadata?.uid ?? ''}`;

const pvcApi = (ctx: BinderContext, claim: PersistentVolumeClaim) =>
  ctx.client.resource<PersistentVolumeClaim>({ ...PVCS, namespace: claim.metadata?.namespace ?? '' });

/** findProvisionablePlugin: the in-tree plugin, undefined for an external provisioner, or why none. */
function findProvisionablePlugin(
  ctx: BinderContext,
  claim: PersistentVolumeClaim,
): { plugin?: HostPathPlugin; cls: StorageClass } | { error: string } {
  const name = claimClass(claim);
  const cls = ctx.classes.get(name);
  if (!cls) return { error: `storageclass.storage.k8s.io "${name}" not found` };
  if (MIGRATED_TO_CSI[cls.provisioner]) return { cls };
  if (cls.provisioner === ctx.hostPath.name) return { plugin: ctx.hostPath, cls };
  if (cls.provisioner.startsWith('kubernetes.io/'))
    return { error: `no volume plugin matched name: ${cls.provisioner}` };
  return { cls };
}

/** provisionClaim: starts the claim's provisioning unless it is running or backing off. */
export async function provisionClaim(ctx: BinderContext, claim: PersistentVolumeClaim): Promise<void> {
  if (!ctx.enableDynamicProvisioning) return;
  const found = findProvisionablePlugin(ctx, claim);
  if ('error' in found) {
    // Retried on every sync of the claim, as upstream's.
    ctx.recorder.event(claim, 'Warning', 'ProvisioningFailed', found.error);
    return;
  }
  const { plugin, cls } = found;
  const op = `provision-${claimKey(claim)}[${claim.metadata?.uid ?? ''}]`;
  ctx.ops.run(op, () =>
    plugin ? provisionClaimOperation(ctx, claim, plugin, cls) : provisionClaimOperationExternal(ctx, claim, cls),
  );
}

/** setClaimProvisioner: names the provisioner on the claim (both spellings). */
async function setClaimProvisioner(
  ctx: BinderContext,
  claim: PersistentVolumeClaim,
  provisioner: string,
  migrated: boolean,
): Promise<PersistentVolumeClaim> {
  if (claim.metadata?.annotations?.[ANN_STORAGE_PROVISIONER] === provisioner) return claim;
  const clone = structuredClone(claim);
  clone.metadata.annotations = {
    ...clone.metadata.annotations,
    [ANN_BETA_STORAGE_PROVISIONER]: provisioner,
    [ANN_STORAGE_PROVISIONER]: provisioner,
    ...(migrated ? { [ANN_MIGRATED_TO]: provisioner } : {}),
  };
  const saved = await pvcApi(ctx, claim).update(clone);
  ctx.claims.update(saved);
  return saved;
}

async function provisionClaimOperationExternal(
  ctx: BinderContext,
  claim: PersistentVolumeClaim,
  cls: StorageClass,
): Promise<void> {
  const provisioner = MIGRATED_TO_CSI[cls.provisioner] ?? cls.provisioner;
  let saved: PersistentVolumeClaim;
  try {
    saved = await setClaimProvisioner(ctx, claim, provisioner, provisioner !== cls.provisioner);
  } catch (e) {
    ctx.recorder.event(claim, 'Warning', 'ProvisioningFailed', `Error saving claim: ${(e as Error).message}`);
    throw e;
  }
  ctx.recorder.event(
    saved,
    'Normal',
    'ExternalProvisioning',
    `Waiting for a volume to be created either by the external provisioner '${provisioner}' or manually by the system administrator. If volume creation is delayed, please verify that the provisioner is running and correctly registered.`,
  );
}

/** rescheduleProvisioning: drops the scheduler's node so that it picks again. */
async function rescheduleProvisioning(ctx: BinderContext, claim: PersistentVolumeClaim): Promise<void> {
  if (claim.metadata?.annotations?.[ANN_SELECTED_NODE] === undefined) return;
  const clone = structuredClone(claim);
  const { [ANN_SELECTED_NODE]: _, ...rest } = clone.metadata.annotations ?? {};
  clone.metadata.annotations = rest;
  try {
    ctx.claims.update(await pvcApi(ctx, claim).update(clone));
  } catch (e) {
    ctx.log.debug({ pvc: claimKey(claim), err: (e as Error).message }, 'cannot remove the selected-node annotation');
  }
}

/** goFormat of a []string (%v): `[a b]`. */
const goList = (xs: readonly string[]) => `[${xs.join(' ')}]`;

async function provisionClaimOperation(
  ctx: BinderContext,
  original: PersistentVolumeClaim,
  plugin: HostPathPlugin,
  cls: StorageClass,
): Promise<void> {
  const fail = (message: string, err: Error = new Error(message)): never => {
    ctx.recorder.event(original, 'Warning', 'ProvisioningFailed', message);
    throw err;
  };
  if (original.spec?.dataSource)
    fail(`plugin "${plugin.name}" is not a CSI plugin. Only CSI plugin can provision a claim with a datasource`);
  const claim = await setClaimProvisioner(ctx, original, cls.provisioner, false);
  const pvName = provisionedVolumeName(claim);
  const pvs = ctx.client.resource<PersistentVolume>(PVS);
  // A previous operation may have made it just before this one started.
  try {
    await pvs.get(pvName);
    return;
  } catch (e) {
    if (!isNotFound(e)) throw e;
  }
  const mountOptions = cls.mountOptions ?? [];
  if (!plugin.supportsMountOption && mountOptions.length > 0)
    fail(
      `Mount options are not supported by the provisioner but StorageClass "${cls.metadata?.name}" has mount options ${goList(mountOptions)}`,
      new Error(`provisioner "${plugin.name}" doesn't support mount options`),
    );
  const refusal = plugin.provisionerError();
  if (refusal) fail(`Failed to create provisioner: ${refusal}`, new Error(refusal));
  const node = claim.metadata?.annotations?.[ANN_SELECTED_NODE];
  if (node !== undefined && !ctx.nodes.get(node)) fail(`Failed to get target node: node "${node}" not found`);

  let volume: PersistentVolume;
  try {
    volume = await plugin.provision({
      pvName,
      claim,
      reclaimPolicy: cls.reclaimPolicy ?? 'Delete',
    });
  } catch (e) {
    await rescheduleProvisioning(ctx, claim);
    return fail(
      `Failed to provision volume with StorageClass "${cls.metadata?.name}": ${(e as Error).message}`,
      e as Error,
    );
  }
  volume.metadata.name ||= pvName;
  volume.spec = { ...volume.spec, claimRef: claimReference(claim), storageClassName: claimClass(claim) };
  volume.status = { phase: 'Bound' };
  volume.metadata.annotations = {
    ...volume.metadata.annotations,
    [ANN_BOUND_BY_CONTROLLER]: 'yes',
    [ANN_DYNAMICALLY_PROVISIONED]: plugin.name,
  };
  // HonorPVReclaimPolicy: the object stays until the binder has deleted the storage.
  if (volume.spec.persistentVolumeReclaimPolicy === 'Delete')
    volume.metadata.finalizers = [PV_DELETION_IN_TREE_PROTECTION_FINALIZER];

  let lastErr: unknown;
  for (let i = 0; i < CREATE_PROVISIONED_PV_RETRIES; i++) {
    try {
      ctx.volumes.update(await pvs.create(volume));
      lastErr = undefined;
      break;
    } catch (e) {
      if (isAlreadyExists(e)) {
        lastErr = undefined;
        break;
      }
      lastErr = e;
      ctx.log.info({ pvc: claimKey(claim), pv: pvName, err: (e as Error).message }, 'Failed to save volume for claim');
      if (i + 1 < CREATE_PROVISIONED_PV_RETRIES)
        await sleep(CREATE_PROVISIONED_PV_INTERVAL_MS, undefined, { signal: ctx.stopping }).catch(() => undefined);
      if (ctx.stopping.aborted) break;
    }
  }
  if (lastErr === undefined) {
    ctx.log.info({ pvc: claimKey(claim), pv: volume.metadata.name }, 'Volume provisioned for claim');
    ctx.recorder.event(
      claim,
      'Normal',
      'ProvisioningSucceeded',
      `Successfully provisioned volume ${volume.metadata.name} using ${plugin.name}`,
    );
    return;
  }
  // The storage exists without an object for it: remove it rather than leak it.
  ctx.recorder.event(
    claim,
    'Warning',
    'ProvisioningFailed',
    `Error creating provisioned PV object for claim ${claimKey(claim)}: ${(lastErr as Error).message}. Deleting the volume.`,
  );
  let deleteErr: unknown;
  for (let i = 0; i < CREATE_PROVISIONED_PV_RETRIES; i++) {
    try {
      await plugin.delete(volume);
      deleteErr = undefined;
      break;
    } catch (e) {
      deleteErr = e;
      if (i + 1 < CREATE_PROVISIONED_PV_RETRIES)
        await sleep(CREATE_PROVISIONED_PV_INTERVAL_MS, undefined, { signal: ctx.stopping }).catch(() => undefined);
      if (ctx.stopping.aborted) break;
    }
  }
  if (deleteErr !== undefined)
    ctx.recorder.event(
      claim,
      'Warning',
      'ProvisioningCleanupFailed',
      `Error cleaning provisioned volume for claim ${claimKey(claim)}: ${(deleteErr as Error).message}. Please delete manually.`,
    );
}
