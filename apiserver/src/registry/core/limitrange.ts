// core/v1 LimitRange (pkg/registry/core/limitrange and ValidateLimitRange): per-namespace bounds
// and defaults for containers, pods and claims, which LimitRanger admission applies. A Container
// item's default limit falls back to its max and its default request to the default or the min
// (SetDefaults_LimitRangeItem), so the stored object says what admission will fill in.
import type { LimitRange, LimitRangeItem, ResourceList } from '@mkube/shared/api';
import { type FieldError, fieldErrors, GoSyntax } from '@mkube/shared/apierrors';
import { canonicalQuantity, goQuantity, Quantity } from '@mkube/shared/quantity';
import { isQualifiedName } from '@mkube/shared/selectors';
import type { RESTStrategy } from '../strategy.js';
import {
  decodeResourceList,
  isOvercommitAllowed,
  validateContainerResourceName,
  validateResourceName,
} from './resourcenames.js';

const KIND = 'LimitRange';
const STANDARD_TYPES = new Set(['Pod', 'Container', 'PersistentVolumeClaim']);
const LIST_FIELDS = ['max', 'min', 'default', 'defaultRequest', 'maxLimitRequestRatio'] as const;
type ListField = (typeof LIST_FIELDS)[number];

/** A ResourceList that may be absent; an empty one is dropped, as omitempty drops it on the wire. */
function setList(item: LimitRangeItem, field: ListField, list: ResourceList): void {
  if (Object.keys(list).length) item[field] = list;
  else delete item[field];
}

/** Decodes every quantity and fills a Container item's defaults (SetDefaults_LimitRangeItem). */
function decodeAndDefault(lr: LimitRange): void {
  for (const item of lr.spec?.limits ?? []) {
    for (const f of LIST_FIELDS) {
      const decoded = decodeResourceList(KIND, item[f]);
      if (decoded) item[f] = decoded;
    }
    if (item.type !== 'Container') continue;
    const defaults: ResourceList = { ...item.default };
    const defaultRequest: ResourceList = { ...item.defaultRequest };
    for (const [k, v] of Object.entries(item.max ?? {})) if (!(k in defaults)) defaults[k] = v;
    for (const [k, v] of Object.entries(defaults)) if (!(k in defaultRequest)) defaultRequest[k] = v;
    for (const [k, v] of Object.entries(item.min ?? {})) if (!(k in defaultRequest)) defaultRequest[k] = v;
    setList(item, 'default', defaults);
    setList(item, 'defaultRequest', defaultRequest);
  }
}

/** validateLimitRangeTypeName: a qualified name, one of the standard three when unprefixed. */
function validateTypeName(value: string, path: string): FieldError[] {
  const errs = isQualifiedName(value).map((m) => fieldErrors.invalid(path, value, m));
  if (errs.length) return errs;
  if (!value.includes('/') && !STANDARD_TYPES.has(value)) {
    errs.push(fieldErrors.invalid(path, value, 'must be a standard limit type or fully qualified'));
  }
  return errs;
}

/** Pod and Container items hold container resources; other types any resource. */
const validateItemResourceName = (type: string, name: string, path: string): FieldError[] =>
  type === 'Pod' || type === 'Container' ? validateContainerResourceName(name, path) : validateResourceName(name, path);

/** A quantity as Go passes it to field.Invalid after printing it (String() has cached its text). */
const bad = (s: string) => new GoSyntax(goQuantity(s, true));
const str = canonicalQuantity;

/** Go's %f. */
const goFloat = (n: number): string => (Number.isFinite(n) ? n.toFixed(6) : n > 0 ? '+Inf' : 'NaN');

/** Value(), or MilliValue() when every operand stays below MaxMilliValue (ValidateLimitRange's ratio check). */
const MAX_MILLI_VALUE = Number(((1n << 63n) - 1n) / 1000n);

function validateRatioAgainstBounds(ratio: string, min: string, max: string, path: string): FieldError[] {
  const r = Quantity.parse(ratio);
  const lo = Quantity.parse(min);
  const hi = Quantity.parse(max);
  let ratioValue = r.value();
  let minValue = lo.value();
  let maxValue = hi.value();
  if (ratioValue < MAX_MILLI_VALUE && minValue < MAX_MILLI_VALUE && maxValue < MAX_MILLI_VALUE) {
    ratioValue = r.milliValue() / 1000;
    minValue = lo.milliValue();
    maxValue = hi.milliValue();
  }
  const limit = maxValue / minValue;
  return ratioValue > limit
    ? [fieldErrors.invalid(path, bad(ratio), `ratio ${str(ratio)} is greater than max/min = ${goFloat(limit)}`)]
    : [];
}

function validateItem(item: LimitRangeItem, at: string): FieldError[] {
  const errs: FieldError[] = [];
  const type = item.type ?? '';
  const keys = new Set<string>();
  const collect = (f: ListField) => {
    for (const k of Object.keys(item[f] ?? {}).sort()) {
      errs.push(...validateItemResourceName(type, k, `${at}.${f}[${k}]`));
      keys.add(k);
    }
  };
  collect('max');
  collect('min');
  if (type === 'Pod') {
    if (Object.keys(item.default ?? {}).length)
      errs.push(fieldErrors.forbidden(`${at}.default`, "may not be specified when `type` is 'Pod'"));
    if (Object.keys(item.defaultRequest ?? {}).length)
      errs.push(fieldErrors.forbidden(`${at}.defaultRequest`, "may not be specified when `type` is 'Pod'"));
  } else {
    collect('default');
    collect('defaultRequest');
  }
  if (type === 'PersistentVolumeClaim' && !('storage' in (item.min ?? {})) && !('storage' in (item.max ?? {}))) {
    errs.push(
      fieldErrors.required(
        `${at}.limits`,
        'either minimum or maximum storage value is required, but neither was provided',
      ),
    );
  }
  collect('maxLimitRequestRatio');

  const cmp = (a: string, b: string) => Quantity.parse(a).compare(Quantity.parse(b));
  for (const k of [...keys].sort()) {
    const min = item.min?.[k];
    const max = item.max?.[k];
    const def = type === 'Pod' ? undefined : item.default?.[k];
    const defReq = type === 'Pod' ? undefined : item.defaultRequest?.[k];
    const ratio = item.maxLimitRequestRatio?.[k];
    if (min !== undefined && max !== undefined && cmp(min, max) > 0) {
      errs.push(
        fieldErrors.invalid(`${at}.min[${k}]`, bad(min), `min value ${str(min)} is greater than max value ${str(max)}`),
      );
    }
    if (defReq !== undefined && min !== undefined && cmp(min, defReq) > 0) {
      errs.push(
        fieldErrors.invalid(
          `${at}.defaultRequest[${k}]`,
          bad(defReq),
          `min value ${str(min)} is greater than default request value ${str(defReq)}`,
        ),
      );
    }
    if (defReq !== undefined && max !== undefined && cmp(defReq, max) > 0) {
      errs.push(
        fieldErrors.invalid(
          `${at}.defaultRequest[${k}]`,
          bad(defReq),
          `default request value ${str(defReq)} is greater than max value ${str(max)}`,
        ),
      );
    }
    if (defReq !== undefined && def !== undefined && cmp(defReq, def) > 0) {
      errs.push(
        fieldErrors.invalid(
          `${at}.defaultRequest[${k}]`,
          bad(defReq),
          `default request value ${str(defReq)} is greater than default limit value ${str(def)}`,
        ),
      );
    }
    if (def !== undefined && min !== undefined && cmp(min, def) > 0) {
      errs.push(
        fieldErrors.invalid(
          `${at}.default[${k}]`,
          bad(min),
          `min value ${str(min)} is greater than default value ${str(def)}`,
        ),
      );
    }
    if (def !== undefined && max !== undefined && cmp(def, max) > 0) {
      errs.push(
        fieldErrors.invalid(
          `${at}.default[${k}]`,
          bad(max),
          `default value ${str(def)} is greater than max value ${str(max)}`,
        ),
      );
    }
    if (ratio !== undefined && Quantity.parse(ratio).compare(new Quantity(1n)) < 0) {
      errs.push(
        fieldErrors.invalid(`${at}.maxLimitRequestRatio[${k}]`, bad(ratio), `ratio ${str(ratio)} is less than 1`),
      );
    }
    if (ratio !== undefined && min !== undefined && max !== undefined) {
      errs.push(...validateRatioAgainstBounds(ratio, min, max, `${at}.maxLimitRequestRatio[${k}]`));
    }
    // GPUs, huge pages and other resources that cannot be overcommitted: a request is the limit.
    if (!isOvercommitAllowed(k) && def !== undefined && defReq !== undefined && cmp(def, defReq) !== 0) {
      errs.push(
        fieldErrors.invalid(
          `${at}.defaultRequest[${k}]`,
          bad(defReq),
          `default value ${str(def)} must equal to defaultRequest value ${str(defReq)} in ${k}`,
        ),
      );
    }
  }
  return errs;
}

/** ValidateLimitRange (metadata is the generic registry's). */
export function validateLimitRange(lr: LimitRange): FieldError[] {
  const errs: FieldError[] = [];
  const seen = new Set<string>();
  (lr.spec?.limits ?? []).forEach((item, i) => {
    const at = `spec.limits[${i}]`;
    const type = item.type ?? '';
    errs.push(...validateTypeName(type, `${at}.type`));
    if (seen.has(type)) errs.push(fieldErrors.duplicate(`${at}.type`, type));
    seen.add(type);
    errs.push(...validateItem(item, at));
  });
  return errs;
}

export const limitRangeStrategy: RESTStrategy<LimitRange> = {
  prepareForCreate: decodeAndDefault,
  prepareForUpdate: (lr) => decodeAndDefault(lr),
  validate: validateLimitRange,
  validateUpdate: validateLimitRange,
};
