// --enable-admission-plugins / --disable-admission-plugins over mkube's plugins, in kube-apiserver's
// fixed order; the default-on set is upstream's, restricted to what mkube implements.

import type {
  IngressClass,
  KubeObject,
  Node,
  Pod,
  RuntimeClass,
  StorageClass,
  ValidatingAdmissionPolicy,
} from '@mkube/shared/api';
import type { Authorizer } from '@mkube/shared/auth';
import { DEFAULT_FEATURE_GATE, type FeatureGate } from '@mkube/shared/featuregate';
import { rbacEscalation } from '../auth/rbac/escalation.js';
import type { RbacAuthorizer } from '../auth/rbac/index.js';
import { type LimitRangeLister, NO_LIMIT_RANGES } from '../registry/core/limitrangelister.js';
import { type ClusterLister, EMPTY_LISTER } from '../registry/lister.js';
import type { PriorityClassLister } from '../registry/scheduling/lister.js';
import { ALWAYS_PULL_IMAGES_PLUGIN, alwaysPullImages } from './plugins/alwayspullimages.js';
import {
  certificateApproval,
  certificateSigning,
  certificateSubjectRestriction,
  clusterTrustBundleAttest,
} from './plugins/certificates.js';
import { DEFAULT_INGRESS_CLASS_PLUGIN, defaultIngressClassAdmission } from './plugins/defaultingressclass.js';
import { DEFAULT_STORAGE_CLASS_PLUGIN, defaultStorageClassAdmission } from './plugins/defaultstorageclass.js';
import { DENY_SERVICE_EXTERNAL_IPS_PLUGIN, denyServiceExternalIPs } from './plugins/denyserviceexternalips.js';
import type { EventRateLimitConfig } from './plugins/eventratelimit/config.js';
import { EVENT_RATE_LIMIT_PLUGIN, eventRateLimit } from './plugins/eventratelimit/index.js';
import { LIMIT_RANGER_PLUGIN, limitRanger } from './plugins/limitranger.js';
import { nodeRestrictionPlugin } from './plugins/noderestriction.js';
import { OWNER_REFERENCES_PLUGIN, ownerReferencesPermissionEnforcement } from './plugins/ownerreferences.js';
import { PVC_RESIZE_PLUGIN, persistentVolumeClaimResize } from './plugins/persistentvolumeclaimresize.js';
import { POD_SECURITY_PLUGIN, type PodSecurityDeps, podSecurity } from './plugins/podsecurity/index.js';
import { PRIORITY_PLUGIN, priorityAdmission } from './plugins/priority.js';
import {
  NO_QUOTAS,
  type QuotaAccessor,
  RESOURCE_QUOTA_PLUGIN,
  type ResourceQuotaConfig,
  resourceQuotaAdmission,
} from './plugins/resourcequota/index.js';
import { RUNTIME_CLASS_PLUGIN, runtimeClassAdmission } from './plugins/runtimeclass.js';
import { serviceAccountAdmission } from './plugins/serviceaccount.js';
import {
  STORAGE_OBJECT_IN_USE_PROTECTION_PLUGIN,
  storageObjectInUseProtection,
} from './plugins/storageobjectinuseprotection.js';
import {
  type DefaultTolerationSecondsOptions,
  defaultTolerationSeconds,
  taintNodesByCondition,
} from './plugins/tolerations.js';
import {
  type PolicySource,
  VALIDATING_ADMISSION_POLICY_PLUGIN,
  validatingAdmissionPolicy,
} from './plugins/validatingadmissionpolicy/index.js';
import { validatingAdmissionPolicyParamAuthorization } from './plugins/validatingadmissionpolicy/paramauthz.js';
import { type Admission, type AdmissionPlugin, admissionChain } from './types.js';
import {
  MUTATING_PLUGIN,
  mutatingAdmissionWebhook,
  VALIDATING_PLUGIN,
  validatingAdmissionWebhook,
  type WebhookAdmission,
} from './webhook/index.js';

interface PluginDeps {
  readonly authorizer: Authorizer;
  /** Reads a ServiceAccount (undefined when missing), for the ServiceAccount plugin. */
  readonly getServiceAccount?: (namespace: string, name: string) => Promise<KubeObject | undefined>;
  /** Reads a Pod (undefined when missing), for NodeRestriction's token binding check. */
  readonly getPod?: (namespace: string, name: string) => Promise<Pod | undefined>;
  /** Reads a Node (undefined when missing), for NodeRestriction's PodCertificateRequest check. */
  readonly getNode?: (name: string) => Promise<Node | undefined>;
  /** When RBAC is a mode: escalation prevention runs, always (it is not an optional plugin upstream). */
  readonly rbac?: RbacAuthorizer;
  /** The namespaces, pods and PodSecurityConfiguration PodSecurity reads (without them it admits everything). */
  readonly podSecurity?: PodSecurityDeps;
  /** The webhook configurations' caches and client (MutatingAdmissionWebhook, ValidatingAdmissionWebhook). */
  readonly webhooks?: WebhookAdmission;
  /** The policies' and bindings' caches (ValidatingAdmissionPolicy). */
  readonly policies?: PolicySource;
  /** Reads a stored ValidatingAdmissionPolicy (undefined when missing): a binding's paramRef check. */
  readonly getPolicy?: (name: string) => Promise<ValidatingAdmissionPolicy | undefined>;
  /** EventRateLimit's Configuration (from --admission-control-config-file). */
  readonly eventRateLimit?: EventRateLimitConfig;
  /** The stored PriorityClasses (Priority); without them no class is found and none is the default. */
  readonly priorityClasses?: PriorityClassLister;
  /** The namespaces' LimitRanges (LimitRanger); without them no pod is limited or defaulted. */
  readonly limitRanges?: LimitRangeLister;
  /** DefaultTolerationSeconds' two flags (upstream's 300 s each when absent). */
  readonly defaultTolerationSeconds?: DefaultTolerationSecondsOptions;
  /** --feature-gates (ClusterTrustBundleAttest acts only with ClusterTrustBundle on). */
  readonly gates?: FeatureGate;
  /** The stored ResourceQuotas (ResourceQuota); without them no namespace has a quota. */
  readonly resourceQuotas?: QuotaAccessor;
  /** ResourceQuota's configuration (its limitedResources) from --admission-control-config-file. */
  readonly resourceQuotaConfig?: ResourceQuotaConfig;
  /** The stored StorageClasses (DefaultStorageClass, PersistentVolumeClaimResize); without them there are none. */
  readonly storageClasses?: ClusterLister<StorageClass>;
  /** The stored IngressClasses (DefaultIngressClass); without them none is the default. */
  readonly ingressClasses?: ClusterLister<IngressClass>;
  /** The stored RuntimeClasses (RuntimeClass); without them no class is found. */
  readonly runtimeClasses?: ClusterLister<RuntimeClass>;
}

const NO_PRIORITY_CLASSES: PriorityClassLister = { get: async () => undefined, list: async () => [] };

/**
 * Upstream's order (kube-apiserver AllOrderedPlugins), for the plugins mkube has. ServiceAccount is on by
 * default as upstream's: a pod needs its account, which the controller-manager's serviceaccount-controller
 * makes in every namespace, so an apiserver without a controller-manager refuses pods (as upstream's does).
 */
const ORDERED: readonly [string, (d: PluginDeps) => AdmissionPlugin][] = [
  // Upstream's first plugin after the namespace ones, before ServiceAccount and NodeRestriction.
  [LIMIT_RANGER_PLUGIN, (d) => limitRanger(d.limitRanges ?? NO_LIMIT_RANGES)],
  [
    'NodeRestriction',
    (d) =>
      nodeRestrictionPlugin({
        authorizer: d.authorizer,
        ...(d.getPod ? { getPod: d.getPod } : {}),
        ...(d.getNode ? { getNode: d.getNode } : {}),
        ...(d.getServiceAccount ? { getServiceAccount: d.getServiceAccount } : {}),
        ...(d.gates ? { gates: d.gates } : {}),
      }),
  ],
  ['ServiceAccount', (d) => serviceAccountAdmission(d.getServiceAccount ?? (async () => undefined))],
  ['TaintNodesByCondition', () => taintNodesByCondition],
  [ALWAYS_PULL_IMAGES_PLUGIN, () => alwaysPullImages],
  // Upstream's PodSecurity and PodNodeSelector come between; Priority is right before DefaultTolerationSeconds.
  [PRIORITY_PLUGIN, (d) => priorityAdmission(d.priorityClasses ?? NO_PRIORITY_CLASSES)],
  [
    'DefaultTolerationSeconds',
    (d) => defaultTolerationSeconds(d.defaultTolerationSeconds ?? { notReadySeconds: 300, unreachableSeconds: 300 }),
  ],
  [EVENT_RATE_LIMIT_PLUGIN, (d) => eventRateLimit(d.eventRateLimit ?? { limits: [] })],
  [
    POD_SECURITY_PLUGIN,
    (d) => (d.podSecurity ? podSecurity(d.podSecurity) : { name: POD_SECURITY_PLUGIN, handles: () => false }),
  ],
  // Upstream's ExtendedResourceToleration comes between EventRateLimit and these.
  [DEFAULT_STORAGE_CLASS_PLUGIN, (d) => defaultStorageClassAdmission(d.storageClasses ?? EMPTY_LISTER)],
  [STORAGE_OBJECT_IN_USE_PROTECTION_PLUGIN, () => storageObjectInUseProtection],
  [OWNER_REFERENCES_PLUGIN, (d) => ownerReferencesPermissionEnforcement(d.authorizer)],
  [PVC_RESIZE_PLUGIN, (d) => persistentVolumeClaimResize(d.storageClasses ?? EMPTY_LISTER)],
  [RUNTIME_CLASS_PLUGIN, (d) => runtimeClassAdmission(d.runtimeClasses ?? EMPTY_LISTER)],
  ['CertificateApproval', (d) => certificateApproval(d.authorizer)],
  ['CertificateSigning', (d) => certificateSigning(d.authorizer)],
  ['ClusterTrustBundleAttest', (d) => clusterTrustBundleAttest(d.authorizer, d.gates ?? DEFAULT_FEATURE_GATE)],
  ['CertificateSubjectRestriction', () => certificateSubjectRestriction],
  [DEFAULT_INGRESS_CLASS_PLUGIN, (d) => defaultIngressClassAdmission(d.ingressClasses ?? EMPTY_LISTER)],
  [DENY_SERVICE_EXTERNAL_IPS_PLUGIN, () => denyServiceExternalIPs],
  // Webhooks and policies go at the end: mutating after every in-tree mutation, validating after every check.
  [MUTATING_PLUGIN, (d) => mutatingAdmissionWebhook(d.webhooks, d.authorizer)],
  [VALIDATING_ADMISSION_POLICY_PLUGIN, (d) => validatingAdmissionPolicy(d.policies, d.authorizer)],
  [VALIDATING_PLUGIN, (d) => validatingAdmissionWebhook(d.webhooks, d.authorizer)],
  // Last, as upstream's: only a request every other plugin let through is charged to the quotas.
  [
    RESOURCE_QUOTA_PLUGIN,
    (d) =>
      resourceQuotaAdmission({
        quotas: d.resourceQuotas ?? NO_QUOTAS,
        ...(d.resourceQuotaConfig ? { config: d.resourceQuotaConfig } : {}),
      }),
  ],
];

export const DEFAULT_ENABLED: ReadonlySet<string> = new Set([
  LIMIT_RANGER_PLUGIN,
  'ServiceAccount',
  'TaintNodesByCondition',
  PRIORITY_PLUGIN,
  'DefaultTolerationSeconds',
  POD_SECURITY_PLUGIN,
  DEFAULT_STORAGE_CLASS_PLUGIN,
  STORAGE_OBJECT_IN_USE_PROTECTION_PLUGIN,
  PVC_RESIZE_PLUGIN,
  RUNTIME_CLASS_PLUGIN,
  'CertificateApproval',
  'CertificateSigning',
  'ClusterTrustBundleAttest',
  'CertificateSubjectRestriction',
  DEFAULT_INGRESS_CLASS_PLUGIN,
  MUTATING_PLUGIN,
  VALIDATING_ADMISSION_POLICY_PLUGIN,
  VALIDATING_PLUGIN,
  RESOURCE_QUOTA_PLUGIN,
]);
/** Upstream plugins mkube knows by name but does not implement yet. */
export const NOT_YET: ReadonlySet<string> = new Set<string>();
/** NamespaceLifecycle is always enforced by the REST layer. */
export const ALWAYS_ON: ReadonlySet<string> = new Set(['NamespaceLifecycle']);

export function admissionPluginProblems(enable: readonly string[], disable: readonly string[]): string[] {
  const known = new Set([...ORDERED.map(([n]) => n), ...ALWAYS_ON]);
  const problems: string[] = [];
  for (const n of enable) {
    if (NOT_YET.has(n)) problems.push(`admission plugin ${n} is not supported yet`);
    else if (!known.has(n)) problems.push(`unknown admission plugin "${n}"`);
  }
  for (const n of disable) {
    if (ALWAYS_ON.has(n)) problems.push(`admission plugin ${n} cannot be disabled in mkube`);
    else if (!known.has(n) && !NOT_YET.has(n)) problems.push(`unknown admission plugin "${n}"`);
  }
  return problems;
}

export function buildAdmission(enable: readonly string[], disable: readonly string[], deps: PluginDeps): Admission {
  const on = new Set([...DEFAULT_ENABLED, ...enable]);
  for (const d of disable) on.delete(d);
  const plugins = ORDERED.filter(([n]) => on.has(n)).map(([, make]) => make(deps));
  // Escalation and the policies' param access are checked by their storage upstream, so before
  // validating admission (before any policy or webhook), and whatever plugins are on.
  const storageChecks: AdmissionPlugin[] = [
    ...(deps.rbac ? [rbacEscalation(deps.rbac, deps.authorizer)] : []),
    validatingAdmissionPolicyParamAuthorization({
      authorizer: deps.authorizer,
      getPolicy: deps.getPolicy ?? (async () => undefined),
    }),
  ];
  const at = plugins.findIndex((p) => p.name === VALIDATING_ADMISSION_POLICY_PLUGIN || p.name === VALIDATING_PLUGIN);
  plugins.splice(at < 0 ? plugins.length : at, 0, ...storageChecks);
  return admissionChain(plugins);
}
