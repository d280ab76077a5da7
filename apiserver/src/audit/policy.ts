// --audit-policy-file: loaded and validated as k8s.io/apiserver's policy reader and validation do,
// then evaluated per request as its checker: the first rule whose every given criterion matches
// decides the level; no rule matching means None.
import { readFileSync } from 'node:fs';
import type { Attributes } from '@mkube/shared/auth';
import { parse as parseYaml } from 'yaml';
import {
  LEVELS,
  type Level,
  type Policy,
  type PolicyRule,
  type RequestAuditConfig,
  STAGES,
  type Stage,
} from './types.js';

const API_VERSIONS = ['audit.k8s.io/v1', 'audit.k8s.io/v1beta1'];

function validateStages(stages: unknown, path: string, problems: string[]): void {
  if (stages === undefined) return;
  if (!Array.isArray(stages)) {
    problems.push(`${path}: must be a list of stages`);
    return;
  }
  for (const [i, s] of stages.entries()) {
    if (!(STAGES as readonly unknown[]).includes(s)) {
      problems.push(
        `${path}[${i}]: Unsupported value: ${JSON.stringify(s)}: supported values: ${STAGES.map((x) => `"${x}"`).join(', ')}`,
      );
    }
  }
}

function stringList(v: unknown, path: string, problems: string[]): void {
  if (v !== undefined && !(Array.isArray(v) && v.every((x) => typeof x === 'string'))) {
    problems.push(`${path}: must be a list of strings`);
  }
}

function validateRule(r: PolicyRule, path: string, problems: string[]): void {
  if (!r || typeof r !== 'object') {
    problems.push(`${path}: must be an object`);
    return;
  }
  if (!r.level) problems.push(`${path}.level: Required value`);
  else if (!LEVELS.includes(r.level)) {
    problems.push(
      `${path}.level: Unsupported value: ${JSON.stringify(r.level)}: supported values: ${LEVELS.map((l) => `"${l}"`).join(', ')}`,
    );
  }
  for (const f of ['users', 'userGroups', 'verbs', 'namespaces', 'nonResourceURLs'] as const)
    stringList(r[f], `${path}.${f}`, problems);
  if (r.nonResourceURLs?.length && (r.resources?.length || r.namespaces?.length)) {
    problems.push(
      `${path}.nonResourceURLs: Invalid value: ${JSON.stringify(r.nonResourceURLs)}: rules cannot apply to both regular resources and non-resource URLs`,
    );
  }
  for (const [i, u] of (r.nonResourceURLs ?? []).entries()) {
    if (u === '*') continue;
    if (!u.startsWith('/'))
      problems.push(
        `${path}.nonResourceURLs[${i}]: Invalid value: "${u}": non-resource URL rules must begin with a '/' character`,
      );
    if (u.slice(0, -1).includes('*'))
      problems.push(
        `${path}.nonResourceURLs[${i}]: Invalid value: "${u}": non-resource URL wildcards '*' must be the final character of the rule`,
      );
  }
  if (r.resources !== undefined && !Array.isArray(r.resources)) problems.push(`${path}.resources: must be a list`);
  for (const [i, g] of (Array.isArray(r.resources) ? r.resources : []).entries()) {
    stringList(g?.resources, `${path}.resources[${i}].resources`, problems);
    stringList(g?.resourceNames, `${path}.resources[${i}].resourceNames`, problems);
    if (g?.group?.includes('/'))
      problems.push(`${path}.resources[${i}].group: Invalid value: "${g.group}": group name must not contain '/'`);
    for (const [j, res] of (g?.resources ?? []).entries()) {
      if (g?.resourceNames?.length && (res === '*' || res.startsWith('*/'))) {
        problems.push(
          `${path}.resources[${i}].resourceNames: Invalid value: ${JSON.stringify(g.resourceNames)}: using resource names requires a specific resource, not "${res}" (resources[${j}])`,
        );
      }
    }
  }
  validateStages(r.omitStages, `${path}.omitStages`, problems);
}

/** Reads and checks the policy; throws an Error naming the file and each problem. */
export function loadPolicy(file: string): Policy {
  let doc: unknown;
  try {
    doc = parseYaml(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(`${file}: ${(e as Error).message}`);
  }
  const p = doc as Policy;
  const problems: string[] = [];
  if (!p || typeof p !== 'object') throw new Error(`${file}: not an audit Policy`);
  if (p.kind !== 'Policy') problems.push(`kind: must be Policy, not ${JSON.stringify(p.kind)}`);
  if (!API_VERSIONS.includes(p.apiVersion))
    problems.push(`apiVersion: must be one of ${API_VERSIONS.join(', ')}, not ${JSON.stringify(p.apiVersion)}`);
  if (!Array.isArray(p.rules) || p.rules.length === 0) {
    problems.push('loaded illegal policy with 0 rules');
  } else {
    for (const [i, r] of p.rules.entries()) validateRule(r, `rules[${i}]`, problems);
  }
  validateStages(p.omitStages, 'omitStages', problems);
  if (problems.length) throw new Error(`${file}: ${problems.join('; ')}`);
  return p;
}

const has = (list: readonly string[] | undefined, v: string) => !!list?.includes(v);

function pathMatches(path: string, spec: string): boolean {
  if (spec === '*' || spec === path) return true;
  return spec.endsWith('*') && path.startsWith(spec.replace(/\*+$/, ''));
}

function matchesResource(r: PolicyRule, a: Attributes): boolean {
  if (!a.isResourceRequest) return false;
  // Cluster-scoped resources have the namespace "".
  if (r.namespaces?.length && !has(r.namespaces, a.namespace)) return false;
  if (!r.resources?.length) return true;
  const combined = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
  for (const gr of r.resources) {
    if ((gr.group ?? '') !== a.apiGroup) continue;
    if (!gr.resources?.length) return true;
    if (gr.resourceNames?.length && !has(gr.resourceNames, a.name)) continue;
    for (const res of gr.resources) {
      if (res === combined || res === '*') return true;
      if (a.subresource && res.startsWith('*/') && res.slice(2) === a.subresource) return true;
      if (res.endsWith('/*') && res.slice(0, -2) === a.resource) return true;
    }
  }
  return false;
}

/** An unauthenticated request has no user: rules naming users or groups do not match it. */
function ruleMatches(r: PolicyRule, a: Attributes, authenticated: boolean): boolean {
  if (r.users?.length && !(authenticated && has(r.users, a.user.username))) return false;
  if (r.userGroups?.length && !(authenticated && (a.user.groups ?? []).some((g) => has(r.userGroups, g)))) return false;
  if (r.verbs?.length && !has(r.verbs, a.verb)) return false;
  if (r.namespaces?.length || r.resources?.length) return matchesResource(r, a);
  if (r.nonResourceURLs?.length) return !a.isResourceRequest && r.nonResourceURLs.some((s) => pathMatches(a.path, s));
  return true;
}

const NONE: RequestAuditConfig = { level: 'None', omitStages: new Set() };

export class PolicyRuleEvaluator {
  private readonly policyStages: readonly Stage[];

  constructor(private readonly policy: Policy) {
    this.policyStages = policy.omitStages ?? [];
  }

  evaluate(a: Attributes, authenticated = true): RequestAuditConfig {
    for (const r of this.policy.rules) {
      if (!ruleMatches(r, a, authenticated)) continue;
      return { level: r.level as Level, omitStages: new Set([...this.policyStages, ...(r.omitStages ?? [])]) };
    }
    return NONE;
  }
}
