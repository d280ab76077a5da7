// rbac.authorization.k8s.io/v1: the registry strategies of Role, ClusterRole and their bindings.
export { isValidPathSegmentName } from './names.js';
export { clusterRoleBindingStrategy, clusterRoleStrategy, roleBindingStrategy, roleStrategy } from './strategies.js';
export { RBAC_GROUP, validatePolicyRule, validateSubject } from './validation.js';
