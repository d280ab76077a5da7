// String checks from apimachinery's util/validation (IsWildcardDNS1123Subdomain, IsDomainPrefixedPath,
// IsValidPortNum) and core validation's legacy CIDR parsing, worded as Kubernetes 1.33 words them.
import { isIP } from 'node:net';
import { type FieldError, fieldErrors } from '@mkube/shared/apierrors';
import { type Cidr, parseCidr } from '@mkube/shared/net';
import { DNS1123_SUBDOMAIN_MAX_LENGTH, isDNS1123Subdomain, maxLenError, regexError } from '@mkube/shared/selectors';

export const PORT_NUM_ERROR = 'must be between 1 and 65535, inclusive';

/** IsValidPortNum. */
export function isValidPortNum(port: number): string[] {
  return Number.isInteger(port) && port >= 1 && port <= 65535 ? [] : [PORT_NUM_ERROR];
}

const DNS1123_LABEL_FMT = '[a-z0-9]([-a-z0-9]*[a-z0-9])?';
const WILDCARD_FMT = `\\*\\.${DNS1123_LABEL_FMT}(\\.${DNS1123_LABEL_FMT})*`;
const WILDCARD_RE = new RegExp(`^${WILDCARD_FMT}$`);
const WILDCARD_ERR =
  "a wildcard DNS-1123 subdomain must start with '*.', followed by a valid DNS subdomain, which must consist of lower case alphanumeric characters, '-' or '.' and end with an alphanumeric character";

/** IsWildcardDNS1123Subdomain: `*.` and then a DNS subdomain (a wildcard only in front). */
export function isWildcardDNS1123Subdomain(value: string): string[] {
  const errs: string[] = [];
  if (Buffer.byteLength(value) > DNS1123_SUBDOMAIN_MAX_LENGTH) errs.push(maxLenError(DNS1123_SUBDOMAIN_MAX_LENGTH));
  if (!WILDCARD_RE.test(value)) errs.push(regexError(WILDCARD_ERR, WILDCARD_FMT, '*.example.com'));
  return errs;
}

/** A host with a `*` is checked as a wildcard subdomain, any other as a plain one. */
export function hostErrors(host: string): string[] {
  return host.includes('*') ? isWildcardDNS1123Subdomain(host) : isDNS1123Subdomain(host);
}

/** netutils.ParseIPSloppy(host) != nil. */
export const isIPAddress = (host: string): boolean => isIP(host) !== 0;

const HTTP_PATH_FMT = "[A-Za-z0-9/\\-._~%!$&'()*+,;=:]+";
const HTTP_PATH_RE = new RegExp(`^${HTTP_PATH_FMT}$`);

/** IsDomainPrefixedPath: `<DNS subdomain>/<HTTP path>`, both parts non-empty. */
export function validateDomainPrefixedPath(field: string, value: string): FieldError[] {
  if (!value) return [fieldErrors.required(field, '')];
  const slash = value.indexOf('/');
  if (slash <= 0 || slash === value.length - 1) {
    return [fieldErrors.invalid(field, value, 'must be a domain-prefixed path (such as "acme.io/foo")')];
  }
  const host = value.slice(0, slash);
  const path = value.slice(slash + 1);
  const errs = isDNS1123Subdomain(host).map((msg) => fieldErrors.invalid(field, host, msg));
  if (!HTTP_PATH_RE.test(path)) errs.push(fieldErrors.invalid(field, path, regexError('Invalid path', HTTP_PATH_FMT)));
  return errs;
}

/** apimachinery's messages for a value that is no IP address or no CIDR at all. */
export const IP_ERROR = 'must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)';
export const CIDR_ERROR = 'must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)';

/** netutils.ParseCIDRSloppy: the network, or undefined when the value is not a CIDR. */
export function parseCidrSloppy(value: string): Cidr | undefined {
  try {
    return parseCidr(value);
  } catch {
    return undefined;
  }
}

/**
 * IsValidCIDRForLegacyField with StrictIPCIDRValidation off (alpha in 1.33): host bits past the
 * prefix are allowed; a value the old object already held is not checked again.
 */
export function validateLegacyCidr(field: string, value: string, allowed: readonly string[]): FieldError[] {
  if (allowed.includes(value)) return [];
  return parseCidrSloppy(value) ? [] : [fieldErrors.invalid(field, value, CIDR_ERROR)];
}
