// core/v1 ResourceQuota (pkg/registry/core/resourcequota and ValidateResourceQuota): the spec says
// how much of each resource a namespace may hold, optionally for a class of pods only (scopes, or a
// scope selector); the status is the resourcequota controller's tally, written through /status.
// Each endpoint keeps the other's half.
import type {
  ResourceList,
  ResourceQuota,
  ResourceQuotaSpec,
  ResourceQuotaStatus,
  ScopeSelector,
} from '@mkube/shared/api';
import { type FieldError, fieldErrors, GoSyntax, goStringSlice } from '@mkube/shared/apierrors';
import { FIELD_IMMUTABLE_ERROR_MSG } from '../../validation/objectmeta.js';
import type { RESTStrategy, SubresourceStrategy } from '../strategy.js';
import {
  decodeResourceList,
  isStandardQuotaResourceName,
  validateResourceQuantityValue,
  validateResourceQuotaResourceName,
} from './resourcenames.js';

const KIND = 'ResourceQuota';

/**
 * The scopes kube-apiserver 1.33 accepts by default (VolumeAttributesClass waits for its feature
 * gate, which is off).
 */
const STANDARD_SCOPES = new Set([
  'Terminating',
  'NotTerminating',
  'BestEffort',
  'NotBestEffort',
  'PriorityClass',
  'CrossNamespacePodAffinity',
]);

const POD_COUNT = new Set(['pods']);
const POD_COMPUTE = new Set(['cpu', 'memory', 'limits.cpu', 'limits.memory', 'requests.cpu', 'requests.memory']);
const PVC_RESOURCES = new Set(['persistentvolumeclaims', 'requests.storage']);

/** IsResourceQuotaScopeValidForResource: which standard resources a scope can narrow. */
export function isScopeValidForResource(scope: string, resource: string): boolean {
  switch (scope) {
    case 'Terminating':
    case 'NotTerminating':
    case 'NotBestEffort':
    case 'PriorityClass':
    case 'CrossNamespacePodAffinity':
      return POD_COUNT.has(resource) || POD_COMPUTE.has(resource);
    case 'BestEffort':
      return POD_COUNT.has(resource);
    case 'VolumeAttributesClass':
      return PVC_RESOURCES.has(resource);
    default:
      return true;
  }
}

const CONFLICTING_PAIRS = [
  ['BestEffort', 'NotBestEffort'],
  ['Terminating', 'NotTerminating'],
];

/** Scopes that take no values: a pod is in them or not. */
const EXISTS_ONLY = new Set([
  'BestEffort',
  'NotBestEffort',
  'Terminating',
  'NotTerminating',
  'CrossNamespacePodAffinity',
]);

const goScopes = (scopes: readonly string[] | undefined): GoSyntax =>
  scopes ? goStringSlice(scopes, 'core.ResourceQuotaScope') : new GoSyntax('[]core.ResourceQuotaScope(nil)');

const goStrings = (values: readonly string[] | undefined): string =>
  values ? goStringSlice(values).text : '[]string(nil)';

/** %#v of a *core.ScopeSelector (field errors print the struct it points to). */
function goScopeSelector(sel: ScopeSelector): GoSyntax {
  const exprs = sel.matchExpressions;
  const inner = exprs
    ? `[]core.ScopedResourceSelectorRequirement{${exprs
        .map(
          (e) =>
            `core.ScopedResourceSelectorRequirement{ScopeName:${JSON.stringify(e.scopeName ?? '')}, Operator:${JSON.stringify(
              e.operator ?? '',
            )}, Values:${goStrings(e.values)}}`,
        )
        .join(', ')}}`
    : '[]core.ScopedResourceSelectorRequirement(nil)';
  return new GoSyntax(`core.ScopeSelector{MatchExpressions:${inner}}`);
}

const sortedKeys = (list: ResourceList | undefined): string[] => Object.keys(list ?? {}).sort();

function validateResourceList(list: ResourceList | undefined, path: string): FieldError[] {
  const errs: FieldError[] = [];
  for (const k of sortedKeys(list)) {
    const at = `${path}[${k}]`;
    errs.push(...validateResourceQuotaResourceName(k, at), ...validateResourceQuantityValue(k, list![k], at));
  }
  return errs;
}

function validateScopes(spec: ResourceQuotaSpec): FieldError[] {
  const scopes = spec.scopes ?? [];
  if (!scopes.length) return [];
  const errs: FieldError[] = [];
  const path = 'spec.scopes';
  const hard = sortedKeys(spec.hard);
  for (const scope of scopes) {
    if (!STANDARD_SCOPES.has(scope)) errs.push(fieldErrors.invalid(path, goScopes(spec.scopes), 'unsupported scope'));
    for (const k of hard) {
      if (isStandardQuotaResourceName(k) && !isScopeValidForResource(scope, k)) {
        errs.push(fieldErrors.invalid(path, goScopes(spec.scopes), 'unsupported scope applied to resource'));
      }
    }
  }
  const set = new Set<string>(scopes);
  for (const pair of CONFLICTING_PAIRS) {
    if (pair.every((s) => set.has(s)))
      errs.push(fieldErrors.invalid(path, goScopes(spec.scopes), 'conflicting scopes'));
  }
  return errs;
}

function validateScopeSelector(spec: ResourceQuotaSpec): FieldError[] {
  const sel = spec.scopeSelector;
  if (!sel) return [];
  const errs: FieldError[] = [];
  const path = 'spec.scopeSelector.matchExpressions';
  const hard = sortedKeys(spec.hard);
  const seen = new Set<string>();
  for (const req of sel.matchExpressions ?? []) {
    const scope = req.scopeName ?? '';
    if (!STANDARD_SCOPES.has(scope)) errs.push(fieldErrors.invalid(`${path}.scopeName`, scope, 'unsupported scope'));
    for (const k of hard) {
      if (isStandardQuotaResourceName(k) && !isScopeValidForResource(scope, k)) {
        errs.push(fieldErrors.invalid(path, goScopeSelector(sel), 'unsupported scope applied to resource'));
      }
    }
    if (EXISTS_ONLY.has(scope) && req.operator !== 'Exists') {
      errs.push(
        fieldErrors.invalid(
          `${path}.operator`,
          req.operator ?? '',
          "must be 'Exist' when scope is any of ResourceQuotaScopeTerminating, ResourceQuotaScopeNotTerminating, ResourceQuotaScopeBestEffort, ResourceQuotaScopeNotBestEffort or ResourceQuotaScopeCrossNamespacePodAffinity",
        ),
      );
    }
    switch (req.operator) {
      case 'In':
      case 'NotIn':
        if (!req.values?.length) {
          errs.push(
            fieldErrors.required(
              `${path}.values`,
              "must be at least one value when `operator` is 'In' or 'NotIn' for scope selector",
            ),
          );
        }
        break;
      case 'Exists':
      case 'DoesNotExist':
        if (req.values?.length) {
          errs.push(
            fieldErrors.invalid(
              `${path}.values`,
              goStringSlice(req.values),
              "must be no value when `operator` is 'Exist' or 'DoesNotExist' for scope selector",
            ),
          );
        }
        break;
      default:
        errs.push(fieldErrors.invalid(`${path}.operator`, req.operator ?? '', 'not a valid selector operator'));
    }
    seen.add(scope);
  }
  for (const pair of CONFLICTING_PAIRS) {
    if (pair.every((s) => seen.has(s)))
      errs.push(fieldErrors.invalid(path, goScopes(spec.scopes), 'conflicting scopes'));
  }
  return errs;
}

/** ValidateResourceQuotaSpec. */
export function validateResourceQuotaSpec(spec: ResourceQuotaSpec | undefined): FieldError[] {
  const s = spec ?? {};
  return [...validateResourceList(s.hard, 'spec.hard'), ...validateScopes(s), ...validateScopeSelector(s)];
}

/** ValidateResourceQuotaStatus. */
export function validateResourceQuotaStatus(status: ResourceQuotaStatus | undefined): FieldError[] {
  return [...validateResourceList(status?.hard, 'status.hard'), ...validateResourceList(status?.used, 'status.used')];
}

/** The scopes as a set: an update may reorder them, not change them. */
function sameScopes(a: readonly string[] | undefined, b: readonly string[] | undefined): boolean {
  const x = new Set(a ?? []);
  const y = new Set(b ?? []);
  return x.size === y.size && [...x].every((s) => y.has(s));
}

function decodeSpec(rq: ResourceQuota): void {
  if (rq.spec?.hard) rq.spec.hard = decodeResourceList(KIND, rq.spec.hard);
}

function decodeStatus(rq: ResourceQuota): void {
  if (rq.status?.hard) rq.status.hard = decodeResourceList(KIND, rq.status.hard);
  if (rq.status?.used) rq.status.used = decodeResourceList(KIND, rq.status.used);
}

export const resourceQuotaStrategy: RESTStrategy<ResourceQuota> = {
  prepareForCreate(rq) {
    decodeSpec(rq);
    decodeStatus(rq);
    // A new quota starts untallied: the controller fills status.hard and status.used.
    rq.status = {};
  },
  prepareForUpdate(rq, old) {
    decodeSpec(rq);
    decodeStatus(rq);
    rq.status = old.status ?? {};
  },
  validate: (rq) => [...validateResourceQuotaSpec(rq.spec), ...validateResourceQuotaStatus(rq.status)],
  validateUpdate(rq, old) {
    const errs = validateResourceQuotaSpec(rq.spec);
    if (!sameScopes(rq.spec?.scopes, old.spec?.scopes)) {
      errs.push(fieldErrors.invalid('spec.scopes', goScopes(rq.spec?.scopes), FIELD_IMMUTABLE_ERROR_MSG));
    }
    return errs;
  },
};

export const resourceQuotaStatusStrategy: SubresourceStrategy<ResourceQuota> = {
  prepareForUpdate(rq, old) {
    decodeStatus(rq);
    if (old.spec) rq.spec = old.spec;
    else delete rq.spec;
  },
  validateUpdate: (rq) => validateResourceQuotaStatus(rq.status),
};
