// spec.signerName syntax (k8s pkg/apis/core/validation ValidateSignerName): `<domain>/<path>`, the
// domain a dotted DNS name of ≥ 2 labels, the path dot-separated subdomains, 571 bytes at most.
import { type FieldError, fieldErrors } from '../apierrors/index.js';
import {
  DNS1123_LABEL_MAX_LENGTH,
  DNS1123_SUBDOMAIN_MAX_LENGTH,
  isDNS1123Label,
  isDNS1123Subdomain,
} from '../selectors/index.js';

const MAX_DOMAIN_LENGTH = DNS1123_SUBDOMAIN_MAX_LENGTH;
// `<fqdn>/<namespace>.<name>`: room for a label, a dot and a subdomain after the slash.
const MAX_PATH_LENGTH = DNS1123_SUBDOMAIN_MAX_LENGTH + DNS1123_LABEL_MAX_LENGTH + 1;
export const MAX_SIGNER_NAME_LENGTH = MAX_DOMAIN_LENGTH + MAX_PATH_LENGTH + 1;

const bytes = (s: string): number => Buffer.byteLength(s, 'utf8');

/** The first label's problems only: later labels would repeat indistinguishable messages. */
function firstLabelErrors(field: string, segment: string, check: (l: string) => string[]): FieldError[] {
  for (const label of segment.split('.')) {
    const errs = check(label);
    if (errs.length)
      return errs.map((msg) => fieldErrors.invalid(field, segment, `validating label "${label}": ${msg}`));
  }
  return [];
}

export function validateSignerName(field: string, signerName: string | undefined): FieldError[] {
  if (!signerName) return [fieldErrors.required(field)];
  const segments = signerName.split('/');
  if (segments.length !== 2) {
    return [
      fieldErrors.invalid(
        field,
        signerName,
        "must be a fully qualified domain and path of the form 'example.com/signer-name'",
      ),
    ];
  }
  const [domain, path] = segments as [string, string];
  const errs: FieldError[] = [];
  if (bytes(domain) > MAX_DOMAIN_LENGTH) errs.push(fieldErrors.tooLong(field, MAX_DOMAIN_LENGTH));
  errs.push(...firstLabelErrors(field, domain, isDNS1123Label));
  if (domain.split('.').length < 2) {
    errs.push(fieldErrors.invalid(field, domain, 'should be a domain with at least two segments separated by dots'));
  }
  errs.push(...firstLabelErrors(field, path, isDNS1123Subdomain));
  if (bytes(signerName) > MAX_SIGNER_NAME_LENGTH) errs.push(fieldErrors.tooLong(field, MAX_SIGNER_NAME_LENGTH));
  return errs;
}
