// certificates.k8s.io ClusterTrustBundle (pkg/registry/certificates/clustertrustbundle and
// pkg/apis/certificates/validation): a named PEM bundle of CA certificates, optionally tied to a
// signer. A signer's bundles are named `<signer with / as :>:<rest>`; the signer name is immutable.
// Who may tie a bundle to a signer is the ClusterTrustBundleAttest admission plugin's business.
import { X509Certificate } from 'node:crypto';
import type { ClusterTrustBundle } from '@mkube/shared/api';
import { type FieldError, fieldErrors } from '@mkube/shared/apierrors';
import { validateSignerName } from '@mkube/shared/certificates';
import { type NameValidator, nameIsDNSSubdomain } from '../../validation/names.js';
import { validateImmutableField } from '../../validation/objectmeta.js';
import type { RESTStrategy } from '../strategy.js';
import { decodePemBlocks } from './pem.js';

/** certificates.MaxTrustBundleSize. */
export const MAX_TRUST_BUNDLE_SIZE = 1024 * 1024;

const OMITTED = '<value omitted>';
const TRUST_BUNDLE = 'spec.trustBundle';

/** The name prefix a signer's bundles carry: `example.com/foo` → `example.com:foo:`. */
export function signerNamePrefix(signerName: string): string {
  return `${signerName.replaceAll('/', ':')}:`;
}

/** ValidateClusterTrustBundleName. */
export function clusterTrustBundleName(signerName: string | undefined): NameValidator {
  return (name, prefix) => {
    if (!signerName) {
      if (name.includes(':')) return ['ClusterTrustBundle without signer name must not have ":" in its name'];
      return nameIsDNSSubdomain(name, prefix);
    }
    const required = signerNamePrefix(signerName);
    if (!name.startsWith(required)) {
      return [`ClusterTrustBundle for signerName ${signerName} must be named with prefix ${required}`];
    }
    return nameIsDNSSubdomain(name.slice(required.length), prefix);
  };
}

/**
 * validateTrustBundle: only CERTIFICATE blocks without headers, each a CA certificate, at least one,
 * none twice. A malformed block suppresses the duplicate and emptiness checks, as upstream.
 */
export function validateTrustBundle(bundle: string | undefined): FieldError[] {
  const text = bundle ?? '';
  if (Buffer.byteLength(text) > MAX_TRUST_BUNDLE_SIZE)
    return [fieldErrors.tooLong(TRUST_BUNDLE, MAX_TRUST_BUNDLE_SIZE)];
  const errs: FieldError[] = [];
  const seen = new Map<string, number[]>();
  decodePemBlocks(text).forEach((b, i) => {
    if (b.type !== 'CERTIFICATE') {
      errs.push(fieldErrors.invalid(TRUST_BUNDLE, OMITTED, `entry ${i} has bad block type: ${b.type}`));
      return;
    }
    if (Object.keys(b.headers).length > 0) {
      errs.push(fieldErrors.invalid(TRUST_BUNDLE, OMITTED, `entry ${i} has PEM block headers`));
      return;
    }
    let cert: X509Certificate;
    try {
      cert = new X509Certificate(b.bytes);
    } catch {
      errs.push(fieldErrors.invalid(TRUST_BUNDLE, OMITTED, `entry ${i} does not parse as X.509`));
      return;
    }
    // Node reports `ca` only for a valid basicConstraints extension with cA set: IsCA and
    // BasicConstraintsValid together.
    if (!cert.ca) {
      errs.push(fieldErrors.invalid(TRUST_BUNDLE, OMITTED, `entry ${i} does not have the CA bit set`));
      return;
    }
    const key = b.bytes.toString('base64');
    seen.set(key, [...(seen.get(key) ?? []), i]);
  });
  if (errs.length) return errs;
  if (seen.size === 0)
    errs.push(fieldErrors.invalid(TRUST_BUNDLE, OMITTED, 'at least one trust anchor must be provided'));
  for (const indices of seen.values()) {
    if (indices.length > 1) {
      errs.push(fieldErrors.invalid(TRUST_BUNDLE, OMITTED, `duplicate trust anchor (indices [${indices.join(' ')}])`));
    }
  }
  return errs;
}

function validateSpec(ctb: ClusterTrustBundle, parseBundle: boolean): FieldError[] {
  const errs: FieldError[] = [];
  const signer = ctb.spec?.signerName;
  if (signer) errs.push(...validateSignerName('spec.signerName', signer));
  if (parseBundle) errs.push(...validateTrustBundle(ctb.spec?.trustBundle));
  return errs;
}

export const clusterTrustBundleStrategy: RESTStrategy<ClusterTrustBundle> = {
  prepareForCreate(): void {},
  prepareForUpdate(): void {},
  nameValidator: (ctb) => clusterTrustBundleName(ctb.spec?.signerName),
  validate: (ctb) => validateSpec(ctb, true),
  validateUpdate(ctb, old): FieldError[] {
    // An unchanged bundle is not parsed again (a stored one stays updatable if parsing grows stricter).
    return [
      ...validateSpec(ctb, ctb.spec?.trustBundle !== old.spec?.trustBundle),
      ...validateImmutableField(ctb.spec?.signerName ?? '', old.spec?.signerName ?? '', 'spec.signerName'),
    ];
  },
  selectableFields: (ctb) => ({ 'spec.signerName': ctb.spec?.signerName ?? '' }),
  allowCreateOnUpdate: false,
};
