// Chain verification the way Go's crypto/x509 Certificate.Verify does it, with Go's error texts
// (clients print these, and Kubernetes' tests match on them): leaf validity period, then host name,
// then chain building to a root by name and signature, then extended key usage along the chain.
import { createHash, type KeyObject } from 'node:crypto';
import { metaTime } from '../api/time.js';
import { type ParsedCertificate, splitSigned } from './certificate.js';
import { type KeyPair, publicKeyOf, spkiDerOf } from './keys.js';
import { ipToBytes } from './names.js';
import { decodeSignatureAlgorithm, verifySignature } from './signature.js';

export interface VerifyOptions {
  roots: readonly ParsedCertificate[];
  intermediates?: readonly ParsedCertificate[];
  now?: Date;
  /** Required extended key usage; when omitted any usage is accepted (Go's ExtKeyUsageAny). */
  usage?: 'serverAuth' | 'clientAuth';
  dnsName?: string;
  ipAddress?: string;
}

export type VerifyResult = { ok: true; chain: ParsedCertificate[] } | { ok: false; reason: string };

const MAX_CHAIN_LENGTH = 8;
const MAX_SIGNATURE_CHECKS = 100;
const UNKNOWN_AUTHORITY = 'x509: certificate signed by unknown authority';

function validityError(c: ParsedCertificate, now: Date): string | undefined {
  const prefix = 'x509: certificate has expired or is not yet valid: current time';
  if (now < c.notBefore) return `${prefix} ${metaTime(now)} is before ${metaTime(c.notBefore)}`;
  if (now > c.notAfter) return `${prefix} ${metaTime(now)} is after ${metaTime(c.notAfter)}`;
  return undefined;
}

/** Go's HostnameError texts. */
function hostnameError(c: ParsedCertificate, opts: VerifyOptions): string | undefined {
  if (opts.ipAddress !== undefined) {
    const want = ipToBytes(opts.ipAddress);
    if (want && c.ipAddresses.some((ip) => ipToBytes(ip)?.equals(want))) return undefined;
    if (c.ipAddresses.length === 0) {
      return `x509: cannot validate certificate for ${opts.ipAddress} because it doesn't contain any IP SANs`;
    }
    return `x509: certificate is valid for ${c.ipAddresses.join(', ')}, not ${opts.ipAddress}`;
  }
  if (opts.dnsName !== undefined) {
    const host = opts.dnsName.toLowerCase().replace(/\.$/, '');
    if (c.dnsNames.some((p) => matchHostname(p.toLowerCase(), host))) return undefined;
    if (c.dnsNames.length === 0) {
      if (!hasSans(c) && matchHostname(c.subject.commonName.toLowerCase(), host)) {
        return 'x509: certificate relies on legacy Common Name field, use SANs instead';
      }
      return `x509: certificate is not valid for any names, but wanted to match ${opts.dnsName}`;
    }
    return `x509: certificate is valid for ${c.dnsNames.join(', ')}, not ${opts.dnsName}`;
  }
  return undefined;
}

const hasSans = (c: ParsedCertificate): boolean =>
  c.dnsNames.length + c.ipAddresses.length + c.emailAddresses.length + c.uris.length > 0;

/** A leading "*." label matches exactly one label, as in Go's matchHostnames. */
function matchHostname(pattern: string, host: string): boolean {
  if (pattern === '' || host === '') return false;
  const p = pattern.replace(/\.$/, '').split('.');
  const h = host.split('.');
  if (p.length !== h.length) return false;
  return p.every((label, i) => (i === 0 && label === '*' ? h[i] !== '' : label === h[i]));
}

/** Signature check of `child` by `parent`'s key (bounded by the caller's budget). */
function signedBy(child: ParsedCertificate, parent: ParsedCertificate): boolean {
  try {
    const parts = splitSigned(child.der);
    const { alg } = decodeSignatureAlgorithm(child.der, parts.algorithm);
    return alg !== undefined && verifySignature(alg, parts.tbs, parent.publicKey, parts.signature);
  } catch {
    return false;
  }
}

function isIssuerCandidate(child: ParsedCertificate, parent: ParsedCertificate): boolean {
  if (!child.rawIssuer.equals(parent.rawSubject)) return false;
  // Like Go, a mismatched key identifier pair rules a candidate out before any signature work.
  return !(child.authorityKeyId && parent.subjectKeyId && child.authorityKeyId !== parent.subjectKeyId);
}

function allowsUsage(c: ParsedCertificate, usage: string): boolean {
  return !c.hasExtKeyUsage || c.extKeyUsages.includes('any') || c.extKeyUsages.includes(usage);
}

const displayName = (c: ParsedCertificate): string => c.subject.commonName || `serial:${c.serialHex}`;

/** Verifies `leaf` up to one of `roots`, optionally through `intermediates`. Never throws. */
export function verifyCertificate(leaf: ParsedCertificate, opts: VerifyOptions): VerifyResult {
  const now = opts.now ?? new Date();
  const leafErr = validityError(leaf, now) ?? hostnameError(leaf, opts);
  if (leafErr) return { ok: false, reason: leafErr };

  const chains: ParsedCertificate[][] = [];
  let hint: { err: string; cert: ParsedCertificate } | undefined;
  let budget = MAX_SIGNATURE_CHECKS;
  const isRoot = (c: ParsedCertificate) => opts.roots.some((r) => r.der.equals(c.der));

  // A root among the intermediates (a TLS stack appends the anchor it verified the peer with) can only
  // repeat a chain found through the root itself: Go's alreadyInChain ends the path through it. Left
  // in, it cost a second signature check per verification.
  const intermediates = (opts.intermediates ?? []).filter((i) => !isRoot(i));

  const build = (chain: ParsedCertificate[]): void => {
    const current = chain[chain.length - 1]!;
    if (chain.length > MAX_CHAIN_LENGTH) return;
    const consider = (cand: ParsedCertificate, root: boolean): void => {
      if (chain.some((c) => c.der.equals(cand.der)) || !isIssuerCandidate(current, cand)) return;
      if (budget-- <= 0) return;
      if (!signedBy(current, cand)) return;
      const err =
        validityError(cand, now) ??
        (!root && !cand.isCA ? 'x509: certificate is not authorized to sign other certificates' : undefined);
      if (err) {
        hint = { err, cert: cand };
        return;
      }
      if (root) chains.push([...chain, cand]);
      else build([...chain, cand]);
    };
    for (const r of opts.roots) consider(r, true);
    for (const i of intermediates) consider(i, false);
  };

  if (isRoot(leaf)) chains.push([leaf]);
  else build([leaf]);

  if (chains.length === 0) {
    const reason = hint
      ? `${UNKNOWN_AUTHORITY} (possibly because of ${JSON.stringify(hint.err)} while trying to verify candidate authority certificate ${JSON.stringify(displayName(hint.cert))})`
      : UNKNOWN_AUTHORITY;
    return { ok: false, reason };
  }
  const usage = opts.usage;
  const good = usage ? chains.find((ch) => ch.every((c) => allowsUsage(c, usage))) : chains[0];
  if (!good) return { ok: false, reason: 'x509: certificate specifies an incompatible key usage' };
  return { ok: true, chain: good };
}

function spkiOf(x: ParsedCertificate | KeyPair | KeyObject): Buffer {
  return 'der' in x && 'publicKeyDer' in x ? x.publicKeyDer : spkiDerOf(x as KeyPair | KeyObject);
}

/** kubeadm's --discovery-token-ca-cert-hash: "sha256:" + hex SHA-256 of the DER SubjectPublicKeyInfo. */
export function spkiSha256Pin(cert: ParsedCertificate | KeyObject): string {
  return `sha256:${createHash('sha256').update(spkiOf(cert)).digest('hex')}`;
}

/** Whether `key` (a pair, private or public key) is the certificate's key. */
export function certificateMatchesKey(cert: ParsedCertificate, key: KeyPair | KeyObject): boolean {
  try {
    // Equal DER is the same key, without importing the certificate's; different DER may still be
    // the same key in another encoding, which the key comparison settles.
    if (cert.publicKeyDer.equals(spkiDerOf(key))) return true;
    return cert.publicKey.equals(publicKeyOf(key));
  } catch {
    return false;
  }
}
