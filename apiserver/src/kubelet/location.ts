// Where a node's kubelet listens: the first Node address of a preferred type and the kubelet port
// (k8s.io/kubernetes pkg/kubelet/client NodeConnectionInfoGetter, util/node GetPreferredNodeAddress).

import { type Node, nodeStatusKubeletPort, preferredNodeAddress } from '@mkube/shared/api';
import { joinHostPort } from '@mkube/shared/net';
import { BackendError } from './errors.js';

export const DEFAULT_KUBELET_PORT = 10250;

export interface KubeletLocation {
  readonly host: string;
  readonly port: number;
  /** `host:port`, IPv6 hosts in brackets, as in a URL. */
  readonly hostPort: string;
}

/** Throws a 500 "no preferred addresses found; …" as upstream when no address has a preferred type. */
export function kubeletLocation(node: Node, preferred: readonly string[], portOverride?: number): KubeletLocation {
  const host = preferredNodeAddress(node, preferred);
  if (host) {
    const port = portOverride ?? nodeStatusKubeletPort(node) ?? DEFAULT_KUBELET_PORT;
    return { host, port, hostPort: joinHostPort(host, port) };
  }
  // Go's %v of []NodeAddress.
  const known = `[${(node.status?.addresses ?? []).map((a) => `{${a.type} ${a.address}}`).join(' ')}]`;
  throw new BackendError(`no preferred addresses found; known addresses: ${known}`);
}

/** `name`, `name:port` or `scheme:name:port` of a nodes/proxy URL (net.SplitSchemeNamePort). */
export function splitSchemeNamePort(id: string): { scheme: string; name: string; port?: number } | undefined {
  const parts = id.split(':');
  let scheme = '';
  let name: string;
  let port = '';
  if (parts.length === 1) name = parts[0]!;
  else if (parts.length === 2) [name, port] = parts as [string, string];
  else if (parts.length === 3) [scheme, name, port] = parts as [string, string, string];
  else return undefined;
  if (!name || (scheme && scheme !== 'http' && scheme !== 'https')) return undefined;
  if (port === '') return { scheme, name };
  const n = Number(port);
  if (!/^\d+$/.test(port) || n < 1 || n > 65535) return undefined;
  return { scheme, name, port: n };
}
