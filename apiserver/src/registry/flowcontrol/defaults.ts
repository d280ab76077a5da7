// flowcontrol/v1 defaulting (pkg/apis/flowcontrol/v1/defaults.go) and the semantic spec equality
// upstream compares with (apiequality.Semantic.DeepEqual of the internal structs: absent, null and
// Go's zero value are one, an empty list is a nil one). Registry, validation and the ensurer share them.
import type {
  FlowcontrolSubject,
  FlowSchema,
  FlowSchemaSpec,
  NonResourcePolicyRule,
  PolicyRulesWithSubjects,
  PriorityLevelConfiguration,
  PriorityLevelConfigurationSpec,
  ResourcePolicyRule,
} from '@mkube/shared/api';
import { jsonEqual } from '../../util/json.js';

export const DEFAULT_MATCHING_PRECEDENCE = 1000;
export const DEFAULT_NOMINAL_CONCURRENCY_SHARES = 30;
export const DEFAULT_QUEUES = 64;
export const DEFAULT_HAND_SIZE = 8;
export const DEFAULT_QUEUE_LENGTH_LIMIT = 50;

/** SetDefaults_FlowSchemaSpec: an unset (zero) matchingPrecedence is 1000. */
export function defaultFlowSchema(fs: FlowSchema): void {
  fs.spec ??= {} as FlowSchemaSpec;
  if (!fs.spec.matchingPrecedence) fs.spec.matchingPrecedence = DEFAULT_MATCHING_PRECEDENCE;
}

/**
 * SetObjectDefaults_PriorityLevelConfiguration: a `limited` gets 30 shares when they are unset (an
 * explicit 0 stays) and lendablePercent 0, its `queuing` (only when present) 64/8/50 for zero values;
 * an `exempt` (only when present) 0 shares and lendablePercent 0.
 */
export function defaultPriorityLevel(pl: PriorityLevelConfiguration): void {
  pl.spec ??= {} as PriorityLevelConfigurationSpec;
  const limited = pl.spec.limited;
  if (limited) {
    if (limited.nominalConcurrencyShares == null) limited.nominalConcurrencyShares = DEFAULT_NOMINAL_CONCURRENCY_SHARES;
    if (limited.lendablePercent == null) limited.lendablePercent = 0;
    const q = limited.limitResponse?.queuing;
    if (q) {
      if (!q.handSize) q.handSize = DEFAULT_HAND_SIZE;
      if (!q.queues) q.queues = DEFAULT_QUEUES;
      if (!q.queueLengthLimit) q.queueLengthLimit = DEFAULT_QUEUE_LENGTH_LIMIT;
    }
  }
  const exempt = pl.spec.exempt;
  if (exempt) {
    if (exempt.nominalConcurrencyShares == null) exempt.nominalConcurrencyShares = 0;
    if (exempt.lendablePercent == null) exempt.lendablePercent = 0;
  }
}

const strs = (v: readonly string[] | undefined | null): readonly string[] => v ?? [];
const ptr = <T>(v: T | undefined | null): T | null => v ?? null;

function canonicalSubject(s: FlowcontrolSubject) {
  return {
    kind: s.kind ?? '',
    user: s.user ? { name: s.user.name ?? '' } : null,
    group: s.group ? { name: s.group.name ?? '' } : null,
    serviceAccount: s.serviceAccount
      ? { namespace: s.serviceAccount.namespace ?? '', name: s.serviceAccount.name ?? '' }
      : null,
  };
}

const canonicalResourceRule = (r: ResourcePolicyRule) => ({
  verbs: strs(r.verbs),
  apiGroups: strs(r.apiGroups),
  resources: strs(r.resources),
  clusterScope: r.clusterScope ?? false,
  namespaces: strs(r.namespaces),
});

const canonicalNonResourceRule = (r: NonResourcePolicyRule) => ({
  verbs: strs(r.verbs),
  nonResourceURLs: strs(r.nonResourceURLs),
});

const canonicalRule = (r: PolicyRulesWithSubjects) => ({
  subjects: (r.subjects ?? []).map(canonicalSubject),
  resourceRules: (r.resourceRules ?? []).map(canonicalResourceRule),
  nonResourceRules: (r.nonResourceRules ?? []).map(canonicalNonResourceRule),
});

/** A FlowSchemaSpec as its Go struct holds it: every field, zero values explicit, unknown fields gone. */
export function canonicalFlowSchemaSpec(spec: FlowSchemaSpec | undefined) {
  return {
    priorityLevelConfiguration: { name: spec?.priorityLevelConfiguration?.name ?? '' },
    matchingPrecedence: spec?.matchingPrecedence ?? 0,
    distinguisherMethod: spec?.distinguisherMethod ? { type: spec.distinguisherMethod.type ?? '' } : null,
    rules: (spec?.rules ?? []).map(canonicalRule),
  };
}

/** A PriorityLevelConfigurationSpec as its Go struct holds it. */
export function canonicalPriorityLevelSpec(spec: PriorityLevelConfigurationSpec | undefined) {
  const l = spec?.limited;
  const e = spec?.exempt;
  const q = l?.limitResponse?.queuing;
  return {
    type: spec?.type ?? '',
    limited: l
      ? {
          nominalConcurrencyShares: l.nominalConcurrencyShares ?? 0,
          limitResponse: {
            type: l.limitResponse?.type ?? '',
            queuing: q
              ? { queues: q.queues ?? 0, handSize: q.handSize ?? 0, queueLengthLimit: q.queueLengthLimit ?? 0 }
              : null,
          },
          lendablePercent: ptr(l.lendablePercent),
          borrowingLimitPercent: ptr(l.borrowingLimitPercent),
        }
      : null,
    exempt: e
      ? { nominalConcurrencyShares: ptr(e.nominalConcurrencyShares), lendablePercent: ptr(e.lendablePercent) }
      : null,
  };
}

export const flowSchemaSpecsEqual = (a: FlowSchemaSpec | undefined, b: FlowSchemaSpec | undefined): boolean =>
  jsonEqual(canonicalFlowSchemaSpec(a), canonicalFlowSchemaSpec(b));

export const priorityLevelSpecsEqual = (
  a: PriorityLevelConfigurationSpec | undefined,
  b: PriorityLevelConfigurationSpec | undefined,
): boolean => jsonEqual(canonicalPriorityLevelSpec(a), canonicalPriorityLevelSpec(b));
