// EventRateLimit's configuration (eventratelimit.admission.k8s.io/v1alpha1 Configuration), read from
// its entry in --admission-control-config-file, defaulted and validated as upstream's:
//
//   apiVersion: eventratelimit.admission.k8s.io/v1alpha1
//   kind: Configuration
//   limits:
//   - type: Namespace        # Server | Namespace | User | SourceAndObject
//     qps: 50
//     burst: 100
//     cacheSize: 2000        # the most recently used keys with a bucket each (4096 when absent)
import { type FieldError, fieldErrors, formatFieldErrors } from '@mkube/shared/apierrors';
import { isRecord } from '../../../util/json.js';

export const EVENT_RATE_LIMIT_API_VERSION = 'eventratelimit.admission.k8s.io/v1alpha1';
export const LIMIT_TYPES = ['Server', 'Namespace', 'User', 'SourceAndObject'] as const;
export type LimitType = (typeof LIMIT_TYPES)[number];

/** SetDefaults_Configuration: a keyed limit keeps this many buckets. */
const DEFAULT_CACHE_SIZE = 4096;

export interface EventRateLimit {
  readonly type: LimitType;
  readonly qps: number;
  readonly burst: number;
  readonly cacheSize: number;
}

export interface EventRateLimitConfig {
  readonly limits: readonly EventRateLimit[];
}

const int = (v: unknown) => (typeof v === 'number' && Number.isInteger(v) ? v : 0);

/**
 * Decodes, defaults and validates one Configuration; throws an Error with upstream's field errors.
 * `undefined` (the plugin on with no entry) is the empty configuration, which validation refuses.
 */
export function parseEventRateLimitConfig(raw: unknown): EventRateLimitConfig {
  if (raw !== undefined) {
    if (!isRecord(raw) || raw.apiVersion !== EVENT_RATE_LIMIT_API_VERSION || raw.kind !== 'Configuration')
      throw new Error(`expected kind Configuration in ${EVENT_RATE_LIMIT_API_VERSION}`);
    if (raw.limits !== undefined && raw.limits !== null && !Array.isArray(raw.limits))
      throw new Error('limits: must be a list');
  }
  const list = isRecord(raw) && Array.isArray(raw.limits) ? raw.limits : [];
  const errs: FieldError[] = [];
  if (list.length === 0) errs.push(fieldErrors.invalid('limits', [], 'must not be empty'));
  const limits: EventRateLimit[] = list.map((l: unknown, i) => {
    const o = isRecord(l) ? l : {};
    const path = `limits[${i}]`;
    const type = String(o.type ?? '');
    if (!(LIMIT_TYPES as readonly string[]).includes(type))
      errs.push(fieldErrors.notSupported(`${path}.type`, type, LIMIT_TYPES));
    const burst = int(o.burst);
    if (burst <= 0) errs.push(fieldErrors.invalid(`${path}.burst`, burst, 'must be positive'));
    const qps = int(o.qps);
    if (qps <= 0) errs.push(fieldErrors.invalid(`${path}.qps`, qps, 'must be positive'));
    const cacheSize = int(o.cacheSize) || DEFAULT_CACHE_SIZE;
    if (type !== 'Server' && cacheSize < 0)
      errs.push(fieldErrors.invalid(`${path}.cacheSize`, cacheSize, 'must not be negative'));
    return { type: type as LimitType, qps, burst, cacheSize };
  });
  if (errs.length > 0) throw new Error(formatFieldErrors(errs));
  return { limits };
}
