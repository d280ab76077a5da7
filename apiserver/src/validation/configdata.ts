// Secret and ConfigMap validation (k/k pkg/apis/core/validation): data keys must be valid config
// keys (they become file names), 1 MiB in total, and `immutable` objects keep their data.
import type { ConfigMap, Secret } from '@mkube/shared/api';
import { type FieldError, fieldErrors } from '@mkube/shared/apierrors';
import { isConfigMapKey } from '@mkube/shared/selectors';
import { nameIsDNSSubdomain } from './names.js';
import { deepEqual, validateImmutableField, validateObjectMeta, validateObjectMetaUpdate } from './objectmeta.js';

/** core.MaxSecretSize, which also bounds ConfigMaps. */
export const MAX_SECRET_SIZE = 1024 * 1024;
const REDACTED = '<secret contents redacted>';
const IMMUTABLE_WHEN_SET = 'field is immutable when `immutable` is set';

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Decoded size of a standard-base64 value, or the offset of the first bad byte as Go reports it. */
function base64Size(v: string): { size: number } | { badByte: number } {
  const s = v.replace(/[\r\n]/g, '');
  if (BASE64.test(s)) return { size: Buffer.from(s, 'base64').length };
  const bad = s.search(/[^A-Za-z0-9+/=]/);
  return { badByte: bad >= 0 ? bad : Math.floor(s.length / 4) * 4 };
}

const sorted = (m: Readonly<Record<string, string>> | undefined): [string, string][] =>
  Object.entries(m ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

function keyErrors(prefix: string, key: string): FieldError[] {
  return isConfigMapKey(key).map((m) => fieldErrors.invalid(`${prefix}[${key}]`, key, m));
}

/** Secret type-specific required keys (service-account token, docker config, basic-auth, ssh, tls). */
function secretTypeErrors(secret: Secret): FieldError[] {
  const data = secret.data ?? {};
  const has = (k: string) => Object.hasOwn(data, k);
  const required = (k: string) => fieldErrors.required(`data[${k}]`);
  switch (secret.type) {
    case 'kubernetes.io/service-account-token':
      return secret.metadata.annotations?.['kubernetes.io/service-account.name']
        ? []
        : [fieldErrors.required('metadata.annotations[kubernetes.io/service-account.name]')];
    case 'kubernetes.io/dockercfg':
      return has('.dockercfg') ? jsonErrors(data['.dockercfg']!, '.dockercfg') : [required('.dockercfg')];
    case 'kubernetes.io/dockerconfigjson':
      return has('.dockerconfigjson')
        ? jsonErrors(data['.dockerconfigjson']!, '.dockerconfigjson')
        : [required('.dockerconfigjson')];
    case 'kubernetes.io/basic-auth':
      return has('username') || has('password') ? [] : [required('username'), required('password')];
    case 'kubernetes.io/ssh-auth':
      return data['ssh-privatekey'] ? [] : [required('ssh-privatekey')];
    case 'kubernetes.io/tls':
      return [...(has('tls.crt') ? [] : [required('tls.crt')]), ...(has('tls.key') ? [] : [required('tls.key')])];
    default:
      return [];
  }
}

function jsonErrors(b64: string, key: string): FieldError[] {
  try {
    const v: unknown = JSON.parse(Buffer.from(b64, 'base64').toString('utf8'));
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) return [];
    throw new Error('json: cannot unmarshal into Go value of type map[string]interface {}');
  } catch (e) {
    return [fieldErrors.invalid(`data[${key}]`, REDACTED, (e as Error).message)];
  }
}

/** Expects stringData to have been folded into data already (the strategy does that). */
export function validateSecret(secret: Secret): FieldError[] {
  const errs = validateObjectMeta(secret.metadata, { namespaced: true, nameValidator: nameIsDNSSubdomain });
  let total = 0;
  for (const [key, value] of sorted(secret.data)) {
    errs.push(...keyErrors('data', key));
    const r = base64Size(value);
    if ('badByte' in r)
      errs.push(fieldErrors.invalid(`data[${key}]`, REDACTED, `illegal base64 data at input byte ${r.badByte}`));
    else total += r.size;
  }
  if (total > MAX_SECRET_SIZE) errs.push(fieldErrors.tooLong('data', MAX_SECRET_SIZE));
  errs.push(...secretTypeErrors(secret));
  return errs;
}

export function validateSecretUpdate(newSecret: Secret, oldSecret: Secret): FieldError[] {
  const errs = validateObjectMetaUpdate(newSecret.metadata, oldSecret.metadata);
  errs.push(...validateImmutableField(newSecret.type ?? '', oldSecret.type ?? '', 'type'));
  if (oldSecret.immutable) {
    if (!newSecret.immutable) errs.push(fieldErrors.forbidden('immutable', IMMUTABLE_WHEN_SET));
    if (!deepEqual(newSecret.data ?? {}, oldSecret.data ?? {}))
      errs.push(fieldErrors.forbidden('data', IMMUTABLE_WHEN_SET));
  }
  errs.push(...validateSecret(newSecret));
  return errs;
}

export function validateConfigMap(cm: ConfigMap): FieldError[] {
  const errs = validateObjectMeta(cm.metadata, { namespaced: true, nameValidator: nameIsDNSSubdomain });
  let total = 0;
  for (const [key, value] of sorted(cm.data)) {
    errs.push(...keyErrors('data', key));
    if (cm.binaryData && Object.hasOwn(cm.binaryData, key)) {
      errs.push(fieldErrors.invalid(`data[${key}]`, key, 'duplicate of key present in binaryData'));
    }
    total += Buffer.byteLength(value, 'utf8');
  }
  for (const [key, value] of sorted(cm.binaryData)) {
    errs.push(...keyErrors('binaryData', key));
    const r = base64Size(value);
    if ('badByte' in r)
      errs.push(fieldErrors.invalid(`binaryData[${key}]`, '', `illegal base64 data at input byte ${r.badByte}`));
    else total += r.size;
  }
  // The empty path stands for the whole object, as Kubernetes reports it.
  if (total > MAX_SECRET_SIZE) errs.push(fieldErrors.tooLong('', MAX_SECRET_SIZE));
  return errs;
}

export function validateConfigMapUpdate(newCm: ConfigMap, oldCm: ConfigMap): FieldError[] {
  const errs = validateObjectMetaUpdate(newCm.metadata, oldCm.metadata);
  if (oldCm.immutable) {
    if (!newCm.immutable) errs.push(fieldErrors.forbidden('immutable', IMMUTABLE_WHEN_SET));
    if (!deepEqual(newCm.data ?? {}, oldCm.data ?? {})) errs.push(fieldErrors.forbidden('data', IMMUTABLE_WHEN_SET));
    if (!deepEqual(newCm.binaryData ?? {}, oldCm.binaryData ?? {})) {
      errs.push(fieldErrors.forbidden('binaryData', IMMUTABLE_WHEN_SET));
    }
  }
  errs.push(...validateConfigMap(newCm));
  return errs;
}
