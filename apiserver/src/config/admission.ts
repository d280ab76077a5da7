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
// Only PodSecurity reads a configuration in mkube; other plugins' entries are accepted and unused.
import { dirname, isAbsolute, join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import {
  DEFAULT_POD_SECURITY_CONFIG,
  type PodSecurityConfig,
  parsePodSecurityConfiguration,
} from '../admission/plugins/podsecurity/config.js';
import { type ConfigProblem, readFlagFile } from './errors.js';

export const ADMISSION_CONFIG_FLAG = 'admission-control-config-file';
const API_VERSIONS = ['apiserver.config.k8s.io/v1', 'apiserver.k8s.io/v1alpha1'];

export interface AdmissionPluginConfigs {
  readonly file?: string;
  readonly podSecurity: PodSecurityConfig;
}

const isRecord = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

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
  for (const [i, p] of plugins.entries()) {
    if (!isRecord(p) || typeof p.name !== 'string' || !p.name) return bad(`plugins[${i}].name: Required value`);
    if (p.name !== 'PodSecurity') continue;
    let raw: unknown = p.configuration;
    if (raw === undefined && typeof p.path === 'string' && p.path) {
      const path = isAbsolute(p.path) ? p.path : join(dirname(file), p.path);
      const inner = readFlagFile(flag, path, problems);
      if (inner === undefined) return none;
      raw = parse(flag, path, inner, problems);
      if (raw === undefined) return none;
    }
    if (raw === undefined) continue;
    try {
      podSecurity = parsePodSecurityConfiguration(raw);
    } catch (e) {
      return bad(`plugins[${i}] (PodSecurity): ${(e as Error).message}`);
    }
  }
  return { file, podSecurity };
}
