// spec.podFailurePolicy (upstream pod_failure_policy.go): the first rule that matches a failed pod
// decides what its failure means — fail the Job, fail only its index, not count it, or count it.
import type { ContainerStatus, Job, Pod, PodFailurePolicyRule } from '@mkube/shared/api';
import { isPodFailed } from './pods.js';

export type PodFailureAction = PodFailurePolicyRule['action'];

export interface PolicyMatch {
  /** Set when a FailJob rule matched: the FailureTarget condition's message. */
  readonly failJobMessage?: string;
  /** False only for Ignore: the failure counts toward neither backoffLimit nor backoffLimitPerIndex. */
  readonly countFailed: boolean;
  readonly action?: PodFailureAction;
}

const NO_MATCH: PolicyMatch = { countFailed: true };

type ExitCodes = NonNullable<PodFailurePolicyRule['onExitCodes']>;

/** A terminated container with a non-zero exit code the requirement accepts; regular containers first. */
function matchOnExitCodes(p: Pod, req: ExitCodes): ContainerStatus | undefined {
  const matching = (list: readonly ContainerStatus[] | undefined) =>
    (list ?? []).find((s) => {
      const code = s.state?.terminated?.exitCode;
      // Exit code 0 never matches: NotIn would otherwise catch a container that succeeded.
      if (code === undefined || code === 0) return false;
      if (req.containerName !== undefined && req.containerName !== s.name) return false;
      const listed = req.values.includes(code);
      return req.operator === 'In' ? listed : req.operator === 'NotIn' ? !listed : false;
    });
  return matching(p.status?.containerStatuses) ?? matching(p.status?.initContainerStatuses);
}

/** The first of the pod's conditions that some pattern names; statuses default to True in the apiserver. */
function matchOnPodConditions(p: Pod, patterns: NonNullable<PodFailurePolicyRule['onPodConditions']>) {
  return p.status?.conditions?.find((c) =>
    patterns.some((x) => x.type === c.type && (x.status ?? 'True') === c.status),
  );
}

/** matchPodFailurePolicy: what the first matching rule says about this failed pod. */
export function matchPodFailurePolicy(job: Job, p: Pod): PolicyMatch {
  const rules = job.spec?.podFailurePolicy?.rules;
  if (!rules) return NO_MATCH;
  const who = `${p.metadata?.namespace ?? ''}/${p.metadata?.name ?? ''}`;
  for (const [index, rule] of rules.entries()) {
    let failJobMessage: string | undefined;
    if (rule.onExitCodes) {
      const s = matchOnExitCodes(p, rule.onExitCodes);
      if (!s) continue;
      failJobMessage = `Container ${s.name} for pod ${who} failed with exit code ${s.state?.terminated?.exitCode} matching FailJob rule at index ${index}`;
    } else if (rule.onPodConditions) {
      const c = matchOnPodConditions(p, rule.onPodConditions);
      if (!c) continue;
      failJobMessage = `Pod ${who} has condition ${c.type} matching FailJob rule at index ${index}`;
    } else continue;
    switch (rule.action) {
      case 'Ignore':
        return { countFailed: false, action: 'Ignore' };
      case 'Count':
        return { countFailed: true, action: 'Count' };
      case 'FailIndex':
        return { countFailed: true, action: 'FailIndex' };
      case 'FailJob':
        return { failJobMessage, countFailed: true, action: 'FailJob' };
    }
    // An action this version does not know falls through to the next rule, as Go's switch does.
  }
  return NO_MATCH;
}

/** getFailJobMessage: the message of the first failed pod a FailJob rule matches. */
export function failJobMessage(job: Job, pods: readonly Pod[]): string | undefined {
  if (!job.spec?.podFailurePolicy) return undefined;
  for (const p of pods) {
    if (!isPodFailed(p, job)) continue;
    const m = matchPodFailurePolicy(job, p).failJobMessage;
    if (m !== undefined) return m;
  }
  return undefined;
}

/** nonIgnoredFailedPodsCount: the new failures that count toward backoffLimit. */
export const countedFailures = (job: Job, failed: readonly Pod[]): number =>
  job.spec?.podFailurePolicy ? failed.filter((p) => matchPodFailurePolicy(job, p).countFailed).length : failed.length;
