// Where a Node's kubelet is reached (k8s.io/kubernetes pkg/util/node GetPreferredNodeAddress): what
// the apiserver dials for logs and exec and metrics-server for /metrics/resource, each with its own
// list of address types and its own words when none fits.
import type { Node } from './core.js';

/** The first address of the first preferred type the Node reports. */
export function preferredNodeAddress(node: Node, types: readonly string[]): string | undefined {
  const addresses = node.status?.addresses ?? [];
  for (const t of types) {
    const a = addresses.find((x) => x.type === t && x.address);
    if (a) return a.address;
  }
  return undefined;
}

/** status.daemonEndpoints.kubeletEndpoint.Port when the kubelet reported one. */
export function nodeStatusKubeletPort(node: Node): number | undefined {
  const port = node.status?.daemonEndpoints?.kubeletEndpoint?.Port;
  return port && port > 0 ? port : undefined;
}
