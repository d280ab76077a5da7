// ValidatePodCertificateRequestCreate and …Update (pkg/apis/certificates/validation, 1.35): the
// spec names a pod, its service account and node by name and UID, a key in PKIX form, and a proof
// of possession: the key's signature over the pod UID, so a request names only a key its sender
// holds. Checks run in upstream's order and stop where upstream returns.
import type { PodCertificateRequest, PodCertificateRequestSpec } from '@mkube/shared/api';
import { type FieldError, fieldErrors, GoSyntax } from '@mkube/shared/apierrors';
import { validateSignerName } from '@mkube/shared/certificates';
import { parsePodCertificatePublicKey, verifyProofOfPossession } from '@mkube/shared/pki';
import { nameIsDNSSubdomain } from '../../validation/names.js';
import { FIELD_IMMUTABLE_ERROR_MSG } from '../../validation/objectmeta.js';
import { validateUserAnnotations } from '../../validation/userannotations.js';
import { decodeStdBase64 } from './bytes.js';

export const MAX_PKIX_PUBLIC_KEY_SIZE = 10 * 1024;
export const MAX_PROOF_OF_POSSESSION_SIZE = 10 * 1024;
export const MIN_MAX_EXPIRATION_SECONDS = 60 * 60;
export const MAX_MAX_EXPIRATION_SECONDS = 91 * 24 * 60 * 60;
export const KUBERNETES_MAX_MAX_EXPIRATION_SECONDS = 24 * 60 * 60;
export const DEFAULT_MAX_EXPIRATION_SECONDS = 86400;
const MAX_UID_LENGTH = 128;
/** field.OmitValue(): the message names no value. */
const OMITTED = undefined;

/** IsKubernetesSignerName: the signer's domain is kubernetes.io or one of its subdomains. */
export function isKubernetesSignerName(signerName: string): boolean {
  const host = signerName.split('/')[0]!;
  return host === 'kubernetes.io' || host.endsWith('.kubernetes.io');
}

/** The largest maxExpirationSeconds a signer accepts. */
export function maxExpirationFor(signerName: string): number {
  return isKubernetesSignerName(signerName) ? KUBERNETES_MAX_MAX_EXPIRATION_SECONDS : MAX_MAX_EXPIRATION_SECONDS;
}

function validateUID(uid: string | undefined, path: string): FieldError[] {
  if (!uid) return [fieldErrors.invalid(path, uid ?? '', 'must not be empty')];
  if (Buffer.byteLength(uid) > MAX_UID_LENGTH) return [fieldErrors.tooLong(path, MAX_UID_LENGTH)];
  return [];
}

function validateDNSSubdomainField(value: string | undefined, path: string): FieldError[] {
  return nameIsDNSSubdomain(value ?? '', false).map((m) => fieldErrors.invalid(path, value ?? '', m));
}

/** A `[]byte` field as JSON carries it; undefined (with an error) when it is not base64. */
function bytesOf(value: string | undefined, path: string, errs: FieldError[]): Buffer | undefined {
  const d = decodeStdBase64(value ?? '');
  if (d.ok) return d.bytes;
  errs.push(fieldErrors.invalid(path, OMITTED, d.error));
  return undefined;
}

export function validatePodCertificateRequestCreate(req: PodCertificateRequest): FieldError[] {
  const spec = (req.spec ?? {}) as Partial<PodCertificateRequestSpec>;
  const errs: FieldError[] = [];
  const signerName = spec.signerName ?? '';
  errs.push(...validateSignerName('spec.signerName', signerName));
  if (spec.unverifiedUserAnnotations != null) {
    errs.push(...validateUserAnnotations(spec.unverifiedUserAnnotations, 'spec.unverifiedUserAnnotations'));
  }
  errs.push(...validateDNSSubdomainField(spec.podName, 'spec.podName'));
  errs.push(...validateUID(spec.podUID, 'spec.podUID'));
  errs.push(...validateDNSSubdomainField(spec.serviceAccountName, 'spec.serviceAccountName'));
  errs.push(...validateUID(spec.serviceAccountUID, 'spec.serviceAccountUID'));
  errs.push(...validateDNSSubdomainField(spec.nodeName, 'spec.nodeName'));
  errs.push(...validateUID(spec.nodeUID, 'spec.nodeUID'));

  const mes = spec.maxExpirationSeconds;
  if (mes === undefined || mes === null) {
    errs.push(fieldErrors.required('spec.maxExpirationSeconds', 'must be set'));
    return errs;
  }
  const max = maxExpirationFor(signerName);
  if (mes < MIN_MAX_EXPIRATION_SECONDS || mes > max) {
    errs.push(
      fieldErrors.invalid(
        'spec.maxExpirationSeconds',
        mes,
        `must be in the range [${MIN_MAX_EXPIRATION_SECONDS}, ${max}]`,
      ),
    );
  }

  const pkix = bytesOf(spec.pkixPublicKey, 'spec.pkixPublicKey', errs);
  const proof = bytesOf(spec.proofOfPossession, 'spec.proofOfPossession', errs);
  if (!pkix || !proof) return errs;
  if (pkix.length > MAX_PKIX_PUBLIC_KEY_SIZE) {
    errs.push(fieldErrors.tooLong('spec.pkixPublicKey', MAX_PKIX_PUBLIC_KEY_SIZE));
    return errs;
  }
  if (proof.length > MAX_PROOF_OF_POSSESSION_SIZE) {
    errs.push(fieldErrors.tooLong('spec.proofOfPossession', MAX_PROOF_OF_POSSESSION_SIZE));
    return errs;
  }
  let pub: ReturnType<typeof parsePodCertificatePublicKey>;
  try {
    pub = parsePodCertificatePublicKey(pkix);
  } catch {
    errs.push(fieldErrors.invalid('spec.pkixPublicKey', goBytes(pkix), 'must be a valid PKIX-serialized public key'));
    return errs;
  }
  switch (pub.type) {
    case 'ec':
      // Upstream's message names two curves though P-521 is accepted too.
      if (!['P-256', 'P-384', 'P-521'].includes(pub.curve)) {
        errs.push(
          fieldErrors.invalid(
            'spec.pkixPublicKey',
            `curve ${pub.curve}`,
            'elliptic public keys must use curve P256 or P384',
          ),
        );
        return errs;
      }
      break;
    case 'rsa':
      if (pub.bits !== 3072 && pub.bits !== 4096) {
        errs.push(
          fieldErrors.invalid(
            'spec.pkixPublicKey',
            `${pub.bits}-bit modulus`,
            'RSA keys must have modulus size 3072 or 4096',
          ),
        );
        return errs;
      }
      break;
    case 'ed25519':
      break;
    default:
      errs.push(
        fieldErrors.invalid(
          'spec.pkixPublicKey',
          goBytes(pkix),
          'unknown public key type; supported types are Ed25519, ECDSA, and RSA',
        ),
      );
      return errs;
  }
  if (!verifyProofOfPossession(pub, spec.podUID ?? '', proof)) {
    errs.push(fieldErrors.invalid('spec.proofOfPossession', OMITTED, 'could not verify proof-of-possession signature'));
  }
  return errs;
}

/**
 * Go's %#v of a []byte: `[]byte{0x30, 0x82}` as a value of its own, `[]uint8{…}` as a struct field
 * (fmt names the field's reflect type), `(nil)` when empty.
 */
export function goBytes(bytes: Buffer | undefined, typeName = '[]byte'): GoSyntax {
  if (!bytes || bytes.length === 0) return new GoSyntax(`${typeName}(nil)`);
  return new GoSyntax(`${typeName}{${[...bytes].map((x) => `0x${x.toString(16)}`).join(', ')}}`);
}

/** A base64 []byte field as the struct's %#v prints it. */
function goField(b64: string | undefined): string {
  const d = decodeStdBase64(b64 ?? '');
  return goBytes(d.ok ? d.bytes : Buffer.from(b64 ?? ''), '[]uint8').text;
}

function goStringMap(m: Readonly<Record<string, string>> | undefined): string {
  if (!m) return 'map[string]string(nil)';
  const entries = Object.keys(m)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${JSON.stringify(m[k])}`);
  return `map[string]string{${entries.join(', ')}}`;
}

/**
 * The internal spec as Go's %#v prints it, which is how field.Invalid shows a struct. The pointer
 * field prints as an address upstream; a fixed one stands in for it.
 */
function goSpec(spec: Partial<PodCertificateRequestSpec>): GoSyntax {
  const q = (s: string | undefined) => JSON.stringify(s ?? '');
  const mes = spec.maxExpirationSeconds == null ? '(*int32)(nil)' : '(*int32)(0xc000000000)';
  return new GoSyntax(
    `certificates.PodCertificateRequestSpec{SignerName:${q(spec.signerName)}, PodName:${q(spec.podName)}, ` +
      `PodUID:${q(spec.podUID)}, ServiceAccountName:${q(spec.serviceAccountName)}, ` +
      `ServiceAccountUID:${q(spec.serviceAccountUID)}, NodeName:${q(spec.nodeName)}, NodeUID:${q(spec.nodeUID)}, ` +
      `MaxExpirationSeconds:${mes}, PKIXPublicKey:${goField(spec.pkixPublicKey)}, ` +
      `ProofOfPossession:${goField(spec.proofOfPossession)}, ` +
      `UnverifiedUserAnnotations:${goStringMap(spec.unverifiedUserAnnotations)}}`,
  );
}

/** Semantic equality of two specs: byte fields compared decoded, absent maps equal to nil ones. */
function sameSpec(a: Partial<PodCertificateRequestSpec>, b: Partial<PodCertificateRequestSpec>): boolean {
  const norm = (s: Partial<PodCertificateRequestSpec>) =>
    JSON.stringify([
      s.signerName ?? '',
      s.podName ?? '',
      s.podUID ?? '',
      s.serviceAccountName ?? '',
      s.serviceAccountUID ?? '',
      s.nodeName ?? '',
      s.nodeUID ?? '',
      s.maxExpirationSeconds ?? null,
      goField(s.pkixPublicKey),
      goField(s.proofOfPossession),
      s.unverifiedUserAnnotations
        ? Object.entries(s.unverifiedUserAnnotations).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0))
        : null,
    ]);
  return norm(a) === norm(b);
}

/** ValidatePodCertificateRequestUpdate: the whole spec is immutable (reported at `spec`). */
export function validatePodCertificateRequestUpdate(
  req: PodCertificateRequest,
  old: PodCertificateRequest,
): FieldError[] {
  const spec = req.spec ?? ({} as PodCertificateRequestSpec);
  if (sameSpec(spec, old.spec ?? {})) return [];
  return [fieldErrors.invalid('spec', goSpec(spec), FIELD_IMMUTABLE_ERROR_MSG)];
}
