// Validating and mutating webhook configurations (pkg/registry/admissionregistration/*webhookconfiguration):
// cluster-scoped, generation 1 on create and bumped when the webhooks change. Defaults are
// SetDefaults_ValidatingWebhook / SetDefaults_MutatingWebhook / SetDefaults_Rule /
// SetDefaults_ServiceReference of admissionregistration/v1, applied where the scheme would decode.
import type {
  KubeObject,
  MutatingWebhook,
  MutatingWebhookConfiguration,
  ValidatingWebhookConfiguration,
} from '@mkube/shared/api';
import { newBadRequest } from '@mkube/shared/apierrors';
import { jsonEqual } from '../../util/json.js';
import {
  validateMutatingWebhookConfiguration,
  validateMutatingWebhookConfigurationUpdate,
  validateValidatingWebhookConfiguration,
  validateValidatingWebhookConfigurationUpdate,
} from '../../validation/index.js';
import { decodeFailure, ShapeCheck } from '../../validation/shape.js';
import { decodeStdBase64 } from '../certificates/bytes.js';
import type { RESTStrategy } from '../strategy.js';

type Configuration = ValidatingWebhookConfiguration | MutatingWebhookConfiguration;

/**
 * The v1 defaults, and caBundle as Go decodes a []byte: strict standard base64 (a bad one is the
 * decoder's 400), re-encoded without line breaks.
 */
export function defaultWebhookConfiguration(obj: Configuration, mutating: boolean): void {
  const kind = mutating ? 'MutatingWebhookConfiguration' : 'ValidatingWebhookConfiguration';
  checkShape(obj, kind, mutating ? 'MutatingWebhook' : 'ValidatingWebhook');
  for (const hook of (obj.webhooks ?? []) as MutatingWebhook[]) {
    if (!hook) continue;
    hook.failurePolicy ??= 'Fail';
    hook.matchPolicy ??= 'Equivalent';
    hook.namespaceSelector ??= {};
    hook.objectSelector ??= {};
    hook.timeoutSeconds ??= 10;
    if (mutating) hook.reinvocationPolicy ??= 'Never';
    for (const rule of hook.rules ?? []) if (rule && typeof rule === 'object') rule.scope ??= '*';
    const cc = hook.clientConfig;
    if (cc?.service && typeof cc.service === 'object') cc.service.port ??= 443;
    if (typeof cc?.caBundle === 'string') {
      const d = decodeStdBase64(cc.caBundle);
      if (!d.ok) throw newBadRequest(`${kind} in version "v1" cannot be handled as a ${kind}: ${d.error}`);
      if (d.bytes.length === 0) delete cc.caBundle;
      else cc.caBundle = d.bytes.toString('base64');
    }
  }
}

/**
 * The typed decoder's refusals for the fields the registry reads (a list that is not a list, a
 * number that is a string), as the 400 kube-apiserver answers instead of failing further in.
 */
function checkShape(obj: Configuration, kind: string, hookType: string): void {
  const c = new ShapeCheck(decodeFailure(kind));
  for (const hook of c.list(obj.webhooks, kind, 'webhooks', `[]v1.${hookType}`)) {
    const h = c.object(hook, kind, 'webhooks', `v1.${hookType}`);
    const cc = c.object(h.clientConfig, hookType, 'webhooks.clientConfig', 'v1.WebhookClientConfig');
    c.object(cc.service, hookType, 'webhooks.clientConfig.service', 'v1.ServiceReference');
    c.string(cc.url, hookType, 'webhooks.clientConfig.url');
    c.string(cc.caBundle, hookType, 'webhooks.clientConfig.caBundle', '[]uint8');
    for (const rule of c.list(h.rules, hookType, 'webhooks.rules', '[]v1.RuleWithOperations')) {
      const r = c.object(rule, hookType, 'webhooks.rules', 'v1.RuleWithOperations');
      for (const f of ['operations', 'apiGroups', 'apiVersions', 'resources'])
        c.strings(r[f], hookType, `webhooks.rules.${f}`);
    }
    c.strings(h.admissionReviewVersions, hookType, 'webhooks.admissionReviewVersions');
    for (const f of ['namespaceSelector', 'objectSelector'])
      c.object(h[f], hookType, `webhooks.${f}`, 'v1.LabelSelector');
    c.int32(h.timeoutSeconds, hookType, 'webhooks.timeoutSeconds');
  }
}

function strategy(mutating: boolean): RESTStrategy {
  const validate = mutating ? validateMutatingWebhookConfiguration : validateValidatingWebhookConfiguration;
  const validateUpdate = mutating
    ? validateMutatingWebhookConfigurationUpdate
    : validateValidatingWebhookConfigurationUpdate;
  return {
    prepareForCreate: (o) => defaultWebhookConfiguration(o as Configuration, mutating),
    prepareForUpdate: (o) => defaultWebhookConfiguration(o as Configuration, mutating),
    validate: (o) => validate(o as Configuration),
    validateUpdate: (o, old) => validateUpdate(o as Configuration, old as Configuration),
    bumpsGeneration: (o: KubeObject, old: KubeObject) =>
      !jsonEqual((o as Configuration).webhooks ?? null, (old as Configuration).webhooks ?? null),
  };
}

export const validatingWebhookConfigurationStrategy: RESTStrategy = strategy(false);
export const mutatingWebhookConfigurationStrategy: RESTStrategy = strategy(true);
