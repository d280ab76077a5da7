// NetworkPolicy validation (pkg/apis/networking/validation ValidateNetworkPolicy/Update), with
// upstream's field paths and messages. The name is a DNS subdomain, which the generic registry checks.
import type { NetworkPolicy, NetworkPolicyPeer, NetworkPolicyPort, NetworkPolicySpec } from '@mkube/shared/api';
import { type FieldError, fieldErrors, GoSyntax } from '@mkube/shared/apierrors';
import { isValidPortName } from '@mkube/shared/selectors';
import { isValidPortNum, parseCidrSloppy, validateLegacyCidr } from '../../validation/formats.js';
import { type LabelSelectorValidationOptions, validateLabelSelector } from '../rbac/selector.js';

/** Upstream lists these in declaration order, not sorted. */
const PROTOCOLS = ['TCP', 'UDP', 'SCTP'];
const POLICY_TYPES = ['Ingress', 'Egress'];

interface Options extends LabelSelectorValidationOptions {
  /** CIDRs the stored policy already held: not checked again (AllowCIDRsEvenIfInvalid). */
  readonly allowedCidrs: readonly string[];
}

function validatePort(port: NetworkPolicyPort, at: string): FieldError[] {
  const errs: FieldError[] = [];
  if (port.protocol != null && !PROTOCOLS.includes(port.protocol)) {
    errs.push(fieldErrors.notSupported(`${at}.protocol`, port.protocol, PROTOCOLS));
  }
  const end = port.endPort ?? undefined;
  if (port.port == null) {
    if (end !== undefined) {
      errs.push(fieldErrors.invalid(`${at}.endPort`, end, 'may not be specified when `port` is not specified'));
    }
  } else if (typeof port.port === 'number') {
    for (const msg of isValidPortNum(port.port)) errs.push(fieldErrors.invalid(`${at}.port`, port.port, msg));
    if (end !== undefined) {
      if (end < port.port) {
        errs.push(fieldErrors.invalid(`${at}.endPort`, end, 'must be greater than or equal to `port`'));
      }
      for (const msg of isValidPortNum(end)) errs.push(fieldErrors.invalid(`${at}.endPort`, end, msg));
    }
  } else {
    if (end !== undefined) {
      errs.push(fieldErrors.invalid(`${at}.endPort`, end, 'may not be specified when `port` is non-numeric'));
    }
    for (const msg of isValidPortName(port.port)) errs.push(fieldErrors.invalid(`${at}.port`, port.port, msg));
  }
  return errs;
}

/** ValidateIPBlock: each `except` must lie strictly inside `cidr`. */
function validateIPBlock(cidr: string, except: readonly string[], at: string, opts: Options): FieldError[] {
  if (!cidr) return [fieldErrors.required(`${at}.cidr`, '')];
  const errs = validateLegacyCidr(`${at}.cidr`, cidr, opts.allowedCidrs);
  const outer = parseCidrSloppy(cidr);
  if (!outer) return errs;
  except.forEach((text, i) => {
    const path = `${at}.except[${i}]`;
    errs.push(...validateLegacyCidr(path, text, opts.allowedCidrs));
    const inner = parseCidrSloppy(text);
    if (!inner) return;
    const inside = inner.family === outer.family && inner.base >= outer.base && inner.base < outer.base + outer.size;
    if (!inside || outer.prefix >= inner.prefix) {
      errs.push(fieldErrors.invalid(path, text, 'must be a strict subset of `cidr`'));
    }
  });
  return errs;
}

function validatePeer(peer: NetworkPolicyPeer, at: string, opts: Options): FieldError[] {
  const errs: FieldError[] = [];
  let peers = 0;
  if (peer.podSelector != null) {
    peers++;
    errs.push(...validateLabelSelector(peer.podSelector, opts, `${at}.podSelector`));
  }
  if (peer.namespaceSelector != null) {
    peers++;
    errs.push(...validateLabelSelector(peer.namespaceSelector, opts, `${at}.namespaceSelector`));
  }
  if (peer.ipBlock != null) {
    peers++;
    errs.push(...validateIPBlock(peer.ipBlock.cidr ?? '', peer.ipBlock.except ?? [], `${at}.ipBlock`, opts));
  }
  if (peers === 0) errs.push(fieldErrors.required(at, 'must specify a peer'));
  else if (peers > 1 && peer.ipBlock != null) {
    errs.push(fieldErrors.forbidden(at, 'may not specify both ipBlock and another peer'));
  }
  return errs;
}

function validateRules(
  rules: readonly { ports?: NetworkPolicyPort[]; peers?: NetworkPolicyPeer[] }[],
  kind: 'ingress' | 'egress',
  opts: Options,
): FieldError[] {
  const peersField = kind === 'ingress' ? 'from' : 'to';
  return rules.flatMap((rule, i) => {
    const at = `spec.${kind}[${i}]`;
    return [
      ...(rule.ports ?? []).flatMap((p, j) => validatePort(p ?? {}, `${at}.ports[${j}]`)),
      ...(rule.peers ?? []).flatMap((p, j) => validatePeer(p ?? {}, `${at}.${peersField}[${j}]`, opts)),
    ];
  });
}

function validateSpec(spec: NetworkPolicySpec, opts: Options): FieldError[] {
  const errs = validateLabelSelector(spec.podSelector ?? {}, opts, 'spec.podSelector');
  errs.push(
    ...validateRules(
      (spec.ingress ?? []).map((r) => ({ ports: r?.ports, peers: r?.from })),
      'ingress',
      opts,
    ),
  );
  errs.push(
    ...validateRules(
      (spec.egress ?? []).map((r) => ({ ports: r?.ports, peers: r?.to })),
      'egress',
      opts,
    ),
  );
  const types = spec.policyTypes ?? [];
  if (types.length > POLICY_TYPES.length) {
    const list = types.map((t) => JSON.stringify(t)).join(', ');
    errs.push(
      fieldErrors.invalid(
        'spec.policyTypes',
        new GoSyntax(`&[]networking.PolicyType{${list}}`),
        'may not specify more than two policyTypes',
      ),
    );
    return errs;
  }
  types.forEach((t, i) => {
    if (!POLICY_TYPES.includes(t)) errs.push(fieldErrors.notSupported(`spec.policyTypes[${i}]`, t, POLICY_TYPES));
  });
  return errs;
}

export function validateNetworkPolicy(np: NetworkPolicy): FieldError[] {
  return validateSpec(np.spec ?? { podSelector: {} }, { allowInvalidLabelValueInSelector: false, allowedCidrs: [] });
}

/** Every CIDR of the old policy's peers (ValidateNetworkPolicyUpdate). */
function existingCidrs(np: NetworkPolicy): string[] {
  const peers = [
    ...(np.spec?.ingress ?? []).flatMap((r) => r?.from ?? []),
    ...(np.spec?.egress ?? []).flatMap((r) => r?.to ?? []),
  ];
  return peers.flatMap((p) => (p?.ipBlock ? [p.ipBlock.cidr, ...(p.ipBlock.except ?? [])] : []));
}

/**
 * ValidationOptionsForNetworking: label values the old pod selector already held invalid stay
 * allowed, as do the old policy's CIDRs.
 */
export function validateNetworkPolicyUpdate(np: NetworkPolicy, old: NetworkPolicy): FieldError[] {
  const oldSelectorInvalid =
    validateLabelSelector(old.spec?.podSelector ?? {}, { allowInvalidLabelValueInSelector: false }, '').length > 0;
  return validateSpec(np.spec ?? { podSelector: {} }, {
    allowInvalidLabelValueInSelector: oldSelectorInvalid,
    allowedCidrs: existingCidrs(old),
  });
}
