// flowcontrol/v1 PriorityLevelConfiguration validation (pkg/apis/flowcontrol/validation, Kubernetes
// 1.33), on the defaulted object: exactly one of `limited` and `exempt` as the type says, the shares
// and percentages in range, a queue the shuffle sharding can deal from; the mandatory levels pinned.
import type {
  ExemptPriorityLevelConfiguration,
  LimitedPriorityLevelConfiguration,
  LimitResponse,
  PriorityLevelConfiguration,
  PriorityLevelConfigurationSpec,
  QueuingConfiguration,
} from '@mkube/shared/api';
import { type FieldError, fieldErrors } from '@mkube/shared/apierrors';
import { MANDATORY_PRIORITY_LEVEL_BY_NAME } from '../../flowcontrol/bootstrap.js';
import { priorityLevelSpecsEqual } from './defaults.js';
import { validateConditionTypes } from './validation.js';

const MAX_QUEUES = 10_000_000;
/** shufflesharding.MaxHashBits. */
const MAX_HASH_BITS = 60;
const ENABLEMENTS = ['Exempt', 'Limited'];
const LIMIT_RESPONSE_TYPES = ['Queue', 'Reject'];

/** shufflesharding.RequiredEntropyBits: the hash bits a hand of `handSize` from `deckSize` cards takes. */
export const requiredEntropyBits = (deckSize: number, handSize: number): number =>
  Math.ceil(Math.log2(deckSize) * handSize);

export function validatePriorityLevel(pl: PriorityLevelConfiguration): FieldError[] {
  const name = pl.metadata.name ?? '';
  const errs = validatePriorityLevelSpec(pl.spec, name, 'spec');
  errs.push(...validateMandatoryPriorityLevel(pl, 'spec'));
  errs.push(...validateConditionTypes(pl.status?.conditions, 'status'));
  return errs;
}

/** ValidateIfMandatoryPriorityLevelConfigurationObject. */
function validateMandatoryPriorityLevel(pl: PriorityLevelConfiguration, path: string): FieldError[] {
  const name = pl.metadata.name ?? '';
  const mandatory = MANDATORY_PRIORITY_LEVEL_BY_NAME.get(name);
  if (!mandatory) return [];
  if (name === 'exempt') {
    // Operators may tune the singleton exempt level's `exempt` field, and nothing else of its spec.
    const have = { ...(pl.spec ?? {}), exempt: mandatory.spec?.exempt } as PriorityLevelConfigurationSpec;
    return priorityLevelSpecsEqual(have, mandatory.spec)
      ? []
      : [
          fieldErrors.invalid(
            path,
            pl.spec,
            `spec of '${name}' except the 'spec.exempt' field must equal the fixed value`,
          ),
        ];
  }
  return priorityLevelSpecsEqual(pl.spec, mandatory.spec)
    ? []
    : [fieldErrors.invalid(path, pl.spec, `spec of '${name}' must equal the fixed value`)];
}

export function validatePriorityLevelSpec(
  spec: PriorityLevelConfigurationSpec | undefined,
  name: string,
  path: string,
): FieldError[] {
  const errs: FieldError[] = [];
  const type = spec?.type ?? '';
  if ((name === 'exempt') !== (type === 'Exempt')) {
    errs.push(fieldErrors.invalid(`${path}.type`, type, "type must be 'Exempt' if and only if name is 'exempt'"));
  }
  switch (type) {
    case 'Exempt':
      if (spec?.limited) errs.push(fieldErrors.forbidden(`${path}.limited`, 'must be nil if the type is not Limited'));
      if (spec?.exempt) errs.push(...validateExempt(spec.exempt, `${path}.exempt`));
      break;
    case 'Limited':
      if (spec?.exempt) errs.push(fieldErrors.forbidden(`${path}.exempt`, 'must be nil if the type is Limited'));
      if (!spec?.limited) errs.push(fieldErrors.required(`${path}.limited`, 'must not be empty when type is Limited'));
      else errs.push(...validateLimited(spec.limited, `${path}.limited`));
      break;
    default:
      errs.push(fieldErrors.notSupported(`${path}.type`, type, ENABLEMENTS));
  }
  return errs;
}

const validPercent = (v: number) => v >= 0 && v <= 100;

function validateLimited(l: LimitedPriorityLevelConfiguration, path: string): FieldError[] {
  const errs: FieldError[] = [];
  // Zero is allowed since 1.30 (ZeroLimitedNominalConcurrencyShares, GA and locked on).
  const shares = l.nominalConcurrencyShares ?? 0;
  if (shares < 0) {
    errs.push(fieldErrors.invalid(`${path}.nominalConcurrencyShares`, shares, 'must be a non-negative integer'));
  }
  errs.push(...validateLimitResponse(l.limitResponse, `${path}.limitResponse`));
  if (l.lendablePercent != null && !validPercent(l.lendablePercent)) {
    errs.push(
      fieldErrors.invalid(`${path}.lendablePercent`, l.lendablePercent, 'must be between 0 and 100, inclusive'),
    );
  }
  if (l.borrowingLimitPercent != null && l.borrowingLimitPercent < 0) {
    errs.push(
      fieldErrors.invalid(
        `${path}.borrowingLimitPercent`,
        l.borrowingLimitPercent,
        'if specified, must be a non-negative integer',
      ),
    );
  }
  return errs;
}

function validateExempt(e: ExemptPriorityLevelConfiguration, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (e.nominalConcurrencyShares != null && e.nominalConcurrencyShares < 0) {
    errs.push(
      fieldErrors.invalid(
        `${path}.nominalConcurrencyShares`,
        e.nominalConcurrencyShares,
        'must be a non-negative integer',
      ),
    );
  }
  if (e.lendablePercent != null && !validPercent(e.lendablePercent)) {
    errs.push(
      fieldErrors.invalid(`${path}.lendablePercent`, e.lendablePercent, 'must be between 0 and 100, inclusive'),
    );
  }
  return errs;
}

function validateLimitResponse(lr: LimitResponse | undefined, path: string): FieldError[] {
  switch (lr?.type) {
    case 'Reject':
      return lr.queuing
        ? [fieldErrors.forbidden(`${path}.queuing`, 'must be nil if limited.limitResponse.type is not Limited')]
        : [];
    case 'Queue':
      return lr.queuing
        ? validateQueuing(lr.queuing, `${path}.queuing`)
        : [fieldErrors.required(`${path}.queuing`, 'must not be empty if limited.limitResponse.type is Limited')];
    default:
      return [fieldErrors.notSupported(`${path}.type`, lr?.type ?? '', LIMIT_RESPONSE_TYPES)];
  }
}

function validateQueuing(q: QueuingConfiguration, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const queues = q.queues ?? 0;
  const handSize = q.handSize ?? 0;
  const queueLengthLimit = q.queueLengthLimit ?? 0;
  if (queueLengthLimit <= 0)
    errs.push(fieldErrors.invalid(`${path}.queueLengthLimit`, queueLengthLimit, 'must be positive'));
  if (queues <= 0) errs.push(fieldErrors.invalid(`${path}.queues`, queues, 'must be positive'));
  else if (queues > MAX_QUEUES)
    errs.push(fieldErrors.invalid(`${path}.queues`, queues, `must not be greater than ${MAX_QUEUES}`));
  if (handSize <= 0) errs.push(fieldErrors.invalid(`${path}.handSize`, handSize, 'must be positive'));
  else if (handSize > queues)
    errs.push(fieldErrors.invalid(`${path}.handSize`, handSize, `should not be greater than queues (${queues})`));
  else if (requiredEntropyBits(queues, handSize) > MAX_HASH_BITS) {
    errs.push(
      fieldErrors.invalid(
        `${path}.handSize`,
        handSize,
        `required entropy bits of deckSize ${queues} and handSize ${handSize} should not be greater than ${MAX_HASH_BITS}`,
      ),
    );
  }
  return errs;
}
