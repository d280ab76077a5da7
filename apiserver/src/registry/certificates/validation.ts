// CertificateSigningRequest validation (k8s pkg/apis/certificates/validation): what a CSR must look
// like, and what each update path may change. Tolerances keep objects already stored with a
// problem updatable, as Kubernetes does for compatibility.

import { isDeepStrictEqual } from 'node:util';
import { type CertificateSigningRequest, KEY_USAGES } from '@mkube/shared/api';
import { type FieldError, fieldErrors } from '@mkube/shared/apierrors';
import { validateSignerName } from '@mkube/shared/certificates';
import { decodeStdBase64 } from './bytes.js';
import { certificateProblem } from './certificate.js';
import { APPROVED, conditionsOf, DENIED, FAILED, findConditions } from './conditions.js';
import { requestProblem, requestProblemAsync } from './request.js';

export const LEGACY_UNKNOWN_SIGNER_NAME = 'kubernetes.io/legacy-unknown';
export const MIN_EXPIRATION_SECONDS = 600;

const KNOWN_USAGES: ReadonlySet<string> = new Set(KEY_USAGES);
const SORTED_USAGES = [...KEY_USAGES].sort();
/** Types that may only be "True" when present. */
const TRUE_ONLY_TYPES: ReadonlySet<string> = new Set([APPROVED, DENIED, FAILED]);
const TRUE_ONLY = ['True'];
const ALL_STATUSES = ['False', 'True', 'Unknown'];

export interface CsrValidationOptions {
  /** /approval may add or change Approved/Denied conditions. */
  readonly allowSettingApprovalConditions: boolean;
  /** /status may set status.certificate. */
  readonly allowSettingCertificate: boolean;
  readonly allowBothApprovedAndDenied: boolean;
  readonly allowLegacySignerName: boolean;
  readonly allowDuplicateConditionTypes: boolean;
  readonly allowEmptyConditionType: boolean;
  readonly allowArbitraryCertificate: boolean;
  readonly allowUnknownUsages: boolean;
  readonly allowDuplicateUsages: boolean;
}

function hasDuplicates(values: readonly string[]): boolean {
  return new Set(values).size !== values.length;
}

function decodedCertificate(csr: CertificateSigningRequest): Buffer | string {
  const raw = csr.status?.certificate ?? '';
  const d = decodeStdBase64(raw);
  return d.ok ? d.bytes : raw;
}

function sameCertificate(a: CertificateSigningRequest, b: CertificateSigningRequest): boolean {
  const x = decodedCertificate(a);
  const y = decodedCertificate(b);
  return Buffer.isBuffer(x) && Buffer.isBuffer(y) ? x.equals(y) : x === y;
}

function certificateError(csr: CertificateSigningRequest): string | null {
  const d = decodeStdBase64(csr.status?.certificate ?? '');
  return d.ok ? certificateProblem(d.bytes) : d.error;
}

/** The options for a create (old undefined) or an update; subresource powers start off. */
export function csrValidationOptions(
  csr: CertificateSigningRequest,
  old?: CertificateSigningRequest,
): CsrValidationOptions {
  const oldTypes = old ? conditionsOf(old).map((c) => c.type) : [];
  const oldUsages = old?.spec?.usages ?? [];
  return {
    allowSettingApprovalConditions: false,
    allowSettingCertificate: false,
    allowBothApprovedAndDenied: oldTypes.includes(APPROVED) && oldTypes.includes(DENIED),
    allowLegacySignerName: old?.spec?.signerName === LEGACY_UNKNOWN_SIGNER_NAME,
    allowDuplicateConditionTypes: hasDuplicates(oldTypes),
    allowEmptyConditionType: oldTypes.some((t) => !t),
    allowArbitraryCertificate: !!old && (sameCertificate(csr, old) || certificateError(old) !== null),
    allowUnknownUsages: oldUsages.some((u) => !KNOWN_USAGES.has(u)),
    allowDuplicateUsages: hasDuplicates(oldUsages),
  };
}

function validateRequest(request: string | undefined): FieldError[] {
  const decoded = decodeStdBase64(request ?? '');
  const problem = decoded.ok ? requestProblem(decoded.bytes) : decoded.error;
  return problem ? [fieldErrors.invalid('spec.request', request ?? '', problem)] : [];
}

/** validateRequest with the signature verified off the event loop. */
export async function validateRequestAsync(request: string | undefined): Promise<FieldError[]> {
  const decoded = decodeStdBase64(request ?? '');
  const problem = decoded.ok ? await requestProblemAsync(decoded.bytes) : decoded.error;
  return problem ? [fieldErrors.invalid('spec.request', request ?? '', problem)] : [];
}

function validateUsages(usages: readonly string[], opts: CsrValidationOptions): FieldError[] {
  const errs: FieldError[] = [];
  if (usages.length === 0) errs.push(fieldErrors.required('spec.usages'));
  if (!opts.allowUnknownUsages) {
    usages.forEach((u, i) => {
      if (!KNOWN_USAGES.has(u)) errs.push(fieldErrors.notSupported(`spec.usages[${i}]`, u, SORTED_USAGES));
    });
  }
  if (!opts.allowDuplicateUsages) {
    const seen = new Set<string>();
    usages.forEach((u, i) => {
      if (seen.has(u)) errs.push(fieldErrors.duplicate(`spec.usages[${i}]`, u));
      seen.add(u);
    });
  }
  return errs;
}

function validateConditions(csr: CertificateSigningRequest, opts: CsrValidationOptions): FieldError[] {
  const errs: FieldError[] = [];
  const seen = new Set<string>();
  let approved = false;
  let denied = false;
  conditionsOf(csr).forEach((c, i) => {
    const at = `status.conditions[${i}]`;
    if (!opts.allowEmptyConditionType && !c.type) errs.push(fieldErrors.required(`${at}.type`));
    const allowed = TRUE_ONLY_TYPES.has(c.type) ? TRUE_ONLY : ALL_STATUSES;
    if (!c.status) errs.push(fieldErrors.required(`${at}.status`));
    else if (!allowed.includes(c.status)) errs.push(fieldErrors.notSupported(`${at}.status`, c.status, allowed));
    if (!opts.allowBothApprovedAndDenied) {
      if (c.type === APPROVED) approved = true;
      if (c.type === DENIED) denied = true;
      if ((c.type === APPROVED && denied) || (c.type === DENIED && approved)) {
        errs.push(fieldErrors.invalid(`${at}.type`, c.type, 'Approved and Denied conditions are mutually exclusive'));
      }
    }
    if (!opts.allowDuplicateConditionTypes) {
      if (seen.has(c.type)) errs.push(fieldErrors.duplicate(`${at}.type`, c.type));
      seen.add(c.type);
    }
  });
  return errs;
}

/**
 * Everything a stored CSR must satisfy (metadata is the generic registry's). On an update, a request
 * or certificate byte-identical to the stored one was checked when stored: its signature is not
 * verified again on every approval and status write.
 */
export function validateCsr(
  csr: CertificateSigningRequest,
  opts: CsrValidationOptions,
  old?: CertificateSigningRequest,
  /** spec.request's errors when the caller checked it already (validateRequestAsync). */
  requestErrors?: FieldError[],
): FieldError[] {
  const spec = csr.spec ?? { request: '', signerName: '' };
  const sameRequest = old !== undefined && old.spec?.request === spec.request;
  const errs = [
    ...(requestErrors ?? (sameRequest ? [] : validateRequest(spec.request))),
    ...validateUsages(spec.usages ?? [], opts),
  ];
  if (!opts.allowLegacySignerName && spec.signerName === LEGACY_UNKNOWN_SIGNER_NAME) {
    errs.push(
      fieldErrors.invalid(
        'spec.signerName',
        spec.signerName,
        'the legacy signerName is not allowed via this API version',
      ),
    );
  } else {
    errs.push(...validateSignerName('spec.signerName', spec.signerName));
  }
  if (
    spec.expirationSeconds !== undefined &&
    spec.expirationSeconds !== null &&
    spec.expirationSeconds < MIN_EXPIRATION_SECONDS
  ) {
    errs.push(
      fieldErrors.invalid(
        'spec.expirationSeconds',
        spec.expirationSeconds,
        'may not specify a duration less than 600 seconds (10 minutes)',
      ),
    );
  }
  errs.push(...validateConditions(csr, opts));
  if (!opts.allowArbitraryCertificate && !(old && sameCertificate(csr, old))) {
    const problem = certificateError(csr);
    if (problem) errs.push(fieldErrors.invalid('status.certificate', '<certificate data>', problem));
  }
  return errs;
}

/** An update on any path: the object's own rules plus what this path may not change. */
export function validateCsrUpdate(
  csr: CertificateSigningRequest,
  old: CertificateSigningRequest,
  opts: CsrValidationOptions,
): FieldError[] {
  const errs = validateCsr(csr, opts, old);
  for (const t of [APPROVED, DENIED, FAILED]) {
    if (findConditions(csr, t).length < findConditions(old, t).length) {
      errs.push(fieldErrors.forbidden('status.conditions', `updates may not remove a condition of type "${t}"`));
    }
  }
  if (!opts.allowSettingApprovalConditions) {
    for (const t of [APPROVED, DENIED]) {
      const before = findConditions(old, t);
      const after = findConditions(csr, t);
      if (after.length > before.length) {
        errs.push(fieldErrors.forbidden('status.conditions', `updates may not add a condition of type "${t}"`));
      } else if (after.length === before.length && !isDeepStrictEqual(before, after)) {
        // Kubernetes appends a go-cmp diff here; mkube names the condition only.
        errs.push(fieldErrors.forbidden('status.conditions', `updates may not modify a condition of type "${t}"`));
      }
    }
  }
  if (!sameCertificate(csr, old)) {
    if (!opts.allowSettingCertificate) {
      errs.push(fieldErrors.forbidden('status.certificate', 'updates may not set certificate content'));
    } else if (old.status?.certificate) {
      errs.push(fieldErrors.forbidden('status.certificate', 'updates may not modify existing certificate content'));
    }
  }
  return errs;
}
