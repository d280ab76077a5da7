// Object metadata rules every resource shares (apimachinery ValidateObjectMeta), with the name
// rule each kind uses: namespaces are DNS labels, RBAC objects path segments, the rest subdomains.
import type { ObjectMeta } from '@mkube/shared/api';
import type { FieldError } from '@mkube/shared/apierrors';
import {
  type NameValidator,
  validateDNS1123LabelName,
  validateDNS1123SubdomainName,
  validateObjectMeta,
  validateObjectMetaUpdate,
  validatePathSegmentName,
} from '../validation/index.js';
import type { ResourceDef } from './catalog.js';

function nameValidatorFor(def: Pick<ResourceDef, 'group' | 'resource'>): NameValidator {
  if (def.group === '' && def.resource === 'namespaces') return validateDNS1123LabelName;
  // APIService names are `version.group`, `v1.` for the core group: a path segment, checked further by its strategy.
  if (def.group === 'rbac.authorization.k8s.io' || def.group === 'apiregistration.k8s.io')
    return validatePathSegmentName;
  return validateDNS1123SubdomainName;
}

/** `nameValidator`: the kind's own rule when it depends on the object (a ClusterTrustBundle's signer). */
export function validateMetaOnCreate(meta: ObjectMeta, def: ResourceDef, nameValidator?: NameValidator): FieldError[] {
  return validateObjectMeta(meta, {
    namespaced: def.namespaced,
    nameValidator: nameValidator ?? nameValidatorFor(def),
  });
}

export function validateMetaOnUpdate(
  meta: ObjectMeta,
  old: ObjectMeta,
  def: ResourceDef,
  nameValidator?: NameValidator,
): FieldError[] {
  return [
    ...validateObjectMeta(meta, { namespaced: def.namespaced, nameValidator: nameValidator ?? nameValidatorFor(def) }),
    ...validateObjectMetaUpdate(meta, old),
  ];
}
