// x509 client-certificate authentication (k8s.io/apiserver pkg/authentication/request/x509):
// the peer chain must verify against the client CA bundle for client auth; user = CN, groups = O.
import { createHash } from 'node:crypto';
import { type ParsedCertificate, parseCertificateDer, verifyCertificate } from '../pki/index.js';
import { AuthenticationError, type Authenticator, type AuthnRequest, type UserInfo } from './types.js';

export const CREDENTIAL_ID_EXTRA_KEY = 'authentication.kubernetes.io/credential-id';

export interface X509AuthenticatorOptions {
  /** The --client-ca-file bundle. */
  readonly roots: readonly ParsedCertificate[];
  readonly now?: () => Date;
}

export function x509Authenticator(opts: X509AuthenticatorOptions): Authenticator {
  return {
    async authenticate(req: AuthnRequest): Promise<UserInfo | null> {
      if (req.peerCertificates.length === 0 || opts.roots.length === 0) return null;
      let chain: ParsedCertificate[];
      try {
        chain = req.peerCertificates.map((der) => parseCertificateDer(der));
      } catch {
        throw new AuthenticationError('X509_UNVERIFIED', 'unparsable client certificate');
      }
      const leaf = chain[0]!;
      const verdict = verifyCertificate(leaf, {
        roots: opts.roots,
        intermediates: chain.slice(1),
        now: opts.now?.() ?? new Date(),
        usage: 'clientAuth',
      });
      if (!verdict.ok)
        throw new AuthenticationError('X509_UNVERIFIED', `verifying certificate failed: ${verdict.reason}`);
      // An empty CN names nobody: not authenticated by this authenticator (CommonNameUserConversion).
      if (!leaf.subject.commonName) return null;
      const fingerprint = createHash('sha256').update(leaf.der).digest('hex');
      return {
        username: leaf.subject.commonName,
        groups: [...leaf.subject.organizations],
        extra: { [CREDENTIAL_ID_EXTRA_KEY]: [`X509SHA256=${fingerprint}`] },
      };
    },
  };
}
