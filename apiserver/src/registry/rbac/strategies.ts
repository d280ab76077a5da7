// Strategies of the four RBAC kinds (k8s pkg/registry/rbac/*/strategy.go): no status, no
// server-owned fields, PUT may create; escalation checks wrap these elsewhere.
import type { ClusterRole, ClusterRoleBinding, KubeObject, Role, RoleBinding } from '@mkube/shared/api';
import type { FieldError } from '@mkube/shared/apierrors';
import type { RESTStrategy } from '../strategy.js';
import { hasInvalidLabelValue } from './selector.js';
import {
  validateAggregationRule,
  validateRoleRef,
  validateRoleRefUpdate,
  validateRules,
  validateSubjects,
} from './validation.js';

const ROLE_BINDING_REF_KINDS = ['Role', 'ClusterRole'];
const CLUSTER_ROLE_BINDING_REF_KINDS = ['ClusterRole'];

function rbacStrategy<T extends KubeObject>(
  validate: (o: T) => FieldError[],
  validateUpdate: (o: T, old: T) => FieldError[] = (o) => validate(o),
): RESTStrategy<T> {
  return {
    prepareForCreate() {},
    prepareForUpdate() {},
    validate: (o) => validate(o),
    validateUpdate: (o, old) => validateUpdate(o, old),
    allowCreateOnUpdate: true,
  };
}

export const roleStrategy = rbacStrategy<Role>((r) => validateRules(r.rules, true));

function validateClusterRole(r: ClusterRole, allowInvalidLabelValueInSelector: boolean): FieldError[] {
  return [...validateRules(r.rules, false), ...validateAggregationRule(r, { allowInvalidLabelValueInSelector })];
}

export const clusterRoleStrategy = rbacStrategy<ClusterRole>(
  (r) => validateClusterRole(r, false),
  // Selectors stored before label values were checked stay updatable.
  (r, old) => validateClusterRole(r, (old.aggregationRule?.clusterRoleSelectors ?? []).some(hasInvalidLabelValue)),
);

function validateRoleBinding(b: RoleBinding): FieldError[] {
  return [...validateRoleRef(b.roleRef, ROLE_BINDING_REF_KINDS), ...validateSubjects(b.subjects, true)];
}

export const roleBindingStrategy = rbacStrategy<RoleBinding>(validateRoleBinding, (b, old) => [
  ...validateRoleBinding(b),
  ...validateRoleRefUpdate(b.roleRef, old.roleRef),
]);

function validateClusterRoleBinding(b: ClusterRoleBinding): FieldError[] {
  return [...validateRoleRef(b.roleRef, CLUSTER_ROLE_BINDING_REF_KINDS), ...validateSubjects(b.subjects, false)];
}

export const clusterRoleBindingStrategy = rbacStrategy<ClusterRoleBinding>(validateClusterRoleBinding, (b, old) => [
  ...validateClusterRoleBinding(b),
  ...validateRoleRefUpdate(b.roleRef, old.roleRef),
]);
