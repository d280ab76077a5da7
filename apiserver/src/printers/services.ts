// Printers for core/v1 Services and Endpoints (k/k pkg/printers/internalversion/printers.go: printService,
// getServiceExternalIP, loadBalancerStatusStringer, makePortString, printEndpoints, formatEndpoints).
// kube-apiserver's TableConvertor always prints wide, so Selector is always a cell and load-balancer
// addresses are never clipped to 16 characters.
import type { EndpointSubset, Endpoints, LoadBalancerIngress, Service, ServicePort } from '@mkube/shared/api';
import { joinHostPort } from '@mkube/shared/net';
import { timestampSince } from './duration.js';
import { formatLabels } from './format.js';
import { AGE_COLUMN, col, NAME_COLUMN, type Printer, printer } from './types.js';

const age = (o: { metadata?: { creationTimestamp?: string } }, now: Date) =>
  timestampSince(o.metadata?.creationTimestamp, now);

/** Distinct ingress IPs (else hostnames), sorted (sets.String.List), joined by ",". */
function loadBalancerStatus(ingress: readonly LoadBalancerIngress[] | undefined): string {
  const result = new Set<string>();
  for (const i of ingress ?? []) {
    if (i.ip) result.add(i.ip);
    else if (i.hostname) result.add(i.hostname);
  }
  return [...result].sort().join(',');
}

function serviceExternalIP(svc: Service): string {
  const externalIPs = svc.spec?.externalIPs ?? [];
  switch (svc.spec?.type) {
    case 'ClusterIP':
    case 'NodePort':
      return externalIPs.length ? externalIPs.join(',') : '<none>';
    case 'LoadBalancer': {
      const lbIps = loadBalancerStatus(svc.status?.loadBalancer?.ingress);
      if (externalIPs.length) return [...(lbIps ? lbIps.split(',') : []), ...externalIPs].join(',');
      return lbIps || '<pending>';
    }
    case 'ExternalName':
      return svc.spec.externalName ?? '';
    default:
      return '<unknown>';
  }
}

function portString(ports: readonly ServicePort[] | undefined): string {
  return (ports ?? [])
    .map((p) => {
      const protocol = p.protocol ?? '';
      return p.nodePort && p.nodePort > 0 ? `${p.port}:${p.nodePort}/${protocol}` : `${p.port}/${protocol}`;
    })
    .join(',');
}

export const servicePrinter: Printer = printer<Service>({
  columns: [
    NAME_COLUMN,
    col('Type', 'type determines how the Service is exposed.'),
    col('Cluster-IP', 'clusterIP is the IP address of the service and is usually assigned randomly.'),
    col(
      'External-IP',
      'externalIPs is a list of IP addresses for which nodes in the cluster will also accept traffic for this service.',
    ),
    col('Port(s)', 'The list of ports that are exposed by this service.'),
    AGE_COLUMN,
    col('Selector', 'Route service traffic to pods with label keys and values matching this selector.', {
      priority: 1,
    }),
  ],
  cells: (o, now) => [
    o.metadata.name,
    o.spec?.type ?? '',
    // Only clusterIPs is read: kube-apiserver always fills it from clusterIP ("None" when headless).
    o.spec?.clusterIPs?.[0] ?? '<none>',
    serviceExternalIP(o),
    portString(o.spec?.ports) || '<none>',
    age(o, now),
    formatLabels(o.spec?.selector),
  ],
});

/** formatEndpoints(endpoints, nil): up to 3 `ip:port` (or bare IP for a port-less subset), then ` + N more...`. */
function formatEndpoints(subsets: readonly EndpointSubset[] | undefined): string {
  if (!subsets?.length) return '<none>';
  const max = 3;
  const list: string[] = [];
  let more = false;
  let count = 0;
  const add = (entry: string): boolean => {
    if (list.length === max) {
      more = true;
      return false;
    }
    list.push(entry);
    return true;
  };
  for (const ss of subsets) {
    const addresses = ss.addresses ?? [];
    if (!ss.ports?.length) {
      // A headless Service may have no ports.
      count += addresses.length;
      for (const a of addresses) if (!add(a.ip)) break;
      continue;
    }
    for (const port of ss.ports) {
      count += addresses.length;
      for (const a of addresses) if (!add(joinHostPort(a.ip, port.port))) break;
    }
  }
  const ret = list.join(',');
  // Subsets with no ready addresses print as "" (upstream has no `<none>` fallback here).
  return more ? `${ret} + ${count - max} more...` : ret;
}

export const endpointsPrinter: Printer = printer<Endpoints>({
  columns: [NAME_COLUMN, col('Endpoints', 'The set of all endpoints is the union of all subsets.'), AGE_COLUMN],
  cells: (o, now) => [o.metadata.name, formatEndpoints(o.subsets), age(o, now)],
});
