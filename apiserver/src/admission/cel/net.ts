// Kubernetes' IP and CIDR CEL libraries (k8s.io/apiserver pkg/cel/library ip.go, cidr.go) over
// Go's net/netip rules: `ip('10.0.0.1').isLoopback()`, `cidr('10.0.0.0/8').containsIP(x)`,
// `isIP`, `isCIDR`, `ip.isCanonical`, `string(…)`. IPv4 octets with leading zeros, zones and
// IPv4-mapped IPv6 addresses are refused, as upstream's parseIPAddr and parseCIDR do.
import { isIP } from 'node:net';
import type { Environment } from '@marcbachmann/cel-js';
import { bigToIp, ipToBig } from '@mkube/shared/net';
import { succeeds } from './succeeds.js';

/** An IPv4 or IPv6 address as a number (shared/net's form): the `net.IP` CEL type. */
export class IPAddr {
  constructor(
    readonly value: bigint,
    readonly family: 4 | 6,
  ) {}

  get is4(): boolean {
    return this.family === 4;
  }

  get bits(): number {
    return this.is4 ? 32 : 128;
  }

  /** The top `n` bits (IPv6: of the first 16-bit group). */
  private top(n: number): bigint {
    return this.value >> BigInt(this.bits - n);
  }

  equals(o: IPAddr): boolean {
    return this.family === o.family && this.value === o.value;
  }

  /** netip.Addr.String: dotted quad, or the first longest run of two or more zero groups as ::. */
  toString(): string {
    return bigToIp(this.value, this.family);
  }

  isUnspecified(): boolean {
    return this.value === 0n;
  }

  isLoopback(): boolean {
    return this.is4 ? this.top(8) === 127n : this.value === 1n;
  }

  isMulticast(): boolean {
    return this.is4 ? this.top(4) === 0xen : this.top(8) === 0xffn;
  }

  isLinkLocalMulticast(): boolean {
    return this.is4 ? this.top(24) === 0xe00000n : (this.top(16) & 0xff0fn) === 0xff02n;
  }

  isLinkLocalUnicast(): boolean {
    return this.is4 ? this.top(16) === 0xa9fen : (this.top(16) & 0xffc0n) === 0xfe80n;
  }

  /** Go's rule: private IPv4 and ULA IPv6 addresses count as global unicast. */
  isGlobalUnicast(): boolean {
    if (this.is4 && this.value === 0xffffffffn) return false;
    return !this.isUnspecified() && !this.isLoopback() && !this.isMulticast() && !this.isLinkLocalUnicast();
  }
}

/** A prefix: an address and a bit count, kept as written (`masked()` zeroes the host bits): `net.CIDR`. */
export class CIDR {
  constructor(
    readonly addr: IPAddr,
    readonly bits: number,
  ) {}

  toString(): string {
    return `${this.addr}/${this.bits}`;
  }

  equals(o: CIDR): boolean {
    return this.bits === o.bits && this.addr.equals(o.addr);
  }

  /** The address with only its first `this.bits` bits kept. */
  private network(a: IPAddr): bigint {
    const host = BigInt(a.bits - this.bits);
    return (a.value >> host) << host;
  }

  masked(): CIDR {
    return new CIDR(new IPAddr(this.network(this.addr), this.addr.family), this.bits);
  }

  containsIP(ip: IPAddr): boolean {
    return ip.family === this.addr.family && this.network(ip) === this.network(this.addr);
  }

  containsCIDR(o: CIDR): boolean {
    return o.bits >= this.bits && this.containsIP(o.addr);
  }
}

/** Why Go's netip.ParseAddr refuses a dotted quad (IPv6 text gets its generic reason). */
function parseFailure(raw: string): string {
  if (raw === '' || raw.includes(':') || !/^[0-9.]+$/.test(raw)) return 'unable to parse IP';
  const fields = raw.split('.');
  if (fields.length !== 4) return fields.length < 4 ? 'IPv4 address too short' : 'IPv4 address too long';
  for (const f of fields) {
    if (f === '') return 'IPv4 field must have at least one digit';
    if (f.length > 1 && f.startsWith('0')) return 'IPv4 field has octet with leading zero';
    if (Number(f) > 255) return 'IPv4 field has value >255';
  }
  return 'unable to parse IP';
}

/** netip.ParseAddr plus upstream's refusals; the messages are upstream's. */
export function parseIP(raw: string): IPAddr {
  if (raw.includes('%')) throw new Error(`IP address ${JSON.stringify(raw)} with zone value is not allowed`);
  // Node's isIP refuses what netip does (leading zeros, a ninth group, a second ::).
  const family = isIP(raw);
  if (family === 0) {
    throw new Error(
      `IP Address ${JSON.stringify(raw)} parse error during conversion from string: ParseAddr(${JSON.stringify(raw)}): ${parseFailure(raw)}`,
    );
  }
  const value = ipToBig(raw);
  if (family === 6 && value >> 32n === 0xffffn) {
    throw new Error(`IPv4-mapped IPv6 address ${JSON.stringify(raw)} is not allowed`);
  }
  return new IPAddr(value, family as 4 | 6);
}

/** netip.ParsePrefix plus upstream's refusal of IPv4-mapped addresses. */
export function parseCIDR(raw: string): CIDR {
  const fail = (why: string): never => {
    throw new Error(
      `network address parse error during conversion from string: network address parse error during conversion from string: netip.ParsePrefix(${JSON.stringify(raw)}): ${why}`,
    );
  };
  const slash = raw.lastIndexOf('/');
  if (slash < 0) fail("no '/'");
  const addrPart = raw.slice(0, slash);
  const bitsPart = raw.slice(slash + 1);
  if (addrPart.includes('%')) fail('IPv6 zones cannot be present in a prefix');
  let addr: IPAddr;
  try {
    addr = parseIP(addrPart);
  } catch (e) {
    if (/IPv4-mapped/.test((e as Error).message)) {
      throw new Error(
        `network address parse error during conversion from string: IPv4-mapped IPv6 address ${JSON.stringify(raw)} is not allowed`,
      );
    }
    return fail(
      `ParseAddr(${JSON.stringify(addrPart)}): ${(e as Error).message.replace(/^.*: ParseAddr\([^)]*\): /, '')}`,
    );
  }
  if (!/^(0|[1-9][0-9]*)$/.test(bitsPart)) fail(`bad bits after slash: ${JSON.stringify(bitsPart)}`);
  const bits = Number(bitsPart);
  if (bits > addr.bits) fail('prefix length out of range');
  return new CIDR(addr, bits);
}

/** The namespaces `ip.isCanonical(…)` hangs on (cel-js has no qualified global functions). */
class IPLibrary {}

export function registerNetLibrary(env: Environment): void {
  const IP = 'net.IP';
  const C = 'net.CIDR';
  env
    .registerType(IP, IPAddr)
    .registerType(C, CIDR)
    .registerType('kubernetes.IPLibrary', IPLibrary)
    .registerConstant('ip', 'kubernetes.IPLibrary', new IPLibrary())
    .registerFunction(`ip(string): ${IP}`, (s: string) => parseIP(s))
    .registerFunction('isIP(string): bool', (s: string) => succeeds(() => parseIP(s)))
    .registerFunction('kubernetes.IPLibrary.isCanonical(string): bool', (_: IPLibrary, s: string) => {
      return parseIP(s).toString() === s;
    })
    .registerFunction(`string(${IP}): string`, (a: IPAddr) => a.toString())
    .registerFunction(`${IP}.family(): int`, (a: IPAddr) => (a.is4 ? 4n : 6n))
    .registerFunction(`${IP}.isUnspecified(): bool`, (a: IPAddr) => a.isUnspecified())
    .registerFunction(`${IP}.isLoopback(): bool`, (a: IPAddr) => a.isLoopback())
    .registerFunction(`${IP}.isLinkLocalMulticast(): bool`, (a: IPAddr) => a.isLinkLocalMulticast())
    .registerFunction(`${IP}.isLinkLocalUnicast(): bool`, (a: IPAddr) => a.isLinkLocalUnicast())
    .registerFunction(`${IP}.isGlobalUnicast(): bool`, (a: IPAddr) => a.isGlobalUnicast())
    .registerOperator(`${IP} == ${IP}`, (a: IPAddr, b: IPAddr) => a.equals(b))
    .registerFunction(`cidr(string): ${C}`, (s: string) => parseCIDR(s))
    .registerFunction('isCIDR(string): bool', (s: string) => succeeds(() => parseCIDR(s)))
    .registerFunction(`string(${C}): string`, (c: CIDR) => c.toString())
    .registerFunction(`${C}.containsIP(${IP}): bool`, (c: CIDR, a: IPAddr) => c.containsIP(a))
    .registerFunction(`${C}.containsIP(string): bool`, (c: CIDR, s: string) => c.containsIP(parseIP(s)))
    .registerFunction(`${C}.containsCIDR(${C}): bool`, (c: CIDR, o: CIDR) => c.containsCIDR(o))
    .registerFunction(`${C}.containsCIDR(string): bool`, (c: CIDR, s: string) => c.containsCIDR(parseCIDR(s)))
    .registerFunction(`${C}.ip(): ${IP}`, (c: CIDR) => c.addr)
    .registerFunction(`${C}.masked(): ${C}`, (c: CIDR) => c.masked())
    .registerFunction(`${C}.prefixLength(): int`, (c: CIDR) => BigInt(c.bits))
    .registerOperator(`${C} == ${C}`, (a: CIDR, b: CIDR) => a.equals(b));
}
