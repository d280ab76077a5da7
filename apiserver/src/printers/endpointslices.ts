// Printer for discovery.k8s.io/v1 EndpointSlices (k/k pkg/printers/internalversion/printers.go:
// printEndpointSlice, formatDiscoveryPorts, formatDiscoveryEndpoints, listWithMoreString). No column is
// wide, so `-o wide` prints the same five columns.
import type { Endpoint, EndpointSlice, EndpointSlicePort } from '@mkube/shared/api';
import { timestampSince } from './duration.js';
import { AGE_COLUMN, col, NAME_COLUMN, type Printer, printer } from './types.js';

const MAX = 3;

/** listWithMoreString: the first 3 joined by ",", then ` + N more...`; `<unset>` when that comes out empty. */
function listWithMoreString(list: readonly string[], more: boolean, count: number): string {
  const ret = list.join(',');
  if (more) return `${ret} + ${count - MAX} more...`;
  return ret === '' ? '<unset>' : ret;
}

/** formatDiscoveryPorts: each port's number, else its name, else `*` (a nil port means "all ports"). */
function formatDiscoveryPorts(ports: readonly EndpointSlicePort[] | undefined): string {
  const list: string[] = [];
  let more = false;
  let count = 0;
  for (const port of ports ?? []) {
    if (list.length < MAX) {
      // Go tests the pointers for nil: a present port 0 or name "" is printed as it is.
      let portNum = '*';
      if (port.port != null) portNum = String(port.port);
      else if (port.name != null) portNum = port.name;
      list.push(portNum);
    } else if (list.length === MAX) {
      more = true;
    }
    count++;
  }
  return listWithMoreString(list, more, count);
}

/** formatDiscoveryEndpoints: every address of every endpoint, ready or not, the first 3 shown. */
function formatDiscoveryEndpoints(endpoints: readonly Endpoint[] | undefined): string {
  const list: string[] = [];
  let more = false;
  let count = 0;
  for (const endpoint of endpoints ?? []) {
    for (const address of endpoint.addresses ?? []) {
      if (list.length < MAX) list.push(address);
      else if (list.length === MAX) more = true;
      count++;
    }
  }
  return listWithMoreString(list, more, count);
}

// Descriptions: the first sentence of discoveryv1beta1.EndpointSlice{}.SwaggerDoc(), which upstream uses.
export const endpointSlicePrinter: Printer = printer<EndpointSlice>({
  columns: [
    NAME_COLUMN,
    col('AddressType', 'addressType specifies the type of address carried by this EndpointSlice.'),
    col('Ports', 'ports specifies the list of network ports exposed by each endpoint in this slice.'),
    col('Endpoints', 'endpoints is a list of unique endpoints in this slice.'),
    AGE_COLUMN,
  ],
  cells: (o, now) => [
    o.metadata.name,
    o.addressType ?? '',
    formatDiscoveryPorts(o.ports),
    formatDiscoveryEndpoints(o.endpoints),
    timestampSince(o.metadata?.creationTimestamp, now),
  ],
});
