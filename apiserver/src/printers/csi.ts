// printCSIDriver, printCSINode, printVolumeAttachment and printCSIStorageCapacity (k/k printers.go):
// a driver's unset booleans shown as their defaults, `<unset>` for no token requests and `<none>` for
// no modes; a node's number of drivers; an attachment's PV blank when it carries an inline volume
// instead; a capacity `<unset>` when the driver reported none (and, as upstream, no age column).
import type { CSIDriver, CSINode, CSIStorageCapacity, VolumeAttachment } from '@mkube/shared/api';
import { timestampSince } from './duration.js';
import { AGE_COLUMN, col, NAME_COLUMN, type Printer, printer } from './types.js';

const bool = (name: string, description: string) => col(name, description, { type: 'boolean' });

export const csiDriverPrinter: Printer = printer<CSIDriver>({
  columns: [
    NAME_COLUMN,
    bool('AttachRequired', 'attachRequired indicates this CSI volume driver requires an attach operation.'),
    bool(
      'PodInfoOnMount',
      'podInfoOnMount indicates this CSI volume driver requires additional pod information (like podName, podUID, etc.) during mount operations, if set to true.',
    ),
    bool(
      'StorageCapacity',
      'storageCapacity indicates that the CSI volume driver wants pod scheduling to consider the storage capacity that the driver deployment will report by creating CSIStorageCapacity objects with capacity information, if set to true.',
    ),
    col(
      'TokenRequests',
      "tokenRequests indicates the CSI driver needs pods' service account tokens it is mounting volume for to do necessary authentication.",
    ),
    bool(
      'RequiresRepublish',
      'requiresRepublish indicates the CSI driver wants `NodePublishVolume` being periodically called to reflect any possible change in the mounted volume.',
    ),
    col('Modes', 'volumeLifecycleModes defines what kind of volumes this CSI volume driver supports.'),
    AGE_COLUMN,
  ],
  cells(o, now) {
    const s = o.spec ?? {};
    const modes = (s.volumeLifecycleModes ?? []).join(',');
    return [
      o.metadata.name,
      s.attachRequired ?? true,
      s.podInfoOnMount ?? false,
      s.storageCapacity ?? false,
      s.tokenRequests == null ? '<unset>' : s.tokenRequests.map((t) => t.audience).join(','),
      s.requiresRepublish ?? false,
      modes || '<none>',
      timestampSince(o.metadata.creationTimestamp, now),
    ];
  },
});

export const csiNodePrinter: Printer = printer<CSINode>({
  columns: [
    NAME_COLUMN,
    col('Drivers', 'Drivers indicates the number of CSI drivers registered on the node', { type: 'integer' }),
    AGE_COLUMN,
  ],
  cells: (o, now) => [o.metadata.name, o.spec?.drivers?.length ?? 0, timestampSince(o.metadata.creationTimestamp, now)],
});

export const volumeAttachmentPrinter: Printer = printer<VolumeAttachment>({
  columns: [
    NAME_COLUMN,
    col('Attacher', 'attacher indicates the name of the volume driver that MUST handle this request.', {
      format: 'name',
    }),
    col('PV', 'persistentVolumeName represents the name of the persistent volume to attach.'),
    col('Node', 'nodeName represents the node that the volume should be attached to.'),
    bool('Attached', 'attached indicates the volume is successfully attached.'),
    AGE_COLUMN,
  ],
  cells: (o, now) => [
    o.metadata.name,
    o.spec?.attacher ?? '',
    o.spec?.source?.persistentVolumeName ?? '',
    o.spec?.nodeName ?? '',
    o.status?.attached ?? false,
    timestampSince(o.metadata.creationTimestamp, now),
  ],
});

export const csiStorageCapacityPrinter: Printer = printer<CSIStorageCapacity>({
  columns: [
    NAME_COLUMN,
    col(
      'StorageClassName',
      'storageClassName represents the name of the StorageClass that the reported capacity applies to. It must meet the same requirements as the name of a StorageClass object (non-empty, DNS subdomain). If that object no longer exists, the CSIStorageCapacity object is obsolete and should be removed by its creator. This field is immutable.',
    ),
    col(
      'Capacity',
      'capacity is the value reported by the CSI driver in its GetCapacityResponse for a GetCapacityRequest with topology and parameters that match the previous fields.\n\nThe semantic is currently (CSI spec 1.2) defined as: The available capacity, in bytes, of the storage that can be used to provision volumes. If not set, that information is currently unavailable.',
    ),
  ],
  cells: (o) => [o.metadata.name, o.storageClassName ?? '', o.capacity ?? '<unset>'],
});
