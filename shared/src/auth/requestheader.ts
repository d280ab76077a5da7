// Request-header (front-proxy) authentication (k8s.io/apiserver request/headerrequest): the user in
// X-Remote-User-style headers is believed only when the client certificate verifies against the
// requestheader CA, for client auth, with a common name from the allowed list (empty: any). The
// user's UID comes from the first of the UID headers with a value (RemoteRequestHeaderUID).
import { type ParsedCertificate, parseCertificateDer, verifyCertificate } from '../pki/index.js';
import { type Authenticator, type AuthnRequest, chainsToTry, type UserInfo } from './types.js';

export interface RequestHeaderOptions {
  /** The front proxy's CA bundle, or a function giving the current one (a reloaded file). */
  readonly roots: readonly ParsedCertificate[] | (() => readonly ParsedCertificate[]);
  readonly allowedNames: readonly string[];
  readonly usernameHeaders: readonly string[];
  /** Empty or absent: the front proxy asserts no UID. */
  readonly uidHeaders?: readonly string[];
  readonly groupHeaders: readonly string[];
  readonly extraHeaderPrefixes: readonly string[];
  readonly now?: () => Date;
}

function values(h: AuthnRequest['headers'], name: string): string[] {
  const v = h[name.toLowerCase()];
  if (v === undefined) return [];
  return (Array.isArray(v) ? v : [v as string]).filter((x) => x !== '');
}

/** Whether a header is one the front proxy sets (so it must never pass through untrusted). */
export function isRequestHeader(
  name: string,
  o: Pick<RequestHeaderOptions, 'usernameHeaders' | 'uidHeaders' | 'groupHeaders' | 'extraHeaderPrefixes'>,
): boolean {
  const n = name.toLowerCase();
  return (
    o.usernameHeaders.some((h) => h.toLowerCase() === n) ||
    (o.uidHeaders ?? []).some((h) => h.toLowerCase() === n) ||
    o.groupHeaders.some((h) => h.toLowerCase() === n) ||
    o.extraHeaderPrefixes.some((p) => n.startsWith(p.toLowerCase()))
  );
}

export function requestHeaderAuthenticator(o: RequestHeaderOptions): Authenticator {
  return {
    async authenticate(req): Promise<UserInfo | null> {
      if (req.peerCertificates.length === 0) return null;
      // The first of the headers with a value, as headerValue does.
      const first = (names: readonly string[]) =>
        names.map((h) => values(req.headers, h)[0]).find((v) => v !== undefined);
      // No user named: nothing to believe, whatever the certificate (so most clients' certificates
      // are never parsed here; the outcome is the same null either way).
      const username = first(o.usernameHeaders);
      if (!username) return null;
      const roots = typeof o.roots === 'function' ? o.roots() : o.roots;
      const at = o.now?.() ?? new Date();
      const check = (certs: readonly Buffer[]) => {
        let chain: ParsedCertificate[];
        try {
          chain = certs.map((d) => parseCertificateDer(d));
        } catch {
          return undefined;
        }
        const v = verifyCertificate(chain[0]!, { roots, intermediates: chain.slice(1), usage: 'clientAuth', now: at });
        return v.ok ? chain : undefined;
      };
      let chain: ParsedCertificate[] | undefined;
      for (const certs of chainsToTry(req)) {
        chain = check(certs);
        if (chain) break;
      }
      // Not a front proxy: the other authenticators judge this certificate.
      if (!chain) return null;
      if (o.allowedNames.length > 0 && !o.allowedNames.includes(chain[0]!.subject.commonName)) return null;
      const uid = first(o.uidHeaders ?? []);
      const groups = o.groupHeaders.flatMap((h) => values(req.headers, h));
      const extra: Record<string, string[]> = {};
      for (const [name, raw] of Object.entries(req.headers)) {
        const prefix = o.extraHeaderPrefixes.find((p) => name.startsWith(p.toLowerCase()));
        if (!prefix || raw === undefined) continue;
        let key = name.slice(prefix.length);
        try {
          key = decodeURIComponent(key).toLowerCase();
        } catch {
          key = key.toLowerCase();
        }
        extra[key] = [...(extra[key] ?? []), ...(Array.isArray(raw) ? raw : [raw as string])];
      }
      return { username, ...(uid ? { uid } : {}), groups, ...(Object.keys(extra).length ? { extra } : {}) };
    },
  };
}
