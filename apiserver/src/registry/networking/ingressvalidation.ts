// Ingress validation (pkg/apis/networking/validation ValidateIngressCreate/Update/StatusUpdate),
// with upstream's field paths and messages as of 1.33 (backend Service names are DNS-1035 labels;
// RelaxedServiceNameValidation is later). The name is a DNS subdomain, which the generic registry checks.
import {
  ANNOTATION_INGRESS_CLASS,
  type HTTPIngressPath,
  type Ingress,
  type IngressBackend,
  type IngressRule,
  type IngressSpec,
  type IngressStatus,
} from '@mkube/shared/api';
import { type FieldError, fieldErrors, GoSyntax } from '@mkube/shared/apierrors';
import { canonicalIp } from '@mkube/shared/net';
import { isDNS1123Subdomain, isValidPortName } from '@mkube/shared/selectors';
import { hostErrors, IP_ERROR, isIPAddress, isValidPortNum } from '../../validation/formats.js';
import { isValidPathSegmentName, nameIsDNS1035Label, nameIsDNSSubdomain } from '../../validation/names.js';

/** sets.NewString(...).List(): sorted. */
const PATH_TYPES = ['Exact', 'ImplementationSpecific', 'Prefix'];
const INVALID_PATH_SEQUENCES = ['//', '/./', '/../', '%2f', '%2F'];
const INVALID_PATH_SUFFIXES = ['/..', '/.'];

interface Options {
  /** The stored Ingress already had a TLS secretName that is not a valid name. */
  readonly allowInvalidSecretName: boolean;
  /** The stored Ingress already had a wildcard-host rule whose paths do not validate. */
  readonly allowInvalidWildcardHostRule: boolean;
}

/** TypedLocalObjectReference of a resource backend (validateIngressTypedLocalObjectReference). */
function validateResourceRef(ref: NonNullable<IngressBackend['resource']>, at: string): FieldError[] {
  const errs: FieldError[] = [];
  if (ref.apiGroup != null) {
    for (const msg of isDNS1123Subdomain(ref.apiGroup))
      errs.push(fieldErrors.invalid(`${at}.apiGroup`, ref.apiGroup, msg));
  }
  for (const key of ['kind', 'name'] as const) {
    const v = ref[key] ?? '';
    if (!v) errs.push(fieldErrors.required(`${at}.${key}`, ''));
    else for (const msg of isValidPathSegmentName(v)) errs.push(fieldErrors.invalid(`${at}.${key}`, v, msg));
  }
  return errs;
}

export function validateIngressBackend(backend: IngressBackend, at: string): FieldError[] {
  const { service, resource } = backend;
  if (resource != null && service != null) {
    return [fieldErrors.invalid(at, '', 'cannot set both resource and service backends')];
  }
  if (resource != null) return validateResourceRef(resource, `${at}.resource`);
  if (service == null) return [fieldErrors.invalid(at, '', 'resource or service backend is required')];
  const errs: FieldError[] = [];
  const name = service.name ?? '';
  if (!name) errs.push(fieldErrors.required(`${at}.service.name`, ''));
  else
    for (const msg of nameIsDNS1035Label(name, false)) errs.push(fieldErrors.invalid(`${at}.service.name`, name, msg));
  const portName = service.port?.name ?? '';
  const portNumber = service.port?.number ?? 0;
  if (portName && portNumber) errs.push(fieldErrors.invalid(at, '', 'cannot set both port name & port number'));
  else if (portName) {
    for (const msg of isValidPortName(portName)) {
      errs.push(fieldErrors.invalid(`${at}.service.port.name`, portName, msg));
    }
  } else if (portNumber) {
    for (const msg of isValidPortNum(portNumber)) {
      errs.push(fieldErrors.invalid(`${at}.service.port.number`, portNumber, msg));
    }
  } else errs.push(fieldErrors.required(at, 'port name or number is required'));
  return errs;
}

function validatePath(p: HTTPIngressPath, at: string): FieldError[] {
  if (p.pathType == null) return [fieldErrors.required(`${at}.pathType`, 'pathType must be specified')];
  const errs: FieldError[] = [];
  const path = p.path ?? '';
  switch (p.pathType) {
    case 'Exact':
    case 'Prefix':
      if (!path.startsWith('/')) errs.push(fieldErrors.invalid(`${at}.path`, path, 'must be an absolute path'));
      for (const seq of INVALID_PATH_SEQUENCES) {
        if (path.includes(seq)) errs.push(fieldErrors.invalid(`${at}.path`, path, `must not contain '${seq}'`));
      }
      for (const suffix of INVALID_PATH_SUFFIXES) {
        if (path.endsWith(suffix)) errs.push(fieldErrors.invalid(`${at}.path`, path, `cannot end with '${suffix}'`));
      }
      break;
    case 'ImplementationSpecific':
      if (path && !path.startsWith('/')) errs.push(fieldErrors.invalid(`${at}.path`, path, 'must be an absolute path'));
      break;
    default:
      errs.push(fieldErrors.notSupported(`${at}.pathType`, p.pathType, PATH_TYPES));
  }
  errs.push(...validateIngressBackend(p.backend ?? {}, `${at}.backend`));
  return errs;
}

/** validateIngressRuleValue: an `http` rule needs at least one path. */
function validateRuleValue(rule: IngressRule, at: string): FieldError[] {
  if (rule.http == null) return [];
  const paths = rule.http.paths ?? [];
  const errs: FieldError[] = [];
  if (paths.length === 0) errs.push(fieldErrors.required(`${at}.http.paths`, ''));
  paths.forEach((p, i) => {
    errs.push(...validatePath(p ?? ({} as HTTPIngressPath), `${at}.http.paths[${i}]`));
  });
  return errs;
}

function validateRules(rules: readonly IngressRule[], opts: Options): FieldError[] {
  return rules.flatMap((rule, i) => {
    const r = rule ?? {};
    const at = `spec.rules[${i}]`;
    const errs: FieldError[] = [];
    const host = r.host ?? '';
    if (host) {
      if (isIPAddress(host))
        errs.push(fieldErrors.invalid(`${at}.host`, host, 'must be a DNS name, not an IP address'));
      for (const msg of hostErrors(host)) errs.push(fieldErrors.invalid(`${at}.host`, host, msg));
    }
    if (!host.includes('*') || !opts.allowInvalidWildcardHostRule) errs.push(...validateRuleValue(r, at));
    return errs;
  });
}

function validateTLS(spec: IngressSpec, opts: Options): FieldError[] {
  const errs: FieldError[] = [];
  (spec.tls ?? []).forEach((tls, i) => {
    const at = `spec.tls[${i}]`;
    (tls?.hosts ?? []).forEach((host, j) => {
      for (const msg of hostErrors(host)) errs.push(fieldErrors.invalid(`${at}.hosts[${j}]`, host, msg));
    });
    const secret = tls?.secretName ?? '';
    if (!opts.allowInvalidSecretName && secret) {
      for (const msg of nameIsDNSSubdomain(secret, false))
        errs.push(fieldErrors.invalid(`${at}.secretName`, secret, msg));
    }
  });
  return errs;
}

/** How Go prints a nil or empty []networking.IngressRule with %#v. */
const goRules = (rules: IngressSpec['rules']) =>
  new GoSyntax(rules == null ? '[]networking.IngressRule(nil)' : '[]networking.IngressRule{}');

function validateSpec(spec: IngressSpec, opts: Options): FieldError[] {
  const errs: FieldError[] = [];
  const rules = spec.rules ?? [];
  if (rules.length === 0 && spec.defaultBackend == null) {
    errs.push(fieldErrors.invalid('spec', goRules(spec.rules), 'either `defaultBackend` or `rules` must be specified'));
  }
  if (spec.defaultBackend != null) errs.push(...validateIngressBackend(spec.defaultBackend, 'spec.defaultBackend'));
  errs.push(...validateRules(rules, opts));
  errs.push(...validateTLS(spec, opts));
  if (spec.ingressClassName != null) {
    for (const msg of nameIsDNSSubdomain(spec.ingressClassName, false)) {
      errs.push(fieldErrors.invalid('spec.ingressClassName', spec.ingressClassName, msg));
    }
  }
  return errs;
}

export function validateIngressCreate(ing: Ingress): FieldError[] {
  const spec = ing.spec ?? {};
  const errs = validateSpec(spec, { allowInvalidSecretName: false, allowInvalidWildcardHostRule: false });
  const annotation = ing.metadata.annotations?.[ANNOTATION_INGRESS_CLASS];
  if (annotation !== undefined && spec.ingressClassName != null && annotation !== spec.ingressClassName) {
    // Upstream's path starts at `annotations`, not `metadata.annotations`.
    errs.push(
      fieldErrors.invalid(
        `annotations.${ANNOTATION_INGRESS_CLASS}`,
        annotation,
        'must match `ingressClassName` when both are specified',
      ),
    );
  }
  return errs;
}

/** What the stored Ingress already got away with stays allowed (backwards compatibility). */
function updateOptions(old: Ingress): Options {
  const noOpts: Options = { allowInvalidSecretName: false, allowInvalidWildcardHostRule: false };
  return {
    allowInvalidSecretName: (old.spec?.tls ?? []).some(
      (t) => !!t?.secretName && nameIsDNSSubdomain(t.secretName, false).length > 0,
    ),
    allowInvalidWildcardHostRule: (old.spec?.rules ?? []).some(
      (r) => !!r?.host?.includes('*') && validateRules([{ http: r.http } as IngressRule], noOpts).length > 0,
    ),
  };
}

export function validateIngressUpdate(ing: Ingress, old: Ingress): FieldError[] {
  return validateSpec(ing.spec ?? {}, updateOptions(old));
}

/** ValidateIngressLoadBalancerStatus: IPs the old status held are not checked again. */
export function validateIngressStatusUpdate(ing: Ingress, old: Ingress): FieldError[] {
  const oldIPs = (old.status?.loadBalancer?.ingress ?? []).map((i) => i?.ip).filter((ip): ip is string => !!ip);
  const errs: FieldError[] = [];
  ((ing.status as IngressStatus | undefined)?.loadBalancer?.ingress ?? []).forEach((lb, i) => {
    const at = `status.loadBalancer.ingress[${i}]`;
    const ip = lb?.ip ?? '';
    if (ip && !oldIPs.includes(ip) && !canonicalIp(ip)) errs.push(fieldErrors.invalid(`${at}.ip`, ip, IP_ERROR));
    const hostname = lb?.hostname ?? '';
    if (hostname) {
      for (const msg of isDNS1123Subdomain(hostname)) errs.push(fieldErrors.invalid(`${at}.hostname`, hostname, msg));
      if (isIPAddress(hostname)) {
        errs.push(fieldErrors.invalid(`${at}.hostname`, hostname, 'must be a DNS name, not an IP address'));
      }
    }
  });
  return errs;
}
