// ServiceCIDR and IPAddress validation (pkg/apis/networking/validation ValidateServiceCIDR/Update and
// ValidateIPAddress/Update, 1.33), with upstream's field paths and messages. Names are checked by the
// generic registry: a ServiceCIDR's is a DNS subdomain, an IPAddress's its address in canonical form.
import type { IPAddress, ParentReference, ServiceCIDR } from '@mkube/shared/api';
import { type FieldError, fieldErrors, GoSyntax, goStringSlice } from '@mkube/shared/apierrors';
import { isDNS1123Subdomain } from '@mkube/shared/selectors';
import { jsonEqual } from '../../util/json.js';
import { cidrFamily, isValidCIDR } from '../../validation/ip.js';
import { isValidPathSegmentName } from '../../validation/names.js';
import { FIELD_IMMUTABLE_ERROR_MSG } from '../../validation/objectmeta.js';

const CIDRS = 'spec.cidrs';

/** `%#v` of the spec, as upstream passes the whole ServiceCIDRSpec as the bad value. */
const specSyntax = (cidrs: readonly string[]) =>
  new GoSyntax(`networking.ServiceCIDRSpec{CIDRs:${goStringSlice(cidrs).text}}`);

export function validateServiceCIDR(sc: ServiceCIDR): FieldError[] {
  const cidrs = sc.spec?.cidrs ?? [];
  if (cidrs.length === 0) return [fieldErrors.required(CIDRS, 'at least one CIDR required')];
  if (cidrs.length > 2) return [fieldErrors.invalid(CIDRS, specSyntax(cidrs), 'may only hold up to 2 values')];
  if (cidrs.length === 2) {
    // netutils.IsDualStackCIDRStrings: both parse, and they are of different families.
    const [a, b] = cidrs.map(cidrFamily);
    if (!a || !b || a === b) {
      return [
        fieldErrors.invalid(
          CIDRS,
          specSyntax(cidrs),
          'may specify no more than one IP for each IP family, i.e 192.168.0.0/24 and 2001:db8::/64',
        ),
      ];
    }
  }
  return cidrs.flatMap((c, i) => isValidCIDR(`${CIDRS}[${i}]`, c));
}

/**
 * ValidateServiceCIDRUpdate (1.33): the CIDRs do not change, except that a single-family range may
 * gain a second family (the default ServiceCIDR's single- to dual-stack upgrade), checked as new.
 */
export function validateServiceCIDRUpdate(sc: ServiceCIDR, old: ServiceCIDR): FieldError[] {
  const now = sc.spec?.cidrs ?? [];
  const was = old.spec?.cidrs ?? [];
  if (now.length === was.length) {
    return was.flatMap((c, i) =>
      c === now[i] ? [] : [fieldErrors.invalid(`${CIDRS}[${i}]`, now[i], FIELD_IMMUTABLE_ERROR_MSG)],
    );
  }
  if (was.length === 1 && now.length === 2) {
    if (was[0] !== now[0]) return [fieldErrors.invalid(`${CIDRS}[0]`, now[0], FIELD_IMMUTABLE_ERROR_MSG)];
    return validateServiceCIDR(sc);
  }
  return [fieldErrors.invalid(CIDRS, goStringSlice(now), FIELD_IMMUTABLE_ERROR_MSG)];
}

/** validateIPAddressParentReference: resource and name required, each a path segment. */
function validateParentRef(ref: ParentReference | undefined | null): FieldError[] {
  const at = 'spec.parentRef';
  if (!ref) return [fieldErrors.required(at, '')];
  const errs: FieldError[] = [];
  // The core group (Services') is the empty string, so the group cannot be required.
  if (ref.group) {
    for (const msg of isDNS1123Subdomain(ref.group)) errs.push(fieldErrors.invalid(`${at}.group`, ref.group, msg));
  }
  const segment = (field: 'resource' | 'name', required: boolean) => {
    const v = ref[field] ?? '';
    if (!v) {
      if (required) errs.push(fieldErrors.required(`${at}.${field}`, ''));
      return;
    }
    for (const msg of isValidPathSegmentName(v)) errs.push(fieldErrors.invalid(`${at}.${field}`, v, msg));
  };
  segment('resource', true);
  segment('name', true);
  if (ref.namespace) {
    for (const msg of isValidPathSegmentName(ref.namespace))
      errs.push(fieldErrors.invalid(`${at}.namespace`, ref.namespace, msg));
  }
  return errs;
}

export const validateIPAddress = (ip: IPAddress): FieldError[] => validateParentRef(ip.spec?.parentRef);

/** The parent reference is fixed at creation (ValidateImmutableField prints the struct). */
export function validateIPAddressUpdate(ip: IPAddress, old: IPAddress): FieldError[] {
  const now = ip.spec?.parentRef;
  if (jsonEqual(now ?? null, old.spec?.parentRef ?? null)) return [];
  return [fieldErrors.invalid('spec.parentRef', parentRefSyntax(now), FIELD_IMMUTABLE_ERROR_MSG)];
}

/** `%#v` of a *networking.ParentReference after the field printer dereferences it. */
function parentRefSyntax(ref: ParentReference | undefined | null): GoSyntax | null {
  if (!ref) return null;
  const q = (v: string | undefined) => JSON.stringify(v ?? '');
  return new GoSyntax(
    `networking.ParentReference{Group:${q(ref.group)}, Resource:${q(ref.resource)}, Namespace:${q(ref.namespace)}, Name:${q(ref.name)}}`,
  );
}
