// PATCH with `application/apply-patch+yaml`: server-side apply (k8s.io/apiserver handlers/patch.go
// applyPatcher). The body is the applier's whole intent for the fields it manages; the object is
// created when it does not exist yet.
import { type KubeObject, metaTime } from '@mkube/shared/api';
import { fieldErrors, newBadRequest, newInternalError, newInvalid, StatusError } from '@mkube/shared/apierrors';
import { apply, applySchemaFor } from '../fieldmanager/index.js';
import { checkFieldTypes, unknownFields } from '../protobuf/index.js';
import { parseJsonOrYaml } from './body.js';
import type { VerbRequest, VerbResult } from './handlers.js';
import { checkFieldValidation, fieldManagerErrors, fieldValidationWarnings, isDryRun } from './options.js';

const PATCH_OPTIONS = { group: 'meta.k8s.io', kind: 'PatchOptions' };

/** ValidatePatchOptions: an apply names its manager; `force` belongs to applies only. */
export function validatePatchOptions(query: URLSearchParams, isApply: boolean): void {
  const errs = [];
  const manager = query.get('fieldManager') ?? '';
  const force = query.get('force');
  if (!isApply && force !== null) errs.push(fieldErrors.forbidden('force', 'may not be specified for non-apply patch'));
  if (isApply && !manager) errs.push(fieldErrors.required('fieldManager', 'is required for apply patch'));
  errs.push(...fieldManagerErrors(manager));
  if (force !== null && force !== 'true' && force !== 'false')
    errs.push(fieldErrors.invalid('force', force, 'must be true or false'));
  if (errs.length) throw newInvalid(PATCH_OPTIONS, '', errs);
}

export async function applyObject(r: VerbRequest): Promise<VerbResult> {
  validatePatchOptions(r.query, true);
  const def = r.registry.def;
  const groupVersion = def.group ? `${def.group}/${def.version}` : def.version;
  const config = parseJsonOrYaml(r.body, 'application/yaml');
  if (config === null || typeof config !== 'object' || Array.isArray(config)) {
    throw newBadRequest('error decoding YAML: the applied configuration must be an object');
  }
  const cfg = config as KubeObject;
  if (cfg.apiVersion !== groupVersion) {
    throw newBadRequest(
      `Incorrect version specified in apply patch. Specified patch version: ${cfg.apiVersion ?? ''}, expected: ${groupVersion}`,
    );
  }
  if (cfg.kind !== def.kind) {
    throw newBadRequest(
      `Incorrect kind specified in apply patch. Specified patch kind: ${cfg.kind ?? ''}, expected: ${def.kind}`,
    );
  }
  checkFieldTypes(cfg, groupVersion, def.kind);
  // Unknown fields follow fieldValidation, as in a create or update body.
  const warnings = fieldValidationWarnings(
    checkFieldValidation(r.query),
    unknownFields(cfg, groupVersion, def.kind),
    groupVersion,
    def.kind,
  );
  const meta = cfg.metadata ?? {};
  if (meta.managedFields !== undefined && meta.managedFields !== null) {
    throw newBadRequest('metadata.managedFields must be nil');
  }
  if (meta.name !== undefined && meta.name !== r.name) {
    throw newBadRequest(`the name of the object (${meta.name}) does not match the name on the URL (${r.name})`);
  }
  if (def.namespaced && meta.namespace && meta.namespace !== r.namespace) {
    throw newBadRequest('the namespace of the provided object does not match the namespace sent on the request');
  }
  const req = {
    manager: r.query.get('fieldManager')!,
    force: r.query.get('force') === 'true',
    apiVersion: groupVersion,
    subresource: r.subresource,
    now: metaTime(r.ctx.now),
    schema: applySchemaFor({ group: def.group, version: def.version, kind: def.kind }),
    statusIsSubresource: def.subresources.some((s) => s.name === 'status'),
  };
  const dryRun = isDryRun(r.query);
  try {
    const updated = await r.registry.guaranteedUpdate(
      r.namespace,
      r.name,
      r.subresource,
      r.ctx,
      { dryRun, applied: true },
      meta.resourceVersion,
      (current) => apply(current, cfg, req),
    );
    return { code: 200, object: updated, warnings };
  } catch (e) {
    if (!(e instanceof StatusError) || e.reason !== 'NotFound' || r.subresource) throw e;
  }
  // Nothing there yet: the apply creates it, every field its applier's, if the requester may create;
  // without an authorizer it fails closed, as upstream's withAuthorization does.
  if (!r.authorizeCreate)
    throw newInternalError(new Error('no authorizer provided, unable to authorize a create on update'));
  await r.authorizeCreate();
  const created = apply(undefined, { ...cfg, metadata: { ...meta, name: r.name } }, req);
  const object = await r.registry.create(r.namespace, created, r.ctx, {
    dryRun,
    managedFields: created.metadata?.managedFields,
  });
  return { code: 201, object, warnings };
}
