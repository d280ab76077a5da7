// PKCS#10 certificate requests. Parsing is the signing hot path: a hand-written DER walk plus one
// public-key import and one crypto.verify, with no ASN.1 library in between; creating one is the
// same DER code and one crypto.sign.
import { type KeyObject, sign } from 'node:crypto';
import {
  contentOf,
  ctxCons,
  DerSeq,
  decodeBitString,
  decodeOid,
  decodeSmallInt,
  encodeBitString,
  encodeOid,
  encodeSmallInt,
  NULL_DER,
  rawOf,
  readRoot,
  seq,
  setOf,
  TAG,
  tlv,
} from './der.js';
import { PkiError } from './errors.js';
import { decodeExtensions, decodeSubjectAltName, subjectAltNameExtension } from './extensions.js';
import { type KeyPair, type KeyType, keyTypeOf, spkiDerOf } from './keys.js';
import { decodeName, encodeName, hasSans, type Subject, type SubjectAltNames } from './names.js';
import { OID, signatureAlgorithmName } from './oids.js';
import { decodePemBlock, encodePem } from './pem.js';
import {
  decodeSignatureAlgorithm,
  type SignatureAlgorithm,
  verifySignature,
  verifySignatureAsync,
} from './signature.js';
import { importSpki } from './spki.js';

export interface ParsedCsr {
  subject: Required<Subject>;
  dnsNames: string[];
  ipAddresses: string[];
  emailAddresses: string[];
  uris: string[];
  publicKey: KeyObject;
  /** DER SubjectPublicKeyInfo, canonical (what an issued certificate carries). */
  publicKeyDer: Buffer;
  keyType: KeyType | undefined;
  signatureAlgorithm: string;
}

const CSR_PEM_TYPES = ['CERTIFICATE REQUEST'] as const;

/** Parses a PEM "CERTIFICATE REQUEST" and verifies its self-signature. */
export function parseCsrPem(pem: string | Uint8Array): ParsedCsr {
  const block = decodePemBlock(pem, CSR_PEM_TYPES, 'certificate request');
  return parseCsrDer(block.der);
}

export function parseCsrDer(der: Buffer): ParsedCsr {
  const d = decodeCsr(der);
  if (!verifySignature(d.alg, d.tbs, d.parsed.publicKey, d.signature)) throw badSignature();
  return d.parsed;
}

/**
 * parseCsrPem with the signature checked on libuv's thread pool: a server validating CSRs keeps
 * the ECDSA or RSA verification (the largest part of a parse) off its event loop.
 */
export async function parseCsrPemAsync(pem: string | Uint8Array): Promise<ParsedCsr> {
  const block = decodePemBlock(pem, CSR_PEM_TYPES, 'certificate request');
  const d = decodeCsr(block.der);
  if (!(await verifySignatureAsync(d.alg, d.tbs, d.parsed.publicKey, d.signature))) throw badSignature();
  return d.parsed;
}

const badSignature = (): PkiError =>
  new PkiError('BadCsrSignature', 'certificate request signature verification failed');

interface DecodedCsr {
  readonly parsed: ParsedCsr;
  readonly alg: SignatureAlgorithm;
  readonly tbs: Buffer;
  readonly signature: Buffer;
}

/** Everything but the signature check: structure, names, SANs, a usable key and a known algorithm. */
function decodeCsr(der: Buffer): DecodedCsr {
  let parsed: Omit<ParsedCsr, 'publicKey' | 'publicKeyDer' | 'keyType'> & { spki: Buffer };
  let tbs: Buffer;
  let sig: ReturnType<typeof decodeSignatureAlgorithm>;
  let signature: Buffer;
  try {
    const top = new DerSeq(der, readRoot(der, TAG.SEQUENCE));
    const infoTlv = top.next(TAG.SEQUENCE);
    sig = decodeSignatureAlgorithm(der, top.next(TAG.SEQUENCE));
    const bits = decodeBitString(contentOf(der, top.next(TAG.BIT_STRING)));
    top.end();
    if (bits.unused !== 0) throw new Error('signature has unused bits');
    signature = bits.bytes;
    tbs = rawOf(der, infoTlv);

    const info = new DerSeq(der, infoTlv);
    if (decodeSmallInt(contentOf(der, info.next(TAG.INTEGER)), 'version') !== 0) throw new Error('unsupported version');
    const subject = decodeName(der, info.next(TAG.SEQUENCE));
    const spki = rawOf(der, info.next(TAG.SEQUENCE));
    const sans = {
      dnsNames: [] as string[],
      ipAddresses: [] as string[],
      emailAddresses: [] as string[],
      uris: [] as string[],
    };
    const attrs = info.optional(ctxCons(0));
    info.end();
    if (attrs) {
      const it = new DerSeq(der, attrs);
      while (!it.done) {
        const attr = new DerSeq(der, it.next(TAG.SEQUENCE));
        const type = decodeOid(contentOf(der, attr.next(TAG.OID)));
        const values = new DerSeq(der, attr.next(TAG.SET));
        attr.end();
        if (type !== OID.extensionRequest) continue;
        while (!values.done) {
          for (const ext of decodeExtensions(der, values.next(TAG.SEQUENCE))) {
            if (ext.oid === OID.subjectAltName) Object.assign(sans, decodeSubjectAltName(ext.value));
          }
        }
      }
    }
    parsed = { subject, ...sans, spki, signatureAlgorithm: signatureAlgorithmName(sig.oid) };
  } catch (e) {
    throw new PkiError('BadCsr', `invalid certificate request: ${e instanceof Error ? e.message : String(e)}`, {
      cause: e,
    });
  }

  let imported: ReturnType<typeof importSpki>;
  try {
    imported = importSpki(parsed.spki);
  } catch (e) {
    throw new PkiError('BadCsr', 'invalid certificate request: unusable public key', { cause: e });
  }
  if (!sig.alg) {
    throw new PkiError(
      'BadCsrSignature',
      `unsupported certificate request signature algorithm ${parsed.signatureAlgorithm}`,
    );
  }
  const { spki: _spki, ...rest } = parsed;
  return {
    parsed: { ...rest, publicKey: imported.key, publicKeyDer: imported.spki, keyType: keyTypeOf(imported.key) },
    alg: sig.alg,
    tbs,
    signature,
  };
}

/**
 * A PEM "CERTIFICATE REQUEST" signed by `key`, carrying `subject` and, if any, a SAN extension
 * request — built with the same DER code as certificates and one crypto.sign: kubelets make one per
 * rotation, and a thousand joining at once made the ASN.1 library's path (key re-import into
 * WebCrypto, object model) a visible share of the join's CPU.
 */
export async function createCsrPem(key: KeyPair, subject: Subject, sans: SubjectAltNames = {}): Promise<string> {
  let info: Buffer;
  try {
    const nameDer = encodeName(subject);
    const sanExt = hasSans(sans) ? subjectAltNameExtension(sans, nameDer.length === 2) : undefined;
    // attributes [0]: at most one, extensionRequest { Extensions }.
    const attributes = sanExt
      ? tlv(ctxCons(0), seq(encodeOid(OID.extensionRequest), setOf([seq(sanExt)])))
      : tlv(ctxCons(0));
    info = seq(encodeSmallInt(0), nameDer, spkiDerOf(key), attributes);
  } catch (e) {
    throw new PkiError('InvalidRequest', e instanceof Error ? e.message : String(e), { cause: e });
  }
  const algorithm =
    key.type === 'ecdsa-p256' ? seq(encodeOid(OID.ecdsaWithSha256)) : seq(encodeOid(OID.sha256WithRsa), NULL_DER);
  const signature = sign('sha256', info, key.privateKey);
  return encodePem('CERTIFICATE REQUEST', seq(info, algorithm, encodeBitString(signature)));
}
