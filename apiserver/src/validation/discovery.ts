// Validation of EndpointSlices (k/k pkg/apis/discovery/validation): paths and messages are Kubernetes'.
import { isIP } from 'node:net';
import type { EndpointSlice } from '@mkube/shared/api';
import { type FieldError, fieldErrors } from '@mkube/shared/apierrors';
import { specialIpProblem } from '@mkube/shared/net';
import { isDNS1123Label, isDNS1123Subdomain } from '@mkube/shared/selectors';
import { nameIsDNSSubdomain } from './names.js';
import { validateImmutableField, validateObjectMeta, validateObjectMetaUpdate } from './objectmeta.js';

const ADDRESS_TYPES = ['FQDN', 'IPv4', 'IPv6'] as const;
const PROTOCOLS = ['SCTP', 'TCP', 'UDP'] as const;
const MAX_ENDPOINTS = 1000;
const MAX_ADDRESSES = 100;
const MAX_PORTS = 20000;

const tooMany = (field: string, actual: number, max: number): FieldError => ({
  type: 'TooMany',
  field,
  badValue: actual,
  detail: `must have at most ${max} items`,
});

function validateAddress(address: string, type: string, path: string): FieldError[] {
  if (type === 'FQDN') {
    return isDNS1123Subdomain(address).map((m) => fieldErrors.invalid(path, address, m));
  }
  const family = type === 'IPv4' ? 4 : 6;
  if (isIP(address) !== family) return [fieldErrors.invalid(path, address, `must be a valid ${type} address`)];
  const special = specialIpProblem(address);
  return special ? [fieldErrors.invalid(path, address, special)] : [];
}

export function validateEndpointSlice(slice: EndpointSlice): FieldError[] {
  const errs = validateObjectMeta(slice.metadata, { namespaced: true, nameValidator: nameIsDNSSubdomain });
  const type = slice.addressType ?? '';
  if (!type) errs.push(fieldErrors.required('addressType'));
  else if (!(ADDRESS_TYPES as readonly string[]).includes(type)) {
    errs.push(fieldErrors.notSupported('addressType', type, ADDRESS_TYPES));
  }
  const endpoints = slice.endpoints ?? [];
  if (endpoints.length > MAX_ENDPOINTS) errs.push(tooMany('endpoints', endpoints.length, MAX_ENDPOINTS));
  for (const [i, ep] of endpoints.entries()) {
    const path = `endpoints[${i}]`;
    const addresses = ep.addresses ?? [];
    if (addresses.length === 0) errs.push(fieldErrors.required(`${path}.addresses`, 'must contain at least 1 address'));
    else if (addresses.length > MAX_ADDRESSES) errs.push(tooMany(`${path}.addresses`, addresses.length, MAX_ADDRESSES));
    if ((ADDRESS_TYPES as readonly string[]).includes(type)) {
      for (const [j, a] of addresses.entries()) errs.push(...validateAddress(a, type, `${path}.addresses[${j}]`));
    }
    if (ep.nodeName) {
      for (const m of nameIsDNSSubdomain(ep.nodeName, false))
        errs.push(fieldErrors.invalid(`${path}.nodeName`, ep.nodeName, m));
    }
    if (ep.hostname) {
      for (const m of isDNS1123Label(ep.hostname)) errs.push(fieldErrors.invalid(`${path}.hostname`, ep.hostname, m));
    }
  }
  const ports = slice.ports ?? [];
  if (ports.length > MAX_PORTS) errs.push(tooMany('ports', ports.length, MAX_PORTS));
  const names = new Set<string>();
  for (const [i, p] of ports.entries()) {
    const path = `ports[${i}]`;
    if (p.name) for (const m of isDNS1123Label(p.name)) errs.push(fieldErrors.invalid(`${path}.name`, p.name, m));
    if (names.has(p.name ?? '')) errs.push(fieldErrors.duplicate(`${path}.name`, p.name ?? ''));
    names.add(p.name ?? '');
    if (!p.protocol) errs.push(fieldErrors.required(`${path}.protocol`));
    else if (!(PROTOCOLS as readonly string[]).includes(p.protocol)) {
      errs.push(fieldErrors.notSupported(`${path}.protocol`, p.protocol, PROTOCOLS));
    }
    if (p.port !== undefined && !(Number.isInteger(p.port) && p.port >= 1 && p.port <= 65535)) {
      errs.push(fieldErrors.invalid(`${path}.port`, p.port, 'must be between 1 and 65535, inclusive'));
    }
  }
  return errs;
}

export function validateEndpointSliceUpdate(slice: EndpointSlice, old: EndpointSlice): FieldError[] {
  return [
    ...validateObjectMetaUpdate(slice.metadata, old.metadata),
    ...validateImmutableField(slice.addressType, old.addressType, 'addressType'),
  ];
}
