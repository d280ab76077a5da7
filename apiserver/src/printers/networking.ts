// printNetworkPolicy, printIngress, printIngressClass, printServiceCIDR and printIPAddress (k/k
// printers.go). The server prints wide, so an Ingress's addresses are never clipped to 16 characters;
// hosts stop at three, "+ N more...".
import type { Ingress, IngressClass, IngressRule, IPAddress, NetworkPolicy, ServiceCIDR } from '@mkube/shared/api';
import { timestampSince } from './duration.js';
import { formatLabelSelector } from './format.js';
import { AGE_COLUMN, col, NAME_COLUMN, type Printer, printer } from './types.js';

const MAX_HOSTS = 3;

export const networkPolicyPrinter: Printer = printer<NetworkPolicy>({
  columns: [
    NAME_COLUMN,
    col(
      'Pod-Selector',
      'Selects the pods to which this NetworkPolicy object applies. The array of ingress rules is applied to any pods selected by this field. Multiple network policies can select the same set of pods. In this case, the ingress rules for each are combined additively. This field is NOT optional and follows standard label selector semantics. An empty podSelector matches all pods in this namespace.',
    ),
    AGE_COLUMN,
  ],
  cells: (o, now) => [
    o.metadata.name,
    formatLabelSelector(o.spec?.podSelector ?? {}),
    timestampSince(o.metadata.creationTimestamp, now),
  ],
});

/** formatHosts: the first three hosts given, `*` when none is. */
function formatHosts(rules: readonly IngressRule[]): string {
  const list: string[] = [];
  let more = false;
  for (const rule of rules) {
    if (list.length === MAX_HOSTS) more = true;
    if (!more && rule?.host) list.push(rule.host);
  }
  if (list.length === 0) return '*';
  const joined = list.join(',');
  return more ? `${joined} + ${rules.length - MAX_HOSTS} more...` : joined;
}

/** Distinct IPs (else hostnames), sorted (sets.String.List), joined by ",". */
function loadBalancerAddresses(o: Ingress): string {
  const result = new Set<string>();
  for (const i of o.status?.loadBalancer?.ingress ?? []) {
    if (i?.ip) result.add(i.ip);
    else if (i?.hostname) result.add(i.hostname);
  }
  return [...result].sort().join(',');
}

export const ingressPrinter: Printer = printer<Ingress>({
  columns: [
    NAME_COLUMN,
    col('Class', 'The name of the IngressClass resource that should be used for additional configuration'),
    col('Hosts', 'Hosts that incoming requests are matched against before the ingress rule'),
    col('Address', 'Address is a list containing ingress points for the load-balancer'),
    col('Ports', 'Ports of TLS configurations that open'),
    AGE_COLUMN,
  ],
  cells: (o, now) => [
    o.metadata.name,
    o.spec?.ingressClassName ?? '<none>',
    formatHosts(o.spec?.rules ?? []),
    loadBalancerAddresses(o),
    o.spec?.tls?.length ? '80, 443' : '80',
    timestampSince(o.metadata.creationTimestamp, now),
  ],
});

export const ingressClassPrinter: Printer = printer<IngressClass>({
  columns: [
    NAME_COLUMN,
    col('Controller', 'Controller that is responsible for handling this class'),
    col('Parameters', 'A reference to a resource with additional parameters'),
    AGE_COLUMN,
  ],
  cells(o, now) {
    const p = o.spec?.parameters;
    const parameters = p ? `${p.kind}${p.apiGroup != null ? `.${p.apiGroup}` : ''}/${p.name}` : '<none>';
    return [o.metadata.name, o.spec?.controller ?? '', parameters, timestampSince(o.metadata.creationTimestamp, now)];
  },
});

export const serviceCIDRPrinter: Printer = printer<ServiceCIDR>({
  columns: [
    NAME_COLUMN,
    col(
      'CIDRs',
      'CIDRs defines the IP blocks in CIDR notation (e.g. "192.168.0.0/24" or "2001:db8::/64") from which to assign service cluster IPs. Max of two CIDRs is allowed, one of each IP family. This field is immutable.',
    ),
    AGE_COLUMN,
  ],
  cells: (o, now) => [
    o.metadata.name,
    (o.spec?.cidrs ?? []).join(','),
    timestampSince(o.metadata.creationTimestamp, now),
  ],
});

/** `services/default/kubernetes`: the lower-cased group/resource (`resource.group`), then namespace and name. */
function parentRefName(o: IPAddress): string {
  const ref = o.spec?.parentRef;
  if (!ref) return '<none>';
  const gr = ref.group ? `${ref.resource ?? ''}.${ref.group}` : (ref.resource ?? '');
  return `${gr.toLowerCase()}${ref.namespace ? `/${ref.namespace}` : ''}/${ref.name ?? ''}`;
}

export const ipAddressPrinter: Printer = printer<IPAddress>({
  columns: [
    NAME_COLUMN,
    col(
      'ParentRef',
      'ParentRef references the resource that an IPAddress is attached to. An IPAddress must reference a parent object.',
    ),
  ],
  // Upstream's row carries the age as a third cell that no column names; kubectl shows two.
  cells: (o, now) => [o.metadata.name, parentRefName(o), timestampSince(o.metadata.creationTimestamp, now)],
});
