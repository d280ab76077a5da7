// The ValidatingAdmissionPolicy admission plugin (k8s.io/apiserver pkg/admission/plugin/policy/
// validating): CEL validations from ValidatingAdmissionPolicies, applied where a
// ValidatingAdmissionPolicyBinding binds them. Default-on, between the mutating and the validating
// webhooks. The policies and bindings themselves are never subject to a policy (a bad one could
// otherwise lock itself in), nor are the review APIs, which are not persisted.
import { newForbidden } from '@mkube/shared/apierrors';
import type { Authorizer } from '@mkube/shared/auth';
import type { AdmissionPlugin } from '../../types.js';
import { dispatch, requestName } from './dispatcher.js';
import type { PolicySource } from './source.js';

export { PolicySource, type PolicySourceOptions } from './source.js';

export const VALIDATING_ADMISSION_POLICY_PLUGIN = 'ValidatingAdmissionPolicy';

const EXEMPT: ReadonlySet<string> = new Set([
  'admissionregistration.k8s.io/validatingadmissionpolicies',
  'admissionregistration.k8s.io/validatingadmissionpolicybindings',
  'admissionregistration.k8s.io/mutatingadmissionpolicies',
  'admissionregistration.k8s.io/mutatingadmissionpolicybindings',
  'authentication.k8s.io/selfsubjectreviews',
  'authentication.k8s.io/tokenreviews',
  'authorization.k8s.io/localsubjectaccessreviews',
  'authorization.k8s.io/selfsubjectaccessreviews',
  'authorization.k8s.io/selfsubjectrulesreviews',
  'authorization.k8s.io/subjectaccessreviews',
]);

export function validatingAdmissionPolicy(source: PolicySource | undefined, authorizer: Authorizer): AdmissionPlugin {
  return {
    name: VALIDATING_ADMISSION_POLICY_PLUGIN,
    handles: () => source !== undefined,
    async validate(a) {
      if (!source || EXEMPT.has(`${a.group}/${a.resource}`)) return;
      if (!source.hasSynced()) {
        throw newForbidden({ group: a.group, resource: a.resource }, requestName(a), 'not yet ready to handle request');
      }
      await dispatch(source, a, authorizer);
    },
  };
}
