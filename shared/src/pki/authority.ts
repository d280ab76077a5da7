// A certificate authority: its certificate and key, and the only two ways to sign with it —
// `issue` (a template from code) and `signCsr` (a PKCS#10 request, the kcm signer's path). Both
// apply Kubernetes' rules: random 128-bit serial, 5-minute backdate, short-TTL rule, notAfter
// inside the CA's, usages from certificates/v1 names, CA=false unless asked, requested extensions
// dropped (only subject and SANs are copied from a CSR).
import type { KeyObject } from 'node:crypto';
import { type ParsedCertificate, parseCertificatePem } from './certificate.js';
import { type ParsedCsr, parseCsrPem } from './csr.js';
import { DerError } from './der.js';
import { PkiError } from './errors.js';
import { basicConstraintsExtension, keyUsageExtension, subjectKeyIdExtension, subjectKeyIdOf } from './extensions.js';
import {
  encodePrivateKeyPem,
  generateKeyPair,
  type KeyPair,
  type KeyType,
  parsePrivateKeyPem,
  spkiDerOf,
} from './keys.js';
import { encodeName, type Subject, type SubjectAltNames } from './names.js';
import { encodePem } from './pem.js';
import { peculiar, signingAlgorithmFor, toCryptoKeyPair } from './provider.js';
import { importSpki } from './spki.js';
import { buildAndSign, randomSerial, type SignerContext, signerContext } from './tbs.js';
import { type KeyUsageName, keyUsageMaskOf, resolveUsages } from './usages.js';
import { BACKDATE_MS, leafValidity, truncateToSecond } from './validity.js';
import { certificateMatchesKey } from './verify.js';

export interface IssueRequest extends SubjectAltNames {
  subject: Subject;
  /** The subject's public key, as a KeyObject or DER SubjectPublicKeyInfo. */
  publicKey: KeyObject | Buffer;
  usages: readonly KeyUsageName[];
  ttlMs: number;
  isCA?: boolean;
  /** Injectable clock; defaults to the current time. */
  now?: Date;
}

export interface IssuedCertificate {
  der: Buffer;
  pem: string;
  serialHex: string;
  notBefore: Date;
  notAfter: Date;
}

export interface SelfSignedOptions {
  commonName: string;
  key?: KeyPair;
  keyType?: KeyType;
  /** Default 10 years (kubeadm's CA validity). */
  validityMs?: number;
  now?: Date;
}

export const CA_VALIDITY_MS = 10 * 365 * 24 * 60 * 60 * 1000;
const CA_KEY_USAGE = keyUsageMaskOf(['digitalSignature', 'keyCertSign', 'cRLSign']);
const USAGE_CACHE_MAX = 64;

function invalid(e: unknown): PkiError {
  if (e instanceof PkiError) return e;
  if (e instanceof DerError) return new PkiError('InvalidRequest', e.message, { cause: e });
  return new PkiError('InvalidRequest', e instanceof Error ? e.message : String(e), { cause: e });
}

export class CertificateAuthority {
  readonly certificate: ParsedCertificate;
  readonly certPem: string;
  readonly keyType: KeyType;
  readonly #signer: SignerContext;
  /** usages → resolved masks; requests reuse a handful of usage sets, so this stays tiny. */
  readonly #usageCache = new Map<string, ReturnType<typeof resolveUsages>>();

  private constructor(certificate: ParsedCertificate, key: KeyPair) {
    this.certificate = certificate;
    this.certPem = certificate.pem;
    this.keyType = key.type;
    this.#signer = signerContext(key.type, key.privateKey, certificate.rawSubject, certificate.subjectKeyId);
  }

  /** Loads a CA from PEM; PkiError 'KeyMismatch' if the key is not the certificate's, 'NotCA' if it is no CA. */
  static fromPem(certPem: string | Uint8Array, keyPem: string | Uint8Array): CertificateAuthority {
    const cert = parseCertificatePem(certPem);
    const key = parsePrivateKeyPem(keyPem);
    if (!certificateMatchesKey(cert, key)) {
      throw new PkiError('KeyMismatch', 'the private key does not match the certificate');
    }
    if (!cert.isCA) throw new PkiError('NotCA', 'the certificate is not a CA (BasicConstraints CA=false)');
    return new CertificateAuthority(cert, key);
  }

  /**
   * A self-signed CA as kubeadm makes one: notBefore backdated 5 minutes, BasicConstraints CA=true
   * (critical), KeyUsage digitalSignature|keyCertSign|cRLSign (critical), SubjectKeyId; no AKI.
   */
  static async createSelfSigned(
    opts: SelfSignedOptions,
  ): Promise<{ ca: CertificateAuthority; certPem: string; keyPem: string }> {
    const key = opts.key ?? (await generateKeyPair(opts.keyType));
    const nowMs = (opts.now ?? new Date()).getTime();
    const validityMs = opts.validityMs ?? CA_VALIDITY_MS;
    if (!Number.isFinite(validityMs) || validityMs <= 0 || !Number.isFinite(nowMs)) {
      throw new PkiError('InvalidRequest', `invalid CA validity ${validityMs} ms`);
    }
    if (!opts.commonName) throw new PkiError('InvalidRequest', 'a CA needs a common name');
    const x509 = await peculiar();
    const spki = spkiDerOf(key);
    let nameDer: Buffer;
    try {
      nameDer = encodeName({ commonName: opts.commonName });
    } catch (e) {
      throw invalid(e);
    }
    const cert = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: randomSerial().toString('hex'),
      name: new x509.Name(nameDer),
      notBefore: new Date(truncateToSecond(nowMs - BACKDATE_MS)),
      notAfter: new Date(truncateToSecond(nowMs + validityMs)),
      keys: await toCryptoKeyPair(key),
      signingAlgorithm: signingAlgorithmFor(key.type),
      extensions: [
        new x509.Extension(keyUsageExtension(CA_KEY_USAGE)),
        new x509.Extension(basicConstraintsExtension(true)),
        new x509.Extension(subjectKeyIdExtension(subjectKeyIdOf(spki))),
      ],
    });
    const certPem = encodePem('CERTIFICATE', Buffer.from(cert.rawData));
    const ca = new CertificateAuthority(parseCertificatePem(certPem), key);
    return { ca, certPem, keyPem: encodePrivateKeyPem(key) };
  }

  #usages(usages: readonly string[], isCA: boolean): ReturnType<typeof resolveUsages> {
    const cacheKey = `${isCA ? 'ca' : 'leaf'}\0${usages.join('\0')}`;
    const hit = this.#usageCache.get(cacheKey);
    if (hit) return hit;
    const r = resolveUsages(usages);
    const resolved = isCA ? { ...r, keyUsageMask: r.keyUsageMask | CA_KEY_USAGE } : r;
    if (this.#usageCache.size >= USAGE_CACHE_MAX) this.#usageCache.clear();
    this.#usageCache.set(cacheKey, resolved);
    return resolved;
  }

  #issue(req: IssueRequest, spki: Buffer): IssuedCertificate {
    const validity = leafValidity((req.now ?? new Date()).getTime(), req.ttlMs, this.certificate);
    const isCA = req.isCA === true;
    const usages = this.#usages(req.usages, isCA);
    let subjectDer: Buffer;
    try {
      subjectDer = encodeName(req.subject);
      const signed = buildAndSign(this.#signer, {
        serial: randomSerial(),
        validity,
        subjectDer,
        spki,
        isCA,
        keyUsageMask: usages.keyUsageMask,
        extKeyUsageOids: usages.extKeyUsageOids,
        dnsNames: req.dnsNames,
        ipAddresses: req.ipAddresses,
        emailAddresses: req.emailAddresses,
        uris: req.uris,
      });
      return { ...signed, notBefore: validity.notBefore, notAfter: validity.notAfter };
    } catch (e) {
      throw invalid(e);
    }
  }

  /** Issues a certificate for a public key by Kubernetes' signing rules. Synchronous. */
  issue(req: IssueRequest): IssuedCertificate {
    let spki: Buffer;
    try {
      if (Buffer.isBuffer(req.publicKey)) spki = importSpki(req.publicKey).spki;
      else if (req.publicKey.type === 'secret') throw new Error('a secret key is not a public key');
      else spki = spkiDerOf(req.publicKey);
    } catch (e) {
      throw new PkiError('InvalidRequest', 'invalid public key', { cause: e });
    }
    return this.#issue(req, spki);
  }

  /**
   * Parses and verifies a PEM CSR, then issues from its subject, SANs and key only: every other
   * requested extension is dropped, usages and lifetime come from `opts`.
   */
  signCsr(
    csrPem: string | Uint8Array,
    opts: { usages: readonly KeyUsageName[]; ttlMs: number; now?: Date },
  ): IssuedCertificate {
    return this.signParsedCsr(parseCsrPem(csrPem), opts);
  }

  /** signCsr for a request already parsed (and so verified) by parseCsrPem. */
  signParsedCsr(
    csr: ParsedCsr,
    opts: { usages: readonly KeyUsageName[]; ttlMs: number; now?: Date },
  ): IssuedCertificate {
    const req: IssueRequest = {
      subject: csr.subject,
      publicKey: csr.publicKeyDer,
      dnsNames: csr.dnsNames,
      ipAddresses: csr.ipAddresses,
      emailAddresses: csr.emailAddresses,
      uris: csr.uris,
      usages: opts.usages,
      ttlMs: opts.ttlMs,
    };
    if (opts.now) req.now = opts.now;
    return this.#issue(req, csr.publicKeyDer);
  }
}
