// Pod Security levels, policy versions and the namespace labels that choose them
// (k8s.io/pod-security-admission/api): `pod-security.kubernetes.io/<mode>` = privileged | baseline |
// restricted and `<mode>-version` = latest | v1.<minor>, for the modes enforce, audit and warn.
import { type FieldError, fieldErrors } from '@mkube/shared/apierrors';

export type Level = 'privileged' | 'baseline' | 'restricted';
export const LEVELS: readonly Level[] = ['privileged', 'baseline', 'restricted'];

export const LABEL_PREFIX = 'pod-security.kubernetes.io/';
export const ENFORCE_LEVEL_LABEL = `${LABEL_PREFIX}enforce`;
export const ENFORCE_VERSION_LABEL = `${LABEL_PREFIX}enforce-version`;
export const AUDIT_LEVEL_LABEL = `${LABEL_PREFIX}audit`;
export const AUDIT_VERSION_LABEL = `${LABEL_PREFIX}audit-version`;
export const WARN_LEVEL_LABEL = `${LABEL_PREFIX}warn`;
export const WARN_VERSION_LABEL = `${LABEL_PREFIX}warn-version`;

/** Audit annotation keys, each under LABEL_PREFIX in the audit event. */
export const AUDIT_VIOLATIONS_ANNOTATION = 'audit-violations';
export const ENFORCED_POLICY_ANNOTATION = 'enforce-policy';
export const EXEMPTION_ANNOTATION = 'exempt';

/** A policy version: v1.<minor>, or latest (newer than every numbered one). */
export interface Version {
  readonly latest: boolean;
  readonly minor: number;
}

export const LATEST: Version = Object.freeze({ latest: true, minor: 0 });
export const v1 = (minor: number): Version => ({ latest: false, minor });

export function versionString(v: Version): string {
  return v.latest ? 'latest' : `v1.${v.minor}`;
}

/** Version.Older: latest is never older, and everything numbered is older than latest. */
export function older(a: Version, b: Version): boolean {
  if (a.latest) return false;
  if (b.latest) return true;
  return a.minor < b.minor;
}

export interface LevelVersion {
  readonly level: Level;
  readonly version: Version;
}

export const levelVersionString = (lv: LevelVersion): string => `${lv.level}:${versionString(lv.version)}`;
export const sameLevelVersion = (a: LevelVersion, b: LevelVersion): boolean =>
  a.level === b.level && versionString(a.version) === versionString(b.version);

export interface Policy {
  readonly enforce: LevelVersion;
  readonly audit: LevelVersion;
  readonly warn: LevelVersion;
}

const PRIVILEGED_LATEST: LevelVersion = { level: 'privileged', version: LATEST };
export const PRIVILEGED_POLICY: Policy = {
  enforce: PRIVILEGED_LATEST,
  audit: PRIVILEGED_LATEST,
  warn: PRIVILEGED_LATEST,
};

export const fullyPrivileged = (p: Policy): boolean =>
  p.enforce.level === 'privileged' && p.audit.level === 'privileged' && p.warn.level === 'privileged';

/** Policy.Equivalent: same modes, where two privileged modes are equal whatever their versions. */
export function equivalentPolicies(a: Policy, b: Policy): boolean {
  const same = (x: LevelVersion, y: LevelVersion) =>
    x.level === 'privileged' ? y.level === 'privileged' : sameLevelVersion(x, y);
  return same(a.enforce, b.enforce) && same(a.audit, b.audit) && same(a.warn, b.warn);
}

const LEVEL_ERROR = `must be one of ${LEVELS.join(', ')}`;
const VERSION_ERROR = 'must be "latest" or "v1.x"';
const VERSION_RE = /^v1\.([0-9]|[1-9][0-9]*)$/;

/** ParseLevel: an unknown level is reported, and evaluated as restricted. */
export function parseLevel(value: string): { level: Level; error?: string } {
  return (LEVELS as readonly string[]).includes(value)
    ? { level: value as Level }
    : { level: 'restricted', error: LEVEL_ERROR };
}

/** ParseVersion: latest, or v1.<minor>; anything else is reported and evaluated as latest. */
export function parseVersion(value: string): { version: Version; error?: string } {
  if (value === 'latest') return { version: LATEST };
  const m = VERSION_RE.exec(value);
  if (!m || !Number.isSafeInteger(Number(m[1]))) return { version: LATEST, error: VERSION_ERROR };
  return { version: v1(Number(m[1])) };
}

/**
 * PolicyToEvaluate: the namespace labels over the defaults. A bad enforce label enforces
 * restricted (fail closed); a bad audit or warn label turns that mode off (privileged). Always a
 * usable policy, and the label errors (metadata.labels[...] Invalid) beside it.
 */
export function policyToEvaluate(
  labels: Readonly<Record<string, string>> | undefined,
  defaults: Policy,
): { policy: Policy; errors: FieldError[] } {
  const errors: FieldError[] = [];
  if (!labels || Object.keys(labels).length === 0) return { policy: defaults, errors };
  const bad = (label: string, value: string, why: string) =>
    errors.push(fieldErrors.invalid(`metadata.labels[${label}]`, value, why));
  const mode = (lv: LevelVersion, levelLabel: string, versionLabel: string, failOpen: boolean): LevelVersion => {
    let { level, version } = lv;
    const l = labels[levelLabel];
    if (l !== undefined) {
      const parsed = parseLevel(l);
      level = parsed.level;
      if (parsed.error) {
        bad(levelLabel, l, parsed.error);
        if (failOpen) level = 'privileged';
      }
    }
    const v = labels[versionLabel];
    if (v !== undefined) {
      const parsed = parseVersion(v);
      version = parsed.version;
      if (parsed.error) bad(versionLabel, v, parsed.error);
    }
    return { level, version };
  };
  const enforce = mode(defaults.enforce, ENFORCE_LEVEL_LABEL, ENFORCE_VERSION_LABEL, false);
  const audit = mode(defaults.audit, AUDIT_LEVEL_LABEL, AUDIT_VERSION_LABEL, true);
  const warn = mode(defaults.warn, WARN_LEVEL_LABEL, WARN_VERSION_LABEL, true);
  return { policy: { enforce, audit, warn }, errors };
}

/** CompareLevels: -1 when a is less strict than b, 0 when equal, 1 when stricter. */
export function compareLevels(a: Level, b: Level): number {
  return Math.sign(LEVELS.indexOf(a) - LEVELS.indexOf(b));
}
