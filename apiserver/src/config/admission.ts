// --admission-control-config-file: an AdmissionConfiguration (apiserver.config.k8s.io/v1, also
// apiserver.k8s.io/v1alpha1) giving plugins their configuration, inline or from a file:
//
//   apiVersion: apiserver.config.k8s.io/v1
//   kind: AdmissionConfiguration
//   plugins:
//   - name: PodSecurity
//     configuration:                 # or: path: podsecurity.yaml (relative to this file)
//       apiVersion: pod-security.admission.config.k8s.io/v1
//       kind: PodSecurityConfiguration
//       defaults: {enforce: baseline, enforce-version: latest, audit: restricted, warn: restricted}
//       exemptions: {usernames: [], runtimeClasses: [], namespaces: [kube-system]}
//
// ValidatingAdmissionWebhook and MutatingAdmissionWebhook read a WebhookAdmissionConfiguration
// (apiserver.config.k8s.io/v1; WebhookAdmission in v1alpha1) whose kubeConfigFile (an absolute
// path) holds the credentials the apiserver presents to webhooks:
//
//   - name: ValidatingAdmissionWebhook
//     configuration:
//       apiVersion: apiserver.config.k8s.io/v1
//       kind: WebhookAdmissionConfiguration
//       kubeConfigFile: /etc/mkube/admission-webhooks.kubeconfig
//
// EventRateLimit reads its Configuration (eventratelimit.admission.k8s.io/v1alpha1: limits of type
// Server, Namespace, User or SourceAndObject with qps, burst and cacheSize).
//
// ResourceQuota reads its ResourceQuotaConfiguration (apiserver.config.k8s.io/v1: limitedResources).
//
// Other plugins' entries are accepted and unused.
import { dirname, isAbsolute, join } from 'node:path';
import { type Kubeconfig, KubeconfigError, parseKubeconfig } from '@mkube/shared/kubeconfig';
import { parse as parseYaml } from 'yaml';
import { type EventRateLimitConfig, parseEventRateLimitConfig } from '../admission/plugins/eventratelimit/config.js';
import {
  DEFAULT_POD_SECURITY_CONFIG,
  type PodSecurityConfig,
  parsePodSecurityConfiguration,
} from '../admission/plugins/podsecurity/config.js';
import { parseResourceQuotaConfig, type ResourceQuotaConfig } from '../admission/plugins/resourcequota/config.js';
import { isRecord } from '../util/json.js';
import { type ConfigProblem, readFlagFile } from './errors.js';

export const ADMISSION_CONFIG_FLAG = 'admission-control-config-file';
const API_VERSIONS = ['apiserver.config.k8s.io/v1', 'apiserver.k8s.io/v1alpha1'];

export interface AdmissionPluginConfigs {
  readonly file?: string;
  readonly podSecurity: PodSecurityConfig;
  /** EventRateLimit's Configuration as the file has it; absent without an entry (or with one that failed). */
  readonly eventRateLimit?: EventRateLimitConfig;
  /** ResourceQuota's configuration; absent without an entry (upstream's default: nothing limited). */
  readonly resourceQuota?: ResourceQuotaConfig;
  /** The webhook plugins' kubeConfigFile, read: whom the apiserver authenticates as to each webhook. */
  readonly webhookKubeconfigs?: { readonly validating?: Kubeconfig; readonly mutating?: Kubeconfig };
}

const WEBHOOK_PLUGINS: Readonly<Record<string, 'validating' | 'mutating'>> = {
  ValidatingAdmissionWebhook: 'validating',
  MutatingAdmissionWebhook: 'mutating',
};
const WEBHOOK_CONFIG_KINDS: Readonly<Record<string, string>> = {
  'apiserver.config.k8s.io/v1': 'WebhookAdmissionConfiguration',
  'apiserver.config.k8s.io/v1alpha1': 'WebhookAdmission',
};

/** A WebhookAdmissionConfiguration's kubeconfig, read and parsed; a message naming the field when it is wrong. */
function webhookKubeconfig(raw: unknown, flag: string, problems: ConfigProblem[]): Kubeconfig | string | undefined {
  if (!isRecord(raw) || WEBHOOK_CONFIG_KINDS[String(raw.apiVersion)] !== raw.kind) {
    return `expected ${Object.entries(WEBHOOK_CONFIG_KINDS)
      .map(([v, k]) => `kind ${k} in ${v}`)
      .join(' or ')}`;
  }
  const path = raw.kubeConfigFile;
  if (typeof path !== 'string' || !isAbsolute(path)) {
    return `kubeConfigFile: Invalid value: ${JSON.stringify(path ?? '')}: must be an absolute file path`;
  }
  const text = readFlagFile(flag, path, problems);
  if (text === undefined) return undefined;
  let cfg: Kubeconfig;
  try {
    cfg = parseKubeconfig(text, path);
  } catch (e) {
    if (e instanceof KubeconfigError) return `kubeConfigFile: ${e.message}`;
    throw e;
  }
  // The kubeconfig reader skips keys it does not know; a user that would authenticate in a way
  // mkube cannot must not quietly become anonymous.
  const doc = parseYaml(text) as { users?: { name?: string; user?: Record<string, unknown> }[] } | null;
  for (const [i, u] of (Array.isArray(doc?.users) ? doc.users : []).entries()) {
    const key = ['exec', 'auth-provider', 'as', 'as-groups', 'as-uid', 'as-user-extra'].find(
      (k) => isRecord(u?.user) && k in u.user,
    );
    if (key)
      return `kubeConfigFile: kubeconfig ${path}: users[${i}].user.${key}: not supported by mkube's webhook client`;
  }
  return cfg;
}

function parse(flag: string, file: string, text: string, problems: ConfigProblem[]): unknown {
  try {
    return parseYaml(text);
  } catch (e) {
    problems.push({ code: 'BAD_VALUE', flag, file, message: `cannot parse: ${(e as Error).message}` });
    return undefined;
  }
}

/** Reads the file named by --admission-control-config-file; without it, every plugin's defaults. */
export function admissionPluginConfigs(file: string, problems: ConfigProblem[]): AdmissionPluginConfigs {
  const none: AdmissionPluginConfigs = { podSecurity: DEFAULT_POD_SECURITY_CONFIG };
  if (!file) return none;
  const flag = ADMISSION_CONFIG_FLAG;
  const text = readFlagFile(flag, file, problems);
  if (text === undefined) return none;
  const doc = parse(flag, file, text, problems);
  if (doc === undefined) return none;
  const bad = (message: string) => {
    problems.push({ code: 'BAD_VALUE', flag, file, message });
    return none;
  };
  if (!isRecord(doc) || doc.kind !== 'AdmissionConfiguration' || !API_VERSIONS.includes(String(doc.apiVersion))) {
    return bad(`expected kind AdmissionConfiguration in ${API_VERSIONS.join(' or ')}`);
  }
  const plugins = doc.plugins ?? [];
  if (!Array.isArray(plugins)) return bad('plugins: must be a list');
  let podSecurity = DEFAULT_POD_SECURITY_CONFIG;
  let eventRateLimit: EventRateLimitConfig | undefined;
  let resourceQuota: ResourceQuotaConfig | undefined;
  const webhookKubeconfigs: { validating?: Kubeconfig; mutating?: Kubeconfig } = {};
  for (const [i, p] of plugins.entries()) {
    if (!isRecord(p) || typeof p.name !== 'string' || !p.name) return bad(`plugins[${i}].name: Required value`);
    const webhook = WEBHOOK_PLUGINS[p.name];
    if (p.name !== 'PodSecurity' && p.name !== 'EventRateLimit' && p.name !== 'ResourceQuota' && !webhook) continue;
    let raw: unknown = p.configuration;
    if (raw === undefined && typeof p.path === 'string' && p.path) {
      const path = isAbsolute(p.path) ? p.path : join(dirname(file), p.path);
      const inner = readFlagFile(flag, path, problems);
      if (inner === undefined) return none;
      raw = parse(flag, path, inner, problems);
      if (raw === undefined) return none;
    }
    if (raw === undefined) continue;
    if (p.name === 'EventRateLimit') {
      try {
        eventRateLimit = parseEventRateLimitConfig(raw);
      } catch (e) {
        return bad(`plugins[${i}] (EventRateLimit): ${(e as Error).message}`);
      }
      continue;
    }
    if (p.name === 'ResourceQuota') {
      try {
        resourceQuota = parseResourceQuotaConfig(raw);
      } catch (e) {
        return bad(`plugins[${i}] (ResourceQuota): ${(e as Error).message}`);
      }
      continue;
    }
    if (webhook) {
      const kc = webhookKubeconfig(raw, flag, problems);
      if (kc === undefined) return none;
      if (typeof kc === 'string') return bad(`plugins[${i}] (${p.name}): ${kc}`);
      webhookKubeconfigs[webhook] = kc;
      continue;
    }
    try {
      podSecurity = parsePodSecurityConfiguration(raw);
    } catch (e) {
      return bad(`plugins[${i}] (PodSecurity): ${(e as Error).message}`);
    }
  }
  return {
    file,
    podSecurity,
    webhookKubeconfigs,
    ...(eventRateLimit ? { eventRateLimit } : {}),
    ...(resourceQuota ? { resourceQuota } : {}),
  };
}
