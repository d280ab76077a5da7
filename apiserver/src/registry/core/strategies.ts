// Strategies of the core/v1 and coordination.k8s.io/v1 kinds mkube serves.

import type {
  ConfigMap,
  Event,
  KubeObject,
  Lease,
  Namespace,
  Node,
  Pod,
  Secret,
  ServiceAccount,
} from '@mkube/shared/api';
import type { FieldError } from '@mkube/shared/apierrors';
import { DEFAULT_FEATURE_GATE, type FeatureGate } from '@mkube/shared/featuregate';
import { jsonClone } from '../../util/json.js';
import {
  validateConfigMap,
  validateConfigMapUpdate,
  validateLease,
  validateLeaseUpdate,
  validateNamespace,
  validateNamespaceFinalizers,
  validateNamespaceUpdate,
  validateNode,
  validateNodeUpdate,
  validatePodCreate,
  validatePodUpdate,
  validatePrivilegedDisallowed,
  validateSecret,
  validateSecretUpdate,
  validateServiceAccount,
  validateServiceAccountUpdate,
} from '../../validation/index.js';
import { type RESTStrategy, resetToStored, type SubresourceStrategy } from '../strategy.js';
import { convertDeprecatedServiceAccount, defaultPod } from './poddefaults.js';

type WithStatus = KubeObject & { status?: unknown; spec?: unknown };

const none = (): FieldError[] => [];

/** Kinds without status or server-owned fields. */
export function plainStrategy(
  validate: (o: KubeObject) => FieldError[] = none,
  validateUpdate?: (o: KubeObject, old: KubeObject) => FieldError[],
): RESTStrategy {
  return {
    prepareForCreate() {},
    prepareForUpdate() {},
    validate: (o) => validate(o),
    validateUpdate: (o, old) => [...validate(o), ...(validateUpdate?.(o, old) ?? [])],
  };
}

/** Kinds whose status is written only through /status (pods, nodes, namespaces). */
export function statusOwningStrategy<T extends WithStatus>(opts: {
  create?: (o: T) => void;
  validate?: (o: T) => FieldError[];
  validateUpdate?: (o: T, old: T) => FieldError[];
  selectableFields?: (o: T) => Record<string, string>;
}): RESTStrategy {
  return {
    prepareForCreate(o) {
      opts.create?.(o as T);
    },
    prepareForUpdate(o, old) {
      (o as WithStatus).status = (old as WithStatus).status;
    },
    validate: (o) => opts.validate?.(o as T) ?? [],
    validateUpdate: (o, old) => [
      ...(opts.validate?.(o as T) ?? []),
      ...(opts.validateUpdate?.(o as T, old as T) ?? []),
    ],
    selectableFields: opts.selectableFields ? (o) => opts.selectableFields!(o as T) : undefined,
  };
}

/** `/status`: only status changes; the rest of the object stays as stored. */
export const statusSubresource: SubresourceStrategy = {
  prepareForUpdate(o, old) {
    const status = (o as WithStatus).status;
    resetToStored(o, old);
    (o as WithStatus).status = status;
  },
  validateUpdate: () => [],
};

export const namespaceStrategy: RESTStrategy = {
  ...statusOwningStrategy<Namespace>({
    create(ns) {
      ns.spec = { finalizers: ['kubernetes'] };
      ns.status = { phase: 'Active' };
    },
    validate: validateNamespace,
    validateUpdate: (ns, old) => {
      // The spec (finalizers) is the namespace controller's: a plain update keeps the stored one.
      ns.spec = old.spec;
      return validateNamespaceUpdate(ns, old);
    },
    selectableFields: (ns) => ({ 'status.phase': ns.status?.phase ?? '' }),
  }),
  // A namespace with spec.finalizers left (the namespace controller's "kubernetes") is only marked:
  // Terminating, until its content is gone and /finalize empties them.
  holdsDeletion: (o) => ((o as Namespace).spec?.finalizers?.length ?? 0) > 0,
  markedForDeletion: (o) => {
    (o as Namespace).status = { ...(o as Namespace).status, phase: 'Terminating' };
  },
};

/** `/finalize`: only spec.finalizers changes (the namespace controller's, once the content is gone). */
export const namespaceFinalizeSubresource: SubresourceStrategy = {
  prepareForUpdate(o, old) {
    const finalizers = (o as Namespace).spec?.finalizers ?? [];
    resetToStored(o, old);
    (o as Namespace).spec = { ...(o as Namespace).spec, finalizers };
  },
  validateUpdate: (o) => validateNamespaceFinalizers((o as Namespace).spec?.finalizers ?? []),
};

/** `stringData` is write-only sugar: merged into `data` (base64) and dropped, as the apiserver does. */
function foldStringData(s: Secret): void {
  if (s.stringData) {
    s.data ??= {};
    for (const [k, v] of Object.entries(s.stringData)) s.data[k] = Buffer.from(v, 'utf8').toString('base64');
    delete s.stringData;
  }
  s.type ??= 'Opaque';
}

export const secretStrategy: RESTStrategy = {
  prepareForCreate: (o) => foldStringData(o as Secret),
  prepareForUpdate: (o) => foldStringData(o as Secret),
  validate: (o) => validateSecret(o as Secret),
  validateUpdate: (o, old) => [...validateSecret(o as Secret), ...validateSecretUpdate(o as Secret, old as Secret)],
  selectableFields: (o) => ({ type: (o as Secret).type ?? '' }),
};

export const configMapStrategy = plainStrategy(
  (o) => validateConfigMap(o as ConfigMap),
  (o, old) => validateConfigMapUpdate(o as ConfigMap, old as ConfigMap),
);

export const nodeStrategy = statusOwningStrategy<Node>({
  validate: validateNode,
  validateUpdate: validateNodeUpdate,
  selectableFields: (n) => ({ 'spec.unschedulable': String(n.spec?.unschedulable ?? false) }),
});

/**
 * The pod strategy's CheckGracefulDelete: what was asked for, else the pod's
 * terminationGracePeriodSeconds; at once when no node runs it or it has already ended.
 */
export function podGracePeriod(pod: Pod, requested: number | undefined): number {
  let period = requested ?? pod.spec?.terminationGracePeriodSeconds ?? 0;
  if (!pod.spec?.nodeName) period = 0;
  if (pod.status?.phase === 'Failed' || pod.status?.phase === 'Succeeded') period = 0;
  return period < 0 ? 1 : period;
}

/** Whether any projected volume of the pod takes a ClusterTrustBundle (hasClusterTrustBundleProjection). */
function usesClusterTrustBundleProjection(pod: Pod | undefined): boolean {
  return (pod?.spec?.volumes ?? []).some((v) => v.projected?.sources?.some((s) => s.clusterTrustBundle));
}

/**
 * dropDisabledClusterTrustBundleProjection: with the gate off a new pod loses its ClusterTrustBundle
 * sources (what is left of such a source is empty), unless the stored pod already used them.
 */
function dropDisabledClusterTrustBundleProjection(pod: Pod, old: Pod | undefined, gates: FeatureGate): void {
  if (gates.enabled('ClusterTrustBundleProjection') || usesClusterTrustBundleProjection(old)) return;
  for (const v of pod.spec?.volumes ?? []) for (const s of v.projected?.sources ?? []) delete s.clusterTrustBundle;
}

/** Whether any projected volume of the pod takes a podCertificate (hasPodCertificateProjection). */
function usesPodCertificateProjection(pod: Pod | undefined): boolean {
  return (pod?.spec?.volumes ?? []).some((v) => v.projected?.sources?.some((s) => s.podCertificate));
}

/** dropDisabledPodCertificateProjection: the same for podCertificate sources and the PodCertificateRequest gate. */
function dropDisabledPodCertificateProjection(pod: Pod, old: Pod | undefined, gates: FeatureGate): void {
  if (gates.enabled('PodCertificateRequest') || usesPodCertificateProjection(old)) return;
  for (const v of pod.spec?.volumes ?? []) for (const s of v.projected?.sources ?? []) delete s.podCertificate;
}

function dropDisabledFields(pod: Pod, old: Pod | undefined, gates: FeatureGate): void {
  dropDisabledClusterTrustBundleProjection(pod, old, gates);
  dropDisabledPodCertificateProjection(pod, old, gates);
}

function defaulted(pod: Pod): Pod {
  const copy = jsonClone(pod);
  defaultPod(copy);
  return copy;
}

export function podStrategyFor(
  gates: FeatureGate = DEFAULT_FEATURE_GATE,
  /** --allow-privileged (capabilities.AllowPrivileged): without it no container may be privileged. */
  { allowPrivileged = true }: { allowPrivileged?: boolean } = {},
): RESTStrategy {
  const privileged = (pod: Pod) => (allowPrivileged ? [] : validatePrivilegedDisallowed(pod));
  const base = statusOwningStrategy<Pod>({
    create(pod) {
      // No default account here: ServiceAccount admission names it (upstream's strategy leaves it empty).
      pod.status = { phase: 'Pending' };
    },
    validate: (o) => [...validatePodCreate(o as Pod), ...privileged(o as Pod)],
    // PodToSelectableFields. status.podIPs is a field label without a value: it selects as empty.
    selectableFields: (p) => ({
      'spec.nodeName': p.spec?.nodeName ?? '',
      'spec.restartPolicy': p.spec?.restartPolicy ?? '',
      'spec.schedulerName': p.spec?.schedulerName ?? '',
      'spec.serviceAccountName': p.spec?.serviceAccountName ?? '',
      'spec.hostNetwork': String(p.spec?.hostNetwork ?? false),
      'status.phase': p.status?.phase ?? '',
      'status.podIP': p.status?.podIP ?? '',
      'status.nominatedNodeName': p.status?.nominatedNodeName ?? '',
    }),
  });
  return {
    ...base,
    prepareForCreate(o, ctx) {
      const pod = o as Pod;
      defaultPod(pod);
      dropDisabledFields(pod, undefined, gates);
      base.prepareForCreate(o, ctx);
      applySchedulingGatedCondition(pod);
      // Now that it names an account, "default" at least.
      if (pod.spec) convertDeprecatedServiceAccount(pod.spec);
    },
    prepareForUpdate(o, old, ctx) {
      const pod = o as Pod;
      // Only pods/ephemeralcontainers changes them.
      const ephemeral = (old as Pod).spec?.ephemeralContainers;
      if (pod.spec) {
        if (ephemeral) pod.spec.ephemeralContainers = jsonClone(ephemeral);
        else delete pod.spec.ephemeralContainers;
      }
      defaultPod(pod);
      dropDisabledFields(pod, old as Pod, gates);
      base.prepareForUpdate(o, old, ctx);
    },
    // Not the create rules (ephemeral containers are refused there): ValidatePodUpdate, against the
    // stored pod as upstream decodes it — with the defaults, which one an older mkube wrote lacks
    // (the update itself was defaulted in prepareForUpdate).
    validateUpdate: (o, old) => [...validatePodUpdate(o as Pod, defaulted(old as Pod)), ...privileged(o as Pod)],
    checkGracefulDelete: (o, requested) => podGracePeriod(o as Pod, requested),
  };
}

/** kubectl describe finds an object's Events by these (pkg/registry/core/event ToSelectableFields). */
export const eventStrategy: RESTStrategy = {
  ...plainStrategy(),
  selectableFields: (o) => {
    const e = o as Event;
    const ref = e.involvedObject ?? {};
    return {
      'involvedObject.kind': ref.kind ?? '',
      'involvedObject.namespace': ref.namespace ?? '',
      'involvedObject.name': ref.name ?? '',
      'involvedObject.uid': ref.uid ?? '',
      'involvedObject.apiVersion': ref.apiVersion ?? '',
      'involvedObject.resourceVersion': ref.resourceVersion ?? '',
      'involvedObject.fieldPath': ref.fieldPath ?? '',
      reason: e.reason ?? '',
      reportingComponent: e.reportingComponent ?? '',
      source: e.source?.component ?? '',
      type: e.type ?? '',
    };
  },
};
export const serviceAccountStrategy = plainStrategy(
  (o) => validateServiceAccount(o as ServiceAccount),
  (o, old) => validateServiceAccountUpdate(o as ServiceAccount, old as ServiceAccount),
);
export const leaseStrategy = plainStrategy(
  (o) => validateLease(o as Lease),
  (o, old) => validateLeaseUpdate(o as Lease, old as Lease),
);

/** A gated pod says why it waits from the start, as upstream's PrepareForCreate writes it. */
function applySchedulingGatedCondition(pod: Pod): void {
  if (!pod.spec?.schedulingGates?.length) return;
  const conditions = pod.status?.conditions ?? [];
  if (conditions.some((c) => c.type === 'PodScheduled')) return;
  pod.status = { ...pod.status, conditions };
  conditions.push({
    type: 'PodScheduled',
    status: 'False',
    reason: 'SchedulingGated',
    message: 'Scheduling is blocked due to non-empty scheduling gates',
  });
}
