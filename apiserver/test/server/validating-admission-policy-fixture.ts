// Helpers of the ValidatingAdmissionPolicy suites: a real apiserver (RBAC, an audit log), policies
// and bindings written as YAML for real kubectl, each test in its own labelled namespace so that its
// policies select only its own requests, and a bounded wait for the policy caches to catch up.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { AuditEvent } from '../../src/audit/index.ts';
import { curl, type Fixture, kubectl, startFixture } from './fixture.ts';

// biome-ignore lint/suspicious/noExplicitAny: objects and Status bodies are read field by field
export type Json = any;

export const API = '/apis/admissionregistration.k8s.io/v1';

const AUDIT_POLICY = `apiVersion: audit.k8s.io/v1
kind: Policy
rules:
- level: None
  nonResourceURLs: ["/healthz*", "/readyz*", "/livez*", "/version"]
- level: Metadata
  resources: [{group: "", resources: ["configmaps"]}]
- level: None
`;

export interface Env {
  readonly f: Fixture;
  readonly auditLog: string;
  close(): Promise<void>;
}

export async function startEnv(): Promise<Env> {
  let auditLog = '';
  const f = await startFixture((pki) => {
    const policy = join(pki.dir, 'audit-policy.yaml');
    writeFileSync(policy, AUDIT_POLICY);
    auditLog = join(pki.dir, 'audit.log');
    return ['--authorization-mode=RBAC', `--audit-policy-file=${policy}`, `--audit-log-path=${auditLog}`];
  });
  return { f, auditLog, close: () => f.close() };
}

/** The ResponseComplete audit events of requests on the named configmap. */
export function auditEvents(env: Env, name: string): AuditEvent[] {
  return readFileSync(env.auditLog, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as AuditEvent)
    .filter((e) => e.stage === 'ResponseComplete' && e.objectRef?.name === name);
}

let files = 0;

/** `kubectl <verb> -f` of the objects, written as one multi-document YAML file. */
export async function kubectlFile(env: Env, verb: string, objects: Json[], kubeconfig?: string) {
  const path = join(env.f.dir, `objects-${++files}.yaml`);
  writeFileSync(path, objects.map((o) => stringify(o)).join('---\n'));
  const f = kubeconfig ? { ...env.f, kubeconfig } : env.f;
  return kubectl(f, [verb, '-f', path]);
}

/** A JSON request with the admin's certificate; `headers` are the response's, lower-cased. */
export async function api(env: Env, method: string, path: string, body?: unknown) {
  const args = ['-X', method, '-H', 'Content-Type: application/json', '-D', '-'];
  if (body !== undefined) args.push('--data-binary', JSON.stringify(body));
  const r = await curl(env.f, path, args);
  const split = r.body.indexOf('\r\n\r\n');
  const head = r.body.slice(0, split);
  const text = r.body.slice(split + 4);
  const headers: Record<string, string[]> = {};
  for (const line of head.split('\r\n').slice(1)) {
    const i = line.indexOf(':');
    const k = line.slice(0, i).toLowerCase();
    headers[k] = [...(headers[k] ?? []), line.slice(i + 1).trim()];
  }
  return { code: r.code, body: text ? JSON.parse(text) : undefined, headers };
}

/** Polls `check` until it holds (the policy caches follow the store by a watch), at most `ms`. */
export async function until(check: () => Promise<boolean>, ms = 3000): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Creates the objects, then waits until `probe` (a configmap in `ns`) is refused: the policy is in force. */
export async function enforce(env: Env, objects: Json[], ns: string, probe: Json): Promise<void> {
  const r = await kubectlFile(env, 'create', objects);
  assert.equal(r.status, 0, r.err);
  const active = await until(async () => (await api(env, 'POST', `${cmPath(ns)}?dryRun=All`, probe)).code >= 400);
  assert.ok(active, 'the policy never came into force');
}

export const configMap = (name: string, data?: Record<string, string>, labels?: Record<string, string>) => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, ...(labels ? { labels } : {}) },
  ...(data ? { data } : {}),
});

/** A namespace labelled for one test, so that the test's policies select its requests only. */
export const namespace = (name: string, labels: Record<string, string> = {}) => ({
  apiVersion: 'v1',
  kind: 'Namespace',
  metadata: { name, labels: { 'vap-test': name, ...labels } },
});

/** CREATE/UPDATE of configmaps in the test's namespace, unless `spec` says otherwise. */
export function policy(name: string, test: string, spec: Json): Json {
  return {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingAdmissionPolicy',
    metadata: { name },
    spec: {
      matchConstraints: {
        resourceRules: [
          { apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE', 'UPDATE'], resources: ['configmaps'] },
        ],
        namespaceSelector: { matchLabels: { 'vap-test': test } },
      },
      ...spec,
    },
  };
}

export function binding(name: string, policyName: string, spec: Json = {}): Json {
  return {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingAdmissionPolicyBinding',
    metadata: { name },
    spec: { policyName, validationActions: ['Deny'], ...spec },
  };
}

export const cmPath = (ns: string, name = '') => `/api/v1/namespaces/${ns}/configmaps${name ? `/${name}` : ''}`;
