// Request bodies: JSON (what every Kubernetes client sends) or YAML, decoded into an object of the
// endpoint's kind; anything else is a 4xx Status and changes nothing.
import type { KubeObject } from '@mkube/shared/api';
import { newBadRequest, newUnsupportedMediaType } from '@mkube/shared/apierrors';
import { parse as parseYaml } from 'yaml';
import { decodeKubernetesProtobuf, PROTOBUF_CONTENT_TYPE } from '../protobuf/index.js';
import type { ResourceDef } from '../registry/catalog.js';

export function mediaType(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0]!.trim().toLowerCase();
}

export function parseJsonOrYaml(body: Buffer | undefined, contentType: string | undefined): unknown {
  if (!body || body.length === 0) throw newBadRequest('the request body is empty');
  const type = mediaType(contentType);
  const text = body.toString('utf8');
  if (type === 'application/yaml' || type === 'application/apply-patch+yaml') {
    try {
      return parseYaml(text);
    } catch (e) {
      throw newBadRequest(`error converting YAML to JSON: ${(e as Error).message}`);
    }
  }
  if (type && !type.endsWith('json')) throw newUnsupportedMediaType(type);
  try {
    return JSON.parse(text);
  } catch (e) {
    throw newBadRequest(`the body of the request could not be decoded: json: ${(e as Error).message}`);
  }
}

function expectedApiVersion(def: ResourceDef): string {
  return def.group ? `${def.group}/${def.version}` : def.version;
}

/** Decodes a body that must be an object of the endpoint's kind (or of `kind` for subresources such as TokenRequest). */
export function decodeObjectBody(
  body: Buffer | undefined,
  contentType: string | undefined,
  def: ResourceDef,
  kind = def.kind,
  apiVersion = expectedApiVersion(def),
): KubeObject {
  // kubectl 1.32+ typed clients send built-in kinds as protobuf.
  const value =
    mediaType(contentType) === PROTOBUF_CONTENT_TYPE && body
      ? decodeKubernetesProtobuf(body, { apiVersion, kind })
      : parseJsonOrYaml(body, contentType);
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw newBadRequest(`the body of the request must be a ${kind} object`);
  }
  const obj = value as KubeObject;
  if (obj.apiVersion && obj.apiVersion !== apiVersion) {
    throw newBadRequest(
      `the API version in the data (${obj.apiVersion}) does not match the expected API version (${apiVersion})`,
    );
  }
  if (obj.kind && obj.kind !== kind) {
    throw newBadRequest(`the kind in the data (${obj.kind}) does not match the expected kind (${kind})`);
  }
  if (
    obj.metadata !== undefined &&
    (obj.metadata === null || typeof obj.metadata !== 'object' || Array.isArray(obj.metadata))
  ) {
    throw newBadRequest('metadata must be an object');
  }
  obj.metadata ??= {};
  return obj;
}
