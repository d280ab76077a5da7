// The signing hot path: a TBSCertificate assembled from pre-encoded pieces, signed with
// crypto.sign on the CA's KeyObject. Everything constant for a CA (issuer Name, AlgorithmIdentifier,
// AKI extension, signing key) is encoded once in `SignerContext`; per certificate only the serial,
// validity, subject, key, usages and SANs are encoded.
import { type KeyObject, randomBytes, sign } from 'node:crypto';
import { ctxCons, encodeBitString, encodeOid, encodeTime, encodeUnsigned, NULL_DER, seq, tlv } from './der.js';
import {
  authorityKeyIdExtension,
  basicConstraintsExtension,
  extKeyUsageExtension,
  keyUsageExtension,
  subjectAltNameExtension,
  subjectKeyIdExtension,
  subjectKeyIdOf,
} from './extensions.js';
import type { KeyType } from './keys.js';
import { hasSans, type SubjectAltNames } from './names.js';
import { OID } from './oids.js';
import { encodePem } from './pem.js';
import type { Validity } from './validity.js';

const VERSION_V3 = tlv(ctxCons(0), Buffer.from([0x02, 0x01, 0x02]));

export interface SignerContext {
  readonly signingKey: KeyObject;
  readonly algorithmDer: Buffer;
  readonly issuerDer: Buffer;
  /** Null when the CA certificate has no SubjectKeyId (then leaves get no AKI, as in Go). */
  readonly akiExtension: Buffer | null;
}

/** ECDSA P-256 signs with ecdsa-with-SHA256 (no parameters); RSA with sha256WithRSAEncryption (NULL parameters). */
export function signerContext(
  keyType: KeyType,
  signingKey: KeyObject,
  issuerDer: Buffer,
  caSubjectKeyId?: string,
): SignerContext {
  const algorithmDer =
    keyType === 'ecdsa-p256' ? seq(encodeOid(OID.ecdsaWithSha256)) : seq(encodeOid(OID.sha256WithRsa), NULL_DER);
  const akiExtension = caSubjectKeyId ? authorityKeyIdExtension(Buffer.from(caSubjectKeyId, 'hex')) : null;
  return { signingKey, algorithmDer, issuerDer, akiExtension };
}

/** A random positive 128-bit serial (Kubernetes: rand.Int(rand.Reader, 1<<128)); never zero. */
export function randomSerial(): Buffer {
  for (let i = 0; i < 8; i++) {
    const b = randomBytes(16);
    if (b.some((x) => x !== 0)) return b;
  }
  throw new Error('random source returned zeros');
}

export interface TbsFields extends SubjectAltNames {
  readonly serial: Buffer;
  readonly validity: Validity;
  readonly subjectDer: Buffer;
  readonly spki: Buffer;
  readonly isCA: boolean;
  readonly keyUsageMask: number;
  readonly extKeyUsageOids: readonly string[];
}

export interface SignedCertificate {
  readonly der: Buffer;
  readonly pem: string;
  readonly serialHex: string;
}

/** Extensions in Go's order: KeyUsage, ExtKeyUsage, BasicConstraints, SubjectKeyId, AuthorityKeyId, SAN. */
function extensions(ctx: SignerContext, f: TbsFields): Buffer {
  const exts: Buffer[] = [];
  if (f.keyUsageMask) exts.push(keyUsageExtension(f.keyUsageMask));
  if (f.extKeyUsageOids.length) exts.push(extKeyUsageExtension(f.extKeyUsageOids));
  exts.push(basicConstraintsExtension(f.isCA));
  if (f.isCA) exts.push(subjectKeyIdExtension(subjectKeyIdOf(f.spki)));
  if (ctx.akiExtension) exts.push(ctx.akiExtension);
  if (hasSans(f)) exts.push(subjectAltNameExtension(f, f.subjectDer.length === 2));
  return tlv(ctxCons(3), seq(...exts));
}

export function buildAndSign(ctx: SignerContext, f: TbsFields): SignedCertificate {
  const serialDer = encodeUnsigned(f.serial);
  const tbs = seq(
    VERSION_V3,
    serialDer,
    ctx.algorithmDer,
    ctx.issuerDer,
    seq(encodeTime(f.validity.notBefore), encodeTime(f.validity.notAfter)),
    f.subjectDer,
    f.spki,
    extensions(ctx, f),
  );
  // dsaEncoding defaults to 'der', which X.509 requires for ECDSA signatures.
  const signature = sign('sha256', tbs, ctx.signingKey);
  const der = seq(tbs, ctx.algorithmDer, encodeBitString(signature));
  let i = 0;
  while (i < f.serial.length - 1 && f.serial[i] === 0) i++;
  return { der, pem: encodePem('CERTIFICATE', der), serialHex: f.serial.subarray(i).toString('hex') };
}
