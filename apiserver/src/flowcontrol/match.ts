// Classification rules (upstream's util/flowcontrol/rule.go), compiled once per configuration: a
// FlowSchema matches a request when one of its PolicyRulesWithSubjects does, which takes a matching
// subject AND a matching resource rule (resource requests) or non-resource rule (the others).
import type {
  FlowcontrolSubject,
  FlowDistinguisherMethod,
  FlowSchema,
  NonResourcePolicyRule,
  PolicyRulesWithSubjects,
  ResourcePolicyRule,
} from '@mkube/shared/api';
import type { UserInfo } from '@mkube/shared/auth';
import type { RequestInfo } from '../request/requestinfo.js';

export type RequestMatcher = (info: RequestInfo, user: UserInfo) => boolean;

/** spec.matchingPrecedence's default. */
export const DEFAULT_MATCHING_PRECEDENCE = 1000;

const SERVICE_ACCOUNT_PREFIX = 'system:serviceaccount:';

/**
 * Membership as upstream's containsString: `wildcard` matches everything only as the list's sole
 * member (validation allows it nowhere else); otherwise the list is a set of literal values.
 */
interface ValueSet {
  readonly all: boolean;
  readonly values: ReadonlySet<string>;
}

function valueSet(list: readonly string[] | undefined, wildcard: string): ValueSet {
  const values = list ?? [];
  return { all: values.length === 1 && values[0] === wildcard, values: new Set(values) };
}

function contains(set: ValueSet, value: string): boolean {
  return set.all || set.values.has(value);
}

/** `*` for either part: any namespace (an mkube extension: upstream validation requires a real one) / any name. */
interface ServiceAccountPattern {
  readonly namespace: string;
  readonly name: string;
}

class SubjectMatcher {
  private readonly anyUser: boolean;
  private readonly users = new Set<string>();
  private readonly anyGroup: boolean;
  private readonly groups = new Set<string>();
  private readonly serviceAccounts: ServiceAccountPattern[] = [];

  constructor(subjects: readonly FlowcontrolSubject[]) {
    let anyUser = false;
    let anyGroup = false;
    for (const s of subjects) {
      switch (s.kind) {
        case 'User':
          if (!s.user) break;
          if (s.user.name === '*') anyUser = true;
          else this.users.add(s.user.name);
          break;
        case 'Group':
          if (!s.group) break;
          if (s.group.name === '*') anyGroup = true;
          else this.groups.add(s.group.name);
          break;
        case 'ServiceAccount':
          if (s.serviceAccount) {
            this.serviceAccounts.push({ namespace: s.serviceAccount.namespace, name: s.serviceAccount.name });
          }
          break;
      }
    }
    this.anyUser = anyUser;
    this.anyGroup = anyGroup;
  }

  matches(user: UserInfo): boolean {
    if (this.anyUser || this.anyGroup) return true;
    if (this.users.size > 0 && this.users.has(user.username)) return true;
    if (this.groups.size > 0) {
      for (const g of user.groups) if (this.groups.has(g)) return true;
    }
    if (this.serviceAccounts.length > 0) return this.matchesServiceAccount(user.username);
    return false;
  }

  /** serviceaccount.MatchesUsername: `system:serviceaccount:<namespace>:<name>` (compared in place, no copies). */
  private matchesServiceAccount(username: string): boolean {
    if (!username.startsWith(SERVICE_ACCOUNT_PREFIX)) return false;
    const colon = username.indexOf(':', SERVICE_ACCOUNT_PREFIX.length);
    if (colon < 0) return false;
    const namespaceLength = colon - SERVICE_ACCOUNT_PREFIX.length;
    const nameLength = username.length - colon - 1;
    for (const sa of this.serviceAccounts) {
      if (
        sa.namespace !== '*' &&
        (sa.namespace.length !== namespaceLength || !username.startsWith(sa.namespace, SERVICE_ACCOUNT_PREFIX.length))
      ) {
        continue;
      }
      if (sa.name === '*' || (sa.name.length === nameLength && username.endsWith(sa.name))) return true;
    }
    return false;
  }
}

class ResourceRuleMatcher {
  private readonly verbs: ValueSet;
  private readonly apiGroups: ValueSet;
  private readonly resources: ValueSet;
  private readonly namespaces: ValueSet;
  private readonly clusterScope: boolean;

  constructor(rule: ResourcePolicyRule) {
    this.verbs = valueSet(rule.verbs, '*');
    this.apiGroups = valueSet(rule.apiGroups, '*');
    this.resources = valueSet(rule.resources, '*');
    this.namespaces = valueSet(rule.namespaces, '*');
    this.clusterScope = rule.clusterScope === true;
  }

  matches(info: RequestInfo): boolean {
    if (!contains(this.verbs, info.verb)) return false;
    if (!this.resources.all) {
      const key = info.subresource === '' ? info.resource : `${info.resource}/${info.subresource}`;
      if (!this.resources.values.has(key)) return false;
    }
    if (!contains(this.apiGroups, info.apiGroup)) return false;
    // A request naming no namespace (cluster-scoped, or across all namespaces) needs clusterScope;
    // `*` in namespaces does not cover it.
    if (info.namespace === '') return this.clusterScope;
    return contains(this.namespaces, info.namespace);
  }
}

class NonResourceRuleMatcher {
  private readonly verbs: ValueSet;
  private readonly anyURL: boolean;
  private readonly exact: ReadonlySet<string>;
  private readonly prefixes: readonly string[];

  constructor(rule: NonResourcePolicyRule) {
    this.verbs = valueSet(rule.verbs, '*');
    const urls = rule.nonResourceURLs ?? [];
    this.anyURL = urls.includes('*');
    this.exact = new Set(urls);
    // As upstream: every entry also matches what lies under it. `/healthz/*` and `/healthz` both
    // cover `/healthz/etcd`; `/healthz/*` does not cover `/healthz` itself (its exact entry does).
    this.prefixes = urls.map((u) => {
      const p = u.endsWith('*') ? u.slice(0, -1) : u;
      return p.endsWith('/') ? p : `${p}/`;
    });
  }

  matches(info: RequestInfo): boolean {
    if (!contains(this.verbs, info.verb)) return false;
    if (this.anyURL || this.exact.has(info.path)) return true;
    for (const p of this.prefixes) if (info.path.startsWith(p)) return true;
    return false;
  }
}

class PolicyRuleMatcher {
  private readonly subjects: SubjectMatcher;
  private readonly resourceRules: readonly ResourceRuleMatcher[];
  private readonly nonResourceRules: readonly NonResourceRuleMatcher[];

  constructor(rule: PolicyRulesWithSubjects) {
    this.subjects = new SubjectMatcher(rule.subjects ?? []);
    this.resourceRules = (rule.resourceRules ?? []).map((r) => new ResourceRuleMatcher(r));
    this.nonResourceRules = (rule.nonResourceRules ?? []).map((r) => new NonResourceRuleMatcher(r));
  }

  matches(info: RequestInfo, user: UserInfo): boolean {
    const rules = info.isResourceRequest ? this.resourceRules : this.nonResourceRules;
    if (rules.length === 0 || !this.subjects.matches(user)) return false;
    for (const r of rules) if (r.matches(info)) return true;
    return false;
  }
}

/** matchesFlowSchema, with the schema's rules turned into lookups once. */
export function compileFlowSchema(fs: FlowSchema): RequestMatcher {
  const rules = (fs.spec?.rules ?? []).map((r) => new PolicyRuleMatcher(r));
  if (rules.length === 0) return () => false;
  if (rules.length === 1) {
    const only = rules[0]!;
    return (info, user) => only.matches(info, user);
  }
  return (info, user) => {
    for (const r of rules) if (r.matches(info, user)) return true;
    return false;
  };
}

/** One-off form of compileFlowSchema. */
export function matchesFlowSchema(fs: FlowSchema, info: RequestInfo, user: UserInfo): boolean {
  return compileFlowSchema(fs)(info, user);
}

/** apihelpers.FlowSchemaSequence: ascending matchingPrecedence, then name. */
export function compareFlowSchemas(a: FlowSchema, b: FlowSchema): number {
  const pa = a.spec?.matchingPrecedence ?? DEFAULT_MATCHING_PRECEDENCE;
  const pb = b.spec?.matchingPrecedence ?? DEFAULT_MATCHING_PRECEDENCE;
  if (pa !== pb) return pa - pb;
  const na = a.metadata.name ?? '';
  const nb = b.metadata.name ?? '';
  return na < nb ? -1 : na > nb ? 1 : 0;
}

/** computeFlowDistinguisher: the user name (ByUser), the request's namespace (ByNamespace), else "". */
export function flowDistinguisher(
  method: FlowDistinguisherMethod | undefined,
  info: RequestInfo,
  user: UserInfo,
): string {
  if (!method) return '';
  return method.type === 'ByUser' ? user.username : method.type === 'ByNamespace' ? info.namespace : '';
}
