// PodSecurity admission (plugin/pkg/admission/security/podsecurity over
// k8s.io/pod-security-admission/admission): pods are judged against the Pod Security Standards
// level their namespace's labels choose. enforce refuses the pod (403), warn answers with a
// `Warning` header, audit adds the audit annotation pod-security.kubernetes.io/audit-violations.
// Namespace labels are validated on create and update, and tightening a namespace's enforce level
// warns about the existing pods that would now be refused.
//
// mkube serves no pod-template kinds (Deployments, Jobs…), so only pods and namespaces are judged.
import type { Namespace, ObjectMeta, Pod, PodSpec } from '@mkube/shared/api';
import {
  type FieldError,
  formatFieldErrors,
  newForbidden,
  newInternalError,
  newInvalid,
} from '@mkube/shared/apierrors';
import { deepEqual } from '../../../validation/objectmeta.js';
import type { AdmissionAttributes, AdmissionPlugin } from '../../types.js';
import {
  AUDIT_LEVEL_LABEL,
  AUDIT_VERSION_LABEL,
  AUDIT_VIOLATIONS_ANNOTATION,
  compareLevels,
  ENFORCE_LEVEL_LABEL,
  ENFORCE_VERSION_LABEL,
  ENFORCED_POLICY_ANNOTATION,
  EXEMPTION_ANNOTATION,
  equivalentPolicies,
  fullyPrivileged,
  LABEL_PREFIX,
  type LevelVersion,
  levelVersionString,
  type Policy,
  policyToEvaluate,
  sameLevelVersion,
  versionString,
  WARN_LEVEL_LABEL,
  WARN_VERSION_LABEL,
} from './api.js';
import { type AggregateResult, aggregate, Evaluator, forbiddenDetail, forbiddenReason } from './checks.js';
import { DEFAULT_POD_SECURITY_CONFIG, type PodSecurityConfig } from './config.js';

export const POD_SECURITY_PLUGIN = 'PodSecurity';

export interface PodSecurityDeps {
  /** The namespace (from the namespace cache, else read live); undefined when it does not exist. */
  getNamespace(name: string): Promise<Namespace | undefined>;
  /** The pods of a namespace, for the check of a tightened enforce level. */
  listPods(namespace: string): Promise<Pod[]>;
  readonly config?: PodSecurityConfig;
  readonly evaluator?: Evaluator;
  /** Upstream's bounds on that check: 3000 pods, one second. */
  readonly namespaceMaxPodsToCheck?: number;
  readonly namespacePodCheckTimeoutMs?: number;
}

/** Pod subresources that cannot change what the checks look at. */
const IGNORED_POD_SUBRESOURCES = new Set([
  'exec',
  'attach',
  'binding',
  'eviction',
  'log',
  'portforward',
  'proxy',
  'status',
]);

export function podSecurity(deps: PodSecurityDeps): AdmissionPlugin {
  const config = deps.config ?? DEFAULT_POD_SECURITY_CONFIG;
  const evaluator = deps.evaluator ?? new Evaluator();
  const maxPods = deps.namespaceMaxPodsToCheck ?? 3000;
  const timeoutMs = deps.namespacePodCheckTimeoutMs ?? 1000;
  const ex = config.exemptions;
  const exemptNamespace = (ns: string) => ns !== '' && ex.namespaces.includes(ns);
  const exemptUser = (user: string) => user !== '' && ex.usernames.includes(user);
  const exemptRuntimeClass = (rc: string | undefined) => !!rc && ex.runtimeClasses.includes(rc);
  const policyOf = (labels: Readonly<Record<string, string>> | undefined) => policyToEvaluate(labels, config.defaults);
  const evaluate = (lv: LevelVersion, meta: ObjectMeta, spec: PodSpec): AggregateResult =>
    aggregate(evaluator.evaluate(lv.level, lv.version, meta, spec));
  const annotate = (a: AdmissionAttributes, key: string, value: string) =>
    a.addAuditAnnotation?.(LABEL_PREFIX + key, value);

  /** exemptNamespaceWarning: an exempt namespace labelled with a policy that will not apply. */
  function exemptNamespaceWarning(name: string, policy: Policy, labels: Readonly<Record<string, string>>) {
    if (fullyPrivileged(policy) || equivalentPolicies(policy, config.defaults)) return undefined;
    const parts: string[] = [];
    const mode = (m: 'enforce' | 'audit' | 'warn', levelLabel: string, versionLabel: string) => {
      if (policy[m].level !== 'privileged' && (levelLabel in labels || versionLabel in labels))
        parts.push(`${m}=${levelVersionString(policy[m])}`);
    };
    mode('enforce', ENFORCE_LEVEL_LABEL, ENFORCE_VERSION_LABEL);
    mode('audit', AUDIT_LEVEL_LABEL, AUDIT_VERSION_LABEL);
    mode('warn', WARN_LEVEL_LABEL, WARN_VERSION_LABEL);
    return `namespace ${JSON.stringify(name)} is exempt from Pod Security, and the policy (${parts.join(', ')}) will be ignored`;
  }

  /**
   * EvaluatePodsInNamespace: which existing pods the new enforce level would refuse, one warning
   * per distinct set of reasons naming the first pod (and how many others), within the bounds.
   */
  async function evaluatePodsInNamespace(namespace: string, enforce: LevelVersion): Promise<string[]> {
    const deadline = Date.now() + timeoutMs;
    let pods: Pod[];
    try {
      pods = await deps.listPods(namespace);
    } catch {
      return ['failed to list pods while checking new PodSecurity enforce level'];
    }
    // prioritizePods: skip exempt runtime classes; one pod per controller first, its replicas last.
    const first: Pod[] = [];
    const replicas: Pod[] = [];
    const controllers = new Set<string>();
    for (const p of pods) {
      if (exemptRuntimeClass(p.spec?.runtimeClassName)) continue;
      const owner = p.metadata.ownerReferences?.find((o) => o.controller);
      if (!owner) first.push(p);
      else if (controllers.has(owner.uid)) replicas.push(p);
      else {
        controllers.add(owner.uid);
        first.push(p);
      }
    }
    const candidates = [...first, ...replicas];
    const total = candidates.length;
    const toCheck = candidates.slice(0, maxPods);
    let checked = toCheck.length;
    const byReason = new Map<string, { name: string; count: number }>();
    for (let i = 0; i < toCheck.length; i++) {
      const p = toCheck[i]!;
      const r = evaluate(enforce, p.metadata, p.spec ?? { containers: [] });
      if (!r.allowed) {
        const reason = forbiddenReason(r);
        const name = p.metadata.name ?? '';
        const seen = byReason.get(reason);
        if (!seen) byReason.set(reason, { name, count: 1 });
        else {
          seen.count++;
          if (name < seen.name) seen.name = name;
        }
      }
      if (Date.now() > deadline) {
        checked = i + 1;
        break;
      }
    }
    const warnings: string[] = [];
    if (checked < total) {
      warnings.push(
        `new PodSecurity enforce level only checked against the first ${checked} of ${total} existing pods`,
      );
    }
    if (byReason.size) {
      warnings.push(
        `existing pods in namespace ${JSON.stringify(namespace)} violate the new PodSecurity enforce level ${JSON.stringify(levelVersionString(enforce))}`,
      );
    }
    const podWarnings = [...byReason].map(([reason, { name, count }]) =>
      count === 1
        ? `${name}: ${reason}`
        : count === 2
          ? `${name} (and 1 other pod): ${reason}`
          : `${name} (and ${count - 1} other pods): ${reason}`,
    );
    return [...warnings, ...podWarnings.sort()];
  }

  function validateNamespace(a: AdmissionAttributes): Promise<void> | void {
    if (a.subresource) return;
    const ns = a.object as Namespace | undefined;
    if (!ns) return;
    const name = ns.metadata.name ?? a.name;
    const labels = ns.metadata.labels ?? {};
    const { policy, errors } = policyOf(labels);
    const invalid = (errs: FieldError[]) => newInvalid({ group: '', kind: 'Namespace' }, name, errs);
    if (a.operation === 'CREATE') {
      if (errors.length) throw invalid(errors);
      if (exemptNamespace(name)) {
        const w = exemptNamespaceWarning(name, policy, labels);
        if (w) a.addWarning?.(w);
      }
      return;
    }
    if (a.operation !== 'UPDATE') return;
    const old = a.oldObject as Namespace | undefined;
    const { policy: oldPolicy, errors: oldErrors } = policyOf(old?.metadata.labels);
    if (errors.length && (!oldErrors.length || !deepEqual(errors, oldErrors))) throw invalid(errors);
    // Nothing to dry-run when enforce did not change, is privileged, or was relaxed at the same version.
    if (sameLevelVersion(policy.enforce, oldPolicy.enforce)) return;
    if (policy.enforce.level === 'privileged') return;
    if (
      versionString(policy.enforce.version) === versionString(oldPolicy.enforce.version) &&
      compareLevels(policy.enforce.level, oldPolicy.enforce.level) < 1
    )
      return;
    if (exemptNamespace(name)) {
      const w = exemptNamespaceWarning(name, policy, labels);
      if (w) a.addWarning?.(w);
      return;
    }
    return evaluatePodsInNamespace(name, policy.enforce).then((warnings) => {
      for (const w of warnings) a.addWarning?.(w);
    });
  }

  async function validatePod(a: AdmissionAttributes): Promise<void> {
    if (IGNORED_POD_SUBRESOURCES.has(a.subresource)) return;
    if (exemptNamespace(a.namespace)) {
      annotate(a, EXEMPTION_ANNOTATION, 'namespace');
      return;
    }
    if (exemptUser(a.user.username)) {
      annotate(a, EXEMPTION_ANNOTATION, 'user');
      return;
    }
    let ns: Namespace | undefined;
    try {
      ns = await deps.getNamespace(a.namespace);
    } catch {
      ns = undefined;
    }
    if (!ns) {
      const message = `failed to lookup namespace ${JSON.stringify(a.namespace)}`;
      annotate(a, 'error', `Internal error occurred: ${message}`);
      throw newInternalError(message);
    }
    const { policy, errors } = policyOf(ns.metadata.labels);
    if (!errors.length && fullyPrivileged(policy)) {
      annotate(a, ENFORCED_POLICY_ANNOTATION, 'privileged:latest');
      return;
    }
    const pod = a.object as Pod | undefined;
    if (!pod) return;
    if (a.operation === 'UPDATE' && a.oldObject && !isSignificantPodUpdate(pod, a.oldObject as Pod)) return;
    const spec = pod.spec ?? { containers: [] };
    if (exemptRuntimeClass(spec.runtimeClassName)) {
      annotate(a, EXEMPTION_ANNOTATION, 'runtimeClass');
      return;
    }
    if (errors.length) annotate(a, 'error', `Failed to parse policy: ${formatFieldErrors(errors)}`);
    const results = new Map<string, AggregateResult>();
    const resultFor = (lv: LevelVersion) => {
      const key = levelVersionString(lv);
      let r = results.get(key);
      if (!r) {
        r = evaluate(lv, pod.metadata, spec);
        results.set(key, r);
      }
      return r;
    };
    annotate(a, ENFORCED_POLICY_ANNOTATION, levelVersionString(policy.enforce));
    const enforced = resultFor(policy.enforce);
    const audited = resultFor(policy.audit);
    if (!audited.allowed) {
      annotate(
        a,
        AUDIT_VIOLATIONS_ANNOTATION,
        `would violate PodSecurity ${JSON.stringify(levelVersionString(policy.audit))}: ${forbiddenDetail(audited)}`,
      );
    }
    if (!enforced.allowed) {
      throw newForbidden(
        { group: '', resource: 'pods' },
        a.name,
        `violates PodSecurity ${JSON.stringify(levelVersionString(policy.enforce))}: ${forbiddenDetail(enforced)}`,
      );
    }
    const warned = resultFor(policy.warn);
    if (!warned.allowed) {
      a.addWarning?.(
        `would violate PodSecurity ${JSON.stringify(levelVersionString(policy.warn))}: ${forbiddenDetail(warned)}`,
      );
    }
  }

  return {
    name: POD_SECURITY_PLUGIN,
    handles: (op) => op === 'CREATE' || op === 'UPDATE',
    async validate(a) {
      if (a.group !== '') return;
      if (a.resource === 'namespaces') await validateNamespace(a);
      else if (a.resource === 'pods') await validatePod(a);
    },
  };
}

/**
 * isSignificantPodUpdate: only an image change, a changed container count or an added ephemeral
 * container can change the verdict (everything else in a pod spec is immutable); metadata-only
 * updates are let through unjudged.
 */
export function isSignificantPodUpdate(pod: Pod, old: Pod): boolean {
  const cs = pod.spec?.containers ?? [];
  const oldCs = old.spec?.containers ?? [];
  const inits = pod.spec?.initContainers ?? [];
  const oldInits = old.spec?.initContainers ?? [];
  if (cs.length !== oldCs.length || inits.length !== oldInits.length) return true;
  const seccompKey = (name: string) => `container.seccomp.security.alpha.kubernetes.io/${name}`;
  const changed = (c: { name: string; image?: string }, o: { image?: string } | undefined) =>
    !o ||
    (c.image ?? '') !== (o.image ?? '') ||
    (pod.metadata.annotations?.[seccompKey(c.name)] ?? '') !== (old.metadata.annotations?.[seccompKey(c.name)] ?? '');
  if (cs.some((c, i) => changed(c, oldCs[i])) || inits.some((c, i) => changed(c, oldInits[i]))) return true;
  const oldEphemeral = old.spec?.ephemeralContainers ?? [];
  return (pod.spec?.ephemeralContainers ?? []).some((c) =>
    changed(
      c,
      oldEphemeral.find((o) => o.name === c.name),
    ),
  );
}
