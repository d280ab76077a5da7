// spec.successPolicy (upstream success_policy.go, GA in 1.33): an Indexed Job may succeed before
// every index has, once the succeeded indexes satisfy one of its rules; the rest are then stopped.
import type { Job } from '@mkube/shared/api';
import { parseIndexes } from './indexed.js';

/**
 * matchSuccessPolicy: "Matched rules at index N" for the first rule met. A rule with
 * succeededIndexes needs all of them, or succeededCount of them; one with only succeededCount
 * needs that many indexes of any kind.
 */
export function successPolicyMessage(job: Job, succeeded: ReadonlySet<number>): string | undefined {
  const rules = job.spec?.successPolicy?.rules;
  if (!rules || succeeded.size === 0) return undefined;
  const completions = job.spec?.completions ?? 0;
  for (const [index, rule] of rules.entries()) {
    if (rule.succeededIndexes !== undefined) {
      const required = parseIndexes(rule.succeededIndexes, completions);
      // Nothing parsable below completions: the rule cannot be met.
      if (required.size === 0) continue;
      let contains = 0;
      for (const ix of required) if (succeeded.has(ix)) contains++;
      if (contains === required.size || (rule.succeededCount !== undefined && contains >= rule.succeededCount))
        return `Matched rules at index ${index}`;
    } else if (rule.succeededCount !== undefined && succeeded.size >= rule.succeededCount) {
      return `Matched rules at index ${index}`;
    }
  }
  return undefined;
}
