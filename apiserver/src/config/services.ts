// --service-cluster-ip-range, --service-node-port-range and --advertise-address: where Services get
// their cluster IPs and node ports, and the address Service default/kubernetes points at.
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { networkInterfaces } from 'node:os';
import type { FlagValues } from '@mkube/shared/flags';
import { parseCidr } from '@mkube/shared/net';
import {
  DEFAULT_NODE_PORT_RANGE,
  DEFAULT_SERVICE_CIDR,
  type PortRange,
  parsePortRange,
} from '../registry/core/service/allocator.js';
import type { ConfigProblem } from './errors.js';

export interface ServicesConfig {
  /** The Service CIDR, normalised (10.96.0.0/12). */
  readonly cidr: string;
  readonly nodePortRange: PortRange;
  /** The address published in Endpoints default/kubernetes. */
  readonly advertiseAddress: string;
  /** false with --endpoint-reconciler-type=none: the Endpoints are left to someone else. */
  readonly reconcileEndpoints: boolean;
}

/** The interface of the IPv4 default route (/proc/net/route: destination 00000000), if any. */
function defaultRouteInterface(): string | undefined {
  try {
    for (const line of readFileSync('/proc/net/route', 'utf8').split('\n').slice(1)) {
      const [iface, dest] = line.trim().split(/\s+/);
      if (iface && dest === '00000000') return iface;
    }
  } catch {
    // Not Linux: fall back to the first interface with an address.
  }
  return undefined;
}

/** The IPv4 address of the default route's interface, as kube-apiserver's ChooseHostInterface picks one. */
function hostAddress(): string | undefined {
  const ifaces = networkInterfaces();
  const v4 = (name: string) => ifaces[name]?.find((a) => !a.internal && a.family === 'IPv4')?.address;
  const route = defaultRouteInterface();
  if (route && v4(route)) return v4(route);
  for (const name of Object.keys(ifaces)) if (v4(name)) return v4(name);
  return undefined;
}

export function servicesConfig(flags: FlagValues, bindAddress: string, problems: ConfigProblem[]): ServicesConfig {
  const text = typeof flags['service-cluster-ip-range'] === 'string' ? flags['service-cluster-ip-range'] : '';
  let cidr = DEFAULT_SERVICE_CIDR;
  if (text) {
    const ranges = text.split(',');
    try {
      if (ranges.length > 1) throw new Error('dual-stack Service CIDRs are not supported by mkube');
      const c = parseCidr(ranges[0]!);
      // Upstream caps the range at 2^20 addresses for IPv6 too (a /108); a /31 leaves no address.
      if (c.family === 4 && c.prefix > 30)
        throw new Error(`${text}: too small, the range must hold at least one address`);
      if (c.family === 6 && c.prefix < 108) throw new Error(`${text}: too large, an IPv6 range may be at most a /108`);
      if (c.family === 4 && c.prefix < 12) throw new Error(`${text}: too large, an IPv4 range may be at most a /12`);
      cidr = c.text;
    } catch (e) {
      problems.push({ code: 'BAD_VALUE', flag: 'service-cluster-ip-range', message: (e as Error).message });
    }
  }
  let nodePortRange = parsePortRange(DEFAULT_NODE_PORT_RANGE);
  const ports = typeof flags['service-node-port-range'] === 'string' ? flags['service-node-port-range'] : '';
  if (ports) {
    try {
      nodePortRange = parsePortRange(ports);
    } catch (e) {
      problems.push({ code: 'BAD_VALUE', flag: 'service-node-port-range', message: (e as Error).message });
    }
  }
  let advertiseAddress = typeof flags['advertise-address'] === 'string' ? flags['advertise-address'] : '';
  if (advertiseAddress && !isIP(advertiseAddress)) {
    problems.push({
      code: 'BAD_VALUE',
      flag: 'advertise-address',
      message: `${JSON.stringify(advertiseAddress)} is not a valid IP address`,
    });
  }
  // Blank: the bind address, or the host's address when that is unspecified or loopback, as
  // kube-apiserver's ResolveBindAddress picks it.
  if (!advertiseAddress) {
    const unspecified = bindAddress === '0.0.0.0' || bindAddress === '::';
    const loopback = /^127\./.test(bindAddress) || bindAddress === '::1';
    advertiseAddress = unspecified || loopback ? (hostAddress() ?? bindAddress) : bindAddress;
  }
  const reconciler =
    typeof flags['endpoint-reconciler-type'] === 'string' ? flags['endpoint-reconciler-type'] : 'lease';
  if (reconciler !== 'lease' && reconciler !== 'none') {
    problems.push({
      code: reconciler === 'master-count' ? 'NOT_SUPPORTED' : 'BAD_VALUE',
      flag: 'endpoint-reconciler-type',
      message:
        reconciler === 'master-count'
          ? 'master-count is not supported by mkube (lease, none)'
          : `${JSON.stringify(reconciler)}: must be lease or none`,
    });
  }
  return Object.freeze({
    cidr,
    nodePortRange: Object.freeze(nodePortRange),
    advertiseAddress,
    reconcileEndpoints: reconciler !== 'none',
  });
}
