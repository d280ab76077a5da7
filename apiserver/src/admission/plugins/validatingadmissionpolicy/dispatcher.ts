// One request against every policy in force (upstream's validating dispatcher): for each matching
// policy and binding, the params are collected and the policy evaluated once per param. Failed
// validations act as the binding says: Deny refuses the request, Warn adds a Warning header, Audit
// adds the validation_failure audit annotation. Configuration and evaluation errors follow the
// policy's failurePolicy. The first denial is the answer, with its reason's HTTP code.
import type { Namespace, ValidatingAdmissionPolicy, ValidatingAdmissionPolicyBinding } from '@mkube/shared/api';
import { type StatusCause, StatusError, type StatusReason } from '@mkube/shared/apierrors';
import type { Authorizer } from '@mkube/shared/auth';
import { authorizerValue, cachingAuthorizer } from '../../cel/authz.js';
import type { AdmissionAttributes } from '../../types.js';
import { isNamespaceResource, requestNamespace } from '../../webhook/matching.js';
import { Activation, admissionRequestValue, namespaceValue, objectValue } from './activation.js';
import { matchesResources } from './matching.js';
import { collectParams } from './params.js';
import type { PolicySource } from './source.js';
import { type PolicyDecision, validatePolicy } from './validator.js';

interface Denial {
  readonly policy: ValidatingAdmissionPolicy;
  readonly binding?: ValidatingAdmissionPolicyBinding;
  readonly message: string;
  readonly reason?: string;
}

export const VALIDATION_FAILURE_ANNOTATION = 'validation.policy.admission.k8s.io/validation_failure';
const MAX_AUDIT_ANNOTATION_VALUE_LENGTH = 10 * 1024;

/** reasonToCode: Invalid (and anything unknown) is 422. */
const CODES: Readonly<Record<string, number>> = {
  Forbidden: 403,
  Unauthorized: 401,
  RequestEntityTooLarge: 413,
  Invalid: 422,
};

/** admission.NewForbidden's name: the request's, else the object's name or generateName. */
export function requestName(a: AdmissionAttributes): string {
  if (a.name) return a.name;
  const m = a.object?.metadata;
  return m?.name || m?.generateName || 'Unknown';
}

/** admission.NewForbidden with the decision's reason and code, the message also as the one cause. */
function denialError(a: AdmissionAttributes, d: Denial): StatusError {
  const what = d.binding
    ? `ValidatingAdmissionPolicy '${d.policy.metadata.name}' with binding '${d.binding.metadata.name}' denied request: ${d.message}`
    : `ValidatingAdmissionPolicy '${d.policy.metadata.name}' denied request: ${d.message}`;
  const name = requestName(a);
  const resource = a.group ? `${a.resource}.${a.group}` : a.resource;
  const reason = (d.reason || 'Invalid') as StatusReason;
  const causes: StatusCause[] = [{ message: what }];
  return new StatusError(
    reason,
    `${resource} "${name}" is forbidden: ${what}`,
    { name, ...(a.group ? { group: a.group } : {}), kind: a.resource, causes },
    CODES[reason] ?? 422,
  );
}

/** JSON as Go's encoding/json writes it: <, > and & escaped. */
const goJson = (v: unknown): string =>
  JSON.stringify(v).replace(/[<>&]/g, (c) => `\\u00${c.charCodeAt(0).toString(16)}`);

/** Audit annotations of one policy: the same key from several bindings or params is joined. */
class AuditAnnotationCollector {
  readonly #values = new Map<string, string[]>();

  add(key: string, value: string): void {
    const list = this.#values.get(key) ?? [];
    if (!list.includes(value)) list.push(value);
    this.#values.set(key, list);
  }

  publish(policyName: string, a: AdmissionAttributes): void {
    for (const [key, values] of this.#values) a.addAuditAnnotation?.(`${policyName}/${key}`, values.join(', '));
  }
}

export async function dispatch(source: PolicySource, a: AdmissionAttributes, authorizer: Authorizer): Promise<void> {
  const hooks = source.hooks();
  // Most requests in most clusters: no binding to match, nothing to set up.
  if (hooks.length === 0) return;
  const denied: Denial[] = [];
  const configError = (
    policy: ValidatingAdmissionPolicy,
    binding: ValidatingAdmissionPolicyBinding | undefined,
    err: string,
  ) => {
    if (policy.spec?.failurePolicy === 'Ignore') return;
    const message = binding ? `failed to configure binding: ${err}` : `failed to configure policy: ${err}`;
    denied.push({ policy, ...(binding ? { binding } : {}), message });
  };
  const authz = cachingAuthorizer(authorizer);
  // Audit annotations are never overwritten (admission.Attributes.AddAnnotation): the first failure stays.
  const annotated = new Set<string>();
  const annotate = (key: string, value: string) => {
    if (annotated.has(key)) return;
    annotated.add(key);
    a.addAuditAnnotation?.(key, value);
  };
  // The namespace object, read once and only when a binding applies (a Namespace has none of its own).
  let namespace: Promise<Namespace | undefined> | undefined;
  const namespaceObject = () => {
    namespace ??= a.namespace && !isNamespaceResource(a) ? source.namespace(a.namespace) : Promise.resolve(undefined);
    return namespace;
  };

  for (const hook of hooks) {
    const { policy } = hook;
    // Upstream drops an error from matching the definition: such a policy does not apply.
    if (!hook.constraints) continue;
    const matched = await matchesResources(hook.constraints, a, source.namespaceLabels).catch(() => ({
      matches: false,
    }));
    if (!matched.matches) continue;
    if (hook.configurationError) {
      configError(policy, undefined, hook.configurationError);
      continue;
    }
    const annotations = new AuditAnnotationCollector();
    for (const { binding, match } of hook.bindings) {
      if (match) {
        const m = await matchesResources(match, a, source.namespaceLabels);
        if (m.error) {
          configError(policy, binding, m.error.message);
          continue;
        }
        if (!m.matches) continue;
      }
      let params: Awaited<ReturnType<typeof collectParams>>;
      try {
        params = await collectParams(
          policy.spec?.paramKind,
          hook.paramSource,
          binding.spec?.paramRef,
          requestNamespace(a),
        );
      } catch (e) {
        configError(policy, binding, e instanceof Error ? e.message : String(e));
        continue;
      }
      if (params.length === 0) continue;
      const inputs = {
        object: objectValue(a.object),
        oldObject: objectValue(a.oldObject),
        request: admissionRequestValue(a, { group: a.group, version: a.version, resource: a.resource, kind: a.kind }),
        namespaceObject: namespaceValue(await namespaceObject()),
        authorizer: authorizerValue(a.user, authz, a),
      };
      for (const param of params) {
        const act = new Activation(hook.compiled, { ...inputs, params: objectValue(param ?? undefined) });
        const result = await validatePolicy(policy.spec ?? {}, hook.compiled, act);
        for (const [i, d] of result.decisions.entries()) {
          if (d.action === 'deny') applyActions(a, annotate, policy, binding, i, d, denied);
        }
        for (const r of result.auditAnnotations) {
          if (r.action === 'publish') annotations.add(r.key, r.value.slice(0, MAX_AUDIT_ANNOTATION_VALUE_LENGTH));
          else if (r.action === 'error') denied.push({ policy, binding, message: r.error });
        }
      }
    }
    annotations.publish(policy.metadata.name ?? '', a);
  }
  const first = denied[0];
  if (first) throw denialError(a, first);
}

/** What a binding's validationActions do with one failed (or erroring, under Fail) validation. */
function applyActions(
  a: AdmissionAttributes,
  annotate: (key: string, value: string) => void,
  policy: ValidatingAdmissionPolicy,
  binding: ValidatingAdmissionPolicyBinding,
  index: number,
  d: PolicyDecision,
  denied: Denial[],
): void {
  const actions = binding.spec?.validationActions ?? [];
  for (const action of actions) {
    if (action === 'Deny') {
      denied.push({ policy, binding, message: d.message, ...(d.reason ? { reason: d.reason } : {}) });
    } else if (action === 'Warn') {
      a.addWarning?.(
        `Validation failed for ValidatingAdmissionPolicy '${policy.metadata.name}' with binding '${binding.metadata.name}': ${d.message}`,
      );
    } else if (action === 'Audit') {
      annotate(
        VALIDATION_FAILURE_ANNOTATION,
        goJson([
          {
            message: d.message,
            policy: binding.spec?.policyName ?? '',
            binding: binding.metadata.name ?? '',
            expressionIndex: index,
            validationActions: actions,
          },
        ]),
      );
    }
  }
}
