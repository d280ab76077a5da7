// IP ranges as numbers: a Service CIDR's offsets, as kube-apiserver's ipallocator sees them, and
// addresses written as Go writes them.
import { isIP } from 'node:net';

export interface Cidr {
  readonly text: string;
  readonly family: 4 | 6;
  /** The network address. */
  readonly base: bigint;
  readonly prefix: number;
  /** Addresses in the range, network and broadcast included. */
  readonly size: bigint;
}

function v4ToBig(ip: string): bigint {
  return ip.split('.').reduce((acc, part) => (acc << 8n) | BigInt(Number(part)), 0n);
}

function v6ToBig(ip: string): bigint {
  let s = ip;
  // An embedded IPv4 tail (::ffff:1.2.3.4) becomes two groups.
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  if (v4) {
    const n = v4ToBig(v4[1]!);
    s = `${s.slice(0, -v4[1]!.length)}${(n >> 16n).toString(16)}:${(n & 0xffffn).toString(16)}`;
  }
  const [head = '', tail = ''] = s.split('::');
  const h = head ? head.split(':') : [];
  const t = s.includes('::') ? (tail ? tail.split(':') : []) : [];
  const groups = s.includes('::') ? [...h, ...Array(8 - h.length - t.length).fill('0'), ...t] : h;
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(Number.parseInt(g || '0', 16)), 0n);
}

export function ipToBig(ip: string): bigint {
  return isIP(ip) === 4 ? v4ToBig(ip) : v6ToBig(ip);
}

export function bigToIp(n: bigint, family: 4 | 6): string {
  if (family === 4) return [24n, 16n, 8n, 0n].map((s) => String((n >> s) & 255n)).join('.');
  const groups: string[] = [];
  for (let i = 7; i >= 0; i--) groups.push(((n >> BigInt(i * 16)) & 0xffffn).toString(16));
  // The longest run of zero groups (two or more) becomes "::", as Go's net.IP.String() writes it.
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (best < 0) return groups.join(':');
  return `${groups.slice(0, best).join(':')}::${groups.slice(best + bestLen).join(':')}`;
}

/** The canonical text of an IP (Go's net.ParseIP(ip).String()), or undefined when it is not one. */
export function canonicalIp(ip: string): string | undefined {
  const family = isIP(ip);
  if (family === 0) return undefined;
  return bigToIp(ipToBig(ip), family as 4 | 6);
}

/** Parses `a.b.c.d/n` or `x::/n`; throws with the CIDR in the message when it is not one. */
export function parseCidr(text: string): Cidr {
  const m = /^([^/]+)\/(\d{1,3})$/.exec(text.trim());
  const family = m ? isIP(m[1]!) : 0;
  const bits = family === 4 ? 32 : 128;
  if (!m || family === 0 || Number(m[2]) > bits) throw new Error(`invalid CIDR address: ${text}`);
  const prefix = Number(m[2]);
  const host = BigInt(bits - prefix);
  const mask = ((1n << BigInt(bits)) - 1n) ^ ((1n << host) - 1n);
  return {
    text: `${bigToIp(ipToBig(m[1]!) & mask, family as 4 | 6)}/${prefix}`,
    family: family as 4 | 6,
    base: ipToBig(m[1]!) & mask,
    prefix,
    size: 1n << host,
  };
}

/** The address's offset in the range, or undefined when it is outside (or another family). */
export function offsetIn(cidr: Cidr, ip: string): bigint | undefined {
  if (isIP(ip) !== cidr.family) return undefined;
  const off = ipToBig(ip) - cidr.base;
  return off >= 0n && off < cidr.size ? off : undefined;
}

export function ipAt(cidr: Cidr, offset: bigint): string {
  return bigToIp(cidr.base + offset, cidr.family);
}

/** Loopback, link-local, multicast or unspecified: addresses an Endpoints object may not hold. */
export function specialIpProblem(ip: string): string | undefined {
  const family = isIP(ip);
  const n = ipToBig(ip);
  if (family === 4) {
    if (n === 0n) return 'may not be unspecified (0.0.0.0)';
    if (n >> 24n === 127n) return 'may not be in the loopback range (127.0.0.0/8, ::1/128)';
    if (n >> 16n === 0xa9fen) return 'may not be in the link-local range (169.254.0.0/16, fe80::/10)';
    if (n >> 8n === 0xe00000n) return 'may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)';
    return undefined;
  }
  if (n === 0n) return 'may not be unspecified (::)';
  if (n === 1n) return 'may not be in the loopback range (127.0.0.0/8, ::1/128)';
  if (n >> 118n === 0x3fan) return 'may not be in the link-local range (169.254.0.0/16, fe80::/10)';
  if (((n >> 112n) & 0xff0fn) === 0xff02n)
    return 'may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)';
  return undefined;
}
