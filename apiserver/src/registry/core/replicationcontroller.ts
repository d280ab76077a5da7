// core/v1 ReplicationController (pkg/registry/core/replicationcontroller/strategy.go,
// pkg/apis/core/validation ValidateReplicationController*): a ReplicaSet with a map selector. Unlike
// a ReplicaSet's, its selector may change, is defaulted from the template's labels (as the object's
// own labels are), and its template is optional in the type yet required by validation. Its status
// starts at zero replicas, as Go writes the empty ReplicationControllerStatus.
import type {
  ReplicationController,
  ReplicationControllerSpec,
  ReplicationControllerStatus,
  Volume,
} from '@mkube/shared/api';
import { type FieldError, fieldErrors } from '@mkube/shared/apierrors';
import { labelSelectorFromSet } from '@mkube/shared/selectors';
import { validateNonnegativeField } from '../../validation/objectmeta.js';
import { validateReplicaSetStatus } from '../apps/replicaset.js';
import { appsSpecChanged, defaultTemplate } from '../apps/shared.js';
import { validateSelectorMatchesTemplate, validateTemplateForController } from '../apps/validation.js';
import type { RESTStrategy, SubresourceStrategy } from '../strategy.js';

const isEmpty = (m: Readonly<Record<string, string>> | undefined | null) => !m || Object.keys(m).length === 0;

/**
 * SetDefaults_ReplicationController: the template's labels become the selector and the object's
 * labels when those are empty; then the template's pod defaults.
 */
export function defaultReplicationController(rc: ReplicationController): void {
  rc.spec ??= {};
  const spec = rc.spec;
  const labels = spec.template?.metadata?.labels;
  if (labels) {
    if (isEmpty(spec.selector)) spec.selector = { ...labels };
    if (isEmpty(rc.metadata.labels)) rc.metadata.labels = { ...labels };
  }
  spec.replicas ??= 1;
  // A pointer in v1: no template is not made one (validation asks for it).
  if (spec.template) defaultTemplate(spec);
}

export const emptyReplicationControllerStatus = (): ReplicationControllerStatus => ({ replicas: 0 });

const GCE_PD_READ_ONLY =
  'must be true for replicated pods > 1; GCE PD can only be mounted on multiple machines if it is read-only';

/** ValidateReadOnlyPersistentDisks: more than one replica may share a GCE PD only read-only. */
function validateReadOnlyPersistentDisks(volumes: readonly Volume[] | undefined): FieldError[] {
  return (volumes ?? []).flatMap((v, i) => {
    const pd = (v as { gcePersistentDisk?: { readOnly?: boolean } }).gcePersistentDisk;
    return pd && !pd.readOnly
      ? [fieldErrors.invalid(`spec.template.spec.volumes[${i}].gcePersistentDisk.readOnly`, false, GCE_PD_READ_ONLY)]
      : [];
  });
}

/** ValidateReplicationControllerSpec, with ValidateNonEmptySelector and ValidatePodTemplateSpecForRC. */
export function validateReplicationControllerSpec(
  spec: ReplicationControllerSpec | undefined,
  allowPrivileged: boolean,
): FieldError[] {
  const replicas = spec?.replicas ?? 0;
  const errs = [
    ...validateNonnegativeField(spec?.minReadySeconds ?? 0, 'spec.minReadySeconds'),
    ...(isEmpty(spec?.selector) ? [fieldErrors.required('spec.selector', '')] : []),
    ...validateNonnegativeField(replicas, 'spec.replicas'),
  ];
  const template = spec?.template;
  if (!template) return [...errs, fieldErrors.required('spec.template', '')];
  errs.push(...validateSelectorMatchesTemplate(labelSelectorFromSet(spec?.selector ?? {}), template));
  errs.push(...validateTemplateForController(template, 'ReplicationController', allowPrivileged));
  if (replicas > 1) errs.push(...validateReadOnlyPersistentDisks(template.spec?.volumes));
  return errs;
}

export function replicationControllerStrategyFor(opts: {
  allowPrivileged: boolean;
}): RESTStrategy<ReplicationController> {
  const validate = (rc: ReplicationController) => validateReplicationControllerSpec(rc.spec, opts.allowPrivileged);
  return {
    prepareForCreate(rc) {
      defaultReplicationController(rc);
      rc.status = emptyReplicationControllerStatus();
    },
    prepareForUpdate(rc, old) {
      defaultReplicationController(rc);
      rc.status = old.status ?? emptyReplicationControllerStatus();
    },
    validate,
    // ValidateReplicationControllerUpdate checks the spec again, and nothing more: the selector may change.
    validateUpdate: validate,
    bumpsGeneration: (rc, old) => appsSpecChanged(rc, old),
    // core/v1's field label (pkg/apis/core/v1/conversion.go): `--field-selector status.replicas=0`.
    selectableFields: (rc) => ({ 'status.replicas': String(rc.status?.replicas ?? 0) }),
    // DefaultGarbageCollectionPolicy: v1 keeps its pods on a DELETE that names no policy, as before
    // the garbage collector existed (kubectl names one: Background).
    defaultGarbageCollectionPolicy: 'Orphan',
  };
}

export const replicationControllerStatusStrategy: SubresourceStrategy<ReplicationController> = {
  // As the apps status strategies: the controller-manager writes the whole object back.
  updatesAnnotations: true,
  prepareForUpdate(rc, old) {
    rc.spec = old.spec;
    rc.status ??= emptyReplicationControllerStatus();
    rc.status.replicas ??= 0;
    // v1's ReplicationControllerStatus has no terminatingReplicas: it would not decode.
    delete (rc.status as unknown as Record<string, unknown>).terminatingReplicas;
  },
  // ValidateReplicationControllerStatus asks what ValidateReplicaSetStatus asks, field for field.
  validateUpdate: (rc) => validateReplicaSetStatus(rc.status),
};
