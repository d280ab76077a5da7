// Validation of Services and Endpoints (k/k pkg/apis/core/validation: ValidateService,
// ValidateServiceUpdate, ValidateEndpoints): paths and messages are Kubernetes'. Whether a cluster IP
// or node port is free and inside its range is the allocator's answer, not validation's.
import type { EndpointPort, EndpointSubset, Endpoints, Service, ServicePort } from '@mkube/shared/api';
import { type FieldError, fieldErrors } from '@mkube/shared/apierrors';
import { canonicalIp, specialIpProblem } from '@mkube/shared/net';
import { isDNS1123Label, isDNS1123Subdomain, isValidPortName } from '@mkube/shared/selectors';
import { IP_ERROR } from './formats.js';
import { nameIsDNS1035Label, nameIsDNSSubdomain } from './names.js';
import { validateLabels, validateObjectMeta, validateObjectMetaUpdate } from './objectmeta.js';

const PORT_RANGE = 'must be between 1 and 65535, inclusive';
const PROTOCOLS = ['SCTP', 'TCP', 'UDP'] as const;
const SERVICE_TYPES = ['ClusterIP', 'ExternalName', 'LoadBalancer', 'NodePort'] as const;
const AFFINITIES = ['ClientIP', 'None'] as const;
const TRAFFIC_POLICIES = ['Cluster', 'Local'] as const;
const IP_FAMILIES = ['IPv4', 'IPv6'] as const;
const IP_FAMILY_POLICIES = ['PreferDualStack', 'RequireDualStack', 'SingleStack'] as const;
const MAX_CLIENT_IP_TIMEOUT = 86400;

const isPortNumber = (p: unknown): boolean => Number.isInteger(p) && (p as number) >= 1 && (p as number) <= 65535;

export function isHeadless(svc: Service): boolean {
  return svc.spec?.clusterIP === 'None';
}

function validateProtocol(protocol: string | undefined, path: string): FieldError[] {
  if (!protocol) return [fieldErrors.required(path)];
  return (PROTOCOLS as readonly string[]).includes(protocol)
    ? []
    : [fieldErrors.notSupported(path, protocol, PROTOCOLS)];
}

function validateServicePort(sp: ServicePort, requireName: boolean, names: Set<string>, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (requireName && !sp.name) errs.push(fieldErrors.required(`${path}.name`));
  else if (sp.name) {
    for (const msg of isDNS1123Label(sp.name)) errs.push(fieldErrors.invalid(`${path}.name`, sp.name, msg));
    if (names.has(sp.name)) errs.push(fieldErrors.duplicate(`${path}.name`, sp.name));
    names.add(sp.name);
  }
  if (!isPortNumber(sp.port)) errs.push(fieldErrors.invalid(`${path}.port`, sp.port, PORT_RANGE));
  errs.push(...validateProtocol(sp.protocol, `${path}.protocol`));
  const tp = sp.targetPort;
  if (typeof tp === 'string') {
    for (const msg of isValidPortName(tp)) errs.push(fieldErrors.invalid(`${path}.targetPort`, tp, msg));
  } else if (tp !== undefined && !isPortNumber(tp)) {
    errs.push(fieldErrors.invalid(`${path}.targetPort`, tp, PORT_RANGE));
  }
  if (sp.nodePort !== undefined && sp.nodePort !== 0 && !isPortNumber(sp.nodePort)) {
    errs.push(fieldErrors.invalid(`${path}.nodePort`, sp.nodePort, PORT_RANGE));
  }
  return errs;
}

function validateClusterIPs(svc: Service): FieldError[] {
  const spec = svc.spec ?? {};
  const errs: FieldError[] = [];
  const ips = spec.clusterIPs ?? [];
  if (spec.type === 'ExternalName') {
    if (spec.clusterIP || ips.length) {
      errs.push(fieldErrors.forbidden('spec.clusterIPs', 'may not be set for ExternalName services'));
    }
    if (spec.ipFamilies?.length)
      errs.push(fieldErrors.forbidden('spec.ipFamilies', 'may not be set for ExternalName services'));
    if (spec.ipFamilyPolicy)
      errs.push(fieldErrors.forbidden('spec.ipFamilyPolicy', 'may not be set for ExternalName services'));
    return errs;
  }
  if (spec.clusterIP && ips.length && ips[0] !== spec.clusterIP) {
    errs.push(fieldErrors.invalid('spec.clusterIPs', ips, 'first value must match `clusterIP`'));
  }
  if (ips.length > 2) errs.push(fieldErrors.invalid('spec.clusterIPs', ips, 'may only hold up to 2 values'));
  ips.forEach((ip, i) => {
    if (ip === 'None') {
      if (i > 0 || ips.length > 1)
        errs.push(fieldErrors.invalid(`spec.clusterIPs[${i}]`, ip, 'must be empty when the first value is "None"'));
      return;
    }
    if (!canonicalIp(ip)) errs.push(fieldErrors.invalid(`spec.clusterIPs[${i}]`, ip, IP_ERROR));
  });
  for (const [i, f] of (spec.ipFamilies ?? []).entries()) {
    if (!(IP_FAMILIES as readonly string[]).includes(f))
      errs.push(fieldErrors.notSupported(`spec.ipFamilies[${i}]`, f, IP_FAMILIES));
  }
  const policy = spec.ipFamilyPolicy;
  if (policy && !(IP_FAMILY_POLICIES as readonly string[]).includes(policy)) {
    errs.push(fieldErrors.notSupported('spec.ipFamilyPolicy', policy, IP_FAMILY_POLICIES));
  }
  return errs;
}

export function validateService(svc: Service): FieldError[] {
  const errs = validateObjectMeta(svc.metadata, { namespaced: true, nameValidator: nameIsDNS1035Label });
  const spec = svc.spec ?? {};
  const type = spec.type ?? '';
  if (!(SERVICE_TYPES as readonly string[]).includes(type)) {
    errs.push(type ? fieldErrors.notSupported('spec.type', type, SERVICE_TYPES) : fieldErrors.required('spec.type'));
  }
  const ports = spec.ports ?? [];
  if (type === 'ExternalName') {
    const cname = (spec.externalName ?? '').replace(/\.$/, '');
    if (!cname) errs.push(fieldErrors.required('spec.externalName'));
    else for (const msg of isDNS1123Subdomain(cname)) errs.push(fieldErrors.invalid('spec.externalName', cname, msg));
  } else if (ports.length === 0 && !isHeadless(svc)) {
    errs.push(fieldErrors.required('spec.ports'));
  }
  const names = new Set<string>();
  const seen = new Set<string>();
  ports.forEach((sp, i) => {
    const path = `spec.ports[${i}]`;
    errs.push(...validateServicePort(sp, ports.length > 1, names, path));
    if (type === 'ClusterIP' && sp.nodePort) {
      errs.push(fieldErrors.forbidden(`${path}.nodePort`, "may not be used when `type` is 'ClusterIP'"));
    }
    const key = `${sp.protocol}/${sp.port}`;
    if (seen.has(key)) errs.push(fieldErrors.duplicate(path, { port: sp.port, protocol: sp.protocol }));
    seen.add(key);
  });
  errs.push(...validateClusterIPs(svc));
  if (spec.selector) errs.push(...validateLabels(spec.selector, 'spec.selector'));
  const affinity = spec.sessionAffinity ?? '';
  if (!affinity) errs.push(fieldErrors.required('spec.sessionAffinity'));
  else if (!(AFFINITIES as readonly string[]).includes(affinity)) {
    errs.push(fieldErrors.notSupported('spec.sessionAffinity', affinity, AFFINITIES));
  }
  if (affinity === 'ClientIP') {
    const t = spec.sessionAffinityConfig?.clientIP?.timeoutSeconds;
    if (t !== undefined && !(Number.isInteger(t) && t > 0 && t <= MAX_CLIENT_IP_TIMEOUT)) {
      errs.push(
        fieldErrors.invalid(
          'spec.sessionAffinityConfig.clientIP.timeoutSeconds',
          t,
          `must be greater than 0 and less than ${MAX_CLIENT_IP_TIMEOUT}`,
        ),
      );
    }
  } else if (spec.sessionAffinityConfig) {
    errs.push(
      fieldErrors.invalid(
        'spec.sessionAffinityConfig',
        spec.sessionAffinityConfig,
        `must not be set when session affinity is ${affinity || 'None'}`,
      ),
    );
  }
  const external = type === 'NodePort' || type === 'LoadBalancer';
  if (spec.externalTrafficPolicy) {
    if (!external) {
      errs.push(
        fieldErrors.invalid(
          'spec.externalTrafficPolicy',
          spec.externalTrafficPolicy,
          'may only be set for externally-accessible services',
        ),
      );
    } else if (!(TRAFFIC_POLICIES as readonly string[]).includes(spec.externalTrafficPolicy)) {
      errs.push(fieldErrors.notSupported('spec.externalTrafficPolicy', spec.externalTrafficPolicy, TRAFFIC_POLICIES));
    }
  } else if (external) {
    errs.push(fieldErrors.required('spec.externalTrafficPolicy'));
  }
  if (spec.internalTrafficPolicy && !(TRAFFIC_POLICIES as readonly string[]).includes(spec.internalTrafficPolicy)) {
    errs.push(fieldErrors.notSupported('spec.internalTrafficPolicy', spec.internalTrafficPolicy, TRAFFIC_POLICIES));
  } else if (!spec.internalTrafficPolicy && type !== 'ExternalName') {
    errs.push(fieldErrors.required('spec.internalTrafficPolicy'));
  }
  (spec.externalIPs ?? []).forEach((ip, i) => {
    if (!canonicalIp(ip)) errs.push(fieldErrors.invalid(`spec.externalIPs[${i}]`, ip, IP_ERROR));
  });
  return errs;
}

export function validateServiceUpdate(svc: Service, old: Service): FieldError[] {
  const errs = validateObjectMetaUpdate(svc.metadata, old.metadata);
  const was = old.spec?.clusterIPs ?? [];
  const now = svc.spec?.clusterIPs ?? [];
  // Cluster IPs stay as allocated while the Service keeps needing one (every type but ExternalName).
  if (old.spec?.type !== 'ExternalName' && svc.spec?.type !== 'ExternalName' && was.length && now[0] !== was[0]) {
    errs.push(fieldErrors.invalid('spec.clusterIPs[0]', now, 'may not change once set'));
  }
  return errs;
}

function validateEndpointPort(p: EndpointPort, requireName: boolean, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (requireName && !p.name) errs.push(fieldErrors.required(`${path}.name`));
  else if (p.name)
    for (const msg of isDNS1123Label(p.name)) errs.push(fieldErrors.invalid(`${path}.name`, p.name, msg));
  if (!isPortNumber(p.port)) errs.push(fieldErrors.invalid(`${path}.port`, p.port, PORT_RANGE));
  errs.push(...validateProtocol(p.protocol, `${path}.protocol`));
  return errs;
}

function validateSubset(ss: EndpointSubset, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const addresses = [
    ...(ss.addresses ?? []).map((a, i) => [a, `${path}.addresses[${i}]`] as const),
    ...(ss.notReadyAddresses ?? []).map((a, i) => [a, `${path}.notReadyAddresses[${i}]`] as const),
  ];
  if (addresses.length === 0) errs.push(fieldErrors.required(path, 'must specify `addresses` or `notReadyAddresses`'));
  for (const [a, p] of addresses) {
    if (!canonicalIp(a.ip ?? '')) {
      errs.push(fieldErrors.invalid(`${p}.ip`, a.ip, IP_ERROR));
      continue;
    }
    // Endpoints pointing at node-local addresses would let a Service's clients reach the node itself.
    const special = specialIpProblem(a.ip);
    if (special) errs.push(fieldErrors.invalid(`${p}.ip`, a.ip, special));
    if (a.hostname)
      for (const msg of isDNS1123Label(a.hostname)) errs.push(fieldErrors.invalid(`${p}.hostname`, a.hostname, msg));
    if (a.nodeName)
      for (const msg of nameIsDNSSubdomain(a.nodeName, false))
        errs.push(fieldErrors.invalid(`${p}.nodeName`, a.nodeName, msg));
  }
  const ports = ss.ports ?? [];
  if (ports.length === 0) errs.push(fieldErrors.required(`${path}.ports`));
  for (const [i, p] of ports.entries()) errs.push(...validateEndpointPort(p, ports.length > 1, `${path}.ports[${i}]`));
  return errs;
}

export function validateEndpoints(ep: Endpoints): FieldError[] {
  const errs = validateObjectMeta(ep.metadata, { namespaced: true, nameValidator: nameIsDNSSubdomain });
  for (const [i, ss] of (ep.subsets ?? []).entries()) errs.push(...validateSubset(ss, `subsets[${i}]`));
  return errs;
}

export function validateEndpointsUpdate(ep: Endpoints, old: Endpoints): FieldError[] {
  return validateObjectMetaUpdate(ep.metadata, old.metadata);
}
