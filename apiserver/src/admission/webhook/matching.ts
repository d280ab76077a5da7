// Which webhooks see a request (k8s.io/apiserver pkg/admission/plugin/webhook/predicates/{rules,
// namespace,object} and generic.Webhook.ShouldCallHook): a rule must match the operation, group,
// version, resource/subresource and scope; then the namespace's labels (a namespace's own labels
// for a namespace) must match namespaceSelector, and the new or the old object's labels
// objectSelector. matchPolicy Equivalent adds nothing here: mkube serves each resource in one
// version, so the only equivalent of a resource is itself. ValidatingAdmissionPolicy's matcher
// (policy/matching) uses the same rule and selector predicates.
import type { KubeObject, RuleWithOperations } from '@mkube/shared/api';
import { newInternalError, StatusError } from '@mkube/shared/apierrors';
import type { Labels, LabelsSelector } from '@mkube/shared/selectors';
import type { AdmissionAttributes } from '../types.js';
import type { CompiledConditions } from './matchconditions.js';

/** One webhook of one configuration, with its selectors parsed once per configuration change. */
export interface WebhookAccessor<H> {
  /** `<configuration>/<webhook>/<index>`, upstream's identity for reinvocation. */
  readonly uid: string;
  readonly configurationName: string;
  readonly hook: H;
  readonly namespaceSelector: LabelsSelector | Error;
  readonly objectSelector: LabelsSelector | Error;
  /** The CEL matchConditions, compiled; undefined when it has none. */
  readonly matchConditions?: CompiledConditions;
}

export interface Invocation {
  readonly resource: { group: string; version: string; resource: string };
  readonly subresource: string;
  readonly kind: { group: string; version: string; kind: string };
}

/** Requests on the configurations themselves never go to a webhook, so a bad one can always be fixed. */
export function isExemptAdmissionConfigurationResource(a: Pick<AdmissionAttributes, 'group' | 'kind'>): boolean {
  return (
    a.group === 'admissionregistration.k8s.io' &&
    [
      'ValidatingWebhookConfiguration',
      'MutatingWebhookConfiguration',
      'ValidatingAdmissionPolicy',
      'ValidatingAdmissionPolicyBinding',
      'MutatingAdmissionPolicy',
      'MutatingAdmissionPolicyBinding',
    ].includes(a.kind)
  );
}

export const isNamespaceResource = (a: Pick<AdmissionAttributes, 'group' | 'version' | 'resource'>): boolean =>
  a.group === '' && a.version === 'v1' && a.resource === 'namespaces';

/** attr.GetNamespace(): a namespace's own name for requests on namespaces. */
export function requestNamespace(a: AdmissionAttributes): string {
  return isNamespaceResource(a) ? a.name : a.namespace;
}

const exactOrWildcard = (items: readonly string[] | undefined, requested: string): boolean =>
  (items ?? []).some((i) => i === '*' || i === requested);

export function ruleMatches(rule: RuleWithOperations, a: AdmissionAttributes): boolean {
  const scope = rule.scope ?? '*';
  const ns = requestNamespace(a);
  if (scope === 'Namespaced' && (isNamespaceResource(a) || ns === '')) return false;
  if (scope === 'Cluster' && !(isNamespaceResource(a) || ns === '')) return false;
  if (scope !== '*' && scope !== 'Namespaced' && scope !== 'Cluster') return false;
  if (!(rule.operations ?? []).some((op) => op === '*' || op === a.operation)) return false;
  if (!exactOrWildcard(rule.apiGroups, a.group) || !exactOrWildcard(rule.apiVersions, a.version)) return false;
  return (rule.resources ?? []).some((r) => {
    const slash = r.indexOf('/');
    const res = slash < 0 ? r : r.slice(0, slash);
    const sub = slash < 0 ? '' : r.slice(slash + 1);
    return (res === '*' || res === a.resource) && (sub === '*' || sub === a.subresource);
  });
}

export type Match = { matches: boolean; error?: StatusError };

export async function matchNamespace(
  selector: LabelsSelector | Error,
  a: AdmissionAttributes,
  namespaceLabels: (name: string) => Promise<Labels>,
): Promise<Match> {
  const ns = requestNamespace(a);
  // Cluster-scoped objects other than namespaces are never exempted by a namespace selector.
  if (!ns && !isNamespaceResource(a)) return { matches: true };
  if (selector instanceof Error) return { matches: false, error: newInternalError(selector) };
  if (selector.empty()) return { matches: true };
  let labels: Labels;
  if (isNamespaceResource(a) && !a.subresource && (a.operation === 'CREATE' || a.operation === 'UPDATE')) {
    labels = a.object?.metadata?.labels;
  } else {
    try {
      labels = await namespaceLabels(ns);
    } catch (e) {
      // A missing namespace is its 404, as upstream answers for backwards compatibility.
      return { matches: false, error: e instanceof StatusError ? e : newInternalError(e) };
    }
  }
  return { matches: selector.matches(labels) };
}

// An object without metadata (a CONNECT's PodExecOptions) matches no selector, as meta.Accessor fails upstream.
const objectLabelsMatch = (obj: KubeObject | undefined, selector: LabelsSelector): boolean =>
  obj !== undefined && obj !== null && typeof obj.metadata === 'object' && selector.matches(obj.metadata?.labels);

export function matchObject(selector: LabelsSelector | Error, a: AdmissionAttributes): Match {
  if (selector instanceof Error) return { matches: false, error: newInternalError(selector) };
  if (selector.empty()) return { matches: true };
  return { matches: objectLabelsMatch(a.object, selector) || objectLabelsMatch(a.oldObject, selector) };
}

/**
 * ShouldCallHook: the invocation when the webhook applies, undefined when it does not; a selector
 * that cannot be evaluated for a request the rules select is an error (thrown).
 */
export async function shouldCallHook<H extends { rules?: RuleWithOperations[] }>(
  h: WebhookAccessor<H>,
  a: AdmissionAttributes,
  namespaceLabels: (name: string) => Promise<Labels>,
): Promise<Invocation | undefined> {
  if (!(h.hook.rules ?? []).some((r) => ruleMatches(r, a))) return undefined;
  const ns = await matchNamespace(h.namespaceSelector, a, namespaceLabels);
  if (!ns.matches && !ns.error) return undefined;
  const obj = matchObject(h.objectSelector, a);
  if (!obj.matches && !obj.error) return undefined;
  if (ns.error) throw ns.error;
  if (obj.error) throw obj.error;
  return {
    resource: { group: a.group, version: a.version, resource: a.resource },
    subresource: a.subresource,
    kind: { group: a.group, version: a.version, kind: a.kind },
  };
}
