// status.certificate rules (k8s pkg/apis/certificates/validation validateCertificate): empty, or
// one or more PEM `CERTIFICATE` blocks without headers, each holding a parseable X.509 certificate.
import { type ParsedCertificate, parseCertificateDer } from '@mkube/shared/pki';
import { decodePemBlocks } from './pem.js';

const CERTIFICATE_BLOCK_TYPE = 'CERTIFICATE';

/** The problem with an issued-certificate bundle, worded as Kubernetes words it, or null. */
export function certificateProblem(pem: Buffer): string | null {
  if (pem.length === 0) return null;
  const blocks = decodePemBlocks(pem.toString('latin1'));
  for (const block of blocks) {
    if (block.type !== CERTIFICATE_BLOCK_TYPE) return `only CERTIFICATE PEM blocks are allowed, found "${block.type}"`;
    if (Object.keys(block.headers).length !== 0) return 'no PEM block headers are permitted';
    if (block.bytes.length === 0) return 'found CERTIFICATE PEM block containing 0 certificates';
    try {
      // The signer's own DER reader (fields, extensions, public key) at half the cost of Node's
      // X509Certificate, which runs OpenSSL 3's decoder for the key of every issued certificate.
      parseCertificateDer(block.bytes);
    } catch {
      // Go reports its parser's wording; this is the one its cryptobyte parser uses for bad DER.
      return 'x509: malformed certificate';
    }
  }
  if (blocks.length === 0) return 'must contain at least one CERTIFICATE PEM block';
  return null;
}

/** The bundle's first certificate (Go's cert.ParseCertsPEM(...)[0]), or undefined when there is none or it is malformed. */
export function firstCertificate(pem: Buffer): ParsedCertificate | undefined {
  const block = decodePemBlocks(pem.toString('latin1')).find((b) => b.type === CERTIFICATE_BLOCK_TYPE);
  if (!block) return undefined;
  try {
    return parseCertificateDer(block.bytes);
  } catch {
    return undefined;
  }
}
