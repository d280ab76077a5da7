// RuntimeClass validation (pkg/apis/node/validation): the handler is a DNS-1123 label fixed at
// creation, overhead.podFixed is checked as container limits (hence upstream's `overhead.limits[…]`
// paths), and scheduling holds a label map and tolerations. The name is a DNS subdomain, which the
// generic registry checks.
import type { ResourceList, RuntimeClass } from '@mkube/shared/api';
import { type FieldError, fieldErrors } from '@mkube/shared/apierrors';
import { isDNS1123Label } from '@mkube/shared/selectors';
import { validateImmutableField, validateLabels } from '../../validation/objectmeta.js';
import { validateContainerResourceName, validateResourceQuantityValue } from '../core/resourcenames.js';
import { validateTolerations } from './tolerations.js';

const isHugePages = (n: string) => n.startsWith('hugepages-');
const isCPUOrMemory = (n: string) => n === 'cpu' || n === 'memory';

/** validateResourceRequirements with only limits, as validateOverhead calls it. */
function validateOverhead(podFixed: ResourceList | undefined, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const names = Object.keys(podFixed ?? {}).sort();
  for (const name of names) {
    const at = `${path}.limits[${name}]`;
    errs.push(...validateContainerResourceName(name, at), ...validateResourceQuantityValue(name, podFixed![name], at));
  }
  if (names.some(isHugePages) && !names.some(isCPUOrMemory)) {
    errs.push(fieldErrors.forbidden(path, 'HugePages require cpu or memory'));
  }
  return errs;
}

export function validateRuntimeClass(rc: RuntimeClass): FieldError[] {
  const handler = rc.handler ?? '';
  const errs = isDNS1123Label(handler).map((m) => fieldErrors.invalid('handler', handler, m));
  if (rc.overhead) errs.push(...validateOverhead(rc.overhead.podFixed, 'overhead'));
  if (rc.scheduling) {
    if (rc.scheduling.nodeSelector) errs.push(...validateLabels(rc.scheduling.nodeSelector, 'scheduling.nodeSelector'));
    errs.push(...validateTolerations(rc.scheduling.tolerations, 'scheduling.tolerations'));
  }
  return errs;
}

/** The whole object again, then the one fixed field: the handler. */
export function validateRuntimeClassUpdate(rc: RuntimeClass, old: RuntimeClass): FieldError[] {
  return [...validateRuntimeClass(rc), ...validateImmutableField(rc.handler ?? '', old.handler ?? '', 'handler')];
}
