// The verbs of a resource endpoint. Each handler takes the parsed request and answers with data;
// index.ts turns that into HTTP.
import type { DeleteOptions, KubeObject, List } from '@mkube/shared/api';
import {
  type FieldError,
  fieldErrors,
  newBadRequest,
  newInvalid,
  newUnsupportedMediaType,
} from '@mkube/shared/apierrors';
import { applyPatch, type PatchType } from '../patch/index.js';
import { checkFieldTypes, decodeKubernetesProtobuf, PROTOBUF_CONTENT_TYPE, unknownFields } from '../protobuf/index.js';
import { parseFilter } from '../registry/filter.js';
import type { GenericRegistry } from '../registry/generic.js';
import type { StrategyContext } from '../registry/strategy.js';
import { applyObject, validatePatchOptions } from './apply.js';
import { decodeObjectBody, mediaType, parseJsonOrYaml } from './body.js';
import { checkFieldManager, checkFieldValidation, fieldValidationWarnings, intParam, isDryRun } from './options.js';

export interface VerbRequest {
  readonly registry: GenericRegistry;
  readonly namespace: string;
  readonly name: string;
  readonly subresource: string;
  readonly query: URLSearchParams;
  readonly body: Buffer | undefined;
  readonly contentType: string | undefined;
  readonly ctx: StrategyContext;
  /** Throws unless the requester may also `create` the object (a create through apply). */
  readonly authorizeCreate?: () => Promise<void>;
}

export interface VerbResult {
  readonly code: number;
  readonly object: unknown;
  /** `Warning` header values (RFC 7234 form, as kube-apiserver sends them). */
  readonly warnings?: readonly string[];
}

const PATCH_TYPES: Record<string, PatchType> = {
  'application/json-patch+json': 'json',
  'application/merge-patch+json': 'merge',
  'application/strategic-merge-patch+json': 'strategic',
};

export async function getObject(r: VerbRequest): Promise<KubeObject> {
  return r.registry.get(r.namespace, r.name);
}

export async function listObjects(r: VerbRequest): Promise<List<KubeObject>> {
  const filter = parseFilter(r.registry.def.resource, r.query.get('labelSelector'), r.query.get('fieldSelector'));
  const rvMatch = r.query.get('resourceVersionMatch');
  const rv = r.query.get('resourceVersion') ?? '';
  let exactRevision: number | undefined;
  if (rvMatch === 'Exact') {
    if (!/^\d+$/.test(rv) || rv === '0')
      throw newBadRequest('resourceVersionMatch=Exact requires a resourceVersion greater than 0');
    exactRevision = Number(rv);
  } else if (rvMatch && rvMatch !== 'NotOlderThan') {
    throw newBadRequest(`resourceVersionMatch: Unsupported value: ${JSON.stringify(rvMatch)}`);
  }
  const res = await r.registry.list({
    namespace: r.namespace,
    filter,
    limit: intParam(r.query, 'limit'),
    continueToken: r.query.get('continue') || undefined,
    exactRevision,
  });
  const def = r.registry.def;
  return {
    kind: def.listKind,
    apiVersion: def.group ? `${def.group}/${def.version}` : def.version,
    metadata: {
      resourceVersion: String(res.revision),
      ...(res.continueToken ? { continue: res.continueToken } : {}),
      ...(res.remainingItemCount !== undefined ? { remainingItemCount: res.remainingItemCount } : {}),
    },
    items: res.items,
  };
}

/** Decodes a create/update body and applies `fieldValidation` to its unknown fields. */
function decodeChecked(r: VerbRequest): { obj: KubeObject; warnings: string[] } {
  const mode = checkFieldValidation(r.query);
  const obj = decodeObjectBody(r.body, r.contentType, r.registry.def);
  const def = r.registry.def;
  const apiVersion = def.group ? `${def.group}/${def.version}` : def.version;
  checkFieldTypes(obj, apiVersion, def.kind);
  const unknown = unknownFields(obj, apiVersion, def.kind);
  return { obj, warnings: fieldValidationWarnings(mode, unknown, apiVersion, def.kind) };
}

export async function createObject(r: VerbRequest): Promise<VerbResult> {
  checkFieldManager(r.query, 'CreateOptions');
  const { obj, warnings } = decodeChecked(r);
  const created = await r.registry.create(r.namespace, obj, r.ctx, { dryRun: isDryRun(r.query) });
  return { code: 201, object: created, warnings };
}

export async function updateObject(r: VerbRequest): Promise<VerbResult> {
  checkFieldManager(r.query, 'UpdateOptions');
  const { obj, warnings } = decodeChecked(r);
  const dryRun = isDryRun(r.query);
  const updated = await r.registry.update(r.namespace, r.name, obj, r.subresource, r.ctx, { dryRun });
  return { code: 200, object: updated, warnings };
}

export async function patchObject(r: VerbRequest): Promise<VerbResult> {
  checkFieldValidation(r.query);
  const type = mediaType(r.contentType);
  if (type === 'application/apply-patch+yaml') return applyObject(r);
  validatePatchOptions(r.query, false);
  const patchType = PATCH_TYPES[type];
  if (!patchType) throw newUnsupportedMediaType(type);
  const patch = parseJsonOrYaml(r.body, 'application/json');
  const def = r.registry.def;
  const gvk = { group: def.group, version: def.version, kind: def.kind };
  // A resourceVersion inside the patch is the client's precondition (kubectl apply/edit send one).
  const patchRv =
    patch && typeof patch === 'object' && !Array.isArray(patch)
      ? (patch as { metadata?: { resourceVersion?: string } }).metadata?.resourceVersion
      : undefined;
  const updated = await r.registry.guaranteedUpdate(
    r.namespace,
    r.name,
    r.subresource,
    r.ctx,
    { dryRun: isDryRun(r.query) },
    patchRv,
    (current) => {
      const patched = applyPatch(gvk, current, patchType, patch) as KubeObject;
      checkFieldTypes(patched, def.group ? `${def.group}/${def.version}` : def.version, def.kind);
      if (patched?.metadata?.name && patched.metadata.name !== r.name) {
        throw newBadRequest(
          `the name of the object (${patched.metadata.name}) does not match the name on the URL (${r.name})`,
        );
      }
      return patched;
    },
  );
  return { code: 200, object: updated };
}

/**
 * The DeleteOptions of a DELETE: its body, else its query (`?propagationPolicy=Foreground`), as
 * DeleteResource decodes them; checked as ValidateDeleteOptions.
 */
function deleteOptions(r: VerbRequest): DeleteOptions | undefined {
  let opts: DeleteOptions | undefined;
  if (r.body && r.body.length > 0) {
    const v =
      mediaType(r.contentType) === PROTOBUF_CONTENT_TYPE
        ? decodeKubernetesProtobuf(r.body, { apiVersion: 'meta.k8s.io/v1', kind: 'DeleteOptions' })
        : parseJsonOrYaml(r.body, r.contentType);
    if (v === null || typeof v !== 'object' || Array.isArray(v))
      throw newBadRequest('the body of a delete must be a DeleteOptions object');
    opts = v as DeleteOptions;
  } else {
    const grace = intParam(r.query, 'gracePeriodSeconds', Number.MIN_SAFE_INTEGER);
    const policy = r.query.get('propagationPolicy');
    const orphan = r.query.get('orphanDependents');
    if (orphan !== null && orphan !== 'true' && orphan !== 'false')
      throw newBadRequest(`strconv.ParseBool: parsing ${JSON.stringify(orphan)}: invalid syntax`);
    if (grace !== undefined || policy !== null || orphan !== null)
      opts = {
        ...(grace !== undefined ? { gracePeriodSeconds: grace } : {}),
        ...(policy !== null ? { propagationPolicy: policy as DeleteOptions['propagationPolicy'] } : {}),
        ...(orphan !== null ? { orphanDependents: orphan === 'true' } : {}),
      };
  }
  if (opts) {
    const errs = validateDeleteOptions(opts);
    if (errs.length) throw newInvalid({ group: 'meta.k8s.io', kind: 'DeleteOptions' }, '', errs);
  }
  return opts;
}

const PROPAGATION_POLICIES = ['Foreground', 'Background', 'Orphan', 'nil'] as const;

/** ValidateDeleteOptions: one way of saying what happens to dependents, and a known one. */
export function validateDeleteOptions(opts: DeleteOptions): FieldError[] {
  const errs: FieldError[] = [];
  const policy = opts.propagationPolicy;
  const hasPolicy = policy !== undefined && policy !== null;
  if (opts.orphanDependents !== undefined && opts.orphanDependents !== null && hasPolicy)
    errs.push(
      fieldErrors.invalid('propagationPolicy', policy, 'orphanDependents and deletionPropagation cannot be both set'),
    );
  if (hasPolicy && !(PROPAGATION_POLICIES.slice(0, 3) as readonly string[]).includes(policy))
    errs.push(fieldErrors.notSupported('propagationPolicy', policy, PROPAGATION_POLICIES));
  return errs;
}

export async function deleteObject(r: VerbRequest): Promise<VerbResult> {
  const opts = deleteOptions(r);
  const dryRun = isDryRun(r.query) || (opts?.dryRun?.includes('All') ?? false);
  const deleted = await r.registry.delete(r.namespace, r.name, opts?.preconditions, { dryRun }, r.ctx, opts);
  return { code: 200, object: deleted };
}

export async function deleteCollection(r: VerbRequest): Promise<VerbResult> {
  const filter = parseFilter(r.registry.def.resource, r.query.get('labelSelector'), r.query.get('fieldSelector'));
  const opts = deleteOptions(r);
  const dryRun = isDryRun(r.query) || (opts?.dryRun?.includes('All') ?? false);
  const items = await r.registry.deleteCollection(r.namespace, filter, { dryRun }, r.ctx, opts);
  const def = r.registry.def;
  return {
    code: 200,
    object: {
      kind: def.listKind,
      apiVersion: def.group ? `${def.group}/${def.version}` : def.version,
      metadata: {},
      items,
    },
  };
}
