// Addresses the PKI is derived from: the first Service IP of a CIDR, host:port endpoints.
import { type Cidr, ipAt, joinHostPort, parseCidr } from '@mkube/shared/net';
import { CliError } from '../command.js';

/** The first usable address of the Service CIDR (10.96.0.0/12 → 10.96.0.1), as kubeadm computes it. */
export function firstServiceIp(cidr: string, flag = '--service-cidr'): string {
  let c: Cidr;
  try {
    c = parseCidr(cidr);
  } catch {
    throw new CliError(`${flag}: invalid CIDR "${cidr}" (expected e.g. 10.96.0.0/12)`);
  }
  if (c.size < 4n) throw new CliError(`${flag}: CIDR "${cidr}" is too small to hold a Service IP`);
  return ipAt(c, 1n);
}

/** Splits HOST[:PORT] ([v6]:port allowed); the port defaults to `defaultPort`. */
export function parseEndpoint(value: string, defaultPort: number, flag: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]+))(?::(\d{1,5}))?$/.exec(value.trim());
  if (!m) throw new CliError(`${flag}: invalid endpoint "${value}" (expected HOST or HOST:PORT)`);
  const host = m[1] ?? m[2]!;
  const port = m[3] ? Number(m[3]) : defaultPort;
  if (port < 1 || port > 65535) throw new CliError(`${flag}: invalid port in "${value}"`);
  return { host, port };
}

export function hostPortUrl(host: string, port: number): string {
  return `https://${joinHostPort(host, port)}`;
}
