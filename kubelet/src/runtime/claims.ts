// A pod volume backed by a PersistentVolumeClaim (persistentVolumeClaim, or an ephemeral volume's
// `<pod>-<volume>` claim), resolved as the kubelet's desired-state-of-world populator does
// (createVolumeSpec, getPVCExtractPV, getPVSpec): the claim and then its volume are read with the
// node's credentials, so the Node authorizer decides. The process runtime can use a volume only when
// it is a directory on this host (hostPath or local); anything else needs a mount it cannot make.
// A volume whose node affinity excludes this node is refused, as the mount operation does.
//
// An ephemeral volume's claim is the ephemeral-volume controller's to make; until it exists the pod waits.
import {
  type PersistentVolume,
  type PersistentVolumeClaim,
  type Pod,
  type Volume,
  volumeClaim,
  volumeIsForPod,
} from '@mkube/shared/api';
import type { KubeClient } from '@mkube/shared/client';
import { nodeAffinityRefusal } from './nodeaffinity.js';

/** A claim that cannot be used (yet): the populator's error text; the pod keeps waiting and retries. */
export class ClaimError extends Error {}

/** The bound volume's directory on this host; throws ClaimError with upstream's wording. */
export async function resolveClaimPath(client: KubeClient | undefined, pod: Pod, v: Volume): Promise<string> {
  const claim = volumeClaim(pod, v)!;
  const ns = pod.metadata.namespace ?? 'default';
  const processing = (why: string) => new ClaimError(`error processing PVC ${ns}/${claim.name}: ${why}`);
  if (!client) throw processing('failed to fetch PVC from API server: the kubelet is not connected to the API yet');
  let pvc: PersistentVolumeClaim;
  try {
    pvc = await client
      .resource<PersistentVolumeClaim>({ group: '', version: 'v1', resource: 'persistentvolumeclaims', namespace: ns })
      .get(claim.name);
  } catch (e) {
    throw processing(`failed to fetch PVC from API server: ${(e as Error).message}`);
  }
  if (pvc.metadata.deletionTimestamp) throw processing('PVC is being deleted');
  if (pvc.status?.phase !== 'Bound') throw processing('PVC is not bound');
  const pvName = pvc.spec?.volumeName;
  if (!pvName) throw processing('PVC has empty pvc.Spec.VolumeName');
  // A claim of that name that the pod does not control is someone else's.
  if (claim.ephemeral) {
    const notForPod = volumeIsForPod(pod, pvc);
    if (notForPod) throw new ClaimError(notForPod);
  }
  let pv: PersistentVolume;
  try {
    pv = await client
      .resource<PersistentVolume>({ group: '', version: 'v1', resource: 'persistentvolumes' })
      .get(pvName);
  } catch (e) {
    throw processing(`failed to fetch PV ${pvName} from API server: ${(e as Error).message}`);
  }
  const ref = pv.spec?.claimRef;
  if (!ref) {
    throw processing(
      `found PV object ${pvName} but it has a nil pv.Spec.ClaimRef indicating it is not yet bound to the claim`,
    );
  }
  if (ref.uid !== pvc.metadata.uid) {
    throw processing(
      `found PV object ${pvName} but its pv.Spec.ClaimRef.UID ${ref.uid ?? ''} does not point to claim.UID ${pvc.metadata.uid ?? ''}`,
    );
  }
  const mode = pv.spec?.volumeMode ?? 'Filesystem';
  if (mode !== 'Filesystem') {
    const s = pod.spec;
    const mounted = [...(s?.initContainers ?? []), ...(s?.containers ?? [])].some((c) =>
      c.volumeMounts?.some((m) => m.name === v.name),
    );
    if (mounted) throw processing(`volume ${v.name} has volumeMode ${mode}, but is specified in volumeMounts`);
    // volumeDevices: a process has no device nodes to be given.
    throw new ClaimError(
      `PersistentVolume ${pvName} is a ${mode} volume: the mkube process runtime cannot map devices`,
    );
  }
  // The mount operation starts here, after the populator: its node affinity check comes first.
  // Every pod the kubelet runs names its node (a static pod's is stamped with it).
  const refusal = await nodeAffinityRefusal(client, pod.spec?.nodeName ?? '', pv);
  if (refusal) throw new ClaimError(refusal);
  const path = pv.spec?.hostPath?.path ?? pv.spec?.local?.path;
  if (path) return path;
  const source = Object.keys(pv.spec ?? {}).find((k) => PV_SOURCES.has(k)) ?? 'unknown';
  throw new ClaimError(
    `PersistentVolume ${pvName} has a ${source} source: the mkube process runtime can only use hostPath and local volumes`,
  );
}

/** PersistentVolumeSource's members, to name the one a volume has. */
const PV_SOURCES = new Set([
  'gcePersistentDisk',
  'awsElasticBlockStore',
  'hostPath',
  'glusterfs',
  'nfs',
  'rbd',
  'iscsi',
  'cinder',
  'cephfs',
  'fc',
  'flocker',
  'flexVolume',
  'azureFile',
  'vsphereVolume',
  'quobyte',
  'azureDisk',
  'photonPersistentDisk',
  'portworxVolume',
  'scaleIO',
  'local',
  'storageos',
  'csi',
]);
