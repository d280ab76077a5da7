// PodCertificateRequest strategies (pkg/registry/certificates/podcertificaterequest): the main
// resource never writes status and never changes spec; /status never changes spec, and any change
// it makes needs verb `sign` on the signer (by name or `<domain>/*`), checked here rather than by an
// admission plugin, and reported as a field error at spec.signerName (a 422, not a 403).
import type { PodCertificateRequest } from '@mkube/shared/api';
import { type FieldError, fieldErrors } from '@mkube/shared/apierrors';
import type { Authorizer } from '@mkube/shared/auth';
import { mayActOnSigner } from '../../admission/plugins/certificates.js';
import { jsonClone } from '../../util/json.js';
import type { RESTStrategy, StrategyContext, SubresourceStrategy } from '../strategy.js';
import { sameStatus, validatePodCertificateRequestStatusUpdate } from './pcrstatus.js';
import {
  DEFAULT_MAX_EXPIRATION_SECONDS,
  validatePodCertificateRequestCreate,
  validatePodCertificateRequestUpdate,
} from './pcrvalidation.js';

type PCR = PodCertificateRequest;

/** The `+default=86400` marker, applied as the request is decoded. */
function setDefaults(pcr: PCR): void {
  if (pcr.spec && (pcr.spec.maxExpirationSeconds === undefined || pcr.spec.maxExpirationSeconds === null)) {
    pcr.spec.maxExpirationSeconds = DEFAULT_MAX_EXPIRATION_SECONDS;
  }
}

export const podCertificateRequestStrategy: RESTStrategy<PCR> = {
  prepareForCreate(pcr: PCR): void {
    setDefaults(pcr);
    pcr.status = {};
  },
  prepareForUpdate(pcr: PCR, old: PCR): void {
    setDefaults(pcr);
    pcr.status = jsonClone(old.status ?? {});
  },
  validate: (pcr: PCR) => validatePodCertificateRequestCreate(pcr),
  validateUpdate: (pcr: PCR, old: PCR) => validatePodCertificateRequestUpdate(pcr, old),
  selectableFields: (pcr: PCR) => ({
    'spec.signerName': pcr.spec?.signerName ?? '',
    'spec.podName': pcr.spec?.podName ?? '',
    'spec.nodeName': pcr.spec?.nodeName ?? '',
  }),
  allowCreateOnUpdate: false,
  allowUnconditionalUpdate: false,
};

/** certauthorization.IsAuthorizedForSignerName: an authorizer error counts as not allowed. */
async function maySign(authorizer: Authorizer | undefined, ctx: StrategyContext, signerName: string) {
  if (!authorizer) return false;
  try {
    return await mayActOnSigner(authorizer, ctx.user, 'sign', signerName);
  } catch {
    return false;
  }
}

export function podCertificateRequestStatusStrategy(authorizer: Authorizer | undefined): SubresourceStrategy<PCR> {
  return {
    prepareForUpdate(pcr: PCR, old: PCR): void {
      pcr.spec = jsonClone(old.spec);
    },
    async validateUpdate(pcr: PCR, old: PCR, ctx: StrategyContext): Promise<FieldError[]> {
      const errs = validatePodCertificateRequestStatusUpdate(pcr, old, ctx.now);
      if (errs.length) return errs;
      if (sameStatus(pcr.status, old.status)) return [];
      const signer = old.spec?.signerName ?? '';
      if (!ctx.user?.username) {
        return [fieldErrors.internal('spec.signerName', 'cannot determine calling user to perform "sign" check')];
      }
      if (!(await maySign(authorizer, ctx, signer))) {
        return [
          fieldErrors.forbidden(
            'spec.signerName',
            `User ${JSON.stringify(ctx.user.username)} is not permitted to "sign" for signer ${JSON.stringify(signer)}`,
          ),
        ];
      }
      return [];
    },
  };
}
