// The MutatingAdmissionWebhook and ValidatingAdmissionWebhook plugins (k8s.io/apiserver
// pkg/admission/plugin/webhook/{mutating,validating,generic}): the configurations come from a
// watch-fed cache, never from the store per request. Validating webhooks are called in parallel;
// mutating ones in order (configurations by name, webhooks as listed), each JSONPatch applied
// before the next is called, with reinvocationPolicy IfNeeded honoured. A denial is the webhook's
// Status (ToStatusErr); a failed call is an InternalError under failurePolicy Fail and a logged
// warning under Ignore.
import type {
  KubeObject,
  MutatingWebhook,
  MutatingWebhookConfiguration,
  Namespace,
  ValidatingWebhook,
  ValidatingWebhookConfiguration,
} from '@mkube/shared/api';
import { newBadRequest, newForbidden, newInternalError, type StatusError } from '@mkube/shared/apierrors';
import type { Authorizer } from '@mkube/shared/auth';
import type { Kubeconfig } from '@mkube/shared/kubeconfig';
import type { Logger } from '@mkube/shared/log';
import { isQualifiedName, type Labels, type LabelsSelector, labelSelectorFromObject } from '@mkube/shared/selectors';
import { Informer } from '../../informers/index.js';
import { applyJsonPatch } from '../../patch/index.js';
import { decodeStdBase64 } from '../../registry/certificates/bytes.js';
import type { Registries } from '../../registry/index.js';
import { jsonClone, jsonEqual } from '../../util/json.js';
import {
  registryLookup,
  resolveServiceEndpoint,
  type ServiceEndpoint,
  type ServiceLookup,
} from '../../util/serviceresolver.js';
import type { NamespaceLister } from '../namespacelifecycle.js';
import { type AdmissionAttributes, type AdmissionPlugin, ReinvocationContext } from '../types.js';
import { AdmissionWebhookClient, WebhookCallError, type WebhookTarget } from './client.js';
import { urlHostPort, WebhookAuthenticationResolver, type WebhookCredentials } from './credentials.js';
import { compileMatchConditions, matchConditionsAllow } from './matchconditions.js';
import {
  type Invocation,
  isExemptAdmissionConfigurationResource,
  shouldCallHook,
  type WebhookAccessor,
} from './matching.js';
import { createAdmissionReview, reviewVersion, toStatusErr, verifyAdmissionResponse } from './review.js';

export const MUTATING_PLUGIN = 'MutatingAdmissionWebhook';
export const VALIDATING_PLUGIN = 'ValidatingAdmissionWebhook';

/** The call failed (ErrCallingWebhook): subject to the failure policy. */
class CallingWebhookError extends Error {
  constructor(webhookName: string, reason: string) {
    super(`failed calling webhook ${JSON.stringify(webhookName)}: ${reason}`);
  }
}

/** The webhook answered and said no (ErrWebhookRejection). */
class WebhookRejection extends Error {
  constructor(readonly status: StatusError) {
    super(status.message);
  }
}

function parseSelector(s: unknown): LabelsSelector | Error {
  try {
    return labelSelectorFromObject((s ?? {}) as Parameters<typeof labelSelectorFromObject>[0]);
  } catch (e) {
    return e instanceof Error ? e : new Error(String(e));
  }
}

/** Configurations sorted by name, webhooks in their order, selectors parsed (upstream's manager). */
function accessors<H extends ValidatingWebhook>(
  configs: Iterable<{ metadata: KubeObject['metadata']; webhooks?: H[] }>,
): WebhookAccessor<H>[] {
  const sorted = [...configs].sort((a, b) => ((a.metadata.name ?? '') < (b.metadata.name ?? '') ? -1 : 1));
  return sorted.flatMap((c) =>
    (c.webhooks ?? []).map((hook, i) => ({
      uid: `${c.metadata.name}/${hook.name}/${i}`,
      configurationName: c.metadata.name ?? '',
      hook,
      namespaceSelector: parseSelector(hook.namespaceSelector),
      objectSelector: parseSelector(hook.objectSelector),
      matchConditions: compileMatchConditions(hook.matchConditions),
    })),
  );
}

export interface WebhookAdmissionOptions {
  /** Plain (admission-free) registries: the configurations, namespaces, Services and Endpoints. */
  readonly registries: Registries;
  /** The server's namespace cache (a miss is read from the store, as upstream's provider does). */
  readonly namespaces?: NamespaceLister;
  readonly log: Logger;
  /** Each plugin's kubeConfigFile (--admission-control-config-file): who the apiserver is to its webhooks. */
  readonly kubeconfigs?: { readonly validating?: Kubeconfig; readonly mutating?: Kubeconfig };
  /** --enable-aggregator-routing: false lets an ExternalName Service name the webhook's host. */
  readonly routing?: boolean;
}

/**
 * What both plugins share: the configuration informers (started with the server's other caches),
 * the namespace and service lookups, and the HTTPS client.
 */
export class WebhookAdmission {
  readonly validating: Informer<ValidatingWebhookConfiguration>;
  readonly mutating: Informer<MutatingWebhookConfiguration>;
  readonly client = new AdmissionWebhookClient();
  readonly log: Logger;
  readonly #validatingAuth: WebhookAuthenticationResolver;
  readonly #mutatingAuth: WebhookAuthenticationResolver;
  #validatingHooks?: WebhookAccessor<ValidatingWebhook>[];
  #mutatingHooks?: WebhookAccessor<MutatingWebhook>[];
  #services?: ServiceLookup;

  constructor(private readonly opts: WebhookAdmissionOptions) {
    const reg = (r: string) => opts.registries.get('admissionregistration.k8s.io', r)!;
    this.log = opts.log.child({ component: 'admission-webhook' });
    this.#validatingAuth = new WebhookAuthenticationResolver(opts.kubeconfigs?.validating);
    this.#mutatingAuth = new WebhookAuthenticationResolver(opts.kubeconfigs?.mutating);
    this.validating = new Informer(reg('validatingwebhookconfigurations'), opts.log);
    this.mutating = new Informer(reg('mutatingwebhookconfigurations'), opts.log);
    const reset = (which: 'v' | 'm') => () => {
      if (which === 'v') this.#validatingHooks = undefined;
      else this.#mutatingHooks = undefined;
    };
    for (const [inf, which] of [
      [this.validating, 'v'],
      [this.mutating, 'm'],
    ] as const) {
      inf.addHandlers({ onAdd: reset(which), onUpdate: reset(which), onDelete: reset(which) });
    }
  }

  async start(): Promise<void> {
    await Promise.all([this.validating.start(), this.mutating.start()]);
  }

  stop(): void {
    this.validating.stop();
    this.mutating.stop();
    this.client.close();
  }

  hasSynced(): boolean {
    return this.validating.hasSynced() && this.mutating.hasSynced();
  }

  validatingWebhooks(): WebhookAccessor<ValidatingWebhook>[] {
    this.#validatingHooks ??= accessors(this.validating.list());
    return this.#validatingHooks;
  }

  mutatingWebhooks(): WebhookAccessor<MutatingWebhook>[] {
    this.#mutatingHooks ??= accessors(this.mutating.list());
    return this.#mutatingHooks;
  }

  /** A namespace's labels: the cache first, the store on a miss; a 404 when it does not exist. */
  readonly namespaceLabels = async (name: string): Promise<Labels> => {
    const cached = this.opts.namespaces?.hasSynced() ? this.opts.namespaces.get('', name) : undefined;
    const ns = cached ?? ((await this.opts.registries.namespaces.get('', name)) as Namespace);
    return ns.metadata.labels;
  };

  /** The endpoint a service-addressed webhook is dialled at. */
  resolveService(namespace: string, name: string, port: number): Promise<ServiceEndpoint> {
    this.#services ??= registryLookup(this.opts.registries);
    return resolveServiceEndpoint(this.#services, namespace, name, port, this.opts.routing ?? true);
  }

  /** The credentials for a webhook, by the host[:port] its clientConfig names. */
  credentials(hook: ValidatingWebhook, mutating: boolean): Promise<WebhookCredentials> {
    const cc = hook.clientConfig ?? {};
    const hostPort = cc.url
      ? urlHostPort(cc.url)
      : `${cc.service?.name}.${cc.service?.namespace}.svc:${cc.service?.port ?? 443}`;
    return (mutating ? this.#mutatingAuth : this.#validatingAuth).credentialsFor(hostPort);
  }

  /** Where and how to reach a webhook. */
  target(hook: ValidatingWebhook): WebhookTarget {
    const cc = hook.clientConfig ?? {};
    const caPem = cc.caBundle ? Buffer.from(cc.caBundle, 'base64').toString('utf8') : undefined;
    if (cc.url) return { url: cc.url, ...(caPem ? { caPem } : {}) };
    const svc = cc.service!;
    const port = svc.port ?? 443;
    return {
      url: `https://${svc.name}.${svc.namespace}.svc:${port}${svc.path ?? ''}`,
      ...(caPem ? { caPem } : {}),
      dial: () => this.resolveService(svc.namespace, svc.name, port),
    };
  }

  /**
   * One call: the review out, the verified answer back. Failures to get a usable answer are
   * CallingWebhookErrors; a dry run the webhook cannot take part in is refused outright.
   */
  async call(hook: ValidatingWebhook, inv: Invocation, a: AdmissionAttributes, mutating: boolean) {
    if (a.dryRun) {
      if (!hook.sideEffects) throw new CallingWebhookError(hook.name, 'Webhook SideEffects is nil');
      if (hook.sideEffects !== 'None' && hook.sideEffects !== 'NoneOnDryRun') {
        throw newBadRequest(`admission webhook ${JSON.stringify(hook.name)} does not support dry run`);
      }
    }
    const version = reviewVersion(hook.admissionReviewVersions);
    if (!version) {
      throw new CallingWebhookError(
        hook.name,
        'could not create admission objects: webhook does not accept known AdmissionReview versions (v1, v1beta1)',
      );
    }
    const { uid, review } = createAdmissionReview(a, inv, version);
    let credentials: WebhookCredentials;
    try {
      credentials = await this.credentials(hook, mutating);
    } catch (e) {
      throw new CallingWebhookError(hook.name, `could not get REST client: ${(e as Error).message}`);
    }
    let body: unknown;
    try {
      body = await this.client.post({ ...this.target(hook), credentials }, review, hook.timeoutSeconds ?? 10);
    } catch (e) {
      if (e instanceof WebhookCallError)
        throw new CallingWebhookError(hook.name, `failed to call webhook: ${e.message}`);
      throw e;
    }
    let result: ReturnType<typeof verifyAdmissionResponse>;
    try {
      result = verifyAdmissionResponse(uid, mutating, version, body);
    } catch (e) {
      throw new CallingWebhookError(hook.name, `received invalid webhook response: ${(e as Error).message}`);
    }
    for (const [k, v] of Object.entries(result.auditAnnotations)) {
      const key = `${hook.name}/${k}`;
      if (typeof v !== 'string' || isQualifiedName(key).length > 0) {
        this.log.warn({ webhook: hook.name, key }, 'Failed to set admission audit annotation: invalid key');
        continue;
      }
      a.addAuditAnnotation?.(key, v);
    }
    for (const w of result.warnings) a.addWarning?.(w);
    if (!result.allowed) throw new WebhookRejection(toStatusErr(hook.name, result.result));
    return result;
  }

  /** Before any webhook: requests on the configurations are exempt, and the caches must be ready. */
  exempt(a: AdmissionAttributes): boolean {
    if (isExemptAdmissionConfigurationResource(a)) return true;
    if (!this.hasSynced()) {
      throw newForbidden({ group: a.group, resource: a.resource }, a.name, 'not yet ready to handle request');
    }
    return false;
  }
}

/** The failure policy applied to one webhook's error; rethrows what the request must fail with. */
function failure(
  wa: WebhookAdmission,
  hook: ValidatingWebhook,
  err: unknown,
  kind: 'mutating' | 'validating',
  annotate: () => void,
): void {
  if (err instanceof CallingWebhookError) {
    if (hook.failurePolicy === 'Ignore') {
      wa.log.warn({ webhook: hook.name, err: err.message }, 'Failed calling webhook, failing open');
      annotate();
      return;
    }
    wa.log.warn({ webhook: hook.name, err: err.message }, 'Failed calling webhook, failing closed');
    throw newInternalError(err);
  }
  if (err instanceof WebhookRejection) {
    wa.log.debug({ webhook: hook.name, kind, code: err.status.code }, 'rejected by webhook');
    throw err.status;
  }
  throw err;
}

export function validatingAdmissionWebhook(wa: WebhookAdmission | undefined, authorizer?: Authorizer): AdmissionPlugin {
  return {
    name: VALIDATING_PLUGIN,
    handles: () => wa !== undefined,
    async validate(a) {
      if (!wa || wa.exempt(a)) return;
      const relevant: { hook: ValidatingWebhook; inv: Invocation; index: number }[] = [];
      for (const [index, h] of wa.validatingWebhooks().entries()) {
        const inv = await shouldCallHook(h, a, wa.namespaceLabels);
        if (inv && (await matchConditionsAllow(h.matchConditions, h.hook.failurePolicy, a, inv, authorizer)))
          relevant.push({ hook: h.hook, inv, index });
      }
      if (relevant.length === 0) return;
      // All in parallel; the first error to arrive is the answer, as upstream's error channel.
      const errors: unknown[] = [];
      await Promise.all(
        relevant.map(async ({ hook, inv, index }) => {
          try {
            await wa.call(hook, inv, a, false);
          } catch (e) {
            try {
              failure(wa, hook, e, 'validating', () =>
                a.addAuditAnnotation?.(
                  `failed-open.validating.webhook.admission.k8s.io/round_0_index_${index}`,
                  hook.name,
                ),
              );
            } catch (refusal) {
              errors.push(refusal);
            }
          }
        }),
      );
      if (errors.length) throw errors[0];
    },
  };
}

/** Per request: which reinvocable webhooks ran, which must run again, what the object was after them. */
class WebhookReinvokeState {
  last: { object: unknown } | undefined;
  previouslyInvoked = new Set<string>();
  readonly reinvoke = new Set<string>();

  requireReinvokingPreviouslyInvoked(): void {
    for (const uid of this.previouslyInvoked) this.reinvoke.add(uid);
    this.previouslyInvoked = new Set();
  }
}

/** Replaces `target`'s content with `source`'s, keeping `target.metadata`'s identity (callers hold it). */
function replaceObject(target: KubeObject, source: KubeObject): void {
  const meta = target.metadata;
  for (const k of Object.keys(target)) delete (target as unknown as Record<string, unknown>)[k];
  Object.assign(target, source);
  if (meta && source.metadata && typeof source.metadata === 'object') {
    for (const k of Object.keys(meta)) delete (meta as Record<string, unknown>)[k];
    Object.assign(meta, source.metadata);
    target.metadata = meta;
  }
}

/** Applies a webhook's JSONPatch to `a.object`; true when the object changed. */
function applyWebhookPatch(hook: MutatingWebhook, a: AdmissionAttributes, patch: string, patchType: string): boolean {
  const bytes = decodeStdBase64(patch);
  if (!bytes.ok) throw new CallingWebhookError(hook.name, `failed to call webhook: ${bytes.error}`);
  let ops: unknown;
  try {
    ops = JSON.parse(bytes.bytes.toString('utf8'));
    if (!Array.isArray(ops)) throw new Error('json: cannot unmarshal object into Go value of type jsonpatch.Patch');
  } catch (e) {
    throw new CallingWebhookError(hook.name, `received undecodable patch in webhook response: ${(e as Error).message}`);
  }
  if (ops.length === 0) return false;
  if (!a.object) {
    throw newInternalError(
      new Error(
        `admission webhook ${JSON.stringify(hook.name)} attempted to modify the object, which is not supported for this operation`,
      ),
    );
  }
  if (patchType !== 'JSONPatch') {
    throw new CallingWebhookError(hook.name, `unsupported patch type ${JSON.stringify(patchType)}`);
  }
  let patched: unknown;
  try {
    patched = applyJsonPatch(a.object as never, ops);
  } catch (e) {
    // The patch library's detail (the 422 keeps it as its cause) is what upstream reports.
    const cause = (e as Error).cause;
    throw newInternalError(new Error(typeof cause === 'string' ? cause : (e as Error).message));
  }
  if (patched === null || typeof patched !== 'object' || Array.isArray(patched)) {
    throw newInternalError(
      new Error("couldn't get version/kind; json parse error: the patched object is not an object"),
    );
  }
  const obj = patched as KubeObject;
  // The kind is the request's: a patch cannot turn the object into another kind.
  obj.apiVersion = a.object.apiVersion;
  obj.kind = a.object.kind;
  if (!obj.metadata || typeof obj.metadata !== 'object') obj.metadata = {};
  const changed = !jsonEqual(a.object, obj);
  if (changed) replaceObject(a.object, obj);
  return changed;
}

export function mutatingAdmissionWebhook(wa: WebhookAdmission | undefined, authorizer?: Authorizer): AdmissionPlugin {
  return {
    name: MUTATING_PLUGIN,
    handles: () => wa !== undefined,
    async admit(a) {
      if (!wa || wa.exempt(a)) return;
      const hooks = wa.mutatingWebhooks();
      if (hooks.length === 0) return;
      const rc = a.reinvocation ?? new ReinvocationContext();
      const st = rc.value(MUTATING_PLUGIN, () => new WebhookReinvokeState());
      // In-tree plugins changed the object after the webhooks ran: every reinvocable webhook runs again.
      if (rc.isReinvoke && st.last && !jsonEqual(st.last.object, a.object ?? null)) {
        st.requireReinvokingPreviouslyInvoked();
      }
      try {
        for (const [index, h] of hooks.entries()) {
          const inv = await shouldCallHook(h, a, wa.namespaceLabels);
          if (!inv) continue;
          if (!(await matchConditionsAllow(h.matchConditions, h.hook.failurePolicy, a, inv, authorizer))) continue;
          // A webhook skipped in the first round is not called for the first time on reinvocation.
          if (rc.isReinvoke && !st.reinvoke.has(h.uid)) continue;
          const hook = h.hook;
          const round = rc.isReinvoke ? 1 : 0;
          let changed = false;
          let err: unknown;
          try {
            const result = await wa.call(hook, inv, a, true);
            if (result.patch) changed = applyWebhookPatch(hook, a, result.patch, result.patchType ?? '');
          } catch (e) {
            err = e;
          }
          a.addAuditAnnotation?.(
            `mutation.webhook.admission.k8s.io/round_${round}_index_${index}`,
            JSON.stringify({ configuration: h.configurationName, webhook: hook.name, mutated: changed }),
          );
          if (changed) {
            st.requireReinvokingPreviouslyInvoked();
            rc.shouldReinvoke = true;
          }
          if (hook.reinvocationPolicy === 'IfNeeded') st.previouslyInvoked.add(h.uid);
          if (err !== undefined) {
            failure(wa, hook, err, 'mutating', () =>
              a.addAuditAnnotation?.(
                `failed-open.mutation.webhook.admission.k8s.io/round_${round}_index_${index}`,
                hook.name,
              ),
            );
          }
        }
      } finally {
        // What the in-tree plugins' second round is compared with; only a reinvocable webhook needs it.
        if (st.previouslyInvoked.size > 0) st.last = { object: a.object ? jsonClone(a.object) : null };
      }
    },
  };
}
