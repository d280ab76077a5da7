// --tls-sni-cert-key: named serving certificates picked by the ClientHello's server name, as
// k8s.io/apiserver serves them (cliflag.NamedCertKey for the flag, dynamiccertificates'
// BuildNamedCertificates and getCertificateNames for the names, crypto/tls's NameToCertificate
// lookup with one wildcard label). Anything no name matches gets the default certificate.
import { isIP } from 'node:net';
import type { ConfigProblem } from '../flags/configerror.js';
import { readKeyPair } from '../flags/pem.js';
import type { ParsedCertificate } from '../pki/index.js';

export interface NamedCertKey {
  readonly certFile: string;
  readonly keyFile: string;
  /** Domain patterns from the flag; empty: the certificate's own names. */
  readonly names: readonly string[];
}

export interface SNICertificate extends NamedCertKey {
  /** The certificate chain and key, PEM. */
  readonly certPem: string;
  readonly keyPem: string;
  /** The names it serves: the flag's, else its CommonName (when a domain) and DNS SANs. */
  readonly servedNames: readonly string[];
}

/** One flag value, `certfile,keyfile[:name1,name2]`; throws with NamedCertKey.Set's messages. */
export function parseNamedCertKey(value: string): NamedCertKey {
  const colon = value.indexOf(':');
  let names: string[] = [];
  let pair = value.trim();
  if (colon >= 0) {
    pair = value.slice(0, colon).trim();
    const list = value.slice(colon + 1).trim();
    if (list === '') throw new Error('empty names list is not allowed');
    names = list.split(',').map((n) => n.trim());
  }
  const files = pair.split(',');
  if (files.length !== 2) throw new Error('expected comma separated certificate and key file paths');
  return { certFile: files[0]!.trim(), keyFile: files[1]!.trim(), names };
}

const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** getCertificateNames: the CommonName when it is a (wildcard) domain and not an IP, then the DNS SANs. */
export function certificateNames(cert: Pick<ParsedCertificate, 'subject' | 'dnsNames'>): string[] {
  const cn = cert.subject.commonName ?? '';
  const bare = cn.startsWith('*.') ? cn.slice(2) : cn;
  const cnIsDomain = cn === '*' || (bare.length > 0 && bare.length <= 253 && DNS1123_SUBDOMAIN.test(bare));
  return [...(cnIsDomain && isIP(cn) === 0 ? [cn] : []), ...cert.dnsNames];
}

/**
 * Name → entry, as BuildNamedCertificates: earlier entries win over later ones, and a name given
 * on the flag wins over a name read from any certificate.
 */
export function nameIndex<T extends Pick<SNICertificate, 'names' | 'servedNames'>>(
  entries: readonly T[],
): Map<string, T> {
  const derived = new Map<string, T>();
  const explicit = new Map<string, T>();
  for (let i = entries.length - 1; i >= 0; i--) {
    const e = entries[i]!;
    const into = e.names.length > 0 ? explicit : derived;
    for (const n of e.servedNames) into.set(n.toLowerCase(), e);
  }
  for (const [n, e] of explicit) derived.set(n, e);
  return derived;
}

/** crypto/tls's lookup: the lower-cased name, else the name with its first label as `*`. */
export function lookupServerName<T>(index: ReadonlyMap<string, T>, serverName: string): T | undefined {
  const name = serverName.toLowerCase();
  const exact = index.get(name);
  if (exact || name === '') return exact;
  const labels = name.split('.');
  labels[0] = '*';
  return index.get(labels.join('.'));
}

/** Every --tls-sni-cert-key value read and checked; each problem names the flag and the file. */
export function loadSNICertificates(
  values: readonly string[],
  flag: string,
  problems: ConfigProblem[],
): SNICertificate[] {
  const out: SNICertificate[] = [];
  for (const value of values) {
    let nck: NamedCertKey;
    try {
      nck = parseNamedCertKey(value);
    } catch (e) {
      problems.push({
        code: 'BAD_VALUE',
        flag,
        message: `invalid argument ${JSON.stringify(value)}: ${(e as Error).message}`,
      });
      continue;
    }
    const before = problems.length;
    const { certPem, keyPem, certs } = readKeyPair({ flag, file: nck.certFile }, { flag, file: nck.keyFile }, problems);
    if (problems.length > before || !certPem || !keyPem || !certs[0]) continue;
    const servedNames = nck.names.length > 0 ? nck.names : certificateNames(certs[0]);
    if (servedNames.length === 0) {
      problems.push({
        code: 'BAD_CERTIFICATE',
        flag,
        file: nck.certFile,
        message:
          'the certificate names no domain (CommonName or DNS SAN) to serve it for: give the names after a colon',
      });
      continue;
    }
    out.push(Object.freeze({ ...nck, certPem, keyPem, servedNames: Object.freeze([...servedNames]) }));
  }
  return out;
}
