// PodSecurityConfiguration (pod-security.admission.config.k8s.io/v1, also v1beta1): the policy
// for namespaces without labels, and the exempt usernames, runtime classes and namespaces. It is
// the PodSecurity entry of an AdmissionConfiguration (--admission-control-config-file). Without
// one, every mode is privileged:latest and nothing is exempt, as upstream's defaults.
import { type FieldError, formatFieldErrors } from '@mkube/shared/apierrors';
import { isRecord } from '../../../util/json.js';
import { type LevelVersion, type Policy, PRIVILEGED_POLICY, parseLevel, parseVersion } from './api.js';

export const POD_SECURITY_CONFIG_GROUP = 'pod-security.admission.config.k8s.io';
const API_VERSIONS = ['v1', 'v1beta1'].map((v) => `${POD_SECURITY_CONFIG_GROUP}/${v}`);

export interface Exemptions {
  readonly usernames: readonly string[];
  readonly runtimeClasses: readonly string[];
  readonly namespaces: readonly string[];
}

export interface PodSecurityConfig {
  readonly defaults: Policy;
  readonly exemptions: Exemptions;
}

export const DEFAULT_POD_SECURITY_CONFIG: PodSecurityConfig = {
  defaults: PRIVILEGED_POLICY,
  exemptions: { usernames: [], runtimeClasses: [], namespaces: [] },
};

/**
 * Parses and validates a PodSecurityConfiguration object (as decoded from YAML or JSON); throws an
 * Error whose message lists the problems with their field paths.
 */
export function parsePodSecurityConfiguration(raw: unknown): PodSecurityConfig {
  if (!isRecord(raw)) throw new Error('the PodSecurity configuration must be an object');
  const kind = raw.kind;
  const apiVersion = raw.apiVersion;
  if (kind !== 'PodSecurityConfiguration' || typeof apiVersion !== 'string' || !API_VERSIONS.includes(apiVersion)) {
    throw new Error(
      `expected PodSecurityConfiguration in ${API_VERSIONS.join(' or ')}, got ${String(kind)} in ${String(apiVersion)}`,
    );
  }
  const errs: FieldError[] = [];
  const defaults = isRecord(raw.defaults) ? raw.defaults : {};
  const mode = (name: 'enforce' | 'audit' | 'warn'): LevelVersion => {
    const level = defaults[name] ?? 'privileged';
    const version = defaults[`${name}-version`] ?? 'latest';
    const l = parseLevel(String(level));
    const v = parseVersion(String(version));
    if (l.error) errs.push({ type: 'Invalid', field: `defaults.${name}`, badValue: level, detail: l.error });
    if (v.error) errs.push({ type: 'Invalid', field: `defaults.${name}-version`, badValue: version, detail: v.error });
    return { level: l.level, version: v.version };
  };
  const policy: Policy = { enforce: mode('enforce'), audit: mode('audit'), warn: mode('warn') };
  const ex = isRecord(raw.exemptions) ? raw.exemptions : {};
  const list = (name: keyof Exemptions): string[] => {
    const v = ex[name] ?? [];
    if (!Array.isArray(v) || v.some((s) => typeof s !== 'string')) {
      errs.push({ type: 'Invalid', field: `exemptions.${name}`, badValue: v, detail: 'must be a list of strings' });
      return [];
    }
    const seen = new Set<string>();
    v.forEach((s: string, i) => {
      if (!s)
        errs.push({ type: 'Invalid', field: `exemptions.${name}[${i}]`, badValue: s, detail: 'must be non-empty' });
      else if (seen.has(s)) errs.push({ type: 'Duplicate', field: `exemptions.${name}[${i}]`, badValue: s });
      seen.add(s);
    });
    return v as string[];
  };
  const exemptions = {
    usernames: list('usernames'),
    runtimeClasses: list('runtimeClasses'),
    namespaces: list('namespaces'),
  };
  if (errs.length) throw new Error(formatFieldErrors(errs));
  return { defaults: policy, exemptions };
}
