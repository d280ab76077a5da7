// printPersistentVolume, printPersistentVolumeClaim and printStorageClass (k/k printers.go): access
// modes abbreviated as helper.GetAccessModesAsString does, `<unset>` for an unset volume mode or
// attributes class, and the default class marked " (default)".
import type { PersistentVolume, PersistentVolumeClaim, StorageClass } from '@mkube/shared/api';
import { canonicalQuantity } from '@mkube/shared/quantity';
import { claimClass, isDefaultStorageClass, volumeClass } from '@mkube/shared/volume';
import { timestampSince } from './duration.js';
import { AGE_COLUMN, col, NAME_COLUMN, type Printer, printer } from './types.js';

const UNSET = '<unset>';

const MODE_ABBREVIATIONS: readonly [string, string][] = [
  ['ReadWriteOnce', 'RWO'],
  ['ReadOnlyMany', 'ROX'],
  ['ReadWriteMany', 'RWX'],
  ['ReadWriteOncePod', 'RWOP'],
];

/** GetAccessModesAsString: in this fixed order whatever the list's, each once. */
export function accessModesString(modes: readonly string[] | undefined): string {
  const set = new Set(modes ?? []);
  return MODE_ABBREVIATIONS.filter(([m]) => set.has(m))
    .map(([, a]) => a)
    .join(',');
}

/** Quantity.String() of a list's storage: "0" when there is none. */
const storageString = (list: Readonly<Record<string, string>> | undefined) =>
  canonicalQuantity(String(list?.storage ?? '0'));

/** The phase, or Terminating once deletion has begun. */
const phaseOf = (o: { metadata: { deletionTimestamp?: string } }, phase: string | undefined) =>
  o.metadata.deletionTimestamp ? 'Terminating' : (phase ?? '');

export const persistentVolumePrinter: Printer = printer<PersistentVolume>({
  columns: [
    NAME_COLUMN,
    col('Capacity', "capacity is the description of the persistent volume's resources and capacity."),
    col('Access Modes', 'accessModes contains all ways the volume can be mounted.'),
    col(
      'Reclaim Policy',
      'persistentVolumeReclaimPolicy defines what happens to a persistent volume when released from its claim. Valid options are Retain (default for manually created PersistentVolumes), Delete (default for dynamically provisioned PersistentVolumes), and Recycle (deprecated).',
    ),
    col('Status', 'phase indicates if a volume is available, bound to a claim, or released by a claim.'),
    col(
      'Claim',
      'claimRef is part of a bi-directional binding between PersistentVolume and PersistentVolumeClaim. Expected to be non-nil when bound. claim.VolumeName is the authoritative bind between PV and PVC.',
    ),
    col('StorageClass', 'StorageClass of the pv'),
    col('VolumeAttributesClass', 'VolumeAttributesClass of the pv'),
    col(
      'Reason',
      'reason is a brief CamelCase string that describes any failure and is meant for machine parsing and tidy display in the CLI.',
    ),
    AGE_COLUMN,
    col(
      'VolumeMode',
      'volumeMode defines if a volume is intended to be used with a formatted filesystem or to remain in raw block state. Value of Filesystem is implied when not included in spec.',
      { priority: 1 },
    ),
  ],
  cells(o, now) {
    const ref = o.spec?.claimRef;
    return [
      o.metadata.name,
      storageString(o.spec?.capacity),
      accessModesString(o.spec?.accessModes),
      o.spec?.persistentVolumeReclaimPolicy ?? '',
      phaseOf(o, o.status?.phase),
      ref ? `${ref.namespace ?? ''}/${ref.name ?? ''}` : '',
      volumeClass(o),
      o.spec?.volumeAttributesClassName ?? UNSET,
      o.status?.reason ?? '',
      timestampSince(o.metadata.creationTimestamp, now),
      o.spec?.volumeMode ?? UNSET,
    ];
  },
});

export const persistentVolumeClaimPrinter: Printer = printer<PersistentVolumeClaim>({
  columns: [
    NAME_COLUMN,
    col('Status', 'phase represents the current phase of PersistentVolumeClaim.'),
    col('Volume', 'volumeName is the binding reference to the PersistentVolume backing this claim.'),
    col('Capacity', 'capacity represents the actual resources of the underlying volume.'),
    col('Access Modes', 'accessModes contains the actual access modes the volume backing the PVC has.'),
    col('StorageClass', 'StorageClass of the pvc'),
    col('VolumeAttributesClass', 'VolumeAttributesClass of the pvc'),
    AGE_COLUMN,
    col(
      'VolumeMode',
      'volumeMode defines what type of volume is required by the claim. Value of Filesystem is implied when not included in claim spec.',
      { priority: 1 },
    ),
  ],
  cells(o, now) {
    // Capacity and modes are the bound volume's, so blank until a volume is named.
    const bound = !!o.spec?.volumeName;
    return [
      o.metadata.name,
      phaseOf(o, o.status?.phase),
      o.spec?.volumeName ?? '',
      bound ? storageString(o.status?.capacity) : '',
      bound ? accessModesString(o.status?.accessModes) : '',
      claimClass(o),
      o.spec?.volumeAttributesClassName ?? UNSET,
      timestampSince(o.metadata.creationTimestamp, now),
      o.spec?.volumeMode ?? UNSET,
    ];
  },
});

export const storageClassPrinter: Printer = printer<StorageClass>({
  columns: [
    NAME_COLUMN,
    col('Provisioner', 'provisioner indicates the type of the provisioner.'),
    col(
      'ReclaimPolicy',
      'reclaimPolicy controls the reclaimPolicy for dynamically provisioned PersistentVolumes of this storage class. Defaults to Delete.',
    ),
    col(
      'VolumeBindingMode',
      'volumeBindingMode indicates how PersistentVolumeClaims should be provisioned and bound.  When unset, VolumeBindingImmediate is used. This field is only honored by servers that enable the VolumeScheduling feature.',
    ),
    col('AllowVolumeExpansion', 'allowVolumeExpansion shows whether the storage class allow volume expand.'),
    AGE_COLUMN,
  ],
  cells: (o, now) => [
    isDefaultStorageClass(o) ? `${o.metadata.name} (default)` : o.metadata.name,
    o.provisioner ?? '',
    o.reclaimPolicy ?? 'Delete',
    o.volumeBindingMode ?? 'Immediate',
    o.allowVolumeExpansion ?? false,
    timestampSince(o.metadata.creationTimestamp, now),
  ],
});
