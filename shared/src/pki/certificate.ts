// Reading X.509 certificates into plain data. The same strict DER reader as the CSR path, so what
// mkube issues and what it reads back are checked by one well-fuzzed parser (and by openssl in tests).
import type { KeyObject } from 'node:crypto';
import {
  contentOf,
  ctxCons,
  ctxPrim,
  DerSeq,
  decodeBitString,
  decodeSmallInt,
  decodeTime,
  decodeUnsigned,
  rawOf,
  readRoot,
  TAG,
  type Tlv,
} from './der.js';
import { PkiError } from './errors.js';
import {
  decodeAuthorityKeyId,
  decodeBasicConstraints,
  decodeExtensions,
  decodeExtKeyUsage,
  decodeKeyUsage,
  decodeSubjectAltName,
  decodeSubjectKeyId,
} from './extensions.js';
import { decodeName, type Subject } from './names.js';
import { OID, signatureAlgorithmName } from './oids.js';
import { decodePemBlocks, encodePem } from './pem.js';
import { decodeSignatureAlgorithm } from './signature.js';
import { lazySpki } from './spki.js';

export interface ParsedCertificate {
  der: Buffer;
  pem: string;
  subject: Required<Subject>;
  issuer: Required<Subject>;
  /** Lowercase hex of the serial number, without leading zero octets. */
  serialHex: string;
  notBefore: Date;
  notAfter: Date;
  dnsNames: string[];
  ipAddresses: string[];
  emailAddresses: string[];
  uris: string[];
  isCA: boolean;
  /** RFC 5280 names: 'digitalSignature', 'contentCommitment', 'keyEncipherment', ..., 'keyCertSign', 'cRLSign'. */
  keyUsages: string[];
  /** 'serverAuth', 'clientAuth', ... ('any' for anyExtendedKeyUsage); unknown ones as dotted OIDs. */
  extKeyUsages: string[];
  subjectKeyId?: string;
  authorityKeyId?: string;
  publicKey: KeyObject;
  /** The DER SubjectPublicKeyInfo exactly as in the certificate (what kubeadm's CA pin hashes). */
  publicKeyDer: Buffer;
  /** OpenSSL's name for it: 'ecdsa-with-SHA256', 'sha256WithRSAEncryption', ... */
  signatureAlgorithm: string;
  /** Raw DER of the subject and issuer Names (chain building compares these bytes). */
  rawSubject: Buffer;
  rawIssuer: Buffer;
  /** True when the certificate has an ExtKeyUsage extension (absent means any usage, as in Go). */
  hasExtKeyUsage: boolean;
  maxPathLen?: number;
}

/** The three parts of a signed structure: the signed bytes, the algorithm and the signature. */
export interface SignedParts {
  readonly tbs: Buffer;
  readonly algorithm: Tlv;
  readonly signature: Buffer;
}

export function splitSigned(der: Buffer): SignedParts {
  const top = new DerSeq(der, readRoot(der, TAG.SEQUENCE));
  const tbs = rawOf(der, top.next(TAG.SEQUENCE));
  const algorithm = top.next(TAG.SEQUENCE);
  const bits = decodeBitString(contentOf(der, top.next(TAG.BIT_STRING)));
  top.end();
  if (bits.unused !== 0) throw new Error('signature has unused bits');
  return { tbs, algorithm, signature: bits.bytes };
}

function parse(der: Buffer): ParsedCertificate {
  const parts = splitSigned(der);
  const outerAlg = rawOf(der, parts.algorithm);
  const tbsBuf = parts.tbs;
  const tbs = new DerSeq(tbsBuf, readRoot(tbsBuf, TAG.SEQUENCE));
  const ver = tbs.optional(ctxCons(0));
  let version = 0;
  if (ver) {
    const v = new DerSeq(tbsBuf, ver);
    version = decodeSmallInt(contentOf(tbsBuf, v.next(TAG.INTEGER)), 'version');
    v.end();
  }
  if (version > 2) throw new Error('unsupported certificate version');
  const serial = decodeUnsigned(contentOf(tbsBuf, tbs.next(TAG.INTEGER)), 'serial number');
  const innerAlg = tbs.next(TAG.SEQUENCE);
  if (!rawOf(tbsBuf, innerAlg).equals(outerAlg))
    throw new Error("inner and outer signature algorithm identifiers don't match");
  const issuerTlv = tbs.next(TAG.SEQUENCE);
  const validity = new DerSeq(tbsBuf, tbs.next(TAG.SEQUENCE));
  const nb = validity.next();
  const na = validity.next();
  validity.end();
  const subjectTlv = tbs.next(TAG.SEQUENCE);
  const spki = rawOf(tbsBuf, tbs.next(TAG.SEQUENCE));
  tbs.optional(ctxPrim(1));
  tbs.optional(ctxPrim(2));
  const extsWrap = tbs.optional(ctxCons(3));
  tbs.end();

  const cert: Omit<ParsedCertificate, 'publicKey'> = {
    der,
    pem: encodePem('CERTIFICATE', der),
    subject: decodeName(tbsBuf, subjectTlv),
    issuer: decodeName(tbsBuf, issuerTlv),
    serialHex: serial.toString('hex') || '0',
    notBefore: decodeTime(nb.tag, contentOf(tbsBuf, nb)),
    notAfter: decodeTime(na.tag, contentOf(tbsBuf, na)),
    dnsNames: [],
    ipAddresses: [],
    emailAddresses: [],
    uris: [],
    isCA: false,
    keyUsages: [],
    extKeyUsages: [],
    publicKeyDer: spki,
    signatureAlgorithm: signatureAlgorithmName(decodeSignatureAlgorithm(der, parts.algorithm).oid),
    rawSubject: rawOf(tbsBuf, subjectTlv),
    rawIssuer: rawOf(tbsBuf, issuerTlv),
    hasExtKeyUsage: false,
  };
  if (extsWrap) {
    const w = new DerSeq(tbsBuf, extsWrap);
    const exts = decodeExtensions(tbsBuf, w.next(TAG.SEQUENCE));
    w.end();
    for (const e of exts) {
      switch (e.oid) {
        case OID.subjectAltName:
          Object.assign(cert, decodeSubjectAltName(e.value));
          break;
        case OID.basicConstraints: {
          const bc = decodeBasicConstraints(e.value);
          cert.isCA = bc.isCA;
          if (bc.maxPathLen !== undefined) cert.maxPathLen = bc.maxPathLen;
          break;
        }
        case OID.keyUsage:
          cert.keyUsages = decodeKeyUsage(e.value);
          break;
        case OID.extKeyUsage:
          cert.extKeyUsages = decodeExtKeyUsage(e.value);
          cert.hasExtKeyUsage = true;
          break;
        case OID.subjectKeyIdentifier:
          cert.subjectKeyId = decodeSubjectKeyId(e.value);
          break;
        case OID.authorityKeyIdentifier: {
          const id = decodeAuthorityKeyId(e.value);
          if (id !== undefined) cert.authorityKeyId = id;
          break;
        }
      }
    }
  }
  const publicKey = lazySpki(spki);
  return Object.defineProperty(cert as ParsedCertificate, 'publicKey', {
    get: publicKey,
    enumerable: true,
    configurable: true,
  });
}

/** Parses one DER certificate; PkiError 'BadCertificate' on anything malformed. */
export function parseCertificateDer(der: Uint8Array): ParsedCertificate {
  const buf = Buffer.from(der.buffer, der.byteOffset, der.byteLength);
  try {
    return parse(buf);
  } catch (e) {
    throw new PkiError('BadCertificate', `invalid certificate: ${e instanceof Error ? e.message : String(e)}`, {
      cause: e,
    });
  }
}

function certificateBlocks(pem: string | Uint8Array): Buffer[] {
  const blocks = decodePemBlocks(pem).filter((b) => b.type === 'CERTIFICATE' && !b.headers);
  if (blocks.length === 0) throw new PkiError('BadPem', 'no "CERTIFICATE" PEM block found');
  return blocks.map((b) => b.der);
}

/** The first CERTIFICATE block of a PEM text (raw DER is accepted too). */
export function parseCertificatePem(pem: string | Uint8Array): ParsedCertificate {
  // A DER certificate starts 0x30 0x82 (SEQUENCE, two length octets); a PEM text never does.
  if (typeof pem !== 'string' && pem[0] === TAG.SEQUENCE && (pem[1] ?? 0) > 0x80) return parseCertificateDer(pem);
  return parseCertificateDer(certificateBlocks(pem)[0]!);
}

/** Every CERTIFICATE block of a PEM bundle, in order; other block types are skipped. */
export function parseCertificatesPem(pem: string | Uint8Array): ParsedCertificate[] {
  return certificateBlocks(pem).map(parseCertificateDer);
}
