// core/v1 PersistentVolumeClaim (pkg/registry/core/persistentvolumeclaim/strategy.go): clients own
// the spec (which is immutable but for a bound claim's requests), the persistentvolume-binder
// controller the status. A new claim starts Pending (the v1 default of an empty phase).
import type { PersistentVolumeClaim, PersistentVolumeClaimSpec } from '@mkube/shared/api';
import type { RESTStrategy, SubresourceStrategy } from '../strategy.js';
import {
  validatePersistentVolumeClaim,
  validatePersistentVolumeClaimStatusUpdate,
  validatePersistentVolumeClaimUpdate,
} from './persistentvolumeclaimvalidation.js';
import { decodeResourceList } from './resourcenames.js';

const KIND = 'PersistentVolumeClaim';

/** SetDefaults_PersistentVolumeClaimSpec (Filesystem), and the quantities as the decoder leaves them. */
export function defaultPersistentVolumeClaim(pvc: PersistentVolumeClaim): void {
  pvc.spec ??= {};
  pvc.spec.volumeMode ??= 'Filesystem';
  const res = pvc.spec.resources;
  if (res?.requests) res.requests = decodeResourceList(KIND, res.requests);
  if (res?.limits) res.limits = decodeResourceList(KIND, res.limits);
}

function decodeStatus(pvc: PersistentVolumeClaim): void {
  const st = pvc.status;
  if (st?.capacity) st.capacity = decodeResourceList(KIND, st.capacity);
  if (st?.allocatedResources) st.allocatedResources = decodeResourceList(KIND, st.allocatedResources);
}

/**
 * DropDisabledFields: volumeAttributesClassName waits for its gate (off in 1.33) and
 * dataSourceRef.namespace for CrossNamespaceVolumeDataSource (alpha, off), unless already stored.
 */
function dropDisabledFields(spec: PersistentVolumeClaimSpec, old: PersistentVolumeClaimSpec | undefined): void {
  if (old?.volumeAttributesClassName == null) delete spec.volumeAttributesClassName;
  if (spec.dataSourceRef?.namespace && !old?.dataSourceRef) delete spec.dataSourceRef.namespace;
}

/** NormalizeDataSources (AnyVolumeDataSource is on): dataSource and dataSourceRef mirror each other. */
function normalizeDataSources(spec: PersistentVolumeClaimSpec): void {
  const ref = (r: { apiGroup?: string; kind: string; name: string }) => ({
    ...(r.apiGroup !== undefined ? { apiGroup: r.apiGroup } : {}),
    kind: r.kind,
    name: r.name,
  });
  if (spec.dataSource && !spec.dataSourceRef) spec.dataSourceRef = ref(spec.dataSource);
  else if (spec.dataSourceRef && !spec.dataSource && !spec.dataSourceRef.namespace) {
    spec.dataSource = ref(spec.dataSourceRef);
  }
}

export const persistentVolumeClaimStrategy: RESTStrategy<PersistentVolumeClaim> = {
  prepareForCreate(pvc) {
    defaultPersistentVolumeClaim(pvc);
    dropDisabledFields(pvc.spec!, undefined);
    normalizeDataSources(pvc.spec!);
    pvc.status = { phase: 'Pending' };
  },
  prepareForUpdate(pvc, old) {
    defaultPersistentVolumeClaim(pvc);
    dropDisabledFields(pvc.spec!, old.spec);
    normalizeDataSources(pvc.spec!);
    pvc.status = old.status ?? {};
  },
  validate: (pvc) => validatePersistentVolumeClaim(pvc),
  validateUpdate: (pvc, old) => validatePersistentVolumeClaimUpdate(pvc, old),
};

export const persistentVolumeClaimStatusStrategy: SubresourceStrategy<PersistentVolumeClaim> = {
  prepareForUpdate(pvc, old) {
    pvc.spec = old.spec;
    pvc.status ??= {};
    pvc.status.phase ||= 'Pending';
    decodeStatus(pvc);
  },
  validateUpdate: (pvc, old) => validatePersistentVolumeClaimStatusUpdate(pvc, old),
};
