// --authorization-config: apiserver.config.k8s.io AuthorizationConfiguration (v1, v1beta1, v1alpha1),
// read strictly and checked as ValidateAuthorizationConfiguration does (same field paths and
// messages), with v1's defaults (authorizedTTL 5m, unauthorizedTTL 30s, both cached). Webhook
// authorizers' kubeconfigs are read here and their matchConditions compiled, so a configuration
// that loads is ready to run.
import { statSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import { type FieldError, fieldErrors, formatFieldErrors } from '@mkube/shared/apierrors';
import { parseDuration } from '@mkube/shared/flags';
import { parse as parseYaml } from 'yaml';
import { type CompiledExpression, compileExpression } from '../../authentication/jwt/cel.js';
import type { ConfigProblem } from '../../config/errors.js';
import { readWebhookKubeconfig, type WebhookClientConfig, type WebhookVersion } from '../../config/webhook.js';

export const AUTHORIZATION_CONFIG_VERSIONS = [
  'apiserver.config.k8s.io/v1',
  'apiserver.config.k8s.io/v1beta1',
  'apiserver.config.k8s.io/v1alpha1',
] as const;

export const AUTHORIZER_TYPES = ['AlwaysAllow', 'AlwaysDeny', 'Node', 'RBAC', 'Webhook'] as const;
export type AuthorizerType = (typeof AUTHORIZER_TYPES)[number];

export interface StructuredWebhook {
  readonly client: WebhookClientConfig;
  readonly version: WebhookVersion;
  readonly timeoutMs: number;
  readonly authorizedTtlMs: number;
  readonly unauthorizedTtlMs: number;
  readonly cacheAuthorized: boolean;
  readonly cacheUnauthorized: boolean;
  readonly failurePolicy: 'NoOpinion' | 'Deny';
  /** All must be true for the webhook to be asked (over `request`, a v1 SubjectAccessReviewSpec). */
  readonly matchConditions: readonly CompiledExpression[];
}

export interface AuthorizerEntry {
  readonly type: AuthorizerType;
  readonly name: string;
  readonly webhook?: StructuredWebhook;
}

const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const MAX_MATCH_CONDITIONS = 64;

type Obj = Record<string, unknown>;

function strictObject(v: unknown, path: string, fields: readonly string[], problems: string[]): Obj | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'object' || Array.isArray(v)) {
    problems.push(`${path}: must be an object`);
    return undefined;
  }
  for (const k of Object.keys(v)) {
    if (!fields.includes(k)) problems.push(`strict decoding error: unknown field "${path ? `${path}.` : ''}${k}"`);
  }
  return v as Obj;
}

const WEBHOOK_FIELDS = [
  'timeout',
  'authorizedTTL',
  'cacheAuthorizedRequests',
  'unauthorizedTTL',
  'cacheUnauthorizedRequests',
  'subjectAccessReviewVersion',
  'matchConditionSubjectAccessReviewVersion',
  'failurePolicy',
  'connectionInfo',
  'matchConditions',
];

/**
 * Parses and validates the file's text; reads each webhook's kubeconfig. Throws an Error listing
 * every problem (the caller names the flag and file).
 */
export function parseAuthorizationConfiguration(text: string): AuthorizerEntry[] {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (e) {
    throw new Error((e as Error).message.split('\n')[0]);
  }
  const decode: string[] = [];
  const top = strictObject(doc, '', ['apiVersion', 'kind', 'authorizers'], decode);
  if (!top) throw new Error('not an AuthorizationConfiguration (an object with apiVersion and kind)');
  if (top.kind !== 'AuthorizationConfiguration') {
    throw new Error(`kind: must be AuthorizationConfiguration, not ${JSON.stringify(top.kind ?? '')}`);
  }
  if (!(AUTHORIZATION_CONFIG_VERSIONS as readonly unknown[]).includes(top.apiVersion)) {
    throw new Error(
      `no kind "AuthorizationConfiguration" is registered for version ${JSON.stringify(top.apiVersion ?? '')} (apiVersion: one of ${AUTHORIZATION_CONFIG_VERSIONS.join(', ')})`,
    );
  }
  const raw = top.authorizers ?? [];
  if (!Array.isArray(raw)) throw new Error('authorizers: must be a list');

  const errors: FieldError[] = [];
  const entries: AuthorizerEntry[] = [];
  if (raw.length === 0)
    errors.push(fieldErrors.required('authorizers', 'at least one authorization mode must be defined'));
  const seenTypes = new Set<string>();
  const seenNames = new Set<string>();
  raw.forEach((item, i) => {
    const path = `authorizers[${i}]`;
    const a = strictObject(item, path, ['type', 'name', 'webhook'], decode);
    if (!a) return;
    const type = typeof a.type === 'string' ? a.type : '';
    const name = typeof a.name === 'string' ? a.name : '';
    if (!type) {
      errors.push(fieldErrors.required(`${path}.type`));
      return;
    }
    if (!(AUTHORIZER_TYPES as readonly string[]).includes(type)) {
      errors.push(fieldErrors.notSupported(`${path}.type`, type, AUTHORIZER_TYPES));
      return;
    }
    if (seenTypes.has(type) && type !== 'Webhook') {
      errors.push(fieldErrors.duplicate(`${path}.type`, type));
      return;
    }
    seenTypes.add(type);
    if (!name) errors.push(fieldErrors.required(`${path}.name`));
    else if (seenNames.has(name)) errors.push(fieldErrors.duplicate(`${path}.name`, name));
    else if (name.length > 253 || !DNS1123_SUBDOMAIN.test(name)) {
      errors.push(
        fieldErrors.invalid(
          `${path}.name`,
          name,
          "authorizer name is invalid: a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
        ),
      );
    }
    seenNames.add(name);
    if (type !== 'Webhook') {
      if (a.webhook !== undefined && a.webhook !== null) {
        errors.push(fieldErrors.invalid(`${path}.webhook`, 'non-null', 'may only be specified when type=Webhook'));
      }
      entries.push({ type: type as AuthorizerType, name });
      return;
    }
    if (a.webhook === undefined || a.webhook === null) {
      errors.push(fieldErrors.required(`${path}.webhook`, 'required when type=Webhook'));
      return;
    }
    const w = strictObject(a.webhook, `${path}.webhook`, WEBHOOK_FIELDS, decode);
    if (!w) return;
    const webhook = structuredWebhook(w, path, errors, decode);
    if (webhook) entries.push({ type: 'Webhook', name, webhook });
  });
  if (decode.length) throw new Error(decode.join('; '));
  if (errors.length) throw new Error(`invalid authorization configuration: ${formatFieldErrors(errors)}`);
  return entries;
}

function structuredWebhook(
  w: Obj,
  path: string,
  errors: FieldError[],
  decode: string[],
): StructuredWebhook | undefined {
  const fp = `${path}.webhook`;
  const before = errors.length;
  const dur = (field: string, fallbackMs?: number): number => {
    const v = w[field];
    if (v === undefined || v === null || v === '') return fallbackMs ?? 0;
    if (typeof v !== 'string') {
      decode.push(`${fp}.${field}: must be a duration string such as "30s"`);
      return 0;
    }
    try {
      return parseDuration(v);
    } catch (e) {
      decode.push(`${fp}.${field}: ${(e as Error).message}`);
      return 0;
    }
  };
  const bool = (field: string): boolean => {
    const v = w[field];
    if (v === undefined || v === null) return true;
    if (typeof v !== 'boolean') decode.push(`${fp}.${field}: must be a boolean`);
    return v !== false;
  };
  const timeoutMs = dur('timeout');
  if (timeoutMs === 0) errors.push(fieldErrors.required(`${fp}.timeout`));
  else if (timeoutMs < 0 || timeoutMs > 30_000) {
    errors.push(fieldErrors.invalid(`${fp}.timeout`, String(w.timeout), 'must be > 0s and <= 30s'));
  }
  // v1's defaulting (SetDefaults_WebhookConfiguration) runs before validation.
  const authorizedTtlMs = dur('authorizedTTL', 300_000);
  const unauthorizedTtlMs = dur('unauthorizedTTL', 30_000);
  if (authorizedTtlMs < 0)
    errors.push(fieldErrors.invalid(`${fp}.authorizedTTL`, String(w.authorizedTTL), 'must be > 0s'));
  if (unauthorizedTtlMs < 0) {
    errors.push(fieldErrors.invalid(`${fp}.unauthorizedTTL`, String(w.unauthorizedTTL), 'must be > 0s'));
  }
  const version = w.subjectAccessReviewVersion;
  if (version === undefined || version === '') errors.push(fieldErrors.required(`${fp}.subjectAccessReviewVersion`));
  else if (version !== 'v1' && version !== 'v1beta1') {
    errors.push(fieldErrors.notSupported(`${fp}.subjectAccessReviewVersion`, version, ['v1', 'v1beta1']));
  }
  const conditions = Array.isArray(w.matchConditions) ? w.matchConditions : [];
  if (w.matchConditions !== undefined && w.matchConditions !== null && !Array.isArray(w.matchConditions)) {
    decode.push(`${fp}.matchConditions: must be a list`);
  }
  const mcVersion = w.matchConditionSubjectAccessReviewVersion;
  if (mcVersion === undefined || mcVersion === '') {
    if (conditions.length > 0) {
      errors.push(
        fieldErrors.required(
          `${fp}.matchConditionSubjectAccessReviewVersion`,
          'required if match conditions are specified',
        ),
      );
    }
  } else if (mcVersion !== 'v1') {
    errors.push(fieldErrors.notSupported(`${fp}.matchConditionSubjectAccessReviewVersion`, mcVersion, ['v1']));
  }
  const failurePolicy = w.failurePolicy;
  if (failurePolicy === undefined || failurePolicy === '') errors.push(fieldErrors.required(`${fp}.failurePolicy`));
  else if (failurePolicy !== 'NoOpinion' && failurePolicy !== 'Deny') {
    errors.push(fieldErrors.notSupported(`${fp}.failurePolicy`, failurePolicy, ['NoOpinion', 'Deny']));
  }
  const ci = strictObject(w.connectionInfo, `${fp}.connectionInfo`, ['type', 'kubeConfigFile'], decode);
  const ciType = ci?.type;
  const kubeConfigFile = typeof ci?.kubeConfigFile === 'string' ? ci.kubeConfigFile : undefined;
  let client: WebhookClientConfig | undefined;
  if (ciType === undefined || ciType === '') errors.push(fieldErrors.required(`${fp}.connectionInfo.type`));
  else if (ciType === 'InClusterConfig') {
    if (kubeConfigFile !== undefined) {
      errors.push(
        fieldErrors.invalid(
          `${fp}.connectionInfo.kubeConfigFile`,
          kubeConfigFile,
          'can only be set when type=KubeConfigFile',
        ),
      );
    } else {
      // mkube's apiserver is not a pod: there is no in-cluster service account to call with.
      errors.push(
        fieldErrors.invalid(
          `${fp}.connectionInfo.type`,
          ciType,
          'InClusterConfig is not supported by mkube (use KubeConfigFile)',
        ),
      );
    }
  } else if (ciType === 'KubeConfigFile') {
    const kp = `${fp}.connectionInfo.kubeConfigFile`;
    if (!kubeConfigFile) errors.push(fieldErrors.required(kp));
    else if (!isAbsolute(kubeConfigFile))
      errors.push(fieldErrors.invalid(kp, kubeConfigFile, 'must be an absolute path'));
    else {
      let regular = false;
      try {
        regular = statSync(kubeConfigFile).isFile();
        if (!regular) errors.push(fieldErrors.invalid(kp, kubeConfigFile, 'must be a regular file'));
      } catch (e) {
        errors.push(fieldErrors.invalid(kp, kubeConfigFile, `error loading file: ${(e as Error).message}`));
      }
      if (regular) {
        const problems: ConfigProblem[] = [];
        client = readWebhookKubeconfig('authorization-config', kubeConfigFile, problems);
        for (const p of problems) errors.push(fieldErrors.invalid(kp, kubeConfigFile, p.message));
      }
    }
  } else {
    errors.push(fieldErrors.notSupported(`${fp}.connectionInfo.type`, ciType, ['InClusterConfig', 'KubeConfigFile']));
  }
  const matchConditions: CompiledExpression[] = [];
  if (conditions.length > MAX_MATCH_CONDITIONS) {
    errors.push(fieldErrors.tooMany(`${fp}.matchConditions`, conditions.length, MAX_MATCH_CONDITIONS));
  } else {
    const seen = new Set<string>();
    conditions.forEach((c, i) => {
      const cp = `${fp}.matchConditions[${i}].expression`;
      const o = strictObject(c, `${fp}.matchConditions[${i}]`, ['expression'], decode);
      const expression = typeof o?.expression === 'string' ? o.expression : '';
      if (!expression.trim()) {
        errors.push(fieldErrors.required(cp));
        return;
      }
      if (seen.has(expression)) {
        errors.push(fieldErrors.duplicate(cp, expression));
        return;
      }
      seen.add(expression);
      try {
        const c = compileExpression('request', expression);
        if (c.type !== 'bool' && c.type !== 'dyn') {
          errors.push(fieldErrors.invalid(cp, expression, `must evaluate to bool, not ${c.type}`));
        } else matchConditions.push(c);
      } catch (e) {
        errors.push(fieldErrors.invalid(cp, expression, (e as Error).message));
      }
    });
  }
  if (errors.length > before || !client) return undefined;
  return {
    client,
    version: version as WebhookVersion,
    timeoutMs,
    authorizedTtlMs,
    unauthorizedTtlMs,
    cacheAuthorized: bool('cacheAuthorizedRequests'),
    cacheUnauthorized: bool('cacheUnauthorizedRequests'),
    failurePolicy: failurePolicy as 'NoOpinion' | 'Deny',
    matchConditions,
  };
}
