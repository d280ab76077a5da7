// Addresses the PKI is derived from: the first Service IP of a CIDR, host:port endpoints.
import { isIP } from 'node:net';
import { CliError } from '../command.js';

function ipv4ToBig(ip: string): bigint {
  return ip.split('.').reduce((acc, part) => (acc << 8n) | BigInt(Number(part)), 0n);
}

function ipv6ToBig(ip: string): bigint {
  const [head = '', tail = ''] = ip.split('::');
  const h = head ? head.split(':') : [];
  const t = ip.includes('::') ? (tail ? tail.split(':') : []) : [];
  const groups = ip.includes('::') ? [...h, ...Array(8 - h.length - t.length).fill('0'), ...t] : h;
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(Number.parseInt(g || '0', 16)), 0n);
}

function bigToIp(n: bigint, v: 4 | 6): string {
  if (v === 4) return [24n, 16n, 8n, 0n].map((s) => String((n >> s) & 255n)).join('.');
  const groups: string[] = [];
  for (let i = 7; i >= 0; i--) groups.push(((n >> BigInt(i * 16)) & 0xffffn).toString(16));
  return groups.join(':').replace(/(^|:)0(:0)+(:|$)/, '::');
}

/** The first usable address of the Service CIDR (10.96.0.0/12 → 10.96.0.1), as kubeadm computes it. */
export function firstServiceIp(cidr: string, flag = '--service-cidr'): string {
  const m = /^([^/]+)\/(\d{1,3})$/.exec(cidr.trim());
  const v = m ? isIP(m[1]!) : 0;
  if (!m || v === 0) throw new CliError(`${flag}: invalid CIDR "${cidr}" (expected e.g. 10.96.0.0/12)`);
  const bits = v === 4 ? 32 : 128;
  const prefix = Number(m[2]);
  if (prefix > bits - 2) throw new CliError(`${flag}: CIDR "${cidr}" is too small to hold a Service IP`);
  const addr = v === 4 ? ipv4ToBig(m[1]!) : ipv6ToBig(m[1]!);
  const mask = ((1n << BigInt(bits)) - 1n) ^ ((1n << BigInt(bits - prefix)) - 1n);
  return bigToIp((addr & mask) + 1n, v as 4 | 6);
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
  return `https://${isIP(host) === 6 ? `[${host}]` : host}:${port}`;
}
