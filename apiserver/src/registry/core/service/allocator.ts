// Cluster IPs and node ports for Services. Each value in use is one key in the store, created only if
// absent, so two apiservers cannot hand out the same value. A cluster IP's key is its IPAddress object
// (networking.k8s.io/v1, as upstream's allocator since MultiCIDRServiceAllocator): the store is the
// record, read on every allocation, so there is no in-memory bitmap to rebuild at start, and an
// IPAddress made by hand takes its address as surely as one made here. Node ports stay plain keys
// (a bitmap upstream).
import { randomInt } from 'node:crypto';
import { type FieldError, fieldErrors, GoSyntax, goStringSlice } from '@mkube/shared/apierrors';
import { type Cidr, ipAt, offsetIn } from '@mkube/shared/net';
import type { Store } from '../../../storage/index.js';
import { encodeObject } from '../../codec.js';
import { IP_ADDRESS_PREFIX, serviceIPAddress } from './ipaddress.js';

/** kube-apiserver's defaults when --service-cluster-ip-range / --service-node-port-range are not given. */
export const DEFAULT_SERVICE_CIDR = '10.0.0.0/24';
export const DEFAULT_NODE_PORT_RANGE = '30000-32767';

export interface PortRange {
  readonly base: number;
  readonly size: number;
}

/** `30000-32767` (kube-apiserver's --service-node-port-range). */
export function parsePortRange(text: string): PortRange {
  const m = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(text.trim());
  const lo = m ? Number(m[1]) : Number.NaN;
  const hi = m ? Number(m[2] ?? m[1]) : Number.NaN;
  if (!m || lo < 1 || hi > 65535 || hi < lo)
    throw new Error(`invalid port range "${text}" (expected e.g. 30000-32767)`);
  return { base: lo, size: hi - lo + 1 };
}

export const formatPortRange = (r: PortRange): string => `${r.base}-${r.base + r.size - 1}`;

/** Who holds a value: stored with it, so an operator can see why it is taken. */
interface Holder {
  readonly namespace: string;
  readonly name: string;
}

/** Thrown when an allocation fails; the registry turns it into a 422 on the Service. */
export class AllocationError extends Error {
  constructor(readonly errors: FieldError[]) {
    super(errors.map((e) => e.detail).join('; '));
  }
}

/** What is stored under a taken value's key. */
type Encode = (value: string, holder: Holder) => Buffer;
const holderRecord: Encode = (_value, holder) => Buffer.from(JSON.stringify(holder));

class KeyedAllocator {
  constructor(
    private readonly store: Store,
    private readonly prefix: string,
    private readonly encode: Encode = holderRecord,
  ) {}

  /** True when the value was free and is now held. */
  async take(value: string, holder: Holder): Promise<boolean> {
    try {
      await this.store.create(`${this.prefix}${value}`, this.encode(value, holder));
      return true;
    } catch (e) {
      if ((e as { code?: string }).code === 'KeyExists') return false;
      throw e;
    }
  }

  async release(value: string): Promise<void> {
    await this.store.delete(`${this.prefix}${value}`).catch((e) => {
      if ((e as { code?: string }).code !== 'KeyNotFound') throw e;
    });
  }

  async held(value: string): Promise<boolean> {
    return (await this.store.get(`${this.prefix}${value}`)).kv !== null;
  }

  /**
   * A free value drawn at random from [lo, hi), then scanned upward from there, as upstream's
   * random-scan allocator; undefined when the range is full.
   */
  async takeAny(
    count: bigint,
    at: (offset: bigint) => string,
    holder: Holder,
    lo = 0n,
    hi = count,
  ): Promise<string | undefined> {
    const span = hi - lo;
    if (span <= 0n) return undefined;
    const start = lo + (span <= 281474976710655n ? BigInt(randomInt(Number(span))) : 0n);
    for (let i = 0n; i < span; i++) {
      const v = at(lo + ((start - lo + i) % span));
      if (await this.take(v, holder)) return v;
    }
    return undefined;
  }
}

/** The cluster IP and node-port ranges and the store keys that say which values are taken. */
export class ServiceAllocators {
  private readonly ips: KeyedAllocator;
  private readonly ports: KeyedAllocator;

  constructor(
    store: Store,
    readonly serviceCidr: Cidr,
    readonly nodePorts: PortRange,
  ) {
    const family = serviceCidr.family === 4 ? 'IPv4' : 'IPv6';
    this.ips = new KeyedAllocator(store, IP_ADDRESS_PREFIX, (ip, holder) =>
      encodeObject(serviceIPAddress(ip, family, holder, new Date())),
    );
    this.ports = new KeyedAllocator(store, '/registry/ranges/servicenodeports/');
  }

  /** Offsets usable for Services: IPv4 ranges lose their network and broadcast addresses. */
  private usable(): { lo: bigint; hi: bigint } {
    const { size, family } = this.serviceCidr;
    return family === 4 && size > 2n ? { lo: 1n, hi: size - 1n } : { lo: family === 6 ? 1n : 0n, hi: size };
  }

  /** The first usable address: kube-apiserver gives it to Service default/kubernetes. */
  firstIp(): string {
    return ipAt(this.serviceCidr, this.usable().lo);
  }

  ipInRange(ip: string): boolean {
    const off = offsetIn(this.serviceCidr, ip);
    const { lo, hi } = this.usable();
    return off !== undefined && off >= lo && off < hi;
  }

  async takeIp(ip: string | undefined, holder: Holder, dryRun: boolean): Promise<string> {
    // Upstream's bad value is the Service's spec.clusterIPs, which the field error prints with %#v.
    const path = 'spec.clusterIPs';
    if (ip) {
      if (!this.ipInRange(ip)) {
        throw new AllocationError([
          fieldErrors.invalid(
            path,
            goStringSlice([ip]),
            `failed to allocate IP ${ip}: the provided IP (${ip}) is not in the valid range. The range of valid IPs is ${this.serviceCidr.text}`,
          ),
        ]);
      }
      const free = dryRun ? !(await this.ips.held(ip)) : await this.ips.take(ip, holder);
      if (!free)
        throw new AllocationError([
          fieldErrors.invalid(
            path,
            goStringSlice([ip]),
            `failed to allocate IP ${ip}: provided IP is already allocated`,
          ),
        ]);
      return ip;
    }
    const { lo, hi } = this.usable();
    // As upstream since ServiceIPStaticSubrange: dynamic addresses come from the upper band first,
    // leaving the lower band to Services that ask for a fixed address.
    const band = minBig(maxBig(16n, (hi - lo) / 16n), 256n);
    const at = (o: bigint) => ipAt(this.serviceCidr, o);
    if (dryRun) return at(hi - 1n);
    const got =
      (await this.ips.takeAny(hi, at, holder, minBig(lo + band, hi), hi)) ??
      (await this.ips.takeAny(hi, at, holder, lo, minBig(lo + band, hi)));
    if (!got)
      throw new AllocationError([
        fieldErrors.invalid(path, new GoSyntax('[]string(nil)'), 'failed to allocate a serviceIP: range is full'),
      ]);
    return got;
  }

  /** Deletes the address's IPAddress, whoever holds it (upstream's Release). */
  releaseIp(ip: string): Promise<void> {
    return this.ips.release(ip);
  }

  /** Records an address a Service already holds (the repair of one without its IPAddress); false if taken. */
  recordIp(ip: string, holder: Holder): Promise<boolean> {
    return this.ips.take(ip, holder);
  }

  async takePort(port: number | undefined, holder: Holder, path: string, dryRun: boolean): Promise<number> {
    const { base, size } = this.nodePorts;
    if (port) {
      if (port < base || port >= base + size) {
        throw new AllocationError([
          fieldErrors.invalid(
            path,
            port,
            `provided port is not in the valid range. The range of valid ports is ${formatPortRange(this.nodePorts)}`,
          ),
        ]);
      }
      const free = dryRun ? !(await this.ports.held(String(port))) : await this.ports.take(String(port), holder);
      if (!free) throw new AllocationError([fieldErrors.invalid(path, port, 'provided port is already allocated')]);
      return port;
    }
    if (dryRun) return base + size - 1;
    const got = await this.ports.takeAny(BigInt(size), (o) => String(base + Number(o)), holder);
    if (!got)
      throw new AllocationError([fieldErrors.invalid(path, port ?? 0, 'failed to allocate a nodePort: range is full')]);
    return Number(got);
  }

  releasePort(port: number): Promise<void> {
    return this.ports.release(String(port));
  }
}

const minBig = (a: bigint, b: bigint): bigint => (a < b ? a : b);
const maxBig = (a: bigint, b: bigint): bigint => (a > b ? a : b);
