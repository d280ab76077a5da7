// x509 client-certificate authentication (k8s.io/apiserver pkg/authentication/request/x509):
// the peer chain must verify against the client CA bundle for client auth; user = CN, groups = O.
// A verified chain is remembered (keyed by the SHA-256 of its DER, bounded, until the leaf
// expires), as kube-apiserver caches verification: re-verifying a signature on every request of a
// kept-alive connection cost more than half of a GET's CPU.
import { createHash } from 'node:crypto';
import { type ParsedCertificate, parseCertificateDer, verifyCertificate } from '../pki/index.js';
import { AuthenticationError, type Authenticator, type AuthnRequest, chainsToTry, type UserInfo } from './types.js';

export const CREDENTIAL_ID_EXTRA_KEY = 'authentication.kubernetes.io/credential-id';

export interface X509AuthenticatorOptions {
  /**
   * The client CA bundle (--client-ca-file), or a function giving the current one when it can
   * change (a CA the apiserver publishes): a new bundle forgets every chain verified against the old.
   */
  readonly roots: readonly ParsedCertificate[] | (() => readonly ParsedCertificate[]);
  readonly now?: () => Date;
  /** Verified chains remembered at most (default 4096; 0 disables the cache). */
  readonly cacheSize?: number;
  /**
   * Told the time left on every presented leaf, before its chain is verified (kube-apiserver's
   * apiserver_client_certificate_expiration_seconds): also for chains that then fail.
   */
  readonly observeRemaining?: (seconds: number) => void;
}

interface Verified {
  readonly user: UserInfo | null;
  readonly notBefore: number;
  readonly notAfter: number;
  readonly leafNotAfter: number;
}

export function x509Authenticator(opts: X509AuthenticatorOptions): Authenticator {
  const cacheSize = opts.cacheSize ?? 4096;
  const cache = new Map<string, Verified>();
  // A connection presents the same chain array on every request: no hashing on the hot path.
  let byChain = new WeakMap<readonly Buffer[], Verified>();
  let lastRoots: readonly ParsedCertificate[] | undefined;
  const currentRoots = (): readonly ParsedCertificate[] => {
    const roots = typeof opts.roots === 'function' ? opts.roots() : opts.roots;
    if (roots !== lastRoots) {
      lastRoots = roots;
      cache.clear();
      byChain = new WeakMap();
    }
    return roots;
  };
  const now = () => opts.now?.() ?? new Date();

  function verify(certs: readonly Buffer[], at: Date, roots: readonly ParsedCertificate[]): Verified {
    let chain: ParsedCertificate[];
    try {
      chain = certs.map((der) => parseCertificateDer(der));
    } catch {
      throw new AuthenticationError('X509_UNVERIFIED', 'unparsable client certificate');
    }
    const leaf = chain[0]!;
    const verdict = verifyCertificate(leaf, {
      roots,
      intermediates: chain.slice(1),
      now: at,
      usage: 'clientAuth',
    });
    if (!verdict.ok)
      throw new AuthenticationError('X509_UNVERIFIED', `verifying certificate failed: ${verdict.reason}`);
    // The chain is valid only while every certificate in it is.
    const notBefore = Math.max(...verdict.chain.map((c) => c.notBefore.getTime()));
    const notAfter = Math.min(...verdict.chain.map((c) => c.notAfter.getTime()));
    // An empty CN names nobody: not authenticated by this authenticator (CommonNameUserConversion).
    const leafNotAfter = leaf.notAfter.getTime();
    if (!leaf.subject.commonName) return { user: null, notBefore, notAfter, leafNotAfter };
    const fingerprint = createHash('sha256').update(leaf.der).digest('hex');
    return {
      user: {
        username: leaf.subject.commonName,
        groups: [...leaf.subject.organizations],
        extra: { [CREDENTIAL_ID_EXTRA_KEY]: [`X509SHA256=${fingerprint}`] },
      },
      notBefore,
      notAfter,
      leafNotAfter,
    };
  }
  const keyOf = (certs: readonly Buffer[]): string => {
    const h = createHash('sha256');
    for (const der of certs) h.update(der);
    return h.digest('base64');
  };
  /** A chain's verdict from the cache, or verified now and remembered (failures are not). */
  const verdictOf = (certs: readonly Buffer[], at: Date, roots: readonly ParsedCertificate[]): Verified => {
    const t = at.getTime();
    const key = keyOf(certs);
    const hit = cache.get(key);
    if (hit && t >= hit.notBefore && t <= hit.notAfter) return hit;
    const fresh = verify(certs, at, roots);
    if (cache.size >= cacheSize) cache.delete(cache.keys().next().value!);
    cache.set(key, fresh);
    return fresh;
  };
  /** A failed chain's leaf still tells its time left (as upstream, observed before verifying). */
  const observeLeaf = (der: Buffer, t: number): void => {
    let notAfter: number;
    try {
      notAfter = parseCertificateDer(der).notAfter.getTime();
    } catch {
      return;
    }
    opts.observeRemaining?.((notAfter - t) / 1000);
  };
  const cachedUser = (v: Verified, t: number): UserInfo | null => {
    opts.observeRemaining?.((v.leafNotAfter - t) / 1000);
    return v.user;
  };

  return {
    async authenticate(req: AuthnRequest): Promise<UserInfo | null> {
      const presented = req.peerCertificates;
      if (presented.length === 0) return null;
      const roots = currentRoots();
      if (roots.length === 0) return null;
      const at = now();
      const t = at.getTime();
      const same = cacheSize === 0 ? undefined : byChain.get(presented);
      if (same && t >= same.notBefore && t <= same.notAfter) return cachedUser(same, t);
      const check = (certs: readonly Buffer[]) =>
        cacheSize === 0 ? verify(certs, at, roots) : verdictOf(certs, at, roots);
      let v: Verified | undefined;
      let failed: unknown;
      // Handed the leaf alone, a leaf its roots do not sign may verify with what the peer sent.
      for (const certs of chainsToTry(req)) {
        try {
          v = check(certs);
          break;
        } catch (e) {
          failed = e;
        }
      }
      if (!v) {
        observeLeaf(presented[0]!, t);
        throw failed;
      }
      if (cacheSize !== 0) byChain.set(presented, v);
      return cachedUser(v, t);
    },
  };
}
