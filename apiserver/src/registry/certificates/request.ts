// spec.request rules (k8s validateCSR + certificates.ParseCSR): the first PEM block must be a
// `CERTIFICATE REQUEST` that parses and whose self-signature verifies. Messages are Go's, so a
// client sees what kube-apiserver would say.
import { type ParsedCsr, PkiError, parseCsrPem, parseCsrPemAsync } from '@mkube/shared/pki';
import { decodePemBlocks } from './pem.js';

export const CSR_BLOCK_TYPE = 'CERTIFICATE REQUEST';
const NOT_A_CSR_BLOCK = 'PEM block type must be CERTIFICATE REQUEST';
// Go prints encoding/asn1's position-specific text here; mkube keeps one stable message.
const MALFORMED_CSR = 'x509: malformed certificate request';

/** Go's CheckSignature wording depends on the key type, told here by the signatureAlgorithm OID. */
const SIGNATURE_FAILURES: readonly { oidPrefix: Buffer; message: string }[] = [
  { oidPrefix: Buffer.from([0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04]), message: 'x509: ECDSA verification failure' },
  {
    oidPrefix: Buffer.from([0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01]),
    message: 'crypto/rsa: verification error',
  },
  { oidPrefix: Buffer.from([0x2b, 0x65, 0x70]), message: 'x509: Ed25519 verification failure' },
];
const UNKNOWN_SIGNATURE_FAILURE = 'x509: cannot verify signature: algorithm unimplemented';

/** One DER TLV header: where the value starts and how long it is; null when truncated. */
function readTlv(der: Buffer, at: number): { tag: number; start: number; end: number } | null {
  if (at + 2 > der.length) return null;
  const tag = der[at]!;
  let len = der[at + 1]!;
  let start = at + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4 || start + n > der.length) return null;
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + der[start + i]!;
    start += n;
  }
  const end = start + len;
  return end <= der.length ? { tag, start, end } : null;
}

/** CertificationRequest ::= SEQUENCE { info, signatureAlgorithm SEQUENCE { OID, … }, signature }. */
function signatureAlgorithmOid(der: Buffer): Buffer | null {
  const outer = readTlv(der, 0);
  if (outer?.tag !== 0x30) return null;
  const info = readTlv(der, outer.start);
  if (!info) return null;
  const alg = readTlv(der, info.end);
  if (alg?.tag !== 0x30) return null;
  const oid = readTlv(der, alg.start);
  return oid && oid.tag === 0x06 ? der.subarray(oid.start, oid.end) : null;
}

function signatureFailure(der: Buffer): string {
  const oid = signatureAlgorithmOid(der);
  const known = oid && SIGNATURE_FAILURES.find((f) => oid.subarray(0, f.oidPrefix.length).equals(f.oidPrefix));
  return known ? known.message : UNKNOWN_SIGNATURE_FAILURE;
}

function toPem(der: Buffer): string {
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${CSR_BLOCK_TYPE}-----\n${lines.join('\n')}\n-----END ${CSR_BLOCK_TYPE}-----\n`;
}

/** The problem with spec.request (decoded PEM bytes), or null when it is a valid, self-signed CSR. */
export function requestProblem(pem: Buffer): string | null {
  const block = firstBlock(pem);
  if (typeof block === 'string') return block;
  try {
    parseCsrPem(toPem(block));
    return null;
  } catch (e) {
    return problemOf(e, block);
  }
}

/**
 * requestProblem with the signature checked on libuv's thread pool (a create's check): the
 * verification is the largest part of validating a CSR, and the event loop serves everyone.
 */
export async function requestProblemAsync(pem: Buffer): Promise<string | null> {
  const block = firstBlock(pem);
  if (typeof block === 'string') return block;
  let parsed: Promise<ParsedCsr>;
  try {
    parsed = parseCsrPemAsync(toPem(block));
  } catch (e) {
    return problemOf(e, block);
  }
  return parsed.then(
    () => null,
    (e) => problemOf(e, block),
  );
}

/** Go's ParseCSR looks at the first block only; a string is the problem when it is not a CSR. */
function firstBlock(pem: Buffer): Buffer | string {
  const block = decodePemBlocks(pem.toString('latin1'))[0];
  return !block || block.type !== CSR_BLOCK_TYPE ? NOT_A_CSR_BLOCK : block.bytes;
}

function problemOf(e: unknown, der: Buffer): string {
  if (!(e instanceof PkiError)) throw e;
  switch (e.code) {
    case 'BadCsrSignature':
      return signatureFailure(der);
    case 'BadPem':
      return NOT_A_CSR_BLOCK;
    default:
      return MALFORMED_CSR;
  }
}
