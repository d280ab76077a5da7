// The address ranges of ServiceCIDRs as numbers, for pkg/api/servicecidr's ContainsPrefix,
// ContainsAddress and OverlapsPrefix. A CIDR that does not parse (validation refuses those) is no range.
import { isIP } from 'node:net';
import type { ServiceCIDR } from '@mkube/shared/api';
import { ipToBig, parseCidr } from '@mkube/shared/net';

export interface Range {
  readonly family: 4 | 6;
  readonly first: bigint;
  readonly last: bigint;
}

export function ranges(sc: ServiceCIDR): Range[] {
  const out: Range[] = [];
  for (const text of sc.spec?.cidrs ?? []) {
    try {
      const c = parseCidr(text);
      out.push({ family: c.family, first: c.base, last: c.base + c.size - 1n });
    } catch {
      // Not a range.
    }
  }
  return out;
}

/** `outer` holds all of `inner` (equal ranges included). */
export const rangeContains = (outer: Range, inner: Range): boolean =>
  outer.family === inner.family && outer.first <= inner.first && inner.last <= outer.last;

export function rangeHoldsIp(r: Range, ip: string): boolean {
  if (isIP(ip) !== r.family) return false;
  const n = ipToBig(ip);
  return r.first <= n && n <= r.last;
}
