// flowcontrol.apiserver.k8s.io/v1 (k8s.io/api/flowcontrol/v1/types.go): API Priority and Fairness.
// FlowSchemas classify each request into a priority level and a flow; PriorityLevelConfigurations
// say how much of the server's concurrency a level gets and whether it queues or rejects past it.
import type { ConditionStatus, KubeObject, Time } from './meta.js';

/** Annotation on configuration objects the apiserver keeps at its built-in values. */
export const APF_AUTOUPDATE_ANNOTATION = 'apf.kubernetes.io/autoupdate-spec';

/** Response headers naming the FlowSchema and priority level a request was classified into. */
export const PF_FLOWSCHEMA_UID_HEADER = 'X-Kubernetes-PF-FlowSchema-UID';
export const PF_PRIORITYLEVEL_UID_HEADER = 'X-Kubernetes-PF-PriorityLevel-UID';

export type FlowDistinguisherMethodType = 'ByUser' | 'ByNamespace';

export interface FlowDistinguisherMethod {
  type: FlowDistinguisherMethodType;
}

export interface PriorityLevelConfigurationReference {
  name: string;
}

export interface UserSubject {
  /** `*` matches every user. */
  name: string;
}

export interface GroupSubject {
  /** `*` matches every group. */
  name: string;
}

export interface ServiceAccountSubject {
  /** `*` matches every namespace. */
  namespace: string;
  /** `*` matches every ServiceAccount of the namespace. */
  name: string;
}

export type FlowcontrolSubjectKind = 'User' | 'Group' | 'ServiceAccount';

/** flowcontrol/v1 Subject (named apart from rbac/v1 Subject, which this package also exports). */
export interface FlowcontrolSubject {
  kind: FlowcontrolSubjectKind;
  user?: UserSubject;
  group?: GroupSubject;
  serviceAccount?: ServiceAccountSubject;
}

export interface ResourcePolicyRule {
  /** `*` alone matches every verb. */
  verbs: string[];
  /** `*` alone matches every group. */
  apiGroups: string[];
  /** `resource` or `resource/subresource`; `*` alone matches every one. */
  resources: string[];
  /** Whether it also matches requests that name no namespace (cluster-scoped, or all namespaces). */
  clusterScope?: boolean;
  /** `*` matches every namespace (not cluster-scoped requests: that is clusterScope). */
  namespaces?: string[];
}

export interface NonResourcePolicyRule {
  verbs: string[];
  /** Exact paths, `*` for all, or a prefix ending in `/*`. */
  nonResourceURLs: string[];
}

export interface PolicyRulesWithSubjects {
  subjects: FlowcontrolSubject[];
  resourceRules?: ResourcePolicyRule[];
  nonResourceRules?: NonResourcePolicyRule[];
}

export interface FlowSchemaSpec {
  priorityLevelConfiguration: PriorityLevelConfigurationReference;
  /** 1–10000, lower first; defaulted to 1000. */
  matchingPrecedence?: number;
  /** Absent: every request of the schema is one flow. */
  distinguisherMethod?: FlowDistinguisherMethod;
  rules?: PolicyRulesWithSubjects[];
}

/** `Dangling`: whether the schema names a priority level that does not exist. */
export interface FlowSchemaCondition {
  type?: string;
  status?: ConditionStatus;
  lastTransitionTime?: Time;
  reason?: string;
  message?: string;
}

export interface FlowSchemaStatus {
  conditions?: FlowSchemaCondition[];
}

export interface FlowSchema extends KubeObject {
  spec?: FlowSchemaSpec;
  status?: FlowSchemaStatus;
}

export interface QueuingConfiguration {
  /** Defaulted to 64. */
  queues?: number;
  /** Defaulted to 8. */
  handSize?: number;
  /** Defaulted to 50. */
  queueLengthLimit?: number;
}

export type LimitResponseType = 'Queue' | 'Reject';

export interface LimitResponse {
  type: LimitResponseType;
  queuing?: QueuingConfiguration;
}

export interface LimitedPriorityLevelConfiguration {
  /** Defaulted to 30. */
  nominalConcurrencyShares?: number;
  limitResponse?: LimitResponse;
  /** Defaulted to 0. */
  lendablePercent?: number;
  borrowingLimitPercent?: number;
}

export interface ExemptPriorityLevelConfiguration {
  nominalConcurrencyShares?: number;
  lendablePercent?: number;
}

export type PriorityLevelEnablement = 'Exempt' | 'Limited';

export interface PriorityLevelConfigurationSpec {
  type: PriorityLevelEnablement;
  limited?: LimitedPriorityLevelConfiguration;
  exempt?: ExemptPriorityLevelConfiguration;
}

export interface PriorityLevelConfigurationCondition {
  type?: string;
  status?: ConditionStatus;
  lastTransitionTime?: Time;
  reason?: string;
  message?: string;
}

export interface PriorityLevelConfigurationStatus {
  conditions?: PriorityLevelConfigurationCondition[];
}

export interface PriorityLevelConfiguration extends KubeObject {
  spec?: PriorityLevelConfigurationSpec;
  status?: PriorityLevelConfigurationStatus;
}
