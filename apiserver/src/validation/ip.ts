// apimachinery's util/validation/ip.go as of 1.33: IsValidIP and IsValidCIDR, the strict checks new API
// fields (ServiceCIDR, IPAddress) use. Go parses "sloppily" first (net.ParseIP accepts leading zeros in
// IPv4 octets), then refuses what netip would not take, then asks for the canonical spelling.
import { isIP } from 'node:net';
import { type FieldError, fieldErrors } from '@mkube/shared/apierrors';
import { bigToIp, ipToBig } from '@mkube/shared/net';
import { CIDR_ERROR, IP_ERROR } from './formats.js';

const V4_SLOPPY = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

interface Parsed {
  readonly family: 4 | 6;
  readonly n: bigint;
  /** netip would refuse it (leading zeros). */
  readonly leadingZeros: boolean;
}

/** net.ParseIP: IPv4 octets may carry leading zeros (each still at most 255); no zones. */
function parseSloppy(value: string): Parsed | undefined {
  const v4 = V4_SLOPPY.exec(value);
  if (v4) {
    const octets = v4.slice(1).map(Number);
    if (octets.some((o) => o > 255)) return undefined;
    const n = octets.reduce((acc, o) => (acc << 8n) | BigInt(o), 0n);
    return { family: 4, n, leadingZeros: v4.slice(1).some((o) => o.length > 1 && o.startsWith('0')) };
  }
  // Go's parser takes no zone (`fe80::1%eth0`); node:net's does.
  if (value.includes('%') || isIP(value) !== 6) return undefined;
  return { family: 6, n: ipToBig(value), leadingZeros: false };
}

/** ::ffff:a.b.c.d, however it is written. */
const is4In6 = (p: Parsed) => p.family === 6 && p.n >> 32n === 0xffffn;

/** How net.IP.String() writes it (an IPv4-mapped address as plain IPv4). */
function goString(p: Parsed): string {
  return is4In6(p) ? bigToIp(p.n & 0xffffffffn, 4) : bigToIp(p.n, p.family);
}

/** IsValidIP: a parsable address, no leading zeros, not IPv4-mapped, in canonical form. */
export function isValidIP(field: string, value: string): FieldError[] {
  const p = parseSloppy(value);
  if (!p) return [fieldErrors.invalid(field, value, IP_ERROR)];
  const errs: FieldError[] = [];
  if (p.leadingZeros) errs.push(fieldErrors.invalid(field, value, 'must not have leading 0s'));
  if (is4In6(p)) errs.push(fieldErrors.invalid(field, value, 'must not be an IPv4-mapped IPv6 address'));
  if (errs.length) return errs;
  const canonical = goString(p);
  return value === canonical
    ? []
    : [fieldErrors.invalid(field, value, `must be in canonical form (${JSON.stringify(canonical)})`)];
}

/** The messages alone, for a name validator (ValidateIPAddressName). */
export const ipAddressNameErrors = (name: string): string[] => isValidIP('', name).map((e) => e.detail ?? '');

/**
 * IsValidCIDR: a parsable CIDR (net.ParseCIDR takes leading zeros in the prefix too), then strictly:
 * no leading zeros, no IPv4-mapped address, no host bits; and written canonically.
 */
export function isValidCIDR(field: string, value: string): FieldError[] {
  const parsed = parseCidrParts(value);
  if (!parsed) return [fieldErrors.invalid(field, value, CIDR_ERROR)];
  const { addr, prefixText } = parsed;
  const prefix = Number(prefixText);
  const host = BigInt((addr.family === 4 ? 32 : 128) - prefix);
  const network = (addr.n >> host) << host;
  if (addr.leadingZeros || (prefixText.length > 1 && prefixText.startsWith('0'))) {
    return [fieldErrors.invalid(field, value, 'must not have leading 0s in IP or prefix length')];
  }
  if (is4In6(addr)) return [fieldErrors.invalid(field, value, 'must not have an IPv4-mapped IPv6 address')];
  if (network !== addr.n) {
    return [fieldErrors.invalid(field, value, 'must not have bits set beyond the prefix length')];
  }
  const canonical = `${bigToIp(network, addr.family)}/${prefix}`;
  return value === canonical
    ? []
    : [fieldErrors.invalid(field, value, `must be in canonical form (${JSON.stringify(canonical)})`)];
}

/** The family of a CIDR that IsValidCIDR's sloppy parse takes, else undefined (netutils.IPFamilyOfCIDRString). */
export function cidrFamily(value: string): 4 | 6 | undefined {
  return parseCidrParts(value)?.addr.family;
}

/** net.ParseCIDR: an address (sloppily parsed) and a decimal prefix within its family's bits. */
function parseCidrParts(value: string): { addr: Parsed; prefixText: string } | undefined {
  const slash = value.indexOf('/');
  if (slash < 0) return undefined;
  const addr = parseSloppy(value.slice(0, slash));
  const prefixText = value.slice(slash + 1);
  if (!addr || !/^\d+$/.test(prefixText) || Number(prefixText) > (addr.family === 4 ? 32 : 128)) return undefined;
  return { addr, prefixText };
}
