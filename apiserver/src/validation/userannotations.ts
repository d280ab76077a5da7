// ValidateUserAnnotations (pkg/apis/core/validation, 1.35): the domain-prefixed keys a podCertificate
// projection passes to its signer (spec.unverifiedUserAnnotations). Upstream reports a bad key at
// the map's own path, with the lowercased key as the value.
import { type FieldError, fieldErrors } from '@mkube/shared/apierrors';
import { isQualifiedName } from '@mkube/shared/selectors';
import { TOTAL_ANNOTATION_SIZE_LIMIT_B } from './objectmeta.js';

/** validation.IsDomainPrefixedKey: a label key that carries a `<domain>/` prefix. */
function domainPrefixedKeyErrors(key: string, path: string): FieldError[] {
  if (key === '') return [fieldErrors.required(path, '')];
  const errs = isQualifiedName(key).map((m) => fieldErrors.invalid(path, key, m));
  if (errs.length) return errs;
  if (key.split('/').length !== 2)
    return [fieldErrors.invalid(path, key, 'must be a domain-prefixed key (such as "acme.io/foo")')];
  return [];
}

export function validateUserAnnotations(annotations: Readonly<Record<string, string>>, path: string): FieldError[] {
  const errs: FieldError[] = [];
  let size = 0;
  for (const [k, v] of Object.entries(annotations)) {
    errs.push(...domainPrefixedKeyErrors(k.toLowerCase(), path));
    size += Buffer.byteLength(k) + Buffer.byteLength(v ?? '');
  }
  if (size > TOTAL_ANNOTATION_SIZE_LIMIT_B) errs.push(fieldErrors.tooLong(path, TOTAL_ANNOTATION_SIZE_LIMIT_B));
  return errs;
}
