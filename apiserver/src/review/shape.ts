// The review kinds' specs as kube-apiserver's typed decoder reads them: a field of the wrong JSON
// type is its 400 ("cannot be handled as a SubjectAccessReview: json: cannot unmarshal …"), never
// a value some later step mistakes for a string or a list.
import { decodeFailure, ShapeCheck } from '../validation/shape.js';

const ATTRIBUTE_STRINGS = ['namespace', 'verb', 'group', 'version', 'resource', 'subresource', 'name'] as const;

function selector(c: ShapeCheck, ra: Record<string, unknown>, field: string, type: string, item: string): void {
  const at = `spec.resourceAttributes.${field}`;
  const sel = c.object(ra[field], 'ResourceAttributes', at, `v1.${type}`);
  c.string(sel.rawSelector, type, `${at}.rawSelector`);
  for (const e of c.list(sel.requirements, type, `${at}.requirements`, `[]v1.${item}`)) {
    const r = c.object(e, type, `${at}.requirements`, `v1.${item}`);
    c.string(r.key, item, `${at}.requirements.key`);
    c.string(r.operator, item, `${at}.requirements.operator`);
    c.strings(r.values, item, `${at}.requirements.values`);
  }
}

/** Throws a BadRequest when `body`'s spec has a field of the wrong type for `kind`. */
export function checkReviewShape(kind: string, body: { spec?: unknown }): void {
  const c = new ShapeCheck(decodeFailure(kind));
  const specType = kind === 'LocalSubjectAccessReview' ? 'SubjectAccessReviewSpec' : `${kind}Spec`;
  const spec = c.object(body.spec, kind, 'spec', `v1.${specType}`);
  switch (kind) {
    case 'TokenReview':
      c.string(spec.token, specType, 'spec.token');
      c.strings(spec.audiences, specType, 'spec.audiences');
      return;
    case 'SelfSubjectRulesReview':
      c.string(spec.namespace, specType, 'spec.namespace');
      return;
    case 'SubjectAccessReview':
    case 'LocalSubjectAccessReview':
      c.string(spec.user, specType, 'spec.user');
      c.strings(spec.groups, specType, 'spec.groups');
      c.string(spec.uid, specType, 'spec.uid');
      c.stringLists(spec.extra, specType, 'spec.extra', 'map[string]v1.ExtraValue');
      break;
    case 'SelfSubjectAccessReview':
      break;
    default:
      return;
  }
  const ra = c.object(spec.resourceAttributes, specType, 'spec.resourceAttributes', 'v1.ResourceAttributes');
  for (const f of ATTRIBUTE_STRINGS) c.string(ra[f], 'ResourceAttributes', `spec.resourceAttributes.${f}`);
  selector(c, ra, 'fieldSelector', 'FieldSelectorAttributes', 'FieldSelectorRequirement');
  selector(c, ra, 'labelSelector', 'LabelSelectorAttributes', 'LabelSelectorRequirement');
  const nra = c.object(spec.nonResourceAttributes, specType, 'spec.nonResourceAttributes', 'v1.NonResourceAttributes');
  c.string(nra.path, 'NonResourceAttributes', 'spec.nonResourceAttributes.path');
  c.string(nra.verb, 'NonResourceAttributes', 'spec.nonResourceAttributes.verb');
}
