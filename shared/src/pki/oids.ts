// Object identifiers mkube reads or writes (RFC 5280, RFC 5480, RFC 8017, PKCS#9).
export const OID = {
  commonName: '2.5.4.3',
  organization: '2.5.4.10',
  organizationalUnit: '2.5.4.11',
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  authorityKeyIdentifier: '2.5.29.35',
  extKeyUsage: '2.5.29.37',
  extensionRequest: '1.2.840.113549.1.9.14',
  ecPublicKey: '1.2.840.10045.2.1',
  prime256v1: '1.2.840.10045.3.1.7',
  rsaEncryption: '1.2.840.113549.1.1.1',
  ed25519: '1.3.101.112',
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  ecdsaWithSha384: '1.2.840.10045.4.3.3',
  ecdsaWithSha512: '1.2.840.10045.4.3.4',
  sha256WithRsa: '1.2.840.113549.1.1.11',
  sha384WithRsa: '1.2.840.113549.1.1.12',
  sha512WithRsa: '1.2.840.113549.1.1.13',
  sha1WithRsa: '1.2.840.113549.1.1.5',
  ecdsaWithSha1: '1.2.840.10045.4.1',
} as const;

/** Signature algorithms mkube verifies: name (as OpenSSL prints it), digest for crypto.verify (null: EdDSA). */
export const SIGNATURE_ALGORITHMS: Readonly<Record<string, { name: string; hash: string | null }>> = {
  [OID.ecdsaWithSha256]: { name: 'ecdsa-with-SHA256', hash: 'sha256' },
  [OID.ecdsaWithSha384]: { name: 'ecdsa-with-SHA384', hash: 'sha384' },
  [OID.ecdsaWithSha512]: { name: 'ecdsa-with-SHA512', hash: 'sha512' },
  [OID.sha256WithRsa]: { name: 'sha256WithRSAEncryption', hash: 'sha256' },
  [OID.sha384WithRsa]: { name: 'sha384WithRSAEncryption', hash: 'sha384' },
  [OID.sha512WithRsa]: { name: 'sha512WithRSAEncryption', hash: 'sha512' },
  [OID.ed25519]: { name: 'ED25519', hash: null },
};

/** Name of a signature algorithm OID; insecure (SHA-1) and unknown ones keep their OID text. */
export function signatureAlgorithmName(oid: string): string {
  if (oid === OID.sha1WithRsa) return 'sha1WithRSAEncryption';
  if (oid === OID.ecdsaWithSha1) return 'ecdsa-with-SHA1';
  return SIGNATURE_ALGORITHMS[oid]?.name ?? oid;
}
