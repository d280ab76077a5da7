// CertificateSigningRequest strategies (k8s pkg/registry/certificates/certificates/strategy.go):
// the main resource changes metadata only; /status owns the certificate and non-approval
// conditions; /approval owns Approved/Denied. Separate paths let RBAC and admission tell
// approvers from signers.
import type { CertificateSigningRequest } from '@mkube/shared/api';
import type { FieldError } from '@mkube/shared/apierrors';
import { jsonClone } from '../../util/json.js';
import type { RESTStrategy, StrategyContext, SubresourceStrategy } from '../strategy.js';
import { APPROVED, DENIED, populateConditionTimestamps, preserveConditionInstances } from './conditions.js';
import { csrValidationOptions, validateCsr, validateCsrUpdate, validateRequestAsync } from './validation.js';

type CSR = CertificateSigningRequest;

const copy = <T>(v: T): T => jsonClone(v);

export const csrStrategy: RESTStrategy<CSR> = {
  prepareForCreate(csr: CSR, ctx: StrategyContext): void {
    csr.spec ??= { request: '', signerName: '' };
    const spec = csr.spec;
    // The requester is whoever authenticated, never what the body claims.
    delete spec.username;
    delete spec.uid;
    delete spec.groups;
    delete spec.extra;
    spec.username = ctx.user.username;
    if (ctx.user.uid) spec.uid = ctx.user.uid;
    spec.groups = [...ctx.user.groups];
    const extra = ctx.user.extra;
    if (extra && Object.keys(extra).length > 0) {
      spec.extra = Object.fromEntries(Object.entries(extra).map(([k, v]) => [k, [...v]]));
    }
    // Clients cannot create a pre-approved or pre-issued request.
    csr.status = {};
  },
  prepareForUpdate(csr: CSR, old: CSR): void {
    csr.spec = copy(old.spec);
    if (old.status === undefined) delete csr.status;
    else csr.status = copy(old.status);
  },
  // The request's signature is verified on the thread pool; everything else as before.
  async validate(csr: CSR): Promise<FieldError[]> {
    const requestErrors = await validateRequestAsync(csr.spec?.request);
    return validateCsr(csr, csrValidationOptions(csr), undefined, requestErrors);
  },
  validateUpdate(csr: CSR, old: CSR): FieldError[] {
    return validateCsrUpdate(csr, old, csrValidationOptions(csr, old));
  },
  selectableFields: (csr: CSR) => ({ 'spec.signerName': csr.spec?.signerName ?? '' }),
  allowCreateOnUpdate: false,
};

export const csrStatusStrategy: SubresourceStrategy<CSR> = {
  prepareForUpdate(csr: CSR, old: CSR, ctx: StrategyContext): void {
    csr.spec = copy(old.spec);
    csr.status ??= {};
    // Approval is /approval's business: its conditions come back as stored; a changed count is
    // left in place so that validation refuses the add or removal.
    preserveConditionInstances(csr, old, APPROVED);
    preserveConditionInstances(csr, old, DENIED);
    populateConditionTimestamps(csr, old, ctx.now);
  },
  validateUpdate(csr: CSR, old: CSR): FieldError[] {
    return validateCsrUpdate(csr, old, { ...csrValidationOptions(csr, old), allowSettingCertificate: true });
  },
};

export const csrApprovalStrategy: SubresourceStrategy<CSR> = {
  prepareForUpdate(csr: CSR, old: CSR, ctx: StrategyContext): void {
    populateConditionTimestamps(csr, old, ctx.now);
    const conditions = csr.status?.conditions;
    csr.spec = copy(old.spec);
    csr.status = copy(old.status ?? {});
    if (conditions === undefined) delete csr.status.conditions;
    else csr.status.conditions = conditions;
  },
  validateUpdate(csr: CSR, old: CSR): FieldError[] {
    return validateCsrUpdate(csr, old, { ...csrValidationOptions(csr, old), allowSettingApprovalConditions: true });
  },
};
