// --tls-min-version and --tls-cipher-suites, as every Kubernetes server takes them
// (k8s.io/component-base/cli/flag's TLSVersion and TLSCipherSuites, with their messages), checked
// once into what Node's TLS servers take: `minVersion` and an OpenSSL `ciphers` list.
import { constants as cryptoConstants } from 'node:crypto';
import type { SecureVersion } from 'node:tls';
import { createSecureContext } from 'node:tls';
import type { ConfigProblem } from '../flags/configerror.js';
import type { FlagSpec } from '../flags/parse.js';
import { CIPHER_SUITES, INSECURE_CIPHER_NAMES, PREFERRED_CIPHER_NAMES } from './ciphers.js';

export const TLS_VERSIONS: Readonly<Record<string, SecureVersion>> = Object.freeze({
  VersionTLS10: 'TLSv1',
  VersionTLS11: 'TLSv1.1',
  VersionTLS12: 'TLSv1.2',
  VersionTLS13: 'TLSv1.3',
});

/** mkube has always served TLS 1.2 and up; an empty --tls-min-version keeps that. */
export const DEFAULT_MIN_VERSION: SecureVersion = 'TLSv1.2';

/** The two flags under upstream's names and help (SecureServingOptions.AddFlags). */
export const TLS_FLAGS: readonly FlagSpec[] = [
  {
    name: 'tls-cipher-suites',
    type: 'stringSlice',
    metavar: 'strings',
    usage:
      "Comma-separated list of cipher suites for the server. If omitted, OpenSSL's default cipher suites are used (TLS 1.3 suites are not configurable). " +
      `Preferred values: ${PREFERRED_CIPHER_NAMES.join(', ')}. Insecure values: ${INSECURE_CIPHER_NAMES.join(', ')}.`,
  },
  {
    name: 'tls-min-version',
    type: 'string',
    usage: `Minimum TLS version supported. Possible values: ${Object.keys(TLS_VERSIONS).join(', ')} (empty: VersionTLS12).`,
  },
];

export interface TLSServingOptions {
  /** Node's `minVersion`. */
  readonly minVersion: SecureVersion;
  /** The Go name as configured ('' when left to the default), as /configz shows it. */
  readonly minVersionName: string;
  /** The configured Go names, as given (for /configz and logs); empty: the defaults. */
  readonly cipherSuites: readonly string[];
  /** OpenSSL's cipher list for TLS 1.0–1.2; absent: Node's defaults. TLS 1.3 suites stay at their defaults. */
  readonly ciphers?: string;
  /** What to log at start-up, in upstream's words (insecure suites, TLS 1.3 with suites). */
  readonly warnings: readonly string[];
}

/** Which flag (or config field) each value came from, for the messages. */
export interface TLSOptionNames {
  readonly minVersion: string;
  readonly cipherSuites: string;
}

const FLAG_NAMES: TLSOptionNames = { minVersion: 'tls-min-version', cipherSuites: 'tls-cipher-suites' };

/** cliflag.TLSVersion: "" is the default; anything else must be a Go constant's name. */
export function tlsVersion(name: string): SecureVersion {
  if (name === '') return DEFAULT_MIN_VERSION;
  const v = TLS_VERSIONS[name];
  if (!v) throw new Error(`unknown tls version ${JSON.stringify(name)}`);
  return v;
}

/** The Go constant's name for a Node version ('TLSv1.2' → 'VersionTLS12'), as /configz shows it. */
export function tlsVersionName(v: SecureVersion): string {
  return Object.keys(TLS_VERSIONS).find((k) => TLS_VERSIONS[k] === v) ?? v;
}

const opensslHas = new Map<string, boolean>();
function opensslOffers(name: string): boolean {
  let ok = opensslHas.get(name);
  if (ok === undefined) {
    try {
      createSecureContext({ ciphers: name });
      ok = true;
    } catch {
      ok = false;
    }
    opensslHas.set(name, ok);
  }
  return ok;
}

/**
 * Checks both values; each problem names its flag and every one is recorded. Returns options
 * even when there were problems (the caller reports them and does not serve).
 */
export function tlsServingOptions(
  minVersionName: string | undefined,
  cipherSuites: readonly string[],
  problems: ConfigProblem[],
  names: TLSOptionNames = FLAG_NAMES,
): TLSServingOptions {
  const warnings: string[] = [];
  let minVersion = DEFAULT_MIN_VERSION;
  try {
    minVersion = tlsVersion(minVersionName ?? '');
  } catch (e) {
    problems.push({ code: 'BAD_VALUE', flag: names.minVersion, message: (e as Error).message });
  }
  const openssl: string[] = [];
  for (const name of cipherSuites) {
    const suite = Object.hasOwn(CIPHER_SUITES, name) ? CIPHER_SUITES[name] : undefined;
    if (!suite) {
      problems.push({
        code: 'BAD_VALUE',
        flag: names.cipherSuites,
        message: `Cipher suite ${name} not supported or doesn't exist`,
      });
      continue;
    }
    if (suite.insecure) warnings.push(`Use of insecure cipher '${name}' detected.`);
    if (!suite.openssl) continue;
    if (!opensslOffers(suite.openssl)) {
      problems.push({
        code: 'NOT_SUPPORTED',
        flag: names.cipherSuites,
        message: `Cipher suite ${name} (OpenSSL ${suite.openssl}) is not available in this Node.js's OpenSSL ${process.versions.openssl}`,
      });
      continue;
    }
    if (!openssl.includes(suite.openssl)) openssl.push(suite.openssl);
  }
  if (cipherSuites.length > 0 && minVersion === 'TLSv1.3') {
    // The kubelet's words (InitializeTLS); Go ignores Config.CipherSuites for TLS 1.3.
    warnings.push(`Warning: TLS 1.3 cipher suites are not configurable, ignoring --${names.cipherSuites}`);
  } else if (cipherSuites.length > 0 && openssl.length === 0) {
    // Only TLS 1.3 names: Go then has no TLS 1.0–1.2 suite to agree on, so only TLS 1.3 is negotiated.
    warnings.push(`--${names.cipherSuites} names no TLS 1.0–1.2 cipher suite: only TLS 1.3 can be negotiated`);
    minVersion = 'TLSv1.3';
  }
  return Object.freeze({
    minVersion,
    minVersionName: minVersionName ?? '',
    cipherSuites: Object.freeze([...cipherSuites]),
    ...(openssl.length > 0 && minVersion !== 'TLSv1.3' ? { ciphers: openssl.join(':') } : {}),
    warnings: Object.freeze(warnings),
  });
}

// No stateless session tickets. Kubernetes' clients (client-go, kubectl, Go's crypto/tls without a
// ClientSessionCache) never resume, and a restarted server cannot read its predecessor's tickets;
// yet OpenSSL 3 builds two per handshake, copying the session (the client certificate decoded
// again) for the second: a fifth of a server's CPU per mutual-TLS handshake, measured. A client
// that offers a session gets a full handshake, as from a server that has forgotten it.
const SERVER_SECURE_OPTIONS = cryptoConstants.SSL_OP_NO_TICKET;

/** The options to spread into tls.createServer, tls.createSecureContext or server.setSecureContext. */
export function serverTLSOptions(o: TLSServingOptions): {
  minVersion: SecureVersion;
  ciphers?: string;
  secureOptions: number;
} {
  return {
    minVersion: o.minVersion,
    ...(o.ciphers ? { ciphers: o.ciphers } : {}),
    secureOptions: SERVER_SECURE_OPTIONS,
  };
}
