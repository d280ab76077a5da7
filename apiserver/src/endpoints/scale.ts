// GET, PUT and PATCH of `<resource>/<name>/scale`: the body is an autoscaling/v1 Scale, whatever the
// parent's kind; the registry's ScaleREST turns it into a write of the parent's spec.replicas.
import type { KubeObject, Scale } from '@mkube/shared/api';
import { newBadRequest, newMethodNotSupported, newUnsupportedMediaType } from '@mkube/shared/apierrors';
import { applyPatch, type PatchType } from '../patch/index.js';
import { checkFieldTypes, unknownFields } from '../protobuf/index.js';
import type { ScaleREST } from '../registry/apps/scale.js';
import type { ResourceDef } from '../registry/catalog.js';
import type { StrategyContext } from '../registry/strategy.js';
import { decodeObjectBody, mediaType, parseJsonOrYaml } from './body.js';
import { checkFieldManager, checkFieldValidation, fieldValidationWarnings, isDryRun } from './options.js';

const API_VERSION = 'autoscaling/v1';
const KIND = 'Scale';
const GVK = { group: 'autoscaling', version: 'v1', kind: KIND };

const PATCH_TYPES: Readonly<Record<string, PatchType>> = {
  'application/json-patch+json': 'json',
  'application/merge-patch+json': 'merge',
  'application/strategic-merge-patch+json': 'strategic',
};

export interface ScaleRequest {
  readonly scale: ScaleREST;
  readonly def: ResourceDef;
  readonly verb: string;
  readonly namespace: string;
  readonly name: string;
  readonly query: URLSearchParams;
  readonly body: Buffer | undefined;
  readonly contentType: string | undefined;
  readonly ctx: StrategyContext;
}

export interface ScaleResult {
  readonly code: number;
  readonly object: Scale;
  readonly warnings?: readonly string[];
}

function checkName(obj: KubeObject, name: string): void {
  const inName = obj.metadata?.name;
  if (inName && inName !== name)
    throw newBadRequest(`the name of the object (${inName}) does not match the name on the URL (${name})`);
}

async function put(r: ScaleRequest): Promise<ScaleResult> {
  checkFieldManager(r.query, 'UpdateOptions');
  const mode = checkFieldValidation(r.query);
  const body = decodeObjectBody(r.body, r.contentType, r.def, KIND, API_VERSION) as Scale;
  checkFieldTypes(body, API_VERSION, KIND);
  const warnings = fieldValidationWarnings(mode, unknownFields(body, API_VERSION, KIND), API_VERSION, KIND);
  checkName(body, r.name);
  if (r.def.namespaced && body.metadata.namespace && body.metadata.namespace !== r.namespace)
    throw newBadRequest('the namespace of the provided object does not match the namespace sent on the request');
  const object = await r.scale.update({
    namespace: r.namespace,
    name: r.name,
    ctx: r.ctx,
    opts: { dryRun: isDryRun(r.query) },
    next: () => ({ ...body, apiVersion: API_VERSION, kind: KIND, metadata: { ...body.metadata, name: r.name } }),
    clientPrecondition: !!body.metadata.resourceVersion,
  });
  return { code: 200, object, warnings };
}

async function patch(r: ScaleRequest): Promise<ScaleResult> {
  checkFieldValidation(r.query);
  const type = mediaType(r.contentType);
  const patchType = PATCH_TYPES[type];
  // Server-side apply of a Scale is not served: its field ownership would have to map onto the parent's.
  if (!patchType) throw newUnsupportedMediaType(type);
  const body = parseJsonOrYaml(r.body, 'application/json');
  const patchRv =
    body && typeof body === 'object' && !Array.isArray(body)
      ? (body as { metadata?: { resourceVersion?: string } }).metadata?.resourceVersion
      : undefined;
  const object = await r.scale.update({
    namespace: r.namespace,
    name: r.name,
    ctx: r.ctx,
    opts: { dryRun: isDryRun(r.query) },
    next: (current) => {
      const patched = applyPatch(GVK, current, patchType, body) as Scale;
      checkFieldTypes(patched, API_VERSION, KIND);
      checkName(patched, r.name);
      return patched;
    },
    clientPrecondition: !!patchRv,
  });
  return { code: 200, object };
}

/** Serves one /scale request. */
export async function serveScale(r: ScaleRequest): Promise<ScaleResult> {
  switch (r.verb) {
    case 'get':
      return { code: 200, object: await r.scale.get(r.namespace, r.name) };
    case 'update':
      return put(r);
    case 'patch':
      return patch(r);
    default:
      throw newMethodNotSupported(r.scale.gr, r.verb);
  }
}
