// A PersistentVolume's source (pkg/apis/core/validation ValidatePersistentVolumeSpec's source part):
// exactly one, each checked as upstream checks it. The sources mkube knows no shape for are counted
// but their insides are left to whoever mounts them.
import type { PersistentVolumeSpec } from '@mkube/shared/api';
import { type FieldError, fieldErrors } from '@mkube/shared/apierrors';
import { isDNS1123Label, isDNS1123Subdomain } from '@mkube/shared/selectors';

/** The PV sources in upstream's order (the first one set is counted, every later one refused). */
export const PV_SOURCES = [
  'hostPath',
  'gcePersistentDisk',
  'awsElasticBlockStore',
  'glusterfs',
  'flocker',
  'nfs',
  'rbd',
  'quobyte',
  'cephfs',
  'iscsi',
  'cinder',
  'fc',
  'flexVolume',
  'azureFile',
  'vsphereVolume',
  'photonPersistentDisk',
  'portworxVolume',
  'azureDisk',
  'scaleIO',
  'local',
  'storageos',
  'csi',
] as const;

/** The field name upstream's "more than 1 volume type" error uses where it differs from the JSON one. */
const FORBIDDEN_AT: Readonly<Record<string, string>> = { cephfs: 'cephFS' };

/** Sources whose plugins take mount options (pkg/volume/validation checkMountOption). */
const MOUNT_OPTION_SOURCES = new Set([
  'gcePersistentDisk',
  'awsElasticBlockStore',
  'glusterfs',
  'nfs',
  'rbd',
  'quobyte',
  'iscsi',
  'cinder',
  'cephfs',
  'azureFile',
  'vsphereVolume',
  'azureDisk',
  'photonPersistentDisk',
]);
export const MOUNT_OPTION_ANNOTATION = 'volume.beta.kubernetes.io/mount-options';

const HOST_PATH_TYPES = [
  '',
  'BlockDevice',
  'CharDevice',
  'Directory',
  'DirectoryOrCreate',
  'File',
  'FileOrCreate',
  'Socket',
];

type Source = Record<string, unknown>;
const str = (v: unknown): string => (typeof v === 'string' ? v : '');

/** validatePathNoBacksteps: one error however many '..' the path holds. */
export function validatePathNoBacksteps(path: string, at: string): FieldError[] {
  return path.split('/').includes('..') ? [fieldErrors.invalid(at, path, "must not contain '..'")] : [];
}

function validateHostPath(s: Source, at: string): FieldError[] {
  const path = str(s.path);
  if (!path) return [fieldErrors.required(`${at}.path`, '')];
  const errs = validatePathNoBacksteps(path, `${at}.path`);
  const type = s.type ?? '';
  if (typeof type !== 'string' || !HOST_PATH_TYPES.includes(type)) {
    errs.push(fieldErrors.notSupported(`${at}.type`, type, HOST_PATH_TYPES));
  }
  return errs;
}

function validateLocal(s: Source, at: string): FieldError[] {
  const path = str(s.path);
  if (!path) return [fieldErrors.required(`${at}.path`, '')];
  return validatePathNoBacksteps(path, `${at}.path`);
}

function validateNFS(s: Source, at: string): FieldError[] {
  const errs: FieldError[] = [];
  const path = str(s.path);
  if (!str(s.server)) errs.push(fieldErrors.required(`${at}.server`, ''));
  if (!path) errs.push(fieldErrors.required(`${at}.path`, ''));
  if (!path.startsWith('/')) errs.push(fieldErrors.invalid(`${at}.path`, path, 'must be an absolute path'));
  return errs;
}

function validateSecretRef(ref: unknown, at: string): FieldError[] {
  const r = (ref ?? {}) as Source;
  const errs: FieldError[] = [];
  const name = str(r.name);
  const ns = str(r.namespace);
  if (!name) errs.push(fieldErrors.required(`${at}.name`, ''));
  else for (const m of isDNS1123Subdomain(name)) errs.push(fieldErrors.invalid(`${at}.name`, name, m));
  if (!ns) errs.push(fieldErrors.required(`${at}.namespace`, ''));
  else for (const m of isDNS1123Label(ns)) errs.push(fieldErrors.invalid(`${at}.namespace`, ns, m));
  return errs;
}

/** ValidateCSIDriverName. */
export function validateCSIDriverName(driver: string, at: string): FieldError[] {
  const errs: FieldError[] = [];
  if (!driver) errs.push(fieldErrors.required(at, ''));
  if (driver.length > 63) errs.push(fieldErrors.tooLong(at, 63));
  for (const m of isDNS1123Subdomain(driver.toLowerCase())) errs.push(fieldErrors.invalid(at, driver, m));
  return errs;
}

const CSI_SECRET_REFS = [
  'controllerPublishSecretRef',
  'controllerExpandSecretRef',
  'nodePublishSecretRef',
  'nodeExpandSecretRef',
];

function validateCSI(s: Source, at: string): FieldError[] {
  const errs = validateCSIDriverName(str(s.driver), `${at}.driver`);
  if (!str(s.volumeHandle)) errs.push(fieldErrors.required(`${at}.volumeHandle`, ''));
  for (const ref of CSI_SECRET_REFS) {
    if (s[ref] !== undefined && s[ref] !== null) errs.push(...validateSecretRef(s[ref], `${at}.${ref}`));
  }
  return errs;
}

const VALIDATORS: Readonly<Record<string, (s: Source, at: string) => FieldError[]>> = {
  hostPath: validateHostPath,
  local: validateLocal,
  nfs: validateNFS,
  csi: validateCSI,
};

const isSet = (v: unknown) => v !== undefined && v !== null;

/** The sources set, in upstream's order. */
export const sourcesOf = (spec: PersistentVolumeSpec): string[] => PV_SOURCES.filter((s) => isSet(spec[s]));

/** The one-source rule and each source's own checks; whether a local volume was found (it needs node affinity). */
export function validatePersistentVolumeSource(spec: PersistentVolumeSpec, at: string): FieldError[] {
  const errs: FieldError[] = [];
  let count = 0;
  for (const name of sourcesOf(spec)) {
    // Upstream counts a flexVolume without checking whether another source came first.
    if (count > 0 && name !== 'flexVolume') {
      errs.push(
        fieldErrors.forbidden(`${at}.${FORBIDDEN_AT[name] ?? name}`, 'may not specify more than 1 volume type'),
      );
      continue;
    }
    count++;
    errs.push(...(VALIDATORS[name]?.(spec[name] as Source, `${at}.${name}`) ?? []));
  }
  if (count === 0) errs.push(fieldErrors.required(at, 'must specify a volume type'));
  return errs;
}

/** checkMountOption: the beta mount-options annotation only on sources whose plugins take options. */
export function validateMountOptionAnnotation(
  spec: PersistentVolumeSpec,
  annotations: Readonly<Record<string, string>> | undefined,
): FieldError[] {
  if (sourcesOf(spec).some((s) => MOUNT_OPTION_SOURCES.has(s))) return [];
  if (annotations && MOUNT_OPTION_ANNOTATION in annotations) {
    return [
      fieldErrors.forbidden(
        `metadata.annotations.${MOUNT_OPTION_ANNOTATION}`,
        'may not specify mount options for this volume type',
      ),
    ];
  }
  return [];
}
