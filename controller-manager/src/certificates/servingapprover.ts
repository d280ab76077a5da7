// mkube's kubelet-serving approver (beyond upstream, which leaves these CSRs pending forever —
// kubernetes#73356; the rules follow the Kubernetes docs' advice and postfinance/kubelet-csr-approver,
// facts §4). A serving CSR is approved only when every rule holds; otherwise it is Denied with a
// reason naming the first rule that failed, so an operator sees why in `kubectl describe csr`.
import { BlockList, isIPv4 } from 'node:net';
import type { CertificateSigningRequest, Node } from '@mkube/shared/api';
import { SIGNER } from '@mkube/shared/api';
import { isNotFound } from '@mkube/shared/apierrors';
import {
  approvalState,
  isIssued,
  KUBELET_SERVING_USAGE_SETS,
  NODE_USER_PREFIX,
  NODES_GROUP,
  usagesMatchOneOf,
  withCondition,
} from '@mkube/shared/certificates';
import type { KubeClient, ReadonlyStore } from '@mkube/shared/client';
import type { EventRecorder } from '@mkube/shared/events';
import type { Logger } from '@mkube/shared/log';
import type { ParsedCsr } from '@mkube/shared/pki';
import { RESOURCES } from '../informers/index.js';
import { ParsedCsrCache } from './parsecache.js';

export interface ServingApproverOptions {
  /** IP SANs must also fall inside one of these (empty: any address the Node has). */
  readonly allowedCidrs: readonly string[];
  /** expirationSeconds above this is denied. */
  readonly maxExpirationSeconds: number;
}

export interface Verdict {
  readonly approve: boolean;
  readonly reason: string;
  readonly message: string;
}

const deny = (reason: string, message: string): Verdict => ({ approve: false, reason, message });

export const APPROVE_MESSAGE =
  "Auto approving kubelet serving certificate after validating the node's names and addresses.";

/** Parses CIDRs into a BlockList; throws on a malformed entry (a start-up error). */
export function cidrBlockList(cidrs: readonly string[]): BlockList | undefined {
  if (cidrs.length === 0) return undefined;
  const list = new BlockList();
  for (const c of cidrs) {
    const m = /^([^/]+)\/(\d{1,3})$/.exec(c.trim());
    const ip = m?.[1] ?? '';
    const bits = Number(m?.[2]);
    const family = isIPv4(ip) ? 'ipv4' : 'ipv6';
    if (!m || bits > (family === 'ipv4' ? 32 : 128)) throw new Error(`invalid CIDR ${JSON.stringify(c)}`);
    list.addSubnet(ip, bits, family);
  }
  return list;
}

function canonicalIp(ip: string): string {
  // BlockList and Node addresses may spell IPv6 differently; compare in one spelling.
  if (isIPv4(ip)) return ip;
  try {
    return new URL(`http://[${ip}]/`).hostname.slice(1, -1);
  } catch {
    return ip;
  }
}

/**
 * The policy itself, pure: given the CSR, its parsed request and the Node (undefined when the
 * apiserver has no such Node), approve or deny with the failing rule.
 */
export function evaluateServingCsr(
  csr: CertificateSigningRequest,
  req: ParsedCsr,
  node: Node | undefined,
  opts: { allowed?: BlockList; maxExpirationSeconds: number },
): Verdict {
  const user = csr.spec.username ?? '';
  if (!user.startsWith(NODE_USER_PREFIX) || !(csr.spec.groups ?? []).includes(NODES_GROUP)) {
    return deny(
      'RequesterNotNode',
      `requester ${JSON.stringify(user)} is not a node: a serving certificate must be requested by system:node:<name> in group system:nodes`,
    );
  }
  const nodeName = user.slice(NODE_USER_PREFIX.length);
  if (req.subject.commonName !== user) {
    return deny(
      'CommonNameMismatch',
      `subject common name ${JSON.stringify(req.subject.commonName)} is not the requester ${JSON.stringify(user)}`,
    );
  }
  const orgs = req.subject.organizations;
  if (orgs.length !== 1 || orgs[0] !== NODES_GROUP) {
    return deny('OrganizationNotNodes', `subject organization ${JSON.stringify(orgs)} is not ["system:nodes"]`);
  }
  const usages = csr.spec.usages ?? [];
  if (!usagesMatchOneOf(KUBELET_SERVING_USAGE_SETS, usages)) {
    return deny(
      'UsagesNotAllowed',
      `usages ${JSON.stringify(usages)} are not one of [digital signature, key encipherment, server auth] or [digital signature, server auth]`,
    );
  }
  if (req.emailAddresses.length > 0 || req.uris.length > 0) {
    return deny('SubjectAltNameTypeNotAllowed', 'email and URI subjectAltNames are not allowed');
  }
  if (req.dnsNames.length === 0 && req.ipAddresses.length === 0) {
    return deny('NoSubjectAltNames', 'at least one DNS or IP subjectAltName is required');
  }
  for (const dns of req.dnsNames) {
    // Equal to the node name or a subdomain of it: a bare prefix would let node "web" claim
    // "webmail.example.com".
    if (dns !== nodeName && !dns.startsWith(`${nodeName}.`)) {
      return deny(
        'DNSNameNotOwnedByNode',
        `DNS subjectAltName ${JSON.stringify(dns)} is neither the node name ${JSON.stringify(nodeName)} nor a name under it`,
      );
    }
  }
  const exp = csr.spec.expirationSeconds;
  if (exp !== undefined && exp > opts.maxExpirationSeconds) {
    return deny(
      'ExpirationTooLong',
      `expirationSeconds ${exp} is above the allowed maximum of ${opts.maxExpirationSeconds}`,
    );
  }
  if (req.ipAddresses.length > 0) {
    if (!node) {
      return deny(
        'NodeNotFound',
        `node ${JSON.stringify(nodeName)} is not registered, so its IP addresses are unknown`,
      );
    }
    const known = new Set((node.status?.addresses ?? []).map((a) => canonicalIp(a.address)));
    for (const ip of req.ipAddresses) {
      if (!known.has(canonicalIp(ip))) {
        return deny(
          'IPAddressNotOwnedByNode',
          `IP subjectAltName ${ip} is not among the addresses of node ${JSON.stringify(nodeName)} (${[...known].join(', ') || 'none'})`,
        );
      }
      if (opts.allowed && !opts.allowed.check(ip, isIPv4(ip) ? 'ipv4' : 'ipv6')) {
        return deny('IPAddressOutsideAllowedCIDRs', `IP subjectAltName ${ip} is outside --serving-csr-allowed-cidrs`);
      }
    }
  }
  return { approve: true, reason: 'AutoApproved', message: APPROVE_MESSAGE };
}

export function servingApprovingHandler(
  client: KubeClient,
  nodes: ReadonlyStore<Node>,
  opts: ServingApproverOptions,
  recorder: EventRecorder,
  log: Logger,
  csrCache = new ParsedCsrCache(),
): (csr: CertificateSigningRequest) => Promise<void> {
  const csrs = client.resource<CertificateSigningRequest>(RESOURCES.csrs);
  const nodeClient = client.resource<Node>(RESOURCES.nodes);
  const allowed = cidrBlockList(opts.allowedCidrs);

  const nodeNamed = async (name: string): Promise<Node | undefined> => {
    const cached = nodes.get(name);
    if (cached) return cached;
    // The kubelet registers its Node just before asking; the cache may not have it yet.
    try {
      return await nodeClient.get(name);
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  };

  return async (csr) => {
    if (csr.spec.signerName !== SIGNER.kubeletServing) return;
    const { approved, denied } = approvalState(csr);
    if (approved || denied || isIssued(csr)) return;
    let verdict: Verdict;
    let req: ParsedCsr | undefined;
    try {
      req = csrCache.parse(csr);
    } catch (err) {
      verdict = deny('InvalidRequest', `the request does not parse: ${(err as Error).message}`);
    }
    if (req) {
      const user = csr.spec.username ?? '';
      const node = user.startsWith(NODE_USER_PREFIX) ? await nodeNamed(user.slice(NODE_USER_PREFIX.length)) : undefined;
      verdict = evaluateServingCsr(csr, req, node, { allowed, maxExpirationSeconds: opts.maxExpirationSeconds });
    }
    const v = verdict!;
    const next = withCondition(csr, v.approve ? 'Approved' : 'Denied', v.reason, v.message);
    const updated = await csrs.updateSubresource(csr.metadata!.name!, 'approval', next);
    // The Event's reason is the rule's name, so `kubectl describe csr` shows why.
    recorder.event(updated, v.approve ? 'Normal' : 'Warning', v.reason, v.message);
    log.info({ csr: csr.metadata?.name, approved: v.approve, reason: v.reason }, 'kubelet-serving csr decided');
  };
}
