// ConfigMap kube-system/extension-apiserver-authentication as a server that delegates authentication
// reads it: kube-apiserver writes its client CA and its front-proxy (request-header) settings there,
// each header list as a JSON array.
import { type ParsedCertificate, parseCertificatesPem } from '@mkube/shared/pki';

/** The front proxy's settings: whom to believe, and which headers carry the user. */
export interface RequestHeaderInfo {
  readonly roots: readonly ParsedCertificate[];
  readonly allowedNames: readonly string[];
  readonly usernameHeaders: readonly string[];
  readonly uidHeaders: readonly string[];
  readonly groupHeaders: readonly string[];
  readonly extraHeaderPrefixes: readonly string[];
}

export const RH_LISTS = {
  allowedNames: 'requestheader-allowed-names',
  usernameHeaders: 'requestheader-username-headers',
  uidHeaders: 'requestheader-uid-headers',
  groupHeaders: 'requestheader-group-headers',
  extraHeaderPrefixes: 'requestheader-extra-headers-prefix',
} as const;

/**
 * The request-header settings a ConfigMap's data holds (kube-apiserver writes each list as a JSON
 * array); undefined when it has no request-header CA (an apiserver without --requestheader-*).
 * Throws, naming the key, when one does not parse.
 */
export function requestHeaderFromConfigMap(data: Record<string, string>): RequestHeaderInfo | undefined {
  const pem = data['requestheader-client-ca-file'] ?? '';
  if (!pem.trim()) return undefined;
  const roots = parseCertificatesPem(pem);
  if (roots.length === 0) throw new Error('requestheader-client-ca-file: no certificate in it');
  const lists: Record<string, string[]> = {};
  for (const [field, key] of Object.entries(RH_LISTS)) {
    const raw = data[key];
    if (raw === undefined || raw === '') {
      lists[field] = [];
      continue;
    }
    let v: unknown;
    try {
      v = JSON.parse(raw);
    } catch (e) {
      throw new Error(`${key}: ${(e as Error).message}`);
    }
    if (v === null) v = [];
    if (!Array.isArray(v) || !v.every((x) => typeof x === 'string'))
      throw new Error(`${key}: not a JSON list of strings`);
    lists[field] = v as string[];
  }
  return { roots, ...(lists as unknown as Omit<RequestHeaderInfo, 'roots'>) };
}
