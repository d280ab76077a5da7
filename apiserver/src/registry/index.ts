// Every resource mkube stores, each a GenericRegistry with its strategy and subresources.

import type { Authorizer } from '@mkube/shared/auth';
import { DEFAULT_FEATURE_GATE, type FeatureGate } from '@mkube/shared/featuregate';
import { parseCidr } from '@mkube/shared/net';
import type { NamespaceLister } from '../admission/namespacelifecycle.js';
import type { Admission } from '../admission/types.js';
import type { Store } from '../storage/index.js';
import {
  mutatingWebhookConfigurationStrategy,
  validatingWebhookConfigurationStrategy,
} from './admissionregistration/strategy.js';
import {
  validatingAdmissionPolicyBindingStrategy,
  validatingAdmissionPolicyStatusStrategy,
  validatingAdmissionPolicyStrategy,
} from './admissionregistration/validatingadmissionpolicy.js';
import { apiServiceStatusStrategy, apiServiceStrategy } from './apiregistration/strategy.js';
import { controllerRevisionStrategy } from './apps/controllerrevision.js';
import { daemonSetStatusStrategy, daemonSetStrategyFor } from './apps/daemonset.js';
import { deploymentStatusStrategy, deploymentStrategyFor } from './apps/deployment.js';
import { replicaSetStatusStrategy, replicaSetStrategyFor } from './apps/replicaset.js';
import { statefulSetStatusStrategy, statefulSetStrategy } from './apps/statefulset.js';
import {
  horizontalPodAutoscalerStatusStrategy,
  horizontalPodAutoscalerStrategy,
} from './autoscaling/horizontalpodautoscaler.js';
import { hpaFromV1, hpaToV1 } from './autoscaling/v1conversion.js';
import { cronJobStatusStrategy, cronJobStrategyFor } from './batch/cronjob.js';
import { jobStatusStrategy, jobStrategyFor } from './batch/job.js';
import { RESOURCES, type ResourceDef } from './catalog.js';
import {
  clusterTrustBundleStrategy,
  csrApprovalStrategy,
  csrStatusStrategy,
  csrStrategy,
  podCertificateRequestStatusStrategy,
  podCertificateRequestStrategy,
} from './certificates/index.js';
import { type CsrDurationMetrics, csrDurationHooks } from './certificates/metrics.js';
import { ephemeralContainersSubresourceFor } from './core/ephemeral.js';
import { limitRangeStrategy } from './core/limitrange.js';
import { persistentVolumeStatusStrategy, persistentVolumeStrategy } from './core/persistentvolume.js';
import { persistentVolumeClaimStatusStrategy, persistentVolumeClaimStrategy } from './core/persistentvolumeclaim.js';
import { podTemplateStrategyFor } from './core/podtemplate.js';
import { replicationControllerStatusStrategy, replicationControllerStrategyFor } from './core/replicationcontroller.js';
import { resourceQuotaStatusStrategy, resourceQuotaStrategy } from './core/resourcequota.js';
import {
  DEFAULT_NODE_PORT_RANGE,
  DEFAULT_SERVICE_CIDR,
  type PortRange,
  parsePortRange,
  ServiceAllocators,
} from './core/service/allocator.js';
import { endpointsStrategy, serviceHooks, serviceStrategy } from './core/service/strategy.js';
import {
  configMapStrategy,
  eventStrategy,
  leaseStrategy,
  namespaceFinalizeSubresource,
  namespaceStrategy,
  nodeStrategy,
  podStrategyFor,
  secretStrategy,
  serviceAccountStrategy,
  statusSubresource,
} from './core/strategies.js';
import { endpointSliceStrategy } from './discovery/strategy.js';
import {
  flowSchemaStatusStrategy,
  flowSchemaStrategy,
  priorityLevelStatusStrategy,
  priorityLevelStrategy,
} from './flowcontrol/strategy.js';
import { GenericRegistry } from './generic.js';
import { ingressStatusStrategy, ingressStrategy } from './networking/ingress.js';
import { ingressClassStrategy } from './networking/ingressclass.js';
import { networkPolicyStrategy } from './networking/networkpolicy.js';
import { ipAddressStrategy, serviceCIDRStatusStrategy, serviceCIDRStrategy } from './networking/servicecidr.js';
import { runtimeClassStrategy } from './node/runtimeclass.js';
import { podDisruptionBudgetStatusStrategy, podDisruptionBudgetStrategy } from './policy/poddisruptionbudget.js';
import { clusterRoleBindingStrategy, clusterRoleStrategy, roleBindingStrategy, roleStrategy } from './rbac/index.js';
import { priorityClassStrategy } from './scheduling/priorityclass.js';
import { csiDriverStrategy } from './storage/csidriver.js';
import { csiNodeStrategy } from './storage/csinode.js';
import { csiStorageCapacityStrategy } from './storage/csistoragecapacity.js';
import { storageClassStrategy } from './storage/storageclass.js';
import { volumeAttachmentStatusStrategy, volumeAttachmentStrategy } from './storage/volumeattachment.js';
import type { RESTStrategy, RegistryHooks, SubresourceStrategy } from './strategy.js';
import { ConvertedRegistry, type VersionConverter } from './versioned.js';

interface Wiring {
  /** The strategy, or one made for this server's feature gates. */
  readonly strategy: RESTStrategy | ((deps: HookDeps) => RESTStrategy);
  /** The subresources' strategies, or ones made for this server (/status that asks the authorizer). */
  readonly subresources?:
    | Record<string, SubresourceStrategy>
    | ((deps: HookDeps) => Record<string, SubresourceStrategy>);
  readonly hooks?: (deps: HookDeps) => RegistryHooks;
}

interface HookDeps {
  readonly serviceAllocators: ServiceAllocators;
  readonly gates: FeatureGate;
  readonly allowPrivileged: boolean;
  readonly metrics?: CsrDurationMetrics;
  /** Strategies that authorize part of a write themselves (a PodCertificateRequest signer's `sign`). */
  readonly authorizer?: Authorizer;
}

/** group/resource → rules. Resources absent here (the review APIs) are not stored. */
const WIRING: Readonly<Record<string, Wiring>> = {
  '/namespaces': {
    strategy: namespaceStrategy,
    subresources: { status: statusSubresource, finalize: namespaceFinalizeSubresource },
  },
  '/secrets': { strategy: secretStrategy },
  '/configmaps': { strategy: configMapStrategy },
  '/serviceaccounts': { strategy: serviceAccountStrategy },
  '/nodes': { strategy: nodeStrategy, subresources: { status: statusSubresource } },
  '/pods': {
    strategy: (d) => podStrategyFor(d.gates, { allowPrivileged: d.allowPrivileged }),
    subresources: (d) => ({
      status: statusSubresource,
      ephemeralcontainers: ephemeralContainersSubresourceFor({ allowPrivileged: d.allowPrivileged }),
    }),
  },
  '/events': { strategy: eventStrategy },
  '/services': {
    strategy: serviceStrategy,
    subresources: { status: statusSubresource },
    hooks: (d) => serviceHooks(d.serviceAllocators),
  },
  '/endpoints': { strategy: endpointsStrategy },
  '/limitranges': { strategy: limitRangeStrategy as unknown as RESTStrategy },
  '/podtemplates': { strategy: (d) => podTemplateStrategyFor(d) as unknown as RESTStrategy },
  // /scale is served as the apps/v1 parents' is (registry/apps/scale.ts).
  '/replicationcontrollers': {
    strategy: (d) => replicationControllerStrategyFor(d) as unknown as RESTStrategy,
    subresources: { status: replicationControllerStatusStrategy as unknown as SubresourceStrategy },
  },
  '/persistentvolumes': {
    strategy: persistentVolumeStrategy as unknown as RESTStrategy,
    subresources: { status: persistentVolumeStatusStrategy as unknown as SubresourceStrategy },
  },
  '/persistentvolumeclaims': {
    strategy: persistentVolumeClaimStrategy as unknown as RESTStrategy,
    subresources: { status: persistentVolumeClaimStatusStrategy as unknown as SubresourceStrategy },
  },
  '/resourcequotas': {
    strategy: resourceQuotaStrategy as unknown as RESTStrategy,
    subresources: { status: resourceQuotaStatusStrategy as unknown as SubresourceStrategy },
  },
  'coordination.k8s.io/leases': { strategy: leaseStrategy },
  'storage.k8s.io/storageclasses': { strategy: storageClassStrategy as unknown as RESTStrategy },
  'storage.k8s.io/volumeattachments': {
    strategy: volumeAttachmentStrategy as unknown as RESTStrategy,
    subresources: { status: volumeAttachmentStatusStrategy as unknown as SubresourceStrategy },
  },
  'storage.k8s.io/csinodes': { strategy: csiNodeStrategy as unknown as RESTStrategy },
  'storage.k8s.io/csidrivers': { strategy: csiDriverStrategy as unknown as RESTStrategy },
  'storage.k8s.io/csistoragecapacities': { strategy: csiStorageCapacityStrategy as unknown as RESTStrategy },
  'node.k8s.io/runtimeclasses': { strategy: runtimeClassStrategy as unknown as RESTStrategy },
  'discovery.k8s.io/endpointslices': { strategy: endpointSliceStrategy },
  'networking.k8s.io/networkpolicies': { strategy: networkPolicyStrategy as unknown as RESTStrategy },
  'networking.k8s.io/ingresses': {
    strategy: ingressStrategy as unknown as RESTStrategy,
    subresources: { status: ingressStatusStrategy as unknown as SubresourceStrategy },
  },
  'networking.k8s.io/ingressclasses': { strategy: ingressClassStrategy as unknown as RESTStrategy },
  'networking.k8s.io/servicecidrs': {
    strategy: serviceCIDRStrategy as unknown as RESTStrategy,
    subresources: { status: serviceCIDRStatusStrategy as unknown as SubresourceStrategy },
  },
  'networking.k8s.io/ipaddresses': { strategy: ipAddressStrategy as unknown as RESTStrategy },
  'certificates.k8s.io/certificatesigningrequests': {
    strategy: csrStrategy as unknown as RESTStrategy,
    subresources: {
      status: csrStatusStrategy as unknown as SubresourceStrategy,
      approval: csrApprovalStrategy as unknown as SubresourceStrategy,
    },
    hooks: (d) => (d.metrics ? (csrDurationHooks(d.metrics) as unknown as RegistryHooks) : {}),
  },
  'certificates.k8s.io/clustertrustbundles': { strategy: clusterTrustBundleStrategy as unknown as RESTStrategy },
  'certificates.k8s.io/podcertificaterequests': {
    strategy: podCertificateRequestStrategy as unknown as RESTStrategy,
    subresources: (d) => ({
      status: podCertificateRequestStatusStrategy(d.authorizer) as unknown as SubresourceStrategy,
    }),
  },
  // apps/v1: /scale is not a SubresourceStrategy (it writes the parent's spec through the main
  // strategy); the endpoint serves it with registry/apps/scale.ts.
  'apps/deployments': {
    strategy: (d) => deploymentStrategyFor(d) as unknown as RESTStrategy,
    subresources: { status: deploymentStatusStrategy as unknown as SubresourceStrategy },
  },
  'apps/replicasets': {
    strategy: (d) => replicaSetStrategyFor(d) as unknown as RESTStrategy,
    subresources: { status: replicaSetStatusStrategy as unknown as SubresourceStrategy },
  },
  'apps/daemonsets': {
    strategy: (d) => daemonSetStrategyFor(d) as unknown as RESTStrategy,
    subresources: { status: daemonSetStatusStrategy as unknown as SubresourceStrategy },
  },
  'apps/statefulsets': {
    strategy: statefulSetStrategy as unknown as RESTStrategy,
    subresources: { status: statefulSetStatusStrategy as unknown as SubresourceStrategy },
  },
  'apps/controllerrevisions': { strategy: controllerRevisionStrategy as unknown as RESTStrategy },
  'policy/poddisruptionbudgets': {
    strategy: podDisruptionBudgetStrategy as unknown as RESTStrategy,
    subresources: { status: podDisruptionBudgetStatusStrategy as unknown as SubresourceStrategy },
  },
  'autoscaling/horizontalpodautoscalers': {
    strategy: horizontalPodAutoscalerStrategy as unknown as RESTStrategy,
    subresources: { status: horizontalPodAutoscalerStatusStrategy as unknown as SubresourceStrategy },
  },
  'batch/jobs': {
    strategy: (d) => jobStrategyFor(d) as unknown as RESTStrategy,
    subresources: { status: jobStatusStrategy as unknown as SubresourceStrategy },
  },
  'batch/cronjobs': {
    strategy: (d) => cronJobStrategyFor(d) as unknown as RESTStrategy,
    subresources: { status: cronJobStatusStrategy as unknown as SubresourceStrategy },
  },
  'flowcontrol.apiserver.k8s.io/flowschemas': {
    strategy: flowSchemaStrategy as unknown as RESTStrategy,
    subresources: { status: flowSchemaStatusStrategy as unknown as SubresourceStrategy },
  },
  'flowcontrol.apiserver.k8s.io/prioritylevelconfigurations': {
    strategy: priorityLevelStrategy as unknown as RESTStrategy,
    subresources: { status: priorityLevelStatusStrategy as unknown as SubresourceStrategy },
  },
  'scheduling.k8s.io/priorityclasses': { strategy: priorityClassStrategy as unknown as RESTStrategy },
  'rbac.authorization.k8s.io/roles': { strategy: roleStrategy as unknown as RESTStrategy },
  'rbac.authorization.k8s.io/clusterroles': { strategy: clusterRoleStrategy as unknown as RESTStrategy },
  'rbac.authorization.k8s.io/rolebindings': { strategy: roleBindingStrategy as unknown as RESTStrategy },
  'rbac.authorization.k8s.io/clusterrolebindings': { strategy: clusterRoleBindingStrategy as unknown as RESTStrategy },
  'admissionregistration.k8s.io/mutatingwebhookconfigurations': { strategy: mutatingWebhookConfigurationStrategy },
  'admissionregistration.k8s.io/validatingwebhookconfigurations': { strategy: validatingWebhookConfigurationStrategy },
  'admissionregistration.k8s.io/validatingadmissionpolicies': {
    strategy: validatingAdmissionPolicyStrategy,
    subresources: { status: validatingAdmissionPolicyStatusStrategy },
  },
  'admissionregistration.k8s.io/validatingadmissionpolicybindings': {
    strategy: validatingAdmissionPolicyBindingStrategy,
  },
  'apiregistration.k8s.io/apiservices': {
    strategy: apiServiceStrategy,
    subresources: { status: apiServiceStatusStrategy },
  },
};

/**
 * group/version/resource → conversion from the stored version, for versions served over another's
 * objects (the stored version is the one without an entry here).
 */
const CONVERTED_VERSIONS: Readonly<Record<string, VersionConverter>> = {
  'autoscaling/v1/horizontalpodautoscalers': { toServed: hpaToV1, toStored: hpaFromV1 },
};

export class Registries {
  private readonly byKey = new Map<string, GenericRegistry>();
  /** Registries of the converted versions, by group/version/resource. */
  private readonly converted = new Map<string, GenericRegistry>();

  /** Cluster IPs and node ports of Services. */
  readonly serviceAllocators: ServiceAllocators;

  constructor(
    store: Store,
    opts: {
      resources?: readonly ResourceDef[];
      admission?: Admission;
      /** --service-cluster-ip-range and --service-node-port-range, already checked. */
      serviceCidr?: string;
      nodePortRange?: PortRange;
      /** /metrics: CSR duration counters (the serving registries only, so each write counts once). */
      metrics?: CsrDurationMetrics;
      /** --feature-gates: strategies drop the fields of disabled features. */
      gates?: FeatureGate;
      /** --allow-privileged (the apiserver passes its flag, false by default; here true, no cluster policy). */
      allowPrivileged?: boolean;
      /** The server's authorizer (a PodCertificateRequest's /status checks `sign` with it). */
      authorizer?: Authorizer;
    } = {},
  ) {
    this.serviceAllocators = new ServiceAllocators(
      store,
      parseCidr(opts.serviceCidr ?? DEFAULT_SERVICE_CIDR),
      opts.nodePortRange ?? parsePortRange(DEFAULT_NODE_PORT_RANGE),
    );
    const convertedDefs: ResourceDef[] = [];
    for (const def of opts.resources ?? RESOURCES) {
      if (CONVERTED_VERSIONS[`${def.group}/${def.version}/${def.resource}`]) {
        convertedDefs.push(def);
        continue;
      }
      const w = WIRING[`${def.group}/${def.resource}`];
      if (!w) continue;
      const deps: HookDeps = {
        serviceAllocators: this.serviceAllocators,
        gates: opts.gates ?? DEFAULT_FEATURE_GATE,
        allowPrivileged: opts.allowPrivileged ?? true,
        ...(opts.metrics ? { metrics: opts.metrics } : {}),
        ...(opts.authorizer ? { authorizer: opts.authorizer } : {}),
      };
      const hooks = w.hooks?.(deps);
      const strategy = typeof w.strategy === 'function' ? w.strategy(deps) : w.strategy;
      const subresources = typeof w.subresources === 'function' ? w.subresources(deps) : w.subresources;
      const reg = new GenericRegistry(def, strategy, store, subresources, opts.admission, hooks);
      this.byKey.set(`${def.group}/${def.resource}`, reg);
    }
    for (const def of convertedDefs) {
      const stored = this.byKey.get(`${def.group}/${def.resource}`);
      const conv = CONVERTED_VERSIONS[`${def.group}/${def.version}/${def.resource}`];
      if (stored && conv)
        this.converted.set(
          `${def.group}/${def.version}/${def.resource}`,
          new ConvertedRegistry(def, stored, store, conv),
        );
    }
  }

  /** The registry a request for `def` goes to: its version's view when that version is converted. */
  served(def: Pick<ResourceDef, 'group' | 'version' | 'resource'>): GenericRegistry | undefined {
    return this.converted.get(`${def.group}/${def.version}/${def.resource}`) ?? this.get(def.group, def.resource);
  }

  get(group: string, resource: string): GenericRegistry | undefined {
    return this.byKey.get(`${group}/${resource}`);
  }

  /** A watch-fed cache of namespaces, once the server started one (NamespaceLifecycle reads it first). */
  namespaceLister?: NamespaceLister;

  /** The namespaces registry (NamespaceLifecycle needs it). */
  get namespaces(): GenericRegistry {
    return this.byKey.get('/namespaces')!;
  }

  all(): GenericRegistry[] {
    return [...this.byKey.values()];
  }
}
