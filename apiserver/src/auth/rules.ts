// What SelfSubjectRulesReview answers (k8s.io/apiserver authorizer.RuleResolver and its union): each
// configured authorizer, in order, lists the rules it grants a user in a namespace, or says that it
// cannot. kubectl auth can-i --list prints the rules, and "the list may be incomplete: <error>".

import type { PolicyRule } from '@mkube/shared/api';
import { aggregateMessages } from '@mkube/shared/apierrors';
import type { UserInfo } from '@mkube/shared/auth';
import { NODE_USER_PREFIX, NODES_GROUP } from '@mkube/shared/certificates';

export interface ResolvedRules {
  readonly rules: readonly PolicyRule[];
  /** An authorizer could not list what it grants: the user may hold more than these rules. */
  readonly incomplete: boolean;
  /** Why (one message per authorizer or missing role); empty when every authorizer answered. */
  readonly errors: readonly string[];
}

export interface RuleResolver {
  rulesFor(user: UserInfo, namespace: string): ResolvedRules;
}

const NONE: ResolvedRules = { rules: [], incomplete: false, errors: [] };

/** AlwaysAllow: everything, resources and non-resource URLs. */
export const allowAllRules: RuleResolver = {
  rulesFor: () => ({
    rules: [
      { verbs: ['*'], apiGroups: ['*'], resources: ['*'] },
      { verbs: ['*'], nonResourceURLs: ['*'] },
    ],
    incomplete: false,
    errors: [],
  }),
};

/** AlwaysDeny: nothing, and nothing left out. */
export const noRules: RuleResolver = { rulesFor: () => NONE };

/** Webhooks cannot be asked for a user's rules. */
export const webhookRules: RuleResolver = {
  rulesFor: () => ({
    rules: [],
    incomplete: true,
    errors: ['webhook authorizer does not support user rule resolution'],
  }),
};

/** The Node authorizer grants by graph, not by rules: a node's list is always incomplete. */
export const nodeRules: RuleResolver = {
  rulesFor: (user) =>
    user.groups.includes(NODES_GROUP) && user.username.startsWith(NODE_USER_PREFIX)
      ? { rules: [], incomplete: true, errors: ['node authorizer does not support user rule resolution'] }
      : NONE,
};

export function unionRuleResolver(resolvers: readonly RuleResolver[]): RuleResolver {
  return {
    rulesFor(user, namespace) {
      const rules: PolicyRule[] = [];
      const errors: string[] = [];
      let incomplete = false;
      for (const r of resolvers) {
        const got = r.rulesFor(user, namespace);
        rules.push(...got.rules);
        errors.push(...got.errors);
        incomplete ||= got.incomplete;
      }
      return { rules, incomplete, errors };
    },
  };
}

/** utilerrors.NewAggregate(...).Error(): repeated messages once; several in brackets, comma-separated. */
export function evaluationError(errors: readonly string[]): string | undefined {
  const distinct = [...new Set(errors)];
  if (distinct.length === 0) return undefined;
  return aggregateMessages(distinct);
}
