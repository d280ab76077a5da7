// storage.k8s.io/v1 (k8s.io/api/storage/v1/types.go): the CSI objects. A CSIDriver tells Kubernetes
// how to treat a driver (attach or not, pod info, fsGroup), a CSINode is what a kubelet learned from
// the drivers registered on its node, and a VolumeAttachment asks an external attacher to attach a
// volume to a node and reports whether it did.

import type { KubeObject, Time } from './meta.js';
import type { PersistentVolumeSpec } from './persistentvolume.js';

/** Which CSI volume types a driver serves: PVs (`Persistent`) and/or inline pod volumes (`Ephemeral`). */
export type VolumeLifecycleMode = 'Persistent' | 'Ephemeral';

/** Whether the kubelet may chown/chmod a volume to the pod's fsGroup before mounting it. */
export type FSGroupPolicy = 'ReadWriteOnceWithFSType' | 'File' | 'None';

/**
 * A service-account token the kubelet passes to the driver in NodePublishVolume (storage/v1
 * `TokenRequest`, renamed here because authentication/v1's TokenRequest owns that name).
 */
export interface CSIDriverTokenRequest {
  audience: string;
  expirationSeconds?: number;
}

export interface CSIDriverSpec {
  attachRequired?: boolean;
  podInfoOnMount?: boolean;
  volumeLifecycleModes?: VolumeLifecycleMode[];
  storageCapacity?: boolean;
  fsGroupPolicy?: FSGroupPolicy;
  tokenRequests?: CSIDriverTokenRequest[];
  requiresRepublish?: boolean;
  seLinuxMount?: boolean;
  nodeAllocatableUpdatePeriodSeconds?: number;
}

export interface CSIDriver extends KubeObject {
  spec: CSIDriverSpec;
}

/** How many volumes of one driver a node can take (`allocatable.count`); absent means unbounded. */
export interface VolumeNodeResources {
  count?: number;
}

export interface CSINodeDriver {
  name: string;
  nodeID: string;
  topologyKeys?: string[] | null;
  allocatable?: VolumeNodeResources;
}

export interface CSINodeSpec {
  drivers: CSINodeDriver[];
}

/** Named after its Node, and owned by it: the kubelet creates it and the Node's deletion collects it. */
export interface CSINode extends KubeObject {
  spec: CSINodeSpec;
}

/** Exactly one of the two: a PV by name, or an inline CSI volume's spec (CSI migration). */
export interface VolumeAttachmentSource {
  persistentVolumeName?: string;
  inlineVolumeSpec?: PersistentVolumeSpec;
}

export interface VolumeAttachmentSpec {
  attacher: string;
  source: VolumeAttachmentSource;
  nodeName: string;
}

export interface VolumeError {
  time?: Time;
  message?: string;
  errorCode?: number;
}

export interface VolumeAttachmentStatus {
  attached: boolean;
  attachmentMetadata?: Record<string, string>;
  attachError?: VolumeError;
  detachError?: VolumeError;
}

export interface VolumeAttachment extends KubeObject {
  spec: VolumeAttachmentSpec;
  status?: VolumeAttachmentStatus;
}
