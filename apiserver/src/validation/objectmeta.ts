// ObjectMeta validation as apimachinery api/validation/objectmeta.go does it, returning field
// errors with Kubernetes' paths (`metadata.name`, `metadata.labels`…) and messages.
import {
  FINALIZER_DELETE_DEPENDENTS,
  FINALIZER_ORPHAN_DEPENDENTS,
  type ObjectMeta,
  type OwnerReference,
} from '@mkube/shared/api';
import { type FieldError, fieldErrors } from '@mkube/shared/apierrors';
import { isQualifiedName, isValidLabelValue } from '@mkube/shared/selectors';
import { type NameValidator, validateNamespaceName } from './names.js';

export const FIELD_IMMUTABLE_ERROR_MSG = 'field is immutable';
export const IS_NEGATIVE_ERROR_MSG = 'must be greater than or equal to 0';
/** 256 KiB over all annotation keys and values. */
export const TOTAL_ANNOTATION_SIZE_LIMIT_B = 256 * 1024;

/** Finalizer names core Kubernetes may use without a domain. */
const STANDARD_FINALIZERS = new Set(['kubernetes', FINALIZER_ORPHAN_DEPENDENTS, FINALIZER_DELETE_DEPENDENTS]);

const bytes = (s: string): number => Buffer.byteLength(s, 'utf8');
const sortedKeys = (m: Readonly<Record<string, string>> | undefined): string[] => Object.keys(m ?? {}).sort();

export function validateNonnegativeField(value: number | undefined, path: string): FieldError[] {
  return value !== undefined && value < 0 ? [fieldErrors.invalid(path, value, IS_NEGATIVE_ERROR_MSG)] : [];
}

export function validateImmutableField(newVal: unknown, oldVal: unknown, path: string): FieldError[] {
  return deepEqual(newVal, oldVal) ? [] : [fieldErrors.invalid(path, newVal, FIELD_IMMUTABLE_ERROR_MSG)];
}

/** Semantic equality of JSON values; absent and empty-string/empty-collection are not distinguished, as Go's zero values. */
export function deepEqual(a: unknown, b: unknown): boolean {
  const norm = (v: unknown): unknown => (v === '' || v === null ? undefined : v);
  a = norm(a);
  b = norm(b);
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === undefined || b === undefined) return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  }
  const ka = Object.keys(a as object);
  const kb = Object.keys(b as object);
  const keys = new Set([...ka, ...kb]);
  return [...keys].every((k) => deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

export function validateLabelName(key: string, path: string): FieldError[] {
  return isQualifiedName(key).map((m) => fieldErrors.invalid(path, key, m));
}

export function validateLabels(labels: Readonly<Record<string, string>> | undefined, path: string): FieldError[] {
  const errs: FieldError[] = [];
  for (const k of sortedKeys(labels)) {
    errs.push(...validateLabelName(k, path));
    for (const m of isValidLabelValue(labels![k]!)) errs.push(fieldErrors.invalid(path, labels![k], m));
  }
  return errs;
}

export function validateAnnotations(
  annotations: Readonly<Record<string, string>> | undefined,
  path: string,
): FieldError[] {
  const errs: FieldError[] = [];
  let total = 0;
  for (const k of sortedKeys(annotations)) {
    // Annotation keys are qualified names, but case does not matter.
    for (const m of isQualifiedName(k.toLowerCase())) errs.push(fieldErrors.invalid(path, k, m));
    total += bytes(k) + bytes(annotations![k]!);
  }
  if (total > TOTAL_ANNOTATION_SIZE_LIMIT_B) errs.push(fieldErrors.tooLong(path, TOTAL_ANNOTATION_SIZE_LIMIT_B));
  return errs;
}

function validateOwnerReference(ref: OwnerReference, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const apiVersion = ref.apiVersion ?? '';
  const version = apiVersion.includes('/') ? apiVersion.slice(apiVersion.indexOf('/') + 1) : apiVersion;
  const group = apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '';
  if (!version) errs.push(fieldErrors.invalid(`${path}.apiVersion`, apiVersion, 'version must not be empty'));
  if (!ref.kind) errs.push(fieldErrors.invalid(`${path}.kind`, ref.kind ?? '', 'kind must not be empty'));
  if (!ref.name) errs.push(fieldErrors.invalid(`${path}.name`, ref.name ?? '', 'name must not be empty'));
  if (!ref.uid) errs.push(fieldErrors.invalid(`${path}.uid`, ref.uid ?? '', 'uid must not be empty'));
  if (group === '' && version === 'v1' && ref.kind === 'Event') {
    errs.push(fieldErrors.invalid(path, ref, '/v1, Kind=Event is disallowed from being an owner'));
  }
  return errs;
}

export function validateOwnerReferences(refs: readonly OwnerReference[] | undefined, path: string): FieldError[] {
  const errs: FieldError[] = [];
  let controller = '';
  for (const ref of refs ?? []) {
    errs.push(...validateOwnerReference(ref, path));
    if (ref.controller) {
      const cur = `${ref.kind}/${ref.name}`;
      if (controller) {
        errs.push(
          fieldErrors.invalid(
            path,
            refs,
            `Only one reference can have Controller set to true. Found "true" in references for ${controller} and ${cur}`,
          ),
        );
      } else {
        controller = cur;
      }
    }
  }
  return errs;
}

/** apimachinery's finalizer rules plus core's: a name without a domain must be a standard one. */
export function validateFinalizers(finalizers: readonly string[] | undefined, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const list = finalizers ?? [];
  for (const f of list) errs.push(...validateFinalizerName(f, path));
  if (list.includes(FINALIZER_ORPHAN_DEPENDENTS) && list.includes(FINALIZER_DELETE_DEPENDENTS)) {
    errs.push(
      fieldErrors.invalid(
        path,
        list,
        `finalizer ${FINALIZER_ORPHAN_DEPENDENTS} and ${FINALIZER_DELETE_DEPENDENTS} cannot be both set`,
      ),
    );
  }
  return errs;
}

export function validateFinalizerName(name: string, path: string): FieldError[] {
  return [
    ...isQualifiedName(name).map((m) => fieldErrors.invalid(path, name, m)),
    ...validateKubeFinalizerName(name, path),
  ];
}

function validateKubeFinalizerName(name: string, path: string): FieldError[] {
  if (name.includes('/') || STANDARD_FINALIZERS.has(name)) return [];
  return [fieldErrors.invalid(path, name, 'name is neither a standard finalizer name nor is it fully qualified')];
}

function validateManagedFields(entries: ObjectMeta['managedFields'], path: string): FieldError[] {
  const errs: FieldError[] = [];
  (entries ?? []).forEach((e, i) => {
    const p = `${path}[${i}]`;
    if (e.operation !== 'Apply' && e.operation !== 'Update') {
      errs.push(fieldErrors.invalid(`${p}.operation`, e.operation ?? '', 'must be `Apply` or `Update`'));
    }
    if (e.fieldsType && e.fieldsType !== 'FieldsV1') {
      errs.push(fieldErrors.invalid(`${p}.fieldsType`, e.fieldsType, 'must be `FieldsV1`'));
    }
  });
  return errs;
}

export interface ObjectMetaOptions {
  /** Namespaced kinds need a namespace; cluster-scoped kinds must not have one. */
  readonly namespaced: boolean;
  readonly nameValidator: NameValidator;
  /** Path prefix of the metadata, `metadata` unless validating an embedded object. */
  readonly path?: string;
}

/** ValidateObjectMeta for create; expects generateName to have been turned into a name already. */
export function validateObjectMeta(meta: ObjectMeta | undefined, opts: ObjectMetaOptions): FieldError[] {
  const m = meta ?? {};
  const p = opts.path ?? 'metadata';
  const errs: FieldError[] = [];
  if (m.generateName) {
    for (const msg of opts.nameValidator(m.generateName, true)) {
      errs.push(fieldErrors.invalid(`${p}.generateName`, m.generateName, msg));
    }
  }
  if (!m.name) errs.push(fieldErrors.required(`${p}.name`, 'name or generateName is required'));
  else for (const msg of opts.nameValidator(m.name, false)) errs.push(fieldErrors.invalid(`${p}.name`, m.name, msg));
  if (opts.namespaced) {
    if (!m.namespace) errs.push(fieldErrors.required(`${p}.namespace`));
    else {
      for (const msg of validateNamespaceName(m.namespace, false)) {
        errs.push(fieldErrors.invalid(`${p}.namespace`, m.namespace, msg));
      }
    }
  } else if (m.namespace) {
    errs.push(fieldErrors.forbidden(`${p}.namespace`, 'not allowed on this type'));
  }
  errs.push(...validateNonnegativeField(m.generation, `${p}.generation`));
  errs.push(...validateLabels(m.labels, `${p}.labels`));
  errs.push(...validateAnnotations(m.annotations, `${p}.annotations`));
  errs.push(...validateOwnerReferences(m.ownerReferences, `${p}.ownerReferences`));
  errs.push(...validateFinalizers(m.finalizers, `${p}.finalizers`));
  errs.push(...validateManagedFields(m.managedFields, `${p}.managedFields`));
  return errs;
}

/** ValidateObjectMetaUpdate: identity and lifecycle fields are immutable; labels etc. revalidated. */
export function validateObjectMetaUpdate(
  newMeta: ObjectMeta | undefined,
  oldMeta: ObjectMeta | undefined,
  path = 'metadata',
): FieldError[] {
  const n = newMeta ?? {};
  const o = oldMeta ?? {};
  const errs: FieldError[] = [];
  if (o.deletionTimestamp) {
    const old = new Set(o.finalizers ?? []);
    const extra = [...new Set(n.finalizers ?? [])].filter((f) => !old.has(f)).sort();
    if (extra.length) {
      errs.push(
        fieldErrors.forbidden(
          `${path}.finalizers`,
          `no new finalizers can be added if the object is being deleted, found new finalizers []string{${extra.map((f) => JSON.stringify(f)).join(', ')}}`,
        ),
      );
    }
  }
  if (!n.resourceVersion) {
    errs.push(
      fieldErrors.invalid(`${path}.resourceVersion`, n.resourceVersion ?? '', 'must be specified for an update'),
    );
  }
  if ((n.generation ?? 0) < (o.generation ?? 0)) {
    errs.push(fieldErrors.invalid(`${path}.generation`, n.generation ?? 0, 'must not be decremented'));
  }
  errs.push(...validateImmutableField(n.name ?? '', o.name ?? '', `${path}.name`));
  errs.push(...validateImmutableField(n.namespace ?? '', o.namespace ?? '', `${path}.namespace`));
  errs.push(...validateImmutableField(n.uid ?? '', o.uid ?? '', `${path}.uid`));
  errs.push(
    ...validateImmutableField(n.creationTimestamp ?? '', o.creationTimestamp ?? '', `${path}.creationTimestamp`),
  );
  errs.push(...validateImmutableField(n.deletionTimestamp, o.deletionTimestamp, `${path}.deletionTimestamp`));
  errs.push(
    ...validateImmutableField(
      n.deletionGracePeriodSeconds,
      o.deletionGracePeriodSeconds,
      `${path}.deletionGracePeriodSeconds`,
    ),
  );
  errs.push(...validateLabels(n.labels, `${path}.labels`));
  errs.push(...validateAnnotations(n.annotations, `${path}.annotations`));
  errs.push(...validateOwnerReferences(n.ownerReferences, `${path}.ownerReferences`));
  errs.push(...validateManagedFields(n.managedFields, `${path}.managedFields`));
  // Core's wrapper re-checks that every finalizer is standard or domain-qualified.
  for (const f of n.finalizers ?? []) errs.push(...validateKubeFinalizerName(f, `${path}.finalizers`));
  return errs;
}
