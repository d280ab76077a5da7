// The RBAC authorizer (plugin/pkg/auth/authorizer/rbac): allow when a binding that names the user
// grants a matching rule; otherwise no opinion. Bindings are indexed by subject (user name, group,
// service account), so a decision looks only at the bindings that can apply — never a scan of all
// of them, however many RoleBindings the cluster holds.
import type { ClusterRole, ClusterRoleBinding, PolicyRule, Role, RoleBinding, Subject } from '@mkube/shared/api';
import type { Attributes, AuthorizationResult, Authorizer, UserInfo } from '@mkube/shared/auth';
import type { Informer } from '../../informers/index.js';
import type { ResolvedRules, RuleResolver } from '../rules.js';
import { describeSubject, ruleAllows, serviceAccountUsername, subjectMatches } from './rules.js';

type Binding = RoleBinding | ClusterRoleBinding;

export interface RbacInformers {
  readonly roles: Informer<Role>;
  readonly clusterRoles: Informer<ClusterRole>;
  readonly roleBindings: Informer<RoleBinding>;
  readonly clusterRoleBindings: Informer<ClusterRoleBinding>;
}

function subjectKeys(s: Subject, bindingNamespace: string): string {
  switch (s.kind) {
    case 'User':
      return `u:${s.name}`;
    case 'Group':
      return `g:${s.name}`;
    default:
      return `u:${serviceAccountUsername(s.namespace || bindingNamespace, s.name)}`;
  }
}

/** Binding key → the subject keys it was indexed under, and subject key → bindings. */
class SubjectIndex {
  private readonly bySubject = new Map<string, Map<string, Binding>>();
  private readonly keysOf = new Map<string, string[]>();

  private static id(b: Binding): string {
    return `${b.metadata.namespace ?? ''}/${b.metadata.name}`;
  }

  put(b: Binding): void {
    this.remove(b);
    const id = SubjectIndex.id(b);
    const keys = [...new Set((b.subjects ?? []).map((s) => subjectKeys(s, b.metadata.namespace ?? '')))];
    this.keysOf.set(id, keys);
    for (const k of keys) {
      let m = this.bySubject.get(k);
      if (!m) {
        m = new Map();
        this.bySubject.set(k, m);
      }
      m.set(id, b);
    }
  }

  remove(b: Binding): void {
    const id = SubjectIndex.id(b);
    for (const k of this.keysOf.get(id) ?? []) {
      const m = this.bySubject.get(k);
      m?.delete(id);
      if (m?.size === 0) this.bySubject.delete(k);
    }
    this.keysOf.delete(id);
  }

  /** Bindings that may name this user, each once. */
  candidates(user: UserInfo): Binding[] {
    const seen = new Map<string, Binding>();
    for (const k of [`u:${user.username}`, ...user.groups.map((g) => `g:${g}`)]) {
      for (const [id, b] of this.bySubject.get(k) ?? []) seen.set(id, b);
    }
    return [...seen.values()];
  }
}

export class RbacAuthorizer implements Authorizer, RuleResolver {
  private readonly clusterBindings = new SubjectIndex();
  private readonly namespacedBindings = new SubjectIndex();

  constructor(private readonly inf: RbacInformers) {
    inf.clusterRoleBindings.addHandlers({
      onAdd: (b) => this.clusterBindings.put(b),
      onUpdate: (b) => this.clusterBindings.put(b),
      onDelete: (b) => this.clusterBindings.remove(b),
    });
    inf.roleBindings.addHandlers({
      onAdd: (b) => this.namespacedBindings.put(b),
      onUpdate: (b) => this.namespacedBindings.put(b),
      onDelete: (b) => this.namespacedBindings.remove(b),
    });
  }

  /**
   * A ClusterRole's rules, as stored: an aggregated role's are what the clusterrole-aggregation
   * controller wrote (upstream's authorizer does not gather them itself either).
   */
  clusterRoleRules(name: string): PolicyRule[] {
    return this.inf.clusterRoles.get('', name)?.rules ?? [];
  }

  roleRules(namespace: string, name: string): PolicyRule[] {
    return this.inf.roles.get(namespace, name)?.rules ?? [];
  }

  /** The role a binding grants; undefined when it does not exist (or the reference is of no known kind). */
  private roleOf(b: Binding): Role | ClusterRole | undefined {
    const ref = b.roleRef;
    if (ref.kind === 'ClusterRole') return this.inf.clusterRoles.get('', ref.name);
    return ref.kind === 'Role' ? this.inf.roles.get(b.metadata.namespace ?? '', ref.name) : undefined;
  }

  private rulesOf(b: Binding): PolicyRule[] {
    return this.roleOf(b)?.rules ?? [];
  }

  async authorize(a: Attributes): Promise<AuthorizationResult> {
    for (const b of this.clusterBindings.candidates(a.user)) {
      const hit = this.allows(a, b, '');
      if (hit) return hit;
    }
    if (a.namespace) {
      for (const b of this.namespacedBindings.candidates(a.user)) {
        if (b.metadata.namespace !== a.namespace) continue;
        const hit = this.allows(a, b, a.namespace);
        if (hit) return hit;
      }
    }
    return { decision: 'NoOpinion', reason: '' };
  }

  private allows(a: Attributes, b: Binding, ns: string): AuthorizationResult | undefined {
    const subject = (b.subjects ?? []).find((s) => subjectMatches(s, a.user, ns));
    if (!subject) return undefined;
    if (!this.rulesOf(b).some((r) => ruleAllows(a, r))) return undefined;
    const kind = ns ? `RoleBinding "${b.metadata.name}/${ns}"` : `ClusterRoleBinding "${b.metadata.name}"`;
    return {
      decision: 'Allow',
      reason: `RBAC: allowed by ${kind} of ${b.roleRef.kind} "${b.roleRef.name}" to ${describeSubject(subject, ns)}`,
    };
  }

  /** Every rule that applies to the user in a namespace (escalation checks). */
  heldRules(user: UserInfo, namespace: string): readonly PolicyRule[] {
    return this.rulesFor(user, namespace).rules;
  }

  /**
   * For SelfSubjectRulesReview (rbac VisitRulesFor): the bindings' rules, and an error for each
   * binding whose role does not exist, as upstream's listers word it.
   */
  rulesFor(user: UserInfo, namespace: string): ResolvedRules {
    const rules: PolicyRule[] = [];
    const errors: string[] = [];
    const add = (b: Binding) => {
      const ref = b.roleRef;
      const role = this.roleOf(b);
      if (role) rules.push(...(role.rules ?? []));
      else if (ref.kind === 'ClusterRole' || ref.kind === 'Role')
        errors.push(`${ref.kind.toLowerCase()}.rbac.authorization.k8s.io ${JSON.stringify(ref.name)} not found`);
      else errors.push(`unsupported role reference kind: ${JSON.stringify(ref.kind)}`);
    };
    for (const b of this.clusterBindings.candidates(user)) {
      if ((b.subjects ?? []).some((s) => subjectMatches(s, user, ''))) add(b);
    }
    for (const b of this.namespacedBindings.candidates(user)) {
      if (b.metadata.namespace === namespace && (b.subjects ?? []).some((s) => subjectMatches(s, user, namespace)))
        add(b);
    }
    return { rules, incomplete: false, errors };
  }
}
