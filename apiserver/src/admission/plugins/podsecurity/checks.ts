// The Pod Security Standards checks (k8s.io/pod-security-admission/policy), as of Kubernetes 1.33:
// each check has an ID, a level and versions (the policy version from which each variant applies),
// and says why a pod is refused in upstream's words: a short reason, and a detail naming the
// containers and values.
import type { Container, ObjectMeta, PodSpec } from '@mkube/shared/api';
import { type Level, older, type Version, v1 } from './api.js';

export interface CheckResult {
  readonly allowed: boolean;
  readonly reason?: string;
  readonly detail?: string;
}

export type CheckFn = (meta: ObjectMeta, spec: PodSpec) => CheckResult;

export interface VersionedCheck {
  readonly minimumVersion: Version;
  readonly check: CheckFn;
  /** Baseline checks this restricted one replaces (its stricter rule covers theirs). */
  readonly overrides?: readonly string[];
}

export interface Check {
  readonly id: string;
  readonly level: Exclude<Level, 'privileged'>;
  /** Strictly increasing minimum versions. */
  readonly versions: readonly VersionedCheck[];
}

const ALLOWED: CheckResult = { allowed: true };
const deny = (reason: string, detail: string): CheckResult => ({ allowed: false, reason, detail });

const joinQuote = (items: readonly string[]): string => (items.length ? `"${items.join('", "')}"` : '');
const pluralize = (singular: string, plural: string, n: number): string => (n === 1 ? singular : plural);
const sortedUnique = (items: Iterable<string>): string[] => [...new Set(items)].sort();
/** `container "a"` / `containers "a", "b"`. */
const containersPhrase = (names: readonly string[]): string =>
  `${pluralize('container', 'containers', names.length)} ${joinQuote(names)}`;

/** Init containers, then containers, then ephemeral containers (policy/visitor.go). */
function visitContainers(spec: PodSpec, visit: (c: Container) => void): void {
  for (const c of spec.initContainers ?? []) visit(c);
  for (const c of spec.containers ?? []) visit(c);
  for (const c of spec.ephemeralContainers ?? []) visit(c);
}

const isWindows = (spec: PodSpec): boolean => spec.os?.name === 'windows';

// appArmorProfile (baseline): no Unconfined profile, in fields or in the legacy annotations.
const APPARMOR_ANNOTATION_PREFIX = 'container.apparmor.security.beta.kubernetes.io/';
const allowedAppArmorAnnotation = (v: string) => v === '' || v === 'runtime/default' || v.startsWith('localhost/');
const allowedAppArmorType = (t: string | undefined) => t === 'RuntimeDefault' || t === 'Localhost';

function appArmorProfile_1_0(meta: ObjectMeta, spec: PodSpec): CheckResult {
  const setters: string[] = [];
  const badValues = new Set<string>();
  const podProfile = spec.securityContext?.appArmorProfile;
  if (podProfile && !allowedAppArmorType(podProfile.type)) {
    setters.push('pod');
    badValues.add(podProfile.type ?? '');
  }
  const badContainers: string[] = [];
  visitContainers(spec, (c) => {
    const p = c.securityContext?.appArmorProfile;
    if (p && !allowedAppArmorType(p.type)) {
      badContainers.push(c.name);
      badValues.add(p.type ?? '');
    }
  });
  if (badContainers.length) setters.push(containersPhrase(badContainers));
  const annotations = Object.entries(meta.annotations ?? {})
    .filter(([k, v]) => k.startsWith(APPARMOR_ANNOTATION_PREFIX) && !allowedAppArmorAnnotation(v))
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
    .sort();
  const values = [...sortedUnique(badValues), ...annotations];
  if (annotations.length) setters.push(pluralize('annotation', 'annotations', annotations.length));
  if (!setters.length) return ALLOWED;
  return deny(
    pluralize('forbidden AppArmor profile', 'forbidden AppArmor profiles', values.length),
    `${setters.join(' and ')} must not set AppArmor profile type to ${joinQuote(values)}`,
  );
}

// capabilities_baseline: only the container runtime's default capabilities may be added.
const BASELINE_CAPABILITIES = new Set([
  'AUDIT_WRITE',
  'CHOWN',
  'DAC_OVERRIDE',
  'FOWNER',
  'FSETID',
  'KILL',
  'MKNOD',
  'NET_BIND_SERVICE',
  'SETFCAP',
  'SETGID',
  'SETPCAP',
  'SETUID',
  'SYS_CHROOT',
]);

function capabilitiesBaseline_1_0(_meta: ObjectMeta, spec: PodSpec): CheckResult {
  const badContainers: string[] = [];
  const extra = new Set<string>();
  visitContainers(spec, (c) => {
    const added = (c.securityContext?.capabilities?.add ?? []).filter((cap) => !BASELINE_CAPABILITIES.has(cap));
    if (!added.length) return;
    badContainers.push(c.name);
    for (const cap of added) extra.add(cap);
  });
  if (!badContainers.length) return ALLOWED;
  return deny(
    'non-default capabilities',
    `${containersPhrase(badContainers)} must not include ${joinQuote(sortedUnique(extra))} in securityContext.capabilities.add`,
  );
}

// hostNamespaces: no host network, PID or IPC namespace.
function hostNamespaces_1_0(_meta: ObjectMeta, spec: PodSpec): CheckResult {
  const set: string[] = [];
  if (spec.hostNetwork) set.push('hostNetwork=true');
  if (spec.hostPID) set.push('hostPID=true');
  if (spec.hostIPC) set.push('hostIPC=true');
  return set.length ? deny('host namespaces', set.join(', ')) : ALLOWED;
}

// hostPathVolumes: no hostPath volume.
function hostPathVolumes_1_0(_meta: ObjectMeta, spec: PodSpec): CheckResult {
  const names = (spec.volumes ?? []).filter((v) => v.hostPath != null).map((v) => v.name);
  if (!names.length) return ALLOWED;
  return deny('hostPath volumes', `${pluralize('volume', 'volumes', names.length)} ${joinQuote(names)}`);
}

// hostPorts: no port bound on the host.
function hostPorts_1_0(_meta: ObjectMeta, spec: PodSpec): CheckResult {
  const badContainers: string[] = [];
  const ports = new Set<string>();
  visitContainers(spec, (c) => {
    let bad = false;
    for (const p of c.ports ?? []) {
      if (p.hostPort) {
        bad = true;
        ports.add(String(p.hostPort));
      }
    }
    if (bad) badContainers.push(c.name);
  });
  if (!badContainers.length) return ALLOWED;
  const list = sortedUnique(ports);
  return deny(
    'hostPort',
    `${containersPhrase(badContainers)} ${pluralize('uses', 'use', badContainers.length)} ${pluralize('hostPort', 'hostPorts', list.length)} ${list.join(', ')}`,
  );
}

// privileged: no privileged container.
function privileged_1_0(_meta: ObjectMeta, spec: PodSpec): CheckResult {
  const bad: string[] = [];
  visitContainers(spec, (c) => {
    if (c.securityContext?.privileged) bad.push(c.name);
  });
  if (!bad.length) return ALLOWED;
  return deny('privileged', `${containersPhrase(bad)} must not set securityContext.privileged=true`);
}

// procMount: the default /proc masks only.
function procMount_1_0(_meta: ObjectMeta, spec: PodSpec): CheckResult {
  const bad: string[] = [];
  const types = new Set<string>();
  visitContainers(spec, (c) => {
    const t = c.securityContext?.procMount;
    if (t === undefined || t === null || t === 'Default') return;
    bad.push(c.name);
    types.add(t);
  });
  if (!bad.length) return ALLOWED;
  return deny(
    'procMount',
    `${containersPhrase(bad)} must not set securityContext.procMount to ${joinQuote(sortedUnique(types))}`,
  );
}

// seLinuxOptions: only the container types, and no user or role.
const SELINUX_TYPES_1_0 = new Set(['', 'container_t', 'container_init_t', 'container_kvm_t']);
const SELINUX_TYPES_1_31 = new Set([...SELINUX_TYPES_1_0, 'container_engine_t']);

function seLinuxOptions(allowedTypes: ReadonlySet<string>): CheckFn {
  return (_meta, spec) => {
    const setters: string[] = [];
    const badTypes = new Set<string>();
    let setUser = false;
    let setRole = false;
    const valid = (o: { type?: string; user?: string; role?: string }): boolean => {
      let ok = true;
      if (!allowedTypes.has(o.type ?? '')) {
        ok = false;
        badTypes.add(o.type ?? '');
      }
      if (o.user) {
        ok = false;
        setUser = true;
      }
      if (o.role) {
        ok = false;
        setRole = true;
      }
      return ok;
    };
    const podOptions = spec.securityContext?.seLinuxOptions;
    if (podOptions && !valid(podOptions)) setters.push('pod');
    const bad: string[] = [];
    visitContainers(spec, (c) => {
      const o = c.securityContext?.seLinuxOptions;
      if (o && !valid(o)) bad.push(c.name);
    });
    if (bad.length) setters.push(containersPhrase(bad));
    if (!setters.length) return ALLOWED;
    const data: string[] = [];
    if (badTypes.size) {
      const types = sortedUnique(badTypes);
      data.push(`${pluralize('type', 'types', types.length)} ${joinQuote(types)}`);
    }
    if (setUser) data.push('user may not be set');
    if (setRole) data.push('role may not be set');
    return deny(
      'seLinuxOptions',
      `${setters.join(' and ')} set forbidden securityContext.seLinuxOptions: ${data.join('; ')}`,
    );
  };
}

// seccompProfile_baseline: no Unconfined profile (before 1.19: in the alpha annotations).
const SECCOMP_POD_ANNOTATION = 'seccomp.security.alpha.kubernetes.io/pod';
const SECCOMP_CONTAINER_ANNOTATION_PREFIX = 'container.seccomp.security.alpha.kubernetes.io/';
const validSeccompAnnotation = (v: string) =>
  v === 'runtime/default' || v === 'docker/default' || v.startsWith('localhost/');
const validSeccomp = (t: string | undefined) => t === 'Localhost' || t === 'RuntimeDefault';

function seccompProfileBaseline_1_0(meta: ObjectMeta, spec: PodSpec): CheckResult {
  const forbidden = new Set<string>();
  const annotations = meta.annotations ?? {};
  const podValue = annotations[SECCOMP_POD_ANNOTATION];
  if (podValue !== undefined && !validSeccompAnnotation(podValue)) {
    forbidden.add(`${SECCOMP_POD_ANNOTATION}=${JSON.stringify(podValue)}`);
  }
  visitContainers(spec, (c) => {
    const key = SECCOMP_CONTAINER_ANNOTATION_PREFIX + c.name;
    const v = annotations[key];
    if (v !== undefined && !validSeccompAnnotation(v)) forbidden.add(`${key}=${JSON.stringify(v)}`);
  });
  if (!forbidden.size) return ALLOWED;
  return deny(
    'seccompProfile',
    `forbidden ${pluralize('annotation', 'annotations', forbidden.size)} ${sortedUnique(forbidden).join(', ')}`,
  );
}

/** Who set an invalid seccomp profile type, and the containers that set none (for restricted). */
function seccompSetters(spec: PodSpec) {
  const setters: string[] = [];
  const badValues = new Set<string>();
  let podValid = false;
  const podProfile = spec.securityContext?.seccompProfile;
  if (podProfile) {
    if (!validSeccomp(podProfile.type)) {
      setters.push('pod');
      badValues.add(podProfile.type ?? '');
    } else podValid = true;
  }
  const explicit: string[] = [];
  const implicit: string[] = [];
  visitContainers(spec, (c) => {
    const p = c.securityContext?.seccompProfile;
    if (p) {
      if (!validSeccomp(p.type)) {
        explicit.push(c.name);
        badValues.add(p.type ?? '');
      }
    } else if (!podValid) implicit.push(c.name);
  });
  if (explicit.length) setters.push(containersPhrase(explicit));
  return { setters, badValues, implicit };
}

function seccompProfileBaseline_1_19(_meta: ObjectMeta, spec: PodSpec): CheckResult {
  const { setters, badValues } = seccompSetters(spec);
  if (!setters.length) return ALLOWED;
  return deny(
    'seccompProfile',
    `${setters.join(' and ')} must not set securityContext.seccompProfile.type to ${joinQuote(sortedUnique(badValues))}`,
  );
}

// sysctls: only the namespaced, pod-isolated "safe" set.
const SYSCTLS_1_0 = [
  'kernel.shm_rmid_forced',
  'net.ipv4.ip_local_port_range',
  'net.ipv4.tcp_syncookies',
  'net.ipv4.ping_group_range',
  'net.ipv4.ip_unprivileged_port_start',
];
const SYSCTLS_1_27 = [...SYSCTLS_1_0, 'net.ipv4.ip_local_reserved_ports'];
const SYSCTLS_1_29 = [
  ...SYSCTLS_1_27,
  'net.ipv4.tcp_keepalive_time',
  'net.ipv4.tcp_fin_timeout',
  'net.ipv4.tcp_keepalive_intvl',
  'net.ipv4.tcp_keepalive_probes',
];
const SYSCTLS_1_32 = [...SYSCTLS_1_29, 'net.ipv4.tcp_rmem', 'net.ipv4.tcp_wmem'];

function sysctls(allowed: readonly string[]): CheckFn {
  const set = new Set(allowed);
  return (_meta, spec) => {
    const bad = (spec.securityContext?.sysctls ?? []).filter((s) => !set.has(s.name)).map((s) => s.name);
    return bad.length ? deny('forbidden sysctls', bad.join(', ')) : ALLOWED;
  };
}

// windowsHostProcess: no Windows host process.
function windowsHostProcess_1_0(_meta: ObjectMeta, spec: PodSpec): CheckResult {
  const bad: string[] = [];
  visitContainers(spec, (c) => {
    if (c.securityContext?.windowsOptions?.hostProcess) bad.push(c.name);
  });
  const setters: string[] = [];
  if (spec.securityContext?.windowsOptions?.hostProcess) setters.push('pod');
  if (bad.length) setters.push(containersPhrase(bad));
  if (!setters.length) return ALLOWED;
  return deny('hostProcess', `${setters.join(' and ')} must not set securityContext.windowsOptions.hostProcess=true`);
}

// allowPrivilegeEscalation (restricted): every container must set it to false.
function allowPrivilegeEscalation_1_8(_meta: ObjectMeta, spec: PodSpec): CheckResult {
  const bad: string[] = [];
  visitContainers(spec, (c) => {
    if (c.securityContext?.allowPrivilegeEscalation !== false) bad.push(c.name);
  });
  if (!bad.length) return ALLOWED;
  return deny(
    'allowPrivilegeEscalation != false',
    `${containersPhrase(bad)} must set securityContext.allowPrivilegeEscalation=false`,
  );
}

/** From 1.25 the Linux-only restricted checks admit Windows pods (validation forbids the fields there). */
const exceptWindows =
  (check: CheckFn): CheckFn =>
  (meta, spec) =>
    isWindows(spec) ? ALLOWED : check(meta, spec);

// capabilities_restricted: drop ALL, add at most NET_BIND_SERVICE.
function capabilitiesRestricted_1_22(_meta: ObjectMeta, spec: PodSpec): CheckResult {
  const missingDropAll: string[] = [];
  const adding: string[] = [];
  const forbidden = new Set<string>();
  visitContainers(spec, (c) => {
    const caps = c.securityContext?.capabilities;
    if (!caps) {
      missingDropAll.push(c.name);
      return;
    }
    if (!(caps.drop ?? []).includes('ALL')) missingDropAll.push(c.name);
    const extra = (caps.add ?? []).filter((cap) => cap !== 'NET_BIND_SERVICE');
    if (extra.length) {
      adding.push(c.name);
      for (const cap of extra) forbidden.add(cap);
    }
  });
  const details: string[] = [];
  if (missingDropAll.length) {
    details.push(`${containersPhrase(missingDropAll)} must set securityContext.capabilities.drop=["ALL"]`);
  }
  if (adding.length) {
    details.push(
      `${containersPhrase(adding)} must not include ${joinQuote(sortedUnique(forbidden))} in securityContext.capabilities.add`,
    );
  }
  return details.length ? deny('unrestricted capabilities', details.join('; ')) : ALLOWED;
}

// restrictedVolumes: only the volume types backed by the cluster or the pod's own data.
const ALLOWED_VOLUME_SOURCES = [
  'configMap',
  'csi',
  'downwardAPI',
  'emptyDir',
  'ephemeral',
  'persistentVolumeClaim',
  'projected',
  'secret',
] as const;
/** The sources named in the message, in upstream's order of testing; any other is "unknown". */
const NAMED_VOLUME_SOURCES = [
  'hostPath',
  'gcePersistentDisk',
  'awsElasticBlockStore',
  'gitRepo',
  'nfs',
  'iscsi',
  'glusterfs',
  'rbd',
  'flexVolume',
  'cinder',
  'cephfs',
  'flocker',
  'fc',
  'azureFile',
  'vsphereVolume',
  'quobyte',
  'azureDisk',
  'photonPersistentDisk',
  'portworxVolume',
  'scaleIO',
  'storageos',
] as const;

function restrictedVolumes_1_0(_meta: ObjectMeta, spec: PodSpec): CheckResult {
  const bad: string[] = [];
  const types = new Set<string>();
  for (const v of spec.volumes ?? []) {
    if (ALLOWED_VOLUME_SOURCES.some((s) => v[s] != null)) continue;
    bad.push(v.name);
    types.add(NAMED_VOLUME_SOURCES.find((s) => v[s] != null) ?? 'unknown');
  }
  if (!bad.length) return ALLOWED;
  const list = sortedUnique(types);
  return deny(
    'restricted volume types',
    `${pluralize('volume', 'volumes', bad.length)} ${joinQuote(bad)} ${pluralize('uses', 'use', bad.length)} ${pluralize('restricted volume type', 'restricted volume types', list.length)} ${joinQuote(list)}`,
  );
}

// runAsNonRoot: the pod, or every container, must say runAsNonRoot=true; nothing may say false.
function runAsNonRoot_1_0(_meta: ObjectMeta, spec: PodSpec): CheckResult {
  const setters: string[] = [];
  let podNonRoot = false;
  const podValue = spec.securityContext?.runAsNonRoot;
  if (podValue === false) setters.push('pod');
  else if (podValue === true) podNonRoot = true;
  const explicit: string[] = [];
  const implicit: string[] = [];
  visitContainers(spec, (c) => {
    const v = c.securityContext?.runAsNonRoot;
    if (v === false) explicit.push(c.name);
    else if (v === undefined || v === null) {
      if (!podNonRoot) implicit.push(c.name);
    }
  });
  if (explicit.length) setters.push(containersPhrase(explicit));
  if (setters.length) {
    return deny('runAsNonRoot != true', `${setters.join(' and ')} must not set securityContext.runAsNonRoot=false`);
  }
  if (implicit.length) {
    return deny(
      'runAsNonRoot != true',
      `pod or ${containersPhrase(implicit)} must set securityContext.runAsNonRoot=true`,
    );
  }
  return ALLOWED;
}

// runAsUser: never UID 0 explicitly.
function runAsUser_1_23(_meta: ObjectMeta, spec: PodSpec): CheckResult {
  const setters: string[] = [];
  if (spec.securityContext?.runAsUser === 0) setters.push('pod');
  const bad: string[] = [];
  visitContainers(spec, (c) => {
    if (c.securityContext?.runAsUser === 0) bad.push(c.name);
  });
  if (bad.length) setters.push(containersPhrase(bad));
  if (!setters.length) return ALLOWED;
  return deny('runAsUser=0', `${setters.join(' and ')} must not set runAsUser=0`);
}

// seccompProfile_restricted: RuntimeDefault or Localhost, set on the pod or on every container.
function seccompProfileRestricted_1_19(_meta: ObjectMeta, spec: PodSpec): CheckResult {
  const { setters, badValues, implicit } = seccompSetters(spec);
  if (setters.length) {
    return deny(
      'seccompProfile',
      `${setters.join(' and ')} must not set securityContext.seccompProfile.type to ${joinQuote(sortedUnique(badValues))}`,
    );
  }
  if (implicit.length) {
    return deny(
      'seccompProfile',
      `pod or ${containersPhrase(implicit)} must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost"`,
    );
  }
  return ALLOWED;
}

const at = (minor: number, check: CheckFn, overrides?: readonly string[]): VersionedCheck => ({
  minimumVersion: v1(minor),
  check,
  ...(overrides ? { overrides } : {}),
});

/** policy.DefaultChecks() of Kubernetes 1.33. */
export const DEFAULT_CHECKS: readonly Check[] = [
  { id: 'appArmorProfile', level: 'baseline', versions: [at(0, appArmorProfile_1_0)] },
  { id: 'capabilities_baseline', level: 'baseline', versions: [at(0, capabilitiesBaseline_1_0)] },
  { id: 'hostNamespaces', level: 'baseline', versions: [at(0, hostNamespaces_1_0)] },
  { id: 'hostPathVolumes', level: 'baseline', versions: [at(0, hostPathVolumes_1_0)] },
  { id: 'hostPorts', level: 'baseline', versions: [at(0, hostPorts_1_0)] },
  { id: 'privileged', level: 'baseline', versions: [at(0, privileged_1_0)] },
  { id: 'procMount', level: 'baseline', versions: [at(0, procMount_1_0)] },
  {
    id: 'seLinuxOptions',
    level: 'baseline',
    versions: [at(0, seLinuxOptions(SELINUX_TYPES_1_0)), at(31, seLinuxOptions(SELINUX_TYPES_1_31))],
  },
  {
    id: 'seccompProfile_baseline',
    level: 'baseline',
    versions: [at(0, seccompProfileBaseline_1_0), at(19, seccompProfileBaseline_1_19)],
  },
  {
    id: 'sysctls',
    level: 'baseline',
    versions: [
      at(0, sysctls(SYSCTLS_1_0)),
      at(27, sysctls(SYSCTLS_1_27)),
      at(29, sysctls(SYSCTLS_1_29)),
      at(32, sysctls(SYSCTLS_1_32)),
    ],
  },
  { id: 'windowsHostProcess', level: 'baseline', versions: [at(0, windowsHostProcess_1_0)] },
  {
    id: 'allowPrivilegeEscalation',
    level: 'restricted',
    versions: [at(8, allowPrivilegeEscalation_1_8), at(25, exceptWindows(allowPrivilegeEscalation_1_8))],
  },
  {
    id: 'capabilities_restricted',
    level: 'restricted',
    versions: [
      at(22, capabilitiesRestricted_1_22, ['capabilities_baseline']),
      at(25, exceptWindows(capabilitiesRestricted_1_22), ['capabilities_baseline']),
    ],
  },
  { id: 'restrictedVolumes', level: 'restricted', versions: [at(0, restrictedVolumes_1_0, ['hostPathVolumes'])] },
  { id: 'runAsNonRoot', level: 'restricted', versions: [at(0, runAsNonRoot_1_0)] },
  { id: 'runAsUser', level: 'restricted', versions: [at(23, runAsUser_1_23)] },
  {
    id: 'seccompProfile_restricted',
    level: 'restricted',
    versions: [
      at(19, seccompProfileRestricted_1_19, ['seccompProfile_baseline']),
      at(25, exceptWindows(seccompProfileRestricted_1_19), ['seccompProfile_baseline']),
    ],
  },
];

/**
 * The evaluator (policy/registry.go): for a level and version, the variant of each check in force
 * at that version, baseline checks first then restricted ones, each group ordered by check ID (so
 * messages are stable); restricted drops the baseline checks its checks override. Versions past
 * the newest any check knows, and latest, are evaluated as that newest version.
 */
export class Evaluator {
  readonly maxVersion: Version;
  readonly #checks: readonly Check[];

  constructor(checks: readonly Check[] = DEFAULT_CHECKS) {
    const byId = (a: Check, b: Check) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
    this.#checks = [
      ...checks.filter((c) => c.level === 'baseline').sort(byId),
      ...checks.filter((c) => c.level === 'restricted').sort(byId),
    ];
    let max = v1(0);
    for (const c of checks) {
      const last = c.versions[c.versions.length - 1]!.minimumVersion;
      if (older(max, last)) max = last;
    }
    this.maxVersion = max;
  }

  #variant(c: Check, version: Version): VersionedCheck | undefined {
    let found: VersionedCheck | undefined;
    for (const v of c.versions) if (!older(version, v.minimumVersion)) found = v;
    return found;
  }

  evaluate(level: Level, version: Version, meta: ObjectMeta, spec: PodSpec): CheckResult[] {
    if (level === 'privileged') return [];
    const v = older(this.maxVersion, version) ? this.maxVersion : version;
    const active = this.#checks
      .map((c) => ({ c, variant: this.#variant(c, v) }))
      .filter((x): x is { c: Check; variant: VersionedCheck } => x.variant !== undefined)
      .filter((x) => level === 'restricted' || x.c.level === 'baseline');
    const overridden = new Set(level === 'restricted' ? active.flatMap((x) => x.variant.overrides ?? []) : []);
    return active.filter((x) => !overridden.has(x.c.id)).map((x) => x.variant.check(meta, spec));
  }
}

/** AggregateCheckResults: the forbidden results' reasons and details, in check order. */
export interface AggregateResult {
  readonly allowed: boolean;
  readonly reasons: readonly string[];
  readonly details: readonly string[];
}

export function aggregate(results: readonly CheckResult[]): AggregateResult {
  const denied = results.filter((r) => !r.allowed);
  return {
    allowed: denied.length === 0,
    reasons: denied.map((r) => r.reason || 'unknown forbidden reason'),
    details: denied.map((r) => r.detail ?? ''),
  };
}

/** `host ports, privileged` (ForbiddenReason). */
export const forbiddenReason = (a: AggregateResult): string => a.reasons.join(', ');

/** `hostPort (container "a" uses hostPort 80), privileged (…)` (ForbiddenDetail). */
export const forbiddenDetail = (a: AggregateResult): string =>
  a.reasons.map((r, i) => (a.details[i] ? `${r} (${a.details[i]})` : r)).join(', ');
