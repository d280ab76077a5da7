// Resource names and quantities as pkg/apis/core/helper and pkg/apis/core/validation judge them:
// which names a container, a LimitRange or a ResourceQuota may use, and which must be whole numbers.
import type { ResourceList } from '@mkube/shared/api';
import { type FieldError, fieldErrors, GoSyntax, newBadRequest } from '@mkube/shared/apierrors';
import { canonicalQuantity, goQuantity, QUANTITY_FORMAT_WRONG, tryParseQuantity } from '@mkube/shared/quantity';
import { isQualifiedName } from '@mkube/shared/selectors';

const HUGE_PAGES_PREFIX = 'hugepages-';
const REQUESTS_HUGE_PAGES_PREFIX = 'requests.hugepages-';
const DEFAULT_NAMESPACE_PREFIX = 'kubernetes.io/';
const REQUESTS_PREFIX = 'requests.';

const STANDARD_RESOURCES = new Set([
  'cpu',
  'memory',
  'ephemeral-storage',
  'requests.cpu',
  'requests.memory',
  'requests.ephemeral-storage',
  'limits.cpu',
  'limits.memory',
  'limits.ephemeral-storage',
  'pods',
  'resourcequotas',
  'services',
  'replicationcontrollers',
  'secrets',
  'configmaps',
  'persistentvolumeclaims',
  'storage',
  'requests.storage',
  'services.nodeports',
  'services.loadbalancers',
]);

// Like STANDARD_RESOURCES but without `storage`: quota counts storage as requests.storage.
const STANDARD_QUOTA_RESOURCES = new Set([...STANDARD_RESOURCES].filter((r) => r !== 'storage'));

const STANDARD_CONTAINER_RESOURCES = new Set(['cpu', 'memory', 'ephemeral-storage']);

const INTEGER_RESOURCES = new Set([
  'pods',
  'resourcequotas',
  'services',
  'replicationcontrollers',
  'secrets',
  'configmaps',
  'persistentvolumeclaims',
  'services.nodeports',
  'services.loadbalancers',
]);

export const isQuotaHugePageResourceName = (n: string): boolean =>
  n.startsWith(HUGE_PAGES_PREFIX) || n.startsWith(REQUESTS_HUGE_PAGES_PREFIX);

export const isStandardResourceName = (n: string): boolean =>
  STANDARD_RESOURCES.has(n) || isQuotaHugePageResourceName(n);

export const isStandardQuotaResourceName = (n: string): boolean =>
  STANDARD_QUOTA_RESOURCES.has(n) || isQuotaHugePageResourceName(n);

const isStandardContainerResourceName = (n: string): boolean =>
  STANDARD_CONTAINER_RESOURCES.has(n) || n.startsWith(HUGE_PAGES_PREFIX);

/** Unprefixed names, and names under kubernetes.io/. */
export const isNativeResource = (n: string): boolean => !n.includes('/') || n.includes(DEFAULT_NAMESPACE_PREFIX);

/** A vendor's resource (`example.com/gpu`): not native, and still a qualified name once quota prefixes it. */
export function isExtendedResourceName(n: string): boolean {
  if (isNativeResource(n) || n.startsWith(REQUESTS_PREFIX)) return false;
  return isQualifiedName(`${REQUESTS_PREFIX}${n}`).length === 0;
}

export const isIntegerResourceName = (n: string): boolean => INTEGER_RESOURCES.has(n) || isExtendedResourceName(n);

/** helper.IsOvercommitAllowed: native resources other than huge pages (a request below the limit). */
export const isOvercommitAllowed = (n: string): boolean => isNativeResource(n) && !n.startsWith(HUGE_PAGES_PREFIX);

/** validateResourceName: a qualified name, standard when it has no prefix. */
export function validateResourceName(value: string, path: string): FieldError[] {
  const errs = isQualifiedName(value).map((m) => fieldErrors.invalid(path, value, m));
  if (errs.length) return errs;
  if (!value.includes('/') && !isStandardResourceName(value)) {
    errs.push(fieldErrors.invalid(path, value, 'must be a standard resource type or fully qualified'));
  }
  return errs;
}

/** validateContainerResourceName. */
export function validateContainerResourceName(value: string, path: string): FieldError[] {
  const errs = validateResourceName(value, path);
  if (!value.includes('/')) {
    if (!isStandardContainerResourceName(value))
      errs.push(fieldErrors.invalid(path, value, 'must be a standard resource for containers'));
  } else if (!isNativeResource(value) && !isExtendedResourceName(value)) {
    errs.push(fieldErrors.invalid(path, value, "doesn't follow extended resource name standard"));
  }
  return errs;
}

/** ValidateResourceQuotaResourceName. */
export function validateResourceQuotaResourceName(value: string, path: string): FieldError[] {
  const errs = validateResourceName(value, path);
  if (!value.includes('/') && !isStandardQuotaResourceName(value)) {
    errs.push(fieldErrors.invalid(path, value, 'must be a standard resource for quota'));
  }
  return errs;
}

/** A quantity as it arrives: a string, or a bare JSON number. */
export const quantityString = (v: unknown): string => (typeof v === 'number' ? String(v) : String(v ?? ''));

/** ValidateResourceQuantityValue: not negative, and whole for the counted resources. */
export function validateResourceQuantityValue(resource: string, raw: unknown, path: string): FieldError[] {
  const s = quantityString(raw);
  const q = tryParseQuantity(s);
  if (!q) return [];
  const errs: FieldError[] = [];
  if (q.num < 0n) errs.push(fieldErrors.invalid(path, canonicalQuantity(s), 'must be greater than or equal to 0'));
  if (isIntegerResourceName(resource) && q.milliValue() % 1000 !== 0) {
    errs.push(fieldErrors.invalid(path, new GoSyntax(goQuantity(s, false)), 'must be an integer'));
  }
  return errs;
}

/**
 * What the decoder does with a ResourceList: a value that is no quantity fails the whole request
 * (400), and the rest are written back in canonical form (`1000m` → `1`), as upstream serializes them.
 */
export function decodeResourceList(kind: string, list: ResourceList | undefined): ResourceList | undefined {
  if (list === undefined || list === null) return list;
  const out: ResourceList = {};
  for (const [k, v] of Object.entries(list)) {
    const s = quantityString(v);
    if (!tryParseQuantity(s)) {
      throw newBadRequest(`${kind} in version "v1" cannot be handled as a ${kind}: ${QUANTITY_FORMAT_WRONG}`);
    }
    out[k] = canonicalQuantity(s);
  }
  return out;
}
