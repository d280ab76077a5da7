// Validation of admission webhook configurations (k/k pkg/apis/admissionregistration/validation and
// k8s.io/apiserver pkg/util/webhook ValidateWebhookURL/ValidateWebhookService): paths, messages and
// order are Kubernetes'. An update is held to the rules the stored object already met (an old
// object with side effects or unknown review versions may keep them).
import type {
  MutatingWebhook,
  MutatingWebhookConfiguration,
  RuleWithOperations,
  ValidatingWebhook,
  ValidatingWebhookConfiguration,
  WebhookClientConfig,
} from '@mkube/shared/api';
import { type FieldError, fieldErrors, goStringSlice } from '@mkube/shared/apierrors';
import { isDNS1035Label, isDNS1123Subdomain } from '@mkube/shared/selectors';
import { validateLabelSelector } from '../registry/rbac/selector.js';
import { validateMatchConditions } from './matchconditions.js';
import { nameIsDNSSubdomain } from './names.js';
import { validateObjectMeta } from './objectmeta.js';

const ACCEPTED_REVIEW_VERSIONS = ['v1', 'v1beta1'];
const FAILURE_POLICIES = ['Fail', 'Ignore'];
const MATCH_POLICIES = ['Equivalent', 'Exact'];
const ALL_SIDE_EFFECTS = ['None', 'NoneOnDryRun', 'Some', 'Unknown'];
const NO_SIDE_EFFECTS = ['None', 'NoneOnDryRun'];
const OPERATIONS = ['*', 'CONNECT', 'CREATE', 'DELETE', 'UPDATE'];
const SCOPES = ['*', 'Cluster', 'Namespaced'];
const REINVOCATION_POLICIES = ['IfNeeded', 'Never'];

interface Options {
  readonly requireNoSideEffects: boolean;
  readonly requireRecognizedAdmissionReviewVersion: boolean;
  readonly requireUniqueWebhookNames: boolean;
  readonly allowInvalidLabelValueInSelector: boolean;
}

const CREATE_OPTIONS: Options = {
  requireNoSideEffects: true,
  requireRecognizedAdmissionReviewVersion: true,
  requireUniqueWebhookNames: true,
  allowInvalidLabelValueInSelector: false,
};

/** utilvalidation.IsFullyQualifiedName. */
export function isFullyQualifiedName(path: string, name: string | undefined): FieldError[] {
  if (!name) return [fieldErrors.required(path, '')];
  const errs = isDNS1123Subdomain(name);
  if (errs.length) return [fieldErrors.invalid(path, name, errs.join(','))];
  if (name.split('.').length < 3) {
    return [fieldErrors.invalid(path, name, 'should be a domain with at least three segments separated by dots')];
  }
  return [];
}

const hasWildcard = (items: readonly string[]): boolean => items.includes('*');

function validateResources(resources: readonly string[], path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (resources.length === 0) errs.push(fieldErrors.required(path, ''));
  const withWildcardSub = new Set<string>();
  const subWithWildcardRes = new Set<string>();
  let doubleWildcard = false;
  let singleWildcard = false;
  let withoutSub = false;
  resources.forEach((resSub, i) => {
    if (resSub === '') {
      errs.push(fieldErrors.required(`${path}[${i}]`, ''));
      return;
    }
    if (resSub === '*/*') doubleWildcard = true;
    if (resSub === '*') singleWildcard = true;
    const slash = resSub.indexOf('/');
    if (slash < 0) {
      withoutSub = resSub !== '*';
      return;
    }
    const res = resSub.slice(0, slash);
    const sub = resSub.slice(slash + 1);
    if (withWildcardSub.has(res)) {
      errs.push(fieldErrors.invalid(`${path}[${i}]`, resSub, `if '${res}/*' is present, must not specify ${resSub}`));
    }
    if (subWithWildcardRes.has(sub)) {
      errs.push(fieldErrors.invalid(`${path}[${i}]`, resSub, `if '*/${sub}' is present, must not specify ${resSub}`));
    }
    if (sub === '*') withWildcardSub.add(res);
    if (res === '*') subWithWildcardRes.add(sub);
  });
  if (resources.length > 1 && doubleWildcard) {
    errs.push(
      fieldErrors.invalid(path, goStringSlice(resources), "if '*/*' is present, must not specify other resources"),
    );
  }
  if (singleWildcard && withoutSub) {
    errs.push(
      fieldErrors.invalid(
        path,
        goStringSlice(resources),
        "if '*' is present, must not specify other resources without subresources",
      ),
    );
  }
  return errs;
}

export function validateRuleWithOperations(rule: RuleWithOperations, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const ops = rule.operations ?? [];
  if (ops.length === 0) errs.push(fieldErrors.required(`${path}.operations`, ''));
  if (ops.length > 1 && hasWildcard(ops)) {
    errs.push(
      fieldErrors.invalid(
        `${path}.operations`,
        goStringSlice(ops, 'admissionregistration.OperationType'),
        "if '*' is present, must not specify other operations",
      ),
    );
  }
  ops.forEach((op, i) => {
    if (!OPERATIONS.includes(op)) errs.push(fieldErrors.notSupported(`${path}.operations[${i}]`, op, OPERATIONS));
  });
  const groups = rule.apiGroups ?? [];
  if (groups.length === 0) errs.push(fieldErrors.required(`${path}.apiGroups`, ''));
  if (groups.length > 1 && hasWildcard(groups)) {
    errs.push(
      fieldErrors.invalid(
        `${path}.apiGroups`,
        goStringSlice(groups),
        "if '*' is present, must not specify other API groups",
      ),
    );
  }
  const versions = rule.apiVersions ?? [];
  if (versions.length === 0) errs.push(fieldErrors.required(`${path}.apiVersions`, ''));
  if (versions.length > 1 && hasWildcard(versions)) {
    errs.push(
      fieldErrors.invalid(
        `${path}.apiVersions`,
        goStringSlice(versions),
        "if '*' is present, must not specify other API versions",
      ),
    );
  }
  versions.forEach((v, i) => {
    if (v === '') errs.push(fieldErrors.required(`${path}.apiVersions[${i}]`, ''));
  });
  errs.push(...validateResources(rule.resources ?? [], `${path}.resources`));
  if (rule.scope !== undefined && rule.scope !== null && !SCOPES.includes(rule.scope)) {
    errs.push(fieldErrors.notSupported(`${path}.scope`, rule.scope, SCOPES));
  }
  return errs;
}

/** The pieces of a URL Go's net/url.Parse yields, or its error text. */
interface ParsedUrl {
  scheme: string;
  host: string;
  user?: string;
  query: string;
  fragment: string;
}

/** Enough of Go's url.Parse for ValidateWebhookURL: scheme, authority, query and fragment. */
export function parseGoUrl(raw: string): ParsedUrl | { error: string } {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: Go refuses ASCII control characters in a URL
  if (/[\x00-\x1f\x7f]/.test(raw)) {
    return { error: `parse ${JSON.stringify(raw)}: net/url: invalid control character in URL` };
  }
  let rest = raw;
  let fragment = '';
  const hash = rest.indexOf('#');
  if (hash >= 0) {
    fragment = rest.slice(hash + 1);
    rest = rest.slice(0, hash);
  }
  let scheme = '';
  const m = /^([a-zA-Z][a-zA-Z0-9+.-]*):/.exec(rest);
  if (m) {
    scheme = m[1]!.toLowerCase();
    rest = rest.slice(m[0].length);
  } else if (rest.startsWith(':')) {
    return { error: `parse ${JSON.stringify(raw)}: missing protocol scheme` };
  }
  let query = '';
  const q = rest.indexOf('?');
  if (q >= 0) {
    query = rest.slice(q + 1);
    rest = rest.slice(0, q);
  }
  if (!rest.startsWith('//')) return { scheme, host: '', query, fragment };
  const authority = rest.slice(2).split('/')[0]!;
  const at = authority.lastIndexOf('@');
  const user = at >= 0 ? authority.slice(0, at) : undefined;
  const host = at >= 0 ? authority.slice(at + 1) : authority;
  const port = /:([^:\]]*)$/.exec(host);
  if (port && !host.endsWith(']') && !/^[0-9]*$/.test(port[1]!)) {
    return { error: `parse ${JSON.stringify(raw)}: invalid port ${JSON.stringify(port[0])} after host` };
  }
  return { scheme, host, ...(user !== undefined ? { user } : {}), query, fragment };
}

/** webhook.ValidateWebhookURL with forceHttps. */
export function validateWebhookUrl(path: string, raw: string): FieldError[] {
  const form = '; desired format: https://host[/path]';
  const u = parseGoUrl(raw);
  if ('error' in u) return [fieldErrors.required(path, `url must be a valid URL: ${u.error}${form}`)];
  const errs: FieldError[] = [];
  if (u.scheme !== 'https')
    errs.push(fieldErrors.invalid(path, u.scheme, `'https' is the only allowed URL scheme${form}`));
  if (!u.host) errs.push(fieldErrors.invalid(path, u.host, `host must be provided${form}`));
  if (u.user !== undefined) {
    // url.Userinfo.String() masks nothing but the password's presence: user or user:password.
    errs.push(fieldErrors.invalid(path, u.user, 'user information is not permitted in the URL'));
  }
  if (u.fragment) errs.push(fieldErrors.invalid(path, u.fragment, 'fragments are not permitted in the URL'));
  if (u.query) errs.push(fieldErrors.invalid(path, u.query, 'query parameters are not permitted in the URL'));
  return errs;
}

/** webhook.ValidateWebhookService. */
export function validateWebhookService(
  path: string,
  svc: { namespace?: string; name?: string; path?: string; port?: number },
): FieldError[] {
  const errs: FieldError[] = [];
  if (!svc.name) errs.push(fieldErrors.required(`${path}.name`, 'service name is required'));
  if (!svc.namespace) errs.push(fieldErrors.required(`${path}.namespace`, 'service namespace is required'));
  const port = svc.port ?? 443;
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    errs.push(fieldErrors.invalid(`${path}.port`, port, 'port is not valid: must be between 1 and 65535, inclusive'));
  }
  const urlPath = svc.path;
  if (urlPath === undefined || urlPath === null || urlPath === '' || urlPath === '/') return errs;
  if (urlPath === '//') {
    errs.push(fieldErrors.invalid(`${path}.path`, urlPath, 'segment[0] may not be empty'));
    return errs;
  }
  if (!urlPath.startsWith('/')) errs.push(fieldErrors.invalid(`${path}.path`, urlPath, "must start with a '/'"));
  let check = urlPath.slice(1);
  if (check.endsWith('/')) check = check.slice(0, -1);
  check.split('/').forEach((step, i) => {
    if (step === '') {
      errs.push(fieldErrors.invalid(`${path}.path`, urlPath, `segment[${i}] may not be empty`));
      return;
    }
    for (const failure of isDNS1123Subdomain(step)) {
      errs.push(fieldErrors.invalid(`${path}.path`, urlPath, `segment[${i}]: ${failure}`));
    }
  });
  return errs;
}

function validateClientConfig(cc: WebhookClientConfig | undefined, path: string): FieldError[] {
  const hasUrl = cc?.url !== undefined && cc?.url !== null;
  const hasService = cc?.service !== undefined && cc?.service !== null;
  if (hasUrl === hasService) return [fieldErrors.required(path, 'exactly one of url or service is required')];
  if (hasUrl) return validateWebhookUrl(`${path}.url`, cc!.url!);
  return validateWebhookService(`${path}.service`, cc!.service!);
}

function validateWebhook(hook: MutatingWebhook, opts: Options, path: string, mutating: boolean): FieldError[] {
  const errs = isFullyQualifiedName(`${path}.name`, hook.name);
  (hook.rules ?? []).forEach((r, i) => {
    errs.push(...validateRuleWithOperations(r ?? {}, `${path}.rules[${i}]`));
  });
  if (hook.failurePolicy != null && !FAILURE_POLICIES.includes(hook.failurePolicy)) {
    errs.push(fieldErrors.notSupported(`${path}.failurePolicy`, hook.failurePolicy, FAILURE_POLICIES));
  }
  if (hook.matchPolicy != null && !MATCH_POLICIES.includes(hook.matchPolicy)) {
    errs.push(fieldErrors.notSupported(`${path}.matchPolicy`, hook.matchPolicy, MATCH_POLICIES));
  }
  const allowed = opts.requireNoSideEffects ? NO_SIDE_EFFECTS : ALL_SIDE_EFFECTS;
  if (hook.sideEffects == null) {
    errs.push(fieldErrors.required(`${path}.sideEffects`, `must specify one of ${allowed.join(', ')}`));
  } else if (!allowed.includes(hook.sideEffects)) {
    errs.push(fieldErrors.notSupported(`${path}.sideEffects`, hook.sideEffects, allowed));
  }
  if (hook.timeoutSeconds != null && (hook.timeoutSeconds > 30 || hook.timeoutSeconds < 1)) {
    errs.push(
      fieldErrors.invalid(
        `${path}.timeoutSeconds`,
        hook.timeoutSeconds,
        'the timeout value must be between 1 and 30 seconds',
      ),
    );
  }
  const selectorOpts = { allowInvalidLabelValueInSelector: opts.allowInvalidLabelValueInSelector };
  errs.push(...validateLabelSelector(hook.namespaceSelector, selectorOpts, `${path}.namespaceSelector`));
  errs.push(...validateLabelSelector(hook.objectSelector, selectorOpts, `${path}.objectSelector`));
  if (mutating && hook.reinvocationPolicy != null && !REINVOCATION_POLICIES.includes(hook.reinvocationPolicy)) {
    errs.push(fieldErrors.notSupported(`${path}.reinvocationPolicy`, hook.reinvocationPolicy, REINVOCATION_POLICIES));
  }
  errs.push(...validateClientConfig(hook.clientConfig, `${path}.clientConfig`));
  errs.push(...validateMatchConditions(hook.matchConditions ?? [], false, `${path}.matchConditions`));
  return errs;
}

function validateAdmissionReviewVersions(versions: readonly string[], requireRecognized: boolean, path: string) {
  const errs: FieldError[] = [];
  if (versions.length < 1) {
    errs.push(fieldErrors.required(path, `must specify one of ${ACCEPTED_REVIEW_VERSIONS.join(', ')}`));
    return errs;
  }
  const seen = new Set<string>();
  let accepted = false;
  versions.forEach((v, i) => {
    if (seen.has(v)) {
      errs.push(fieldErrors.invalid(`${path}[${i}]`, v, 'duplicate version'));
      return;
    }
    seen.add(v);
    for (const msg of isDNS1035Label(v)) errs.push(fieldErrors.invalid(`${path}[${i}]`, v, msg));
    if (ACCEPTED_REVIEW_VERSIONS.includes(v)) accepted = true;
  });
  if (requireRecognized && !accepted) {
    errs.push(
      fieldErrors.invalid(
        path,
        goStringSlice(versions),
        `must include at least one of ${ACCEPTED_REVIEW_VERSIONS.join(', ')}`,
      ),
    );
  }
  return errs;
}

function validateConfiguration(
  obj: ValidatingWebhookConfiguration | MutatingWebhookConfiguration,
  opts: Options,
  mutating: boolean,
): FieldError[] {
  const errs = validateObjectMeta(obj.metadata, { namespaced: false, nameValidator: nameIsDNSSubdomain });
  const names = new Set<string>();
  (obj.webhooks ?? []).forEach((entry, i) => {
    const hook = entry ?? ({} as ValidatingWebhook);
    const path = `webhooks[${i}]`;
    errs.push(...validateWebhook(hook as MutatingWebhook, opts, path, mutating));
    errs.push(
      ...validateAdmissionReviewVersions(
        hook.admissionReviewVersions ?? [],
        opts.requireRecognizedAdmissionReviewVersion,
        `${path}.admissionReviewVersions`,
      ),
    );
    if (opts.requireUniqueWebhookNames && hook.name) {
      if (names.has(hook.name)) errs.push(fieldErrors.duplicate(`${path}.name`, hook.name));
      else names.add(hook.name);
    }
  });
  return errs;
}

/** What the stored object already satisfied: an update need not meet more (…HasNoSideEffects etc.). */
function updateOptions(old: readonly ValidatingWebhook[]): Options {
  const names = old.map((h) => h.name);
  const invalidSelector = (s: ValidatingWebhook['namespaceSelector']) =>
    validateLabelSelector(s, { allowInvalidLabelValueInSelector: false }, '').length > 0;
  return {
    requireNoSideEffects: old.every((h) => h.sideEffects != null && NO_SIDE_EFFECTS.includes(h.sideEffects)),
    requireRecognizedAdmissionReviewVersion: old.every((h) => {
      const vs = h.admissionReviewVersions ?? [];
      return vs.length === 0 || vs.some((v) => ACCEPTED_REVIEW_VERSIONS.includes(v));
    }),
    requireUniqueWebhookNames: new Set(names).size === names.length,
    allowInvalidLabelValueInSelector: old.some(
      (h) => invalidSelector(h.namespaceSelector) || invalidSelector(h.objectSelector),
    ),
  };
}

export function validateValidatingWebhookConfiguration(obj: ValidatingWebhookConfiguration): FieldError[] {
  return validateConfiguration(obj, CREATE_OPTIONS, false);
}

export function validateValidatingWebhookConfigurationUpdate(
  obj: ValidatingWebhookConfiguration,
  old: ValidatingWebhookConfiguration,
): FieldError[] {
  return validateConfiguration(obj, updateOptions(old.webhooks ?? []), false);
}

export function validateMutatingWebhookConfiguration(obj: MutatingWebhookConfiguration): FieldError[] {
  return validateConfiguration(obj, CREATE_OPTIONS, true);
}

export function validateMutatingWebhookConfigurationUpdate(
  obj: MutatingWebhookConfiguration,
  old: MutatingWebhookConfiguration,
): FieldError[] {
  return validateConfiguration(obj, updateOptions(old.webhooks ?? []), true);
}
