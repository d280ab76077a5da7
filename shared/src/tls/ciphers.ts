// The cipher suite names Kubernetes' --tls-cipher-suites takes (Go's crypto/tls names, which are
// IANA's, as k8s.io/component-base/cli/flag lists them: tls.CipherSuites(), tls.InsecureCipherSuites()
// and two legacy CHACHA20 names) and what each is called in OpenSSL, whose names Node's `ciphers`
// option takes. TLS 1.3 suites are accepted by name but, as in Go, never configurable.

export interface CipherSuite {
  /** OpenSSL's name; absent for TLS 1.3 suites (Go ignores them in Config.CipherSuites). */
  readonly openssl?: string;
  /** In Go's InsecureCipherSuites (RC4, 3DES, CBC with SHA-256) as of the Go that builds Kubernetes 1.33. */
  readonly insecure: boolean;
}

const secure = (openssl?: string): CipherSuite => (openssl ? { openssl, insecure: false } : { insecure: false });
const insecure = (openssl: string): CipherSuite => ({ openssl, insecure: true });

/** Go name → OpenSSL name. */
export const CIPHER_SUITES: Readonly<Record<string, CipherSuite>> = Object.freeze({
  // TLS 1.3: always on when TLS 1.3 is negotiated, whatever the list says.
  TLS_AES_128_GCM_SHA256: secure(),
  TLS_AES_256_GCM_SHA384: secure(),
  TLS_CHACHA20_POLY1305_SHA256: secure(),
  // TLS 1.0–1.2, forward secret.
  TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA: secure('ECDHE-ECDSA-AES128-SHA'),
  TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA: secure('ECDHE-ECDSA-AES256-SHA'),
  TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA: secure('ECDHE-RSA-AES128-SHA'),
  TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA: secure('ECDHE-RSA-AES256-SHA'),
  TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256: secure('ECDHE-ECDSA-AES128-GCM-SHA256'),
  TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384: secure('ECDHE-ECDSA-AES256-GCM-SHA384'),
  TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256: secure('ECDHE-RSA-AES128-GCM-SHA256'),
  TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384: secure('ECDHE-RSA-AES256-GCM-SHA384'),
  TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256: secure('ECDHE-ECDSA-CHACHA20-POLY1305'),
  TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256: secure('ECDHE-RSA-CHACHA20-POLY1305'),
  // The names before Go 1.14, kept by Kubernetes for backward compatibility.
  TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305: secure('ECDHE-ECDSA-CHACHA20-POLY1305'),
  TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305: secure('ECDHE-RSA-CHACHA20-POLY1305'),
  // RSA key exchange (no forward secrecy; still in Go 1.24's CipherSuites()).
  TLS_RSA_WITH_AES_128_CBC_SHA: secure('AES128-SHA'),
  TLS_RSA_WITH_AES_256_CBC_SHA: secure('AES256-SHA'),
  TLS_RSA_WITH_AES_128_GCM_SHA256: secure('AES128-GCM-SHA256'),
  TLS_RSA_WITH_AES_256_GCM_SHA384: secure('AES256-GCM-SHA384'),
  // Go's InsecureCipherSuites(). OpenSSL 3 no longer offers RC4 or 3DES by default.
  TLS_RSA_WITH_RC4_128_SHA: insecure('RC4-SHA'),
  TLS_RSA_WITH_3DES_EDE_CBC_SHA: insecure('DES-CBC3-SHA'),
  TLS_RSA_WITH_AES_128_CBC_SHA256: insecure('AES128-SHA256'),
  TLS_ECDHE_ECDSA_WITH_RC4_128_SHA: insecure('ECDHE-ECDSA-RC4-SHA'),
  TLS_ECDHE_RSA_WITH_RC4_128_SHA: insecure('ECDHE-RSA-RC4-SHA'),
  TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA: insecure('ECDHE-RSA-DES-CBC3-SHA'),
  TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256: insecure('ECDHE-ECDSA-AES128-SHA256'),
  TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256: insecure('ECDHE-RSA-AES128-SHA256'),
});

/** Sorted names, as PreferredTLSCipherNames and InsecureTLSCipherNames list them in --help. */
export const PREFERRED_CIPHER_NAMES: readonly string[] = Object.keys(CIPHER_SUITES)
  .filter((n) => !CIPHER_SUITES[n]!.insecure)
  .sort();
export const INSECURE_CIPHER_NAMES: readonly string[] = Object.keys(CIPHER_SUITES)
  .filter((n) => CIPHER_SUITES[n]!.insecure)
  .sort();
