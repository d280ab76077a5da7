// Validation of Namespace, ServiceAccount, Node and Pod (k/k pkg/apis/core/validation), kept to
// the checks mkube's flows depend on; messages and paths are Kubernetes'.
import {
  type Container,
  MIRROR_POD_ANNOTATION,
  type Namespace,
  type Node,
  type Pod,
  type PodSpec,
  type ServiceAccount,
  type Taint,
  VOLUME_SOURCE_NAMES,
  type Volume,
} from '@mkube/shared/api';
import { type FieldError, fieldErrors } from '@mkube/shared/apierrors';
import { isDNS1123Label, isValidLabelValue, regexError } from '@mkube/shared/selectors';
import { nameIsDNSLabel, nameIsDNSSubdomain } from './names.js';
import {
  deepEqual,
  validateFinalizerName,
  validateLabelName,
  validateObjectMeta,
  validateObjectMetaUpdate,
} from './objectmeta.js';
import { validateContainerProbes, validateLifecycle } from './probe.js';
import { validateProjectedVolume } from './projected.js';
import { validatePodSecurityContext, validateSecurityContext } from './security.js';

export function validateNamespace(ns: Namespace): FieldError[] {
  const errs = validateObjectMeta(ns.metadata, { namespaced: false, nameValidator: nameIsDNSLabel });
  for (const f of ns.spec?.finalizers ?? []) errs.push(...validateFinalizerName(f, 'spec.finalizers'));
  return errs;
}

/** A /finalize update: the finalizer names (ValidateNamespaceFinalizeUpdate). */
export function validateNamespaceFinalizers(finalizers: readonly string[]): FieldError[] {
  return finalizers.flatMap((f) => validateFinalizerName(f, 'spec.finalizers'));
}

/** Spec and status are reset from the stored object by the namespace strategy; only metadata is checked. */
export function validateNamespaceUpdate(newNs: Namespace, oldNs: Namespace): FieldError[] {
  return validateObjectMetaUpdate(newNs.metadata, oldNs.metadata);
}

export function validateServiceAccount(sa: ServiceAccount): FieldError[] {
  return validateObjectMeta(sa.metadata, { namespaced: true, nameValidator: nameIsDNSSubdomain });
}

export function validateServiceAccountUpdate(newSa: ServiceAccount, oldSa: ServiceAccount): FieldError[] {
  return [...validateObjectMetaUpdate(newSa.metadata, oldSa.metadata), ...validateServiceAccount(newSa)];
}

const TAINT_EFFECTS = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'] as const;

function validateTaints(taints: readonly Taint[] | undefined, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const seen = new Set<string>();
  (taints ?? []).forEach((t, i) => {
    const p = `${path}[${i}]`;
    errs.push(...validateLabelName(t.key ?? '', `${p}.key`));
    const valueErrs = isValidLabelValue(t.value ?? '');
    if (valueErrs.length) errs.push(fieldErrors.invalid(`${p}.value`, t.value ?? '', valueErrs.join(';')));
    if (!t.effect) errs.push(fieldErrors.required(`${p}.effect`));
    else if (!(TAINT_EFFECTS as readonly string[]).includes(t.effect)) {
      errs.push(fieldErrors.notSupported(`${p}.effect`, t.effect, TAINT_EFFECTS));
    }
    const id = `${t.effect}\u0000${t.key}`;
    if (seen.has(id)) {
      errs.push({ type: 'Duplicate', field: p, badValue: t, detail: 'taints must be unique by key and effect pair' });
    }
    seen.add(id);
  });
  return errs;
}

export function validateNode(node: Node): FieldError[] {
  const errs = validateObjectMeta(node.metadata, { namespaced: false, nameValidator: nameIsDNSSubdomain });
  errs.push(...validateTaints(node.spec?.taints, 'spec.taints'));
  const cidrs = node.spec?.podCIDRs ?? [];
  if (node.spec?.podCIDR && cidrs.length && cidrs[0] !== node.spec.podCIDR) {
    errs.push(fieldErrors.invalid('spec.podCIDRs', cidrs, 'first value must match podCIDR'));
  }
  return errs;
}

export function validateNodeUpdate(newNode: Node, oldNode: Node): FieldError[] {
  const errs = validateObjectMetaUpdate(newNode.metadata, oldNode.metadata);
  errs.push(...validateNode(newNode));
  const oldCIDRs = oldNode.spec?.podCIDRs ?? [];
  if (oldCIDRs.length && !deepEqual(newNode.spec?.podCIDRs ?? [], oldCIDRs)) {
    errs.push(fieldErrors.forbidden('spec.podCIDRs', 'node updates may not change podCIDR except from "" to valid'));
  }
  const oldProvider = oldNode.spec?.providerID ?? '';
  if (oldProvider && (newNode.spec?.providerID ?? '') !== oldProvider) {
    errs.push(
      fieldErrors.forbidden('spec.providerID', 'node updates may not change providerID except from "" to valid'),
    );
  }
  return errs;
}

const ENV_VAR_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;
const ENV_VAR_NAME_MSG = regexError(
  "a valid environment variable name must consist of alphabetic characters, digits, '_', '-', or '.', and must not start with a digit",
  '[-._a-zA-Z][-._a-zA-Z0-9]*',
  'my.env-name',
  'MY_ENV.NAME',
  'MyEnvName1',
);

function validateVolumes(volumes: readonly Volume[] | undefined, path: string): [FieldError[], Set<string>] {
  const errs: FieldError[] = [];
  const names = new Set<string>();
  (volumes ?? []).forEach((v, i) => {
    const p = `${path}[${i}]`;
    if (!v.name) errs.push(fieldErrors.required(`${p}.name`));
    else for (const m of isDNS1123Label(v.name)) errs.push(fieldErrors.invalid(`${p}.name`, v.name, m));
    if (v.name && names.has(v.name)) errs.push(fieldErrors.duplicate(`${p}.name`, v.name));
    if (v.name) names.add(v.name);
    const sources = VOLUME_SOURCE_NAMES.filter((s) => v[s] !== undefined && v[s] !== null);
    if (sources.length === 0) errs.push(fieldErrors.required(p, 'must specify a volume type'));
    for (const extra of sources.slice(1)) {
      errs.push(fieldErrors.forbidden(`${p}.${extra}`, 'may not specify more than 1 volume type'));
    }
    if (v.projected) errs.push(...validateProjectedVolume(v.projected, `${p}.projected`));
  });
  return [errs, names];
}

function validateContainers(
  containers: readonly Container[] | undefined,
  path: string,
  volumes: ReadonlySet<string>,
  seen: Set<string>,
  graceSeconds?: number,
): FieldError[] {
  const errs: FieldError[] = [];
  (containers ?? []).forEach((c, i) => {
    const p = `${path}[${i}]`;
    if (!c.name) errs.push(fieldErrors.required(`${p}.name`));
    else for (const m of isDNS1123Label(c.name)) errs.push(fieldErrors.invalid(`${p}.name`, c.name, m));
    if (c.name && seen.has(c.name)) errs.push(fieldErrors.duplicate(`${p}.name`, c.name));
    if (c.name) seen.add(c.name);
    if (!c.image?.trim()) errs.push(fieldErrors.required(`${p}.image`));
    (c.env ?? []).forEach((e, j) => {
      const ep = `${p}.env[${j}].name`;
      if (!e.name) errs.push(fieldErrors.required(ep));
      else if (!ENV_VAR_NAME.test(e.name)) errs.push(fieldErrors.invalid(ep, e.name, ENV_VAR_NAME_MSG));
    });
    (c.volumeMounts ?? []).forEach((m, j) => {
      const mp = `${p}.volumeMounts[${j}]`;
      if (!m.name) errs.push(fieldErrors.required(`${mp}.name`));
      else if (!volumes.has(m.name)) errs.push(fieldErrors.notFound(`${mp}.name`, m.name));
      if (!m.mountPath) errs.push(fieldErrors.required(`${mp}.mountPath`));
    });
    errs.push(...validateSecurityContext(c.securityContext, `${p}.securityContext`));
    const kind = path.endsWith('initContainers')
      ? 'init'
      : path.endsWith('ephemeralContainers')
        ? 'ephemeral'
        : 'container';
    errs.push(...validateContainerProbes(c, p, kind));
    errs.push(...validateLifecycle(c, p, kind, graceSeconds));
    errs.push(...validateContainerEnums(c, p));
    // A container's own restartPolicy: Always on an init container (a sidecar), nowhere else.
    if (c.restartPolicy !== undefined) {
      if (kind === 'ephemeral') errs.push(fieldErrors.forbidden(`${p}.restartPolicy`, EPHEMERAL_FORBIDDEN));
      else if (kind !== 'init')
        errs.push(fieldErrors.forbidden(`${p}.restartPolicy`, 'may not be set for non-init containers'));
      else if (c.restartPolicy !== 'Always')
        errs.push(fieldErrors.notSupported(`${p}.restartPolicy`, c.restartPolicy, ['Always']));
    }
  });
  return errs;
}

const EPHEMERAL_FORBIDDEN = 'cannot be set for an Ephemeral Container';

/**
 * What validateEphemeralContainers adds to the common container rules: no ports or resources (probes,
 * hooks and restartPolicy are refused with the same words above), no subPath, and a target that is
 * one of the pod's containers or init containers.
 */
function validateEphemeralContainers(spec: PodSpec): FieldError[] {
  const errs: FieldError[] = [];
  const targets = new Set([...(spec.containers ?? []), ...(spec.initContainers ?? [])].map((c) => c.name));
  (spec.ephemeralContainers ?? []).forEach((c, i) => {
    const p = `spec.ephemeralContainers[${i}]`;
    if (c.ports !== undefined) errs.push(fieldErrors.forbidden(`${p}.ports`, EPHEMERAL_FORBIDDEN));
    if (c.resources !== undefined && Object.keys(c.resources).length > 0)
      errs.push(fieldErrors.forbidden(`${p}.resources`, EPHEMERAL_FORBIDDEN));
    (c.volumeMounts ?? []).forEach((m, j) => {
      if (m.subPath) errs.push(fieldErrors.forbidden(`${p}.volumeMounts[${j}].subPath`, EPHEMERAL_FORBIDDEN));
    });
    if (c.targetContainerName && !targets.has(c.targetContainerName))
      errs.push(fieldErrors.notFound(`${p}.targetContainerName`, c.targetContainerName));
  });
  return errs;
}

/**
 * ValidatePodEphemeralContainersUpdate: the pod as a whole, and the ephemeral containers it had are
 * all still there, unchanged (a patch may reorder them). Static pods take none.
 */
export function validatePodEphemeralContainersUpdate(newPod: Pod, oldPod: Pod): FieldError[] {
  if (oldPod.metadata?.annotations?.[MIRROR_POD_ANNOTATION] !== undefined)
    return [fieldErrors.forbidden('', 'static pods do not support ephemeral containers')];
  const errs = validateObjectMetaUpdate(newPod.metadata, oldPod.metadata);
  errs.push(...validatePod(newPod));
  const now = new Map((newPod.spec?.ephemeralContainers ?? []).map((c) => [c.name, c]));
  for (const old of oldPod.spec?.ephemeralContainers ?? []) {
    const cur = now.get(old.name);
    if (!cur)
      errs.push(
        fieldErrors.forbidden(
          'spec.ephemeralContainers',
          `existing ephemeral containers "${old.name}" may not be removed\n`,
        ),
      );
    else if (!deepEqual(cur, old))
      errs.push(
        fieldErrors.forbidden(
          'spec.ephemeralContainers',
          `existing ephemeral containers "${old.name}" may not be changed\n`,
        ),
      );
  }
  return errs;
}

const RESTART_POLICIES = ['Always', 'OnFailure', 'Never'] as const;
const PULL_POLICIES = ['Always', 'IfNotPresent', 'Never'] as const;
const TERMINATION_MESSAGE_POLICIES = ['File', 'FallbackToLogsOnError'] as const;
const PROTOCOLS = ['SCTP', 'TCP', 'UDP'] as const;
const DNS_POLICIES = ['ClusterFirstWithHostNet', 'ClusterFirst', 'Default', 'None'] as const;

/** A required field that must be one of `values` (validatePullPolicy and the like). */
function oneOf(value: string | undefined, path: string, values: readonly string[]): FieldError[] {
  if (!value) return [fieldErrors.required(path)];
  return values.includes(value) ? [] : [fieldErrors.notSupported(path, value, values)];
}

/** The enumerated fields of validateContainerCommon; the defaults fill them before validation. */
function validateContainerEnums(c: Container, p: string): FieldError[] {
  const errs = [
    ...oneOf(c.imagePullPolicy, `${p}.imagePullPolicy`, PULL_POLICIES),
    ...oneOf(c.terminationMessagePolicy, `${p}.terminationMessagePolicy`, TERMINATION_MESSAGE_POLICIES),
  ];
  (c.ports ?? []).forEach((port, j) => {
    errs.push(...oneOf(port.protocol, `${p}.ports[${j}].protocol`, PROTOCOLS));
  });
  return errs;
}

/** validateDNSPolicy, and validatePodDNSConfig's rule for None. */
function validateDnsPolicy(spec: PodSpec): FieldError[] {
  const errs = oneOf(spec.dnsPolicy, 'spec.dnsPolicy', DNS_POLICIES);
  if (spec.dnsPolicy === 'None') {
    if (!spec.dnsConfig)
      errs.push(fieldErrors.required('spec.dnsConfig', 'must provide `dnsConfig` when `dnsPolicy` is None'));
    else if (!spec.dnsConfig.nameservers?.length)
      errs.push(
        fieldErrors.required(
          'spec.dnsConfig.nameservers',
          'must provide at least one DNS nameserver when `dnsPolicy` is None',
        ),
      );
  }
  return errs;
}

export function validatePod(pod: Pod): FieldError[] {
  const errs = validateObjectMeta(pod.metadata, { namespaced: true, nameValidator: nameIsDNSSubdomain });
  const spec = pod.spec;
  if (!spec) return [...errs, fieldErrors.required('spec.containers')];
  const [volErrs, volumes] = validateVolumes(spec.volumes, 'spec.volumes');
  errs.push(...volErrs);
  const names = new Set<string>();
  if (!spec.containers?.length) errs.push(fieldErrors.required('spec.containers'));
  errs.push(
    ...validateContainers(spec.containers, 'spec.containers', volumes, names, spec.terminationGracePeriodSeconds),
  );
  errs.push(
    ...validateContainers(
      spec.initContainers,
      'spec.initContainers',
      volumes,
      names,
      spec.terminationGracePeriodSeconds,
    ),
  );
  errs.push(
    ...validateContainers(
      spec.ephemeralContainers,
      'spec.ephemeralContainers',
      volumes,
      names,
      spec.terminationGracePeriodSeconds,
    ),
  );
  errs.push(...validateEphemeralContainers(spec));
  errs.push(...validatePodSecurityContext(spec));
  errs.push(...oneOf(spec.restartPolicy, 'spec.restartPolicy', RESTART_POLICIES));
  errs.push(...validateDnsPolicy(spec));
  for (const [field, value] of [
    ['spec.serviceAccountName', spec.serviceAccountName],
    ['spec.nodeName', spec.nodeName],
    ['spec.priorityClassName', spec.priorityClassName],
  ] as const) {
    if (value) for (const m of nameIsDNSSubdomain(value, false)) errs.push(fieldErrors.invalid(field, value, m));
  }
  if (spec.preemptionPolicy !== undefined && spec.preemptionPolicy !== null)
    errs.push(...validatePreemptionPolicy(spec.preemptionPolicy, 'spec.preemptionPolicy'));
  if (spec.activeDeadlineSeconds !== undefined && spec.activeDeadlineSeconds <= 0) {
    errs.push(
      fieldErrors.invalid(
        'spec.activeDeadlineSeconds',
        spec.activeDeadlineSeconds,
        'must be between 1 and 2147483647, inclusive',
      ),
    );
  }
  return errs;
}

const PREEMPTION_POLICIES = ['PreemptLowerPriority', 'Never'];

/** ValidatePreemptionPolicy: a pod's and a PriorityClass's. */
export function validatePreemptionPolicy(policy: string, path: string): FieldError[] {
  if (policy === '') return [fieldErrors.required(path, '')];
  return PREEMPTION_POLICIES.includes(policy) ? [] : [fieldErrors.notSupported(path, policy, PREEMPTION_POLICIES)];
}

/** ValidatePodCreate: ephemeral containers come only through pods/ephemeralcontainers (which mkube does not serve). */
export function validatePodCreate(pod: Pod): FieldError[] {
  const errs = validatePod(pod);
  if (pod.spec?.ephemeralContainers?.length)
    errs.push(fieldErrors.forbidden('spec.ephemeralContainers', 'cannot be set on create'));
  return errs;
}

const POD_UPDATE_FORBIDDEN =
  'pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)';

/** Only images, activeDeadlineSeconds and added tolerations may change in a pod's spec. */
export function validatePodUpdate(newPod: Pod, oldPod: Pod): FieldError[] {
  const errs = validateObjectMetaUpdate(newPod.metadata, oldPod.metadata);
  errs.push(...validatePod(newPod));
  const strip = (p: Pod) => {
    const s = structuredClone(p.spec ?? { containers: [] });
    for (const c of [...(s.containers ?? []), ...(s.initContainers ?? [])]) delete c.image;
    delete s.activeDeadlineSeconds;
    delete s.tolerations;
    delete s.schedulingGates;
    return s;
  };
  if (!deepEqual(strip(newPod), strip(oldPod))) errs.push(fieldErrors.forbidden('spec', POD_UPDATE_FORBIDDEN));
  // A gate may only go (validateOnlyDeletedSchedulingGates): whoever removes the last one releases the pod.
  const oldGates = new Set((oldPod.spec?.schedulingGates ?? []).map((g) => g.name));
  for (const g of newPod.spec?.schedulingGates ?? []) {
    if (!oldGates.has(g.name))
      errs.push(
        fieldErrors.forbidden(
          'spec.schedulingGates',
          `only deletion is allowed, but found new scheduling gate '${g.name}'`,
        ),
      );
  }
  const oldTol = oldPod.spec?.tolerations ?? [];
  const newTol = newPod.spec?.tolerations ?? [];
  if (!oldTol.every((t) => newTol.some((n) => deepEqual(n, t)))) {
    errs.push(
      fieldErrors.forbidden('spec.tolerations', 'existing toleration can not be modified except its tolerationSeconds'),
    );
  }
  return errs;
}
