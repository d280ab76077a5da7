// Validation of pod and container security contexts (k/k pkg/apis/core/validation:
// ValidatePodSecurityContext, ValidateSecurityContext, validateSeccompProfileField,
// ValidateAppArmorProfileField, validateSysctls): the enum and range rules, with Kubernetes'
// paths and messages. Whether a setting is allowed at all is PodSecurity admission's business.
import type { AppArmorProfile, PodSecurityContext, PodSpec, SeccompProfile, SecurityContext } from '@mkube/shared/api';
import { type FieldError, fieldErrors } from '@mkube/shared/apierrors';

const MAX_ID = 2147483647;
const ID_RANGE = `must be between 0 and ${MAX_ID}, inclusive`;

function validId(value: number | undefined, path: string): FieldError[] {
  if (value === undefined || value === null) return [];
  return Number.isInteger(value) && value >= 0 && value <= MAX_ID ? [] : [fieldErrors.invalid(path, value, ID_RANGE)];
}

const PROFILE_TYPES = ['Localhost', 'RuntimeDefault', 'Unconfined'] as const;

function validateSeccompProfile(p: SeccompProfile | undefined, path: string): FieldError[] {
  if (!p) return [];
  const errs: FieldError[] = [];
  if (!p.type) errs.push(fieldErrors.required(`${path}.type`));
  else if (!(PROFILE_TYPES as readonly string[]).includes(p.type))
    errs.push(fieldErrors.notSupported(`${path}.type`, p.type, PROFILE_TYPES));
  if (p.type === 'Localhost' && !p.localhostProfile) {
    errs.push(fieldErrors.required(`${path}.localhostProfile`, 'must be set when seccomp type is Localhost'));
  } else if (p.type !== 'Localhost' && p.localhostProfile !== undefined) {
    errs.push(
      fieldErrors.invalid(
        `${path}.localhostProfile`,
        p.localhostProfile,
        'can only be set when seccomp type is Localhost',
      ),
    );
  }
  return errs;
}

function validateAppArmorProfile(p: AppArmorProfile | undefined, path: string): FieldError[] {
  if (!p) return [];
  const errs: FieldError[] = [];
  if (!p.type) errs.push(fieldErrors.required(`${path}.type`));
  else if (!(PROFILE_TYPES as readonly string[]).includes(p.type))
    errs.push(fieldErrors.notSupported(`${path}.type`, p.type, PROFILE_TYPES));
  if (p.type === 'Localhost' && !p.localhostProfile?.trim()) {
    errs.push(fieldErrors.required(`${path}.localhostProfile`, 'must be set when AppArmor type is Localhost'));
  } else if (p.type !== 'Localhost' && p.localhostProfile !== undefined) {
    errs.push(
      fieldErrors.invalid(
        `${path}.localhostProfile`,
        p.localhostProfile,
        'can only be set when AppArmor type is Localhost',
      ),
    );
  }
  return errs;
}

// IsValidSysctlName: segments of [a-z0-9]([-_a-z0-9]*[a-z0-9])?, separated by '.' or '/', at most 253.
const SYSCTL_SEGMENT = '[a-z0-9]([-_a-z0-9]*[a-z0-9])?';
const SYSCTL_FMT = `(${SYSCTL_SEGMENT}[\\./])*${SYSCTL_SEGMENT}`;
const SYSCTL_RE = new RegExp(`^${SYSCTL_FMT}$`);
const SYSCTL_MAX = 253;

function validateSysctls(ctx: PodSecurityContext, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const seen = new Set<string>();
  (ctx.sysctls ?? []).forEach((s, i) => {
    const p = `${path}[${i}]`;
    if (!s.name) errs.push(fieldErrors.required(`${p}.name`));
    else if (s.name.length > SYSCTL_MAX || !SYSCTL_RE.test(s.name)) {
      errs.push(
        fieldErrors.invalid(
          `${p}.name`,
          s.name,
          `must have at most ${SYSCTL_MAX} characters and match regex ${SYSCTL_FMT}`,
        ),
      );
    }
    if (s.name && seen.has(s.name)) errs.push(fieldErrors.duplicate(`${p}.name`, s.name));
    seen.add(s.name);
  });
  return errs;
}

const FS_GROUP_CHANGE_POLICIES = ['OnRootMismatch', 'Always'] as const;
const SUPPLEMENTAL_GROUPS_POLICIES = ['Merge', 'Strict'] as const;
const SELINUX_CHANGE_POLICIES = ['MountOption', 'Recursive'] as const;

function oneOf(value: string | undefined, path: string, allowed: readonly string[]): FieldError[] {
  return value !== undefined && !allowed.includes(value) ? [fieldErrors.notSupported(path, value, allowed)] : [];
}

export function validatePodSecurityContext(spec: PodSpec, path = 'spec'): FieldError[] {
  const errs: FieldError[] = [];
  const sc = spec.securityContext;
  if (sc) {
    const p = `${path}.securityContext`;
    errs.push(...validId(sc.runAsUser, `${p}.runAsUser`));
    errs.push(...validId(sc.runAsGroup, `${p}.runAsGroup`));
    errs.push(...validId(sc.fsGroup, `${p}.fsGroup`));
    (sc.supplementalGroups ?? []).forEach((g, i) => {
      errs.push(...validId(g, `${p}.supplementalGroups[${i}]`));
    });
    errs.push(...oneOf(sc.fsGroupChangePolicy, `${p}.fsGroupChangePolicy`, FS_GROUP_CHANGE_POLICIES));
    errs.push(...oneOf(sc.supplementalGroupsPolicy, `${p}.supplementalGroupsPolicy`, SUPPLEMENTAL_GROUPS_POLICIES));
    errs.push(...oneOf(sc.seLinuxChangePolicy, `${p}.seLinuxChangePolicy`, SELINUX_CHANGE_POLICIES));
    errs.push(...validateSysctls(sc, `${p}.sysctls`));
    errs.push(...validateSeccompProfile(sc.seccompProfile, `${p}.seccompProfile`));
    errs.push(...validateAppArmorProfile(sc.appArmorProfile, `${p}.appArmorProfile`));
  }
  if (spec.hostPID && spec.shareProcessNamespace) {
    errs.push(
      fieldErrors.invalid(
        `${path}.securityContext.shareProcessNamespace`,
        true,
        'ShareProcessNamespace and HostPID cannot both be enabled',
      ),
    );
  }
  return errs;
}

const PROC_MOUNT_TYPES = ['Default', 'Unmasked'] as const;

export function validateSecurityContext(sc: SecurityContext | undefined, path: string): FieldError[] {
  if (!sc) return [];
  const errs: FieldError[] = [];
  errs.push(...validId(sc.runAsUser, `${path}.runAsUser`));
  errs.push(...validId(sc.runAsGroup, `${path}.runAsGroup`));
  errs.push(...oneOf(sc.procMount, `${path}.procMount`, PROC_MOUNT_TYPES));
  errs.push(...validateSeccompProfile(sc.seccompProfile, `${path}.seccompProfile`));
  errs.push(...validateAppArmorProfile(sc.appArmorProfile, `${path}.appArmorProfile`));
  if (sc.allowPrivilegeEscalation === false) {
    if (sc.privileged) {
      errs.push(
        fieldErrors.invalid(path, sc, 'cannot set `allowPrivilegeEscalation` to false and `privileged` to true'),
      );
    }
    if (sc.capabilities?.add?.includes('CAP_SYS_ADMIN')) {
      errs.push(
        fieldErrors.invalid(
          path,
          sc,
          'cannot set `allowPrivilegeEscalation` to false and `capabilities.Add` CAP_SYS_ADMIN',
        ),
      );
    }
  }
  return errs;
}

/**
 * kube-apiserver without --allow-privileged: a container (init and ephemeral ones too) asking for
 * `privileged: true` is refused, as validateSecurityContext does against capabilities.AllowPrivileged.
 */
export function validatePrivilegedDisallowed(pod: {
  spec?: Pick<PodSpec, 'containers' | 'initContainers' | 'ephemeralContainers'>;
}): FieldError[] {
  const errs: FieldError[] = [];
  const spec = pod.spec;
  for (const [list, path] of [
    [spec?.containers, 'spec.containers'],
    [spec?.initContainers, 'spec.initContainers'],
    [spec?.ephemeralContainers, 'spec.ephemeralContainers'],
  ] as const) {
    (list ?? []).forEach((c, i) => {
      if (c.securityContext?.privileged === true) {
        errs.push(fieldErrors.forbidden(`${path}[${i}].securityContext.privileged`, 'disallowed by cluster policy'));
      }
    });
  }
  return errs;
}
