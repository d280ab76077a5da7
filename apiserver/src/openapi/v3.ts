// OpenAPI v3: the discovery root (/openapi/v3) and one document per group/version. kubectl's
// `--validate=strict` (the default) asks whether the server validates fields itself: it looks for a
// PATCH operation tagged with the kind's x-kubernetes-group-version-kind that takes the
// `fieldValidation` query parameter (cli-runtime query_param_verifier_v3.go). Patch operations do
// not offer strategic-merge-patch, so `kubectl apply` computes such patches from its built-in types
// instead of these loose schemas.
import { createHash } from 'node:crypto';
import { type APICatalog, DEFAULT_CATALOG, type ResourceDef } from '../registry/catalog.js';
import { listSchema, objectSchema, schemaName } from './schemas.js';

export interface OpenAPIV3Root {
  paths: Record<string, { serverRelativeURL: string }>;
}

type Json = Record<string, unknown>;

const query = (name: string, description: string, type = 'string'): Json => ({
  name,
  in: 'query',
  description,
  schema: { type, uniqueItems: true },
});

const DRY_RUN = query('dryRun', 'When present, indicates that modifications should not be persisted.');
const FIELD_MANAGER = query(
  'fieldManager',
  'fieldManager is a name associated with the actor or entity that is making these changes.',
);
const FIELD_VALIDATION = query(
  'fieldValidation',
  'fieldValidation instructs the server on how to handle objects in the request containing unknown or duplicate fields. Valid values are: Ignore, Warn, Strict.',
);
const FORCE = query('force', 'Force is going to "force" Apply requests.', 'boolean');
const PRETTY = query('pretty', "If 'true', then the output is pretty printed.");

const pathParam = (name: string): Json => ({
  name,
  in: 'path',
  required: true,
  schema: { type: 'string', uniqueItems: true },
});

/** `api/v1` or `apis/<group>/<version>`: the key of the root document and the URL prefix. */
export function gvPath(group: string, version: string): string {
  return group ? `apis/${group}/${version}` : `api/${version}`;
}

function ref(def: ResourceDef, list = false): Json {
  return { $ref: `#/components/schemas/${schemaName(def)}${list ? 'List' : ''}` };
}

function body(def: ResourceDef, types: readonly string[]): Json {
  return { content: Object.fromEntries(types.map((t) => [t, { schema: ref(def) }])), required: true };
}

function responses(def: ResourceDef, codes: readonly string[], list = false): Json {
  const content = { 'application/json': { schema: ref(def, list) } };
  return Object.fromEntries(codes.map((c) => [c, { description: c === '201' ? 'Created' : 'OK', content }]));
}

function op(def: ResourceDef, action: string, id: string, extra: Json): Json {
  return {
    tags: [def.group ? `${def.group.split('.')[0]}_${def.version}` : `core_${def.version}`],
    operationId: id,
    'x-kubernetes-action': action,
    'x-kubernetes-group-version-kind': { group: def.group, version: def.version, kind: def.kind },
    ...extra,
  };
}

function resourcePaths(def: ResourceDef): Record<string, Json> {
  const prefix = `/${gvPath(def.group, def.version)}`;
  const collection = def.namespaced ? `${prefix}/namespaces/{namespace}/${def.resource}` : `${prefix}/${def.resource}`;
  const nsParams = def.namespaced ? [pathParam('namespace')] : [];
  const id = (verb: string) => `${verb}${def.namespaced ? 'Namespaced' : ''}${def.kind}`;
  const has = (v: string) => def.verbs.includes(v);
  const out: Record<string, Json> = {};
  const coll: Json = { parameters: [...nsParams, PRETTY] };
  if (has('list')) coll.get = op(def, 'list', id('list'), { responses: responses(def, ['200'], true) });
  if (has('create')) {
    coll.post = op(def, 'post', id('create'), {
      parameters: [DRY_RUN, FIELD_MANAGER, FIELD_VALIDATION],
      requestBody: body(def, ['*/*']),
      responses: responses(def, ['200', '201']),
    });
  }
  out[collection] = coll;
  if (has('get') || has('patch')) {
    const item: Json = { parameters: [pathParam('name'), ...nsParams, PRETTY] };
    if (has('get')) item.get = op(def, 'get', id('read'), { responses: responses(def, ['200']) });
    if (has('update')) {
      item.put = op(def, 'put', id('replace'), {
        parameters: [DRY_RUN, FIELD_MANAGER, FIELD_VALIDATION],
        requestBody: body(def, ['*/*']),
        responses: responses(def, ['200', '201']),
      });
    }
    if (has('patch')) {
      item.patch = op(def, 'patch', id('patch'), {
        parameters: [DRY_RUN, FIELD_MANAGER, FIELD_VALIDATION, FORCE],
        requestBody: {
          content: Object.fromEntries(
            ['application/json-patch+json', 'application/merge-patch+json', 'application/apply-patch+yaml'].map((t) => [
              t,
              { schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
            ]),
          ),
          required: true,
        },
        responses: responses(def, ['200', '201']),
      });
    }
    if (has('delete')) item.delete = op(def, 'delete', id('delete'), { responses: responses(def, ['200']) });
    out[`${collection}/{name}`] = item;
  }
  return out;
}

/** The OpenAPI 3.0 document of one group/version; undefined when not served. */
export function groupVersionDocument(
  group: string,
  version: string,
  catalog: APICatalog = DEFAULT_CATALOG,
): Json | undefined {
  const defs = catalog.resourcesOf(group, version);
  if (defs.length === 0) return undefined;
  const schemas: Json = {};
  const paths: Json = {};
  for (const d of defs) {
    schemas[schemaName(d)] = objectSchema(d);
    if (d.verbs.includes('list')) schemas[`${schemaName(d)}List`] = listSchema(d);
    Object.assign(paths, resourcePaths(d));
  }
  return {
    openapi: '3.0.0',
    info: { title: 'Kubernetes', version: 'v1.33.0-mkube' },
    paths,
    components: { schemas },
  };
}

/** A stable content hash, as the `?hash=` of serverRelativeURL (clients cache by URL). */
function documentHash(doc: Json): string {
  return createHash('sha512').update(JSON.stringify(doc)).digest('hex').toUpperCase();
}

export function openAPIV3Root(catalog: APICatalog = DEFAULT_CATALOG): OpenAPIV3Root {
  const paths: OpenAPIV3Root['paths'] = {};
  for (const { group, version } of catalog.groupVersions()) {
    const p = gvPath(group, version);
    const d = groupVersionDocument(group, version, catalog)!;
    paths[p] = { serverRelativeURL: `/openapi/v3/${p}?hash=${documentHash(d)}` };
  }
  return { paths };
}
