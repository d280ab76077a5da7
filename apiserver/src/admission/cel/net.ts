// Kubernetes' IP and CIDR CEL libraries (k8s.io/apiserver pkg/cel/library ip.go, cidr.go) over
// Go's net/netip rules: `ip('10.0.0.1').isLoopback()`, `cidr('10.0.0.0/8').containsIP(x)`,
// `isIP`, `isCIDR`, `ip.isCanonical`, `string(…)`. IPv4 octets with leading zeros, zones and
// IPv4-mapped IPv6 addresses are refused, as upstream's parseIPAddr and parseCIDR do.
import type { Environment } from '@marcbachmann/cel-js';
import { succeeds } from './succeeds.js';

/** An IPv4 (4 bytes) or IPv6 (16 bytes) address: the `net.IP` CEL type. */
export class IPAddr {
  constructor(readonly bytes: Uint8Array) {}

  get is4(): boolean {
    return this.bytes.length === 4;
  }

  private u16(i: number): number {
    return (this.bytes[2 * i]! << 8) | this.bytes[2 * i + 1]!;
  }

  equals(o: IPAddr): boolean {
    return this.bytes.length === o.bytes.length && this.bytes.every((b, i) => b === o.bytes[i]);
  }

  /** netip.Addr.String: dotted quad, or RFC 5952 (lowercase, the first longest run of two or more zero groups as ::). */
  toString(): string {
    if (this.is4) return [...this.bytes].join('.');
    let start = -1;
    let end = -1;
    for (let i = 0; i < 8; i++) {
      let j = i;
      while (j < 8 && this.u16(j) === 0) j++;
      if (j - i >= 2 && j - i > end - start) {
        start = i;
        end = j;
      }
    }
    const hex = (from: number, to: number) =>
      Array.from({ length: to - from }, (_, k) => this.u16(from + k).toString(16)).join(':');
    return start < 0 ? hex(0, 8) : `${hex(0, start)}::${hex(end, 8)}`;
  }

  isUnspecified(): boolean {
    return this.bytes.every((b) => b === 0);
  }

  isLoopback(): boolean {
    return this.is4 ? this.bytes[0] === 127 : this.bytes.every((b, i) => b === (i === 15 ? 1 : 0));
  }

  isMulticast(): boolean {
    return this.is4 ? (this.bytes[0]! & 0xf0) === 0xe0 : this.bytes[0] === 0xff;
  }

  isLinkLocalMulticast(): boolean {
    return this.is4
      ? this.bytes[0] === 224 && this.bytes[1] === 0 && this.bytes[2] === 0
      : (this.u16(0) & 0xff0f) === 0xff02;
  }

  isLinkLocalUnicast(): boolean {
    return this.is4 ? this.bytes[0] === 169 && this.bytes[1] === 254 : (this.u16(0) & 0xffc0) === 0xfe80;
  }

  /** Go's rule: private IPv4 and ULA IPv6 addresses count as global unicast. */
  isGlobalUnicast(): boolean {
    if (this.is4 && (this.isUnspecified() || this.bytes.every((b) => b === 255))) return false;
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

  masked(): CIDR {
    const out = Uint8Array.from(this.addr.bytes);
    for (let i = 0; i < out.length; i++) {
      const keep = Math.max(0, Math.min(8, this.bits - 8 * i));
      out[i]! &= (0xff << (8 - keep)) & 0xff;
    }
    return new CIDR(new IPAddr(out), this.bits);
  }

  containsIP(ip: IPAddr): boolean {
    if (ip.bytes.length !== this.addr.bytes.length) return false;
    return new CIDR(ip, this.bits).masked().addr.equals(this.masked().addr);
  }

  containsCIDR(o: CIDR): boolean {
    return o.bits >= this.bits && this.containsIP(o.addr);
  }
}

class ParseError extends Error {}

function parseIPv4(s: string): Uint8Array {
  const fields = s.split('.');
  if (fields.length !== 4) throw new ParseError(fields.length < 4 ? 'IPv4 address too short' : 'IPv4 address too long');
  return Uint8Array.from(
    fields.map((f) => {
      if (!/^[0-9]{1,3}$/.test(f))
        throw new ParseError(f === '' ? 'IPv4 field must have at least one digit' : 'unexpected character');
      if (f.length > 1 && f.startsWith('0')) throw new ParseError('IPv4 field has octet with leading zero');
      const v = Number(f);
      if (v > 255) throw new ParseError('IPv4 field has value >255');
      return v;
    }),
  );
}

function parseIPv6(s: string): Uint8Array {
  const halves = s.split('::');
  if (halves.length > 2) throw new ParseError('multiple :: in address');
  const groups = (part: string): number[] => {
    if (part === '') return [];
    const out: number[] = [];
    const items = part.split(':');
    items.forEach((g, i) => {
      if (i === items.length - 1 && g.includes('.')) {
        const v4 = parseIPv4(g);
        out.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
        return;
      }
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) {
        throw new ParseError(
          g === ''
            ? 'colon must be followed by more characters'
            : 'each colon-separated field must have at most 4 hex digits',
        );
      }
      out.push(Number.parseInt(g, 16));
    });
    return out;
  };
  const head = groups(halves[0]!);
  const tail = halves.length === 2 ? groups(halves[1]!) : [];
  const all =
    halves.length === 2
      ? head.length + tail.length >= 8
        ? (() => {
            throw new ParseError('address too long');
          })()
        : [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail]
      : head;
  if (all.length !== 8) throw new ParseError(all.length < 8 ? 'address string too short' : 'address too long');
  const bytes = new Uint8Array(16);
  all.forEach((g, i) => {
    bytes[2 * i] = g >> 8;
    bytes[2 * i + 1] = g & 0xff;
  });
  return bytes;
}

/** netip.ParseAddr plus upstream's refusals; the messages are upstream's. */
export function parseIP(raw: string): IPAddr {
  if (raw.includes('%')) throw new Error(`IP address ${JSON.stringify(raw)} with zone value is not allowed`);
  let bytes: Uint8Array;
  try {
    if (raw === '') throw new ParseError('unable to parse IP');
    bytes = raw.includes(':') ? parseIPv6(raw) : parseIPv4(raw);
  } catch (e) {
    if (!(e instanceof ParseError)) throw e;
    throw new Error(
      `IP Address ${JSON.stringify(raw)} parse error during conversion from string: ParseAddr(${JSON.stringify(raw)}): ${e.message}`,
    );
  }
  if (bytes.length === 16 && bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff) {
    throw new Error(`IPv4-mapped IPv6 address ${JSON.stringify(raw)} is not allowed`);
  }
  return new IPAddr(bytes);
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
  if (bits > addr.bytes.length * 8) fail(`prefix length out of range`);
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
