// Label and field selectors of a list or watch, applied to decoded objects.
import type { KubeObject } from '@mkube/shared/api';
import {
  FieldsSelector,
  LabelsSelector,
  parseFieldSelector,
  parseLabelSelector,
  supportedFieldLabels,
} from '@mkube/shared/selectors';
import type { RESTStrategy } from './strategy.js';

export interface ObjectFilter {
  readonly labels: LabelsSelector;
  readonly fields: FieldsSelector;
  readonly isEmpty: boolean;
}

export const EVERYTHING: ObjectFilter = {
  labels: LabelsSelector.everything(),
  fields: FieldsSelector.everything(),
  isEmpty: true,
};

/** Parses `labelSelector`/`fieldSelector` query values; unsupported fields are a BadRequest. */
export function parseFilter(
  resource: string,
  labelSelector: string | null,
  fieldSelector: string | null,
): ObjectFilter {
  const labels = labelSelector ? parseLabelSelector(labelSelector) : LabelsSelector.everything();
  const fields = fieldSelector
    ? parseFieldSelector(fieldSelector).validate(supportedFieldLabels(resource))
    : FieldsSelector.everything();
  return { labels, fields, isEmpty: labels.empty() && fields.empty() };
}

/** `strategy` adds the kind's own selectable fields; without it only metadata.name and .namespace select. */
export function matchesFilter(
  filter: ObjectFilter,
  obj: KubeObject,
  strategy?: Pick<RESTStrategy, 'selectableFields'>,
): boolean {
  if (filter.isEmpty) return true;
  if (!filter.labels.matches(obj.metadata.labels)) return false;
  if (filter.fields.empty()) return true;
  const extra = strategy?.selectableFields?.(obj);
  return filter.fields.matches((f) => {
    if (f === 'metadata.name') return obj.metadata.name;
    if (f === 'metadata.namespace') return obj.metadata.namespace ?? '';
    return extra?.[f];
  });
}
