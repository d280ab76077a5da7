// The secrets a PersistentVolume's source names that the kubelet reads (pkg/api/v1/persistentvolume
// VisitPVSecretNames, kubeletVisible only): these become the Node authorizer's secret → pv edges.
// CSI's controllerPublish/controllerExpand secrets are for the external controllers, never a node.
import type { PersistentVolume, SecretReference } from '@mkube/shared/api';

type Source = Record<string, unknown> | undefined;

/** [namespace, name] of every secret the node may read for this volume, in upstream's order. */
export function kubeletVisiblePVSecrets(pv: PersistentVolume): [string, string][] {
  const spec = pv.spec ?? {};
  // Volumes persisted before a source had a secret namespace use their claim's namespace.
  const claimNs = spec.claimRef?.namespace ?? '';
  const out: [string, string][] = [];
  const add = (ns: string | undefined, name: string | undefined) => {
    if (name) out.push([ns ?? '', name]);
  };
  const ref = (src: Source) => src?.secretRef as SecretReference | undefined;
  const inClaimNs = (r: SecretReference | undefined) => {
    if (r) add(r.namespace || claimNs, r.name);
  };
  // One source per volume: the first set wins, as upstream's switch.
  if (spec.azureFile) {
    const a = spec.azureFile as { secretName?: string; secretNamespace?: string };
    add(a.secretNamespace || claimNs, a.secretName);
  } else if (spec.cephfs) inClaimNs(ref(spec.cephfs as Source));
  else if (spec.cinder) {
    const r = ref(spec.cinder as Source);
    add(r?.namespace, r?.name);
  } else if (spec.flexVolume) inClaimNs(ref(spec.flexVolume as Source));
  else if (spec.rbd) inClaimNs(ref(spec.rbd as Source));
  else if (spec.scaleIO) inClaimNs(ref(spec.scaleIO as Source));
  else if (spec.iscsi) inClaimNs(ref(spec.iscsi as Source));
  else if (spec.storageos) {
    const r = ref(spec.storageos as Source);
    add(r?.namespace, r?.name);
  } else if (spec.csi) {
    for (const r of [spec.csi.nodePublishSecretRef, spec.csi.nodeStageSecretRef, spec.csi.nodeExpandSecretRef]) {
      add(r?.namespace, r?.name);
    }
  }
  return out;
}
