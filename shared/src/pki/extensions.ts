// X.509 v3 extensions mkube writes and reads. Writers produce the exact bytes Go's crypto/x509
// writes for the same template (minimal KeyUsage BIT STRING, empty BasicConstraints for CA=false,
// AKI with only keyIdentifier); readers return plain data for ParsedCertificate.
import { createHash } from 'node:crypto';
import {
  contentOf,
  ctxPrim,
  DerError,
  DerSeq,
  decodeBitString,
  decodeBoolean,
  decodeOid,
  decodeSmallInt,
  encodeBitString,
  encodeBoolean,
  encodeOctets,
  encodeOid,
  readRoot,
  seq,
  TAG,
  type Tlv,
  tlv,
} from './der.js';
import { decodeGeneralNames, encodeGeneralNames, type ParsedSans, type SubjectAltNames } from './names.js';
import { OID } from './oids.js';
import { EXT_KEY_USAGES, extKeyUsageNameOf, KEY_USAGE_BITS } from './usages.js';

const OID_DER = {
  keyUsage: encodeOid(OID.keyUsage),
  extKeyUsage: encodeOid(OID.extKeyUsage),
  basicConstraints: encodeOid(OID.basicConstraints),
  subjectKeyIdentifier: encodeOid(OID.subjectKeyIdentifier),
  authorityKeyIdentifier: encodeOid(OID.authorityKeyIdentifier),
  subjectAltName: encodeOid(OID.subjectAltName),
};
const EKU_OID_DER = new Map<string, Buffer>(EXT_KEY_USAGES.map((e) => [e.oid, encodeOid(e.oid)]));
const TRUE = encodeBoolean(true);

function extension(oid: Buffer, critical: boolean, value: Buffer): Buffer {
  return critical ? seq(oid, TRUE, encodeOctets(value)) : seq(oid, encodeOctets(value));
}

/** KeyUsage (critical, as Go marks it): a BIT STRING with trailing zero bits trimmed. */
export function keyUsageExtension(mask: number): Buffer {
  const bytes = Buffer.alloc(2);
  for (let i = 0; i < KEY_USAGE_BITS.length; i++) {
    if (mask & (1 << i)) bytes[i >> 3]! |= 0x80 >> (i & 7);
  }
  const used = bytes[1] === 0 ? bytes.subarray(0, 1) : bytes;
  const last = used[used.length - 1]!;
  let unused = 0;
  while (unused < 8 && (last & (1 << unused)) === 0) unused++;
  return extension(OID_DER.keyUsage, true, encodeBitString(used, unused === 8 ? 0 : unused));
}

export function extKeyUsageExtension(oids: readonly string[]): Buffer {
  return extension(OID_DER.extKeyUsage, false, seq(...oids.map((o) => EKU_OID_DER.get(o) ?? encodeOid(o))));
}

/** BasicConstraints, critical; CA=false is the empty SEQUENCE (DEFAULT FALSE is omitted in DER). */
export function basicConstraintsExtension(isCA: boolean): Buffer {
  return extension(OID_DER.basicConstraints, true, isCA ? seq(TRUE) : seq());
}

export function subjectKeyIdExtension(keyId: Uint8Array): Buffer {
  return extension(OID_DER.subjectKeyIdentifier, false, encodeOctets(keyId));
}

export function authorityKeyIdExtension(keyId: Uint8Array): Buffer {
  return extension(OID_DER.authorityKeyIdentifier, false, seq(tlv(ctxPrim(0), keyId)));
}

/** SubjectAltName; critical when the subject is empty (RFC 5280 4.2.1.6), as Go does. */
export function subjectAltNameExtension(sans: SubjectAltNames, subjectEmpty: boolean): Buffer {
  return extension(OID_DER.subjectAltName, subjectEmpty, encodeGeneralNames(sans));
}

/** RFC 5280 method 1, as Go computes it for CAs: SHA-1 of the subjectPublicKey BIT STRING's bytes. */
export function subjectKeyIdOf(spki: Buffer): Buffer {
  const top = new DerSeq(spki, readRoot(spki, TAG.SEQUENCE));
  top.next(TAG.SEQUENCE);
  const bits = decodeBitString(contentOf(spki, top.next(TAG.BIT_STRING)));
  return createHash('sha1').update(bits.bytes).digest();
}

// ---- reading ------------------------------------------------------------------------------------

export interface RawExtension {
  readonly oid: string;
  readonly critical: boolean;
  /** The extnValue OCTET STRING's contents (the DER of the extension's own value). */
  readonly value: Buffer;
}

/** Extensions ::= SEQUENCE OF Extension; a repeated extension is an error, as in Go. */
export function decodeExtensions(buf: Uint8Array, exts: Tlv): RawExtension[] {
  const out: RawExtension[] = [];
  const it = new DerSeq(buf, exts);
  while (!it.done) {
    const e = new DerSeq(buf, it.next(TAG.SEQUENCE));
    const oid = decodeOid(contentOf(buf, e.next(TAG.OID)));
    const crit = e.optional(TAG.BOOLEAN);
    const critical = crit ? decodeBoolean(contentOf(buf, crit)) : false;
    const value = contentOf(buf, e.next(TAG.OCTET_STRING));
    e.end();
    if (out.some((x) => x.oid === oid)) throw new DerError(`duplicate extension ${oid}`);
    out.push({ oid, critical, value });
  }
  return out;
}

export function decodeKeyUsage(v: Buffer): string[] {
  const { bytes, unused } = decodeBitString(contentOf(v, readRoot(v, TAG.BIT_STRING)));
  const bitLen = bytes.length * 8 - unused;
  return KEY_USAGE_BITS.filter((_, i) => i < bitLen && (bytes[i >> 3]! & (0x80 >> (i & 7))) !== 0);
}

export function decodeExtKeyUsage(v: Buffer): string[] {
  const it = new DerSeq(v, readRoot(v, TAG.SEQUENCE));
  const out: string[] = [];
  while (!it.done) out.push(extKeyUsageNameOf(decodeOid(contentOf(v, it.next(TAG.OID)))));
  return out;
}

export function decodeBasicConstraints(v: Buffer): { isCA: boolean; maxPathLen?: number } {
  const it = new DerSeq(v, readRoot(v, TAG.SEQUENCE));
  const ca = it.optional(TAG.BOOLEAN);
  const pl = it.optional(TAG.INTEGER);
  it.end();
  const isCA = ca ? decodeBoolean(contentOf(v, ca)) : false;
  return pl ? { isCA, maxPathLen: decodeSmallInt(contentOf(v, pl), 'pathLenConstraint') } : { isCA };
}

export function decodeSubjectKeyId(v: Buffer): string {
  return contentOf(v, readRoot(v, TAG.OCTET_STRING)).toString('hex');
}

export function decodeAuthorityKeyId(v: Buffer): string | undefined {
  const it = new DerSeq(v, readRoot(v, TAG.SEQUENCE));
  const id = it.optional(ctxPrim(0));
  return id ? contentOf(v, id).toString('hex') : undefined;
}

export function decodeSubjectAltName(v: Buffer): ParsedSans {
  return decodeGeneralNames(v, readRoot(v, TAG.SEQUENCE));
}
