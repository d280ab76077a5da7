// PodSecurity's audit mode and its configuration file: audit annotations in the audit log, the
// cluster-wide defaults and the namespace exemption of a PodSecurityConfiguration given by
// --admission-control-config-file, and the start-up error of a bad one.
import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { AuditEvent } from '../../src/audit/index.ts';
import { configError, type Fixture, kubectl, loadConfig, makePki, startFixture, tempDir } from './fixture.ts';

const POLICY = `apiVersion: audit.k8s.io/v1
kind: Policy
rules:
- level: Metadata
  resources: [{group: "", resources: ["pods", "namespaces"]}]
- level: None
`;

const ADMISSION_CONFIG = `apiVersion: apiserver.config.k8s.io/v1
kind: AdmissionConfiguration
plugins:
- name: PodSecurity
  path: podsecurity.yaml
`;
const podSecurityConfig = (
  defaults: string,
  exemptNamespaces: string[],
) => `apiVersion: pod-security.admission.config.k8s.io/v1
kind: PodSecurityConfiguration
defaults: ${defaults}
exemptions:
  usernames: []
  runtimeClasses: []
  namespaces: ${JSON.stringify(exemptNamespaces)}
`;

const pod = (ns: string, name: string, privileged: boolean) => `apiVersion: v1
kind: Pod
metadata: {name: ${name}, namespace: ${ns}}
spec:
  containers:
  - name: c
    image: busybox
${privileged ? '    securityContext: {privileged: true}\n' : ''}`;

const made: string[] = [];
after(() => {
  for (const d of made) rmSync(d, { recursive: true, force: true });
});

describe('PodSecurity audit annotations and configuration', () => {
  let fx: Fixture;
  let log: string;
  const k = (args: string[]) => kubectl(fx, args);
  const file = (name: string, text: string) => {
    const f = join(fx.dir, name);
    writeFileSync(f, text);
    return f;
  };
  /** The annotations of the ResponseComplete event of a create of pods/<name>. */
  const annotationsOf = (ns: string, name: string): Record<string, string> | undefined => {
    const events = readFileSync(log, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as AuditEvent);
    const e = events.find(
      (ev) =>
        ev.stage === 'ResponseComplete' &&
        ev.verb === 'create' &&
        ev.objectRef?.resource === 'pods' &&
        ev.objectRef.namespace === ns &&
        ev.objectRef.name === name,
    );
    return e?.annotations as Record<string, string> | undefined;
  };

  before(async () => {
    const dir = tempDir('podsecurity-audit');
    made.push(dir);
    const policy = join(dir, 'policy.yaml');
    writeFileSync(policy, POLICY);
    writeFileSync(join(dir, 'admission.yaml'), ADMISSION_CONFIG);
    writeFileSync(
      join(dir, 'podsecurity.yaml'),
      podSecurityConfig('{enforce: baseline, audit: restricted, audit-version: latest}', ['free']),
    );
    log = join(dir, 'audit.log');
    fx = await startFixture([
      `--audit-policy-file=${policy}`,
      `--audit-log-path=${log}`,
      `--admission-control-config-file=${join(dir, 'admission.yaml')}`,
    ]);
    const r = await k([
      'create',
      '-f',
      file(
        'ns.yaml',
        'apiVersion: v1\nkind: Namespace\nmetadata: {name: open, labels: {pod-security.kubernetes.io/enforce: privileged}}\n',
      ),
    ]);
    assert.equal(r.status, 0, r.err);
  });
  after(async () => fx?.close());

  it('the configured defaults apply to a namespace without labels; audit violations are annotated', async () => {
    const refused = await k(['create', '-f', file('p1.yaml', pod('default', 'priv', true))]);
    assert.match(
      refused.err,
      /pods "priv" is forbidden: violates PodSecurity "baseline:latest": privileged \(container "c" must not set securityContext\.privileged=true\)/,
    );
    const created = await k(['create', '-f', file('p2.yaml', pod('default', 'plain', false))]);
    assert.equal(created.status, 0, created.err);
    const a = annotationsOf('default', 'plain');
    assert.equal(a?.['pod-security.kubernetes.io/enforce-policy'], 'baseline:latest');
    assert.equal(
      a?.['pod-security.kubernetes.io/audit-violations'],
      'would violate PodSecurity "restricted:latest": allowPrivilegeEscalation != false (container "c" must set securityContext.allowPrivilegeEscalation=false), unrestricted capabilities (container "c" must set securityContext.capabilities.drop=["ALL"]), runAsNonRoot != true (pod or container "c" must set securityContext.runAsNonRoot=true), seccompProfile (pod or container "c" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")',
    );
    // The refused create is audited with its violations too.
    const refusedAnnotations = annotationsOf('default', 'priv');
    assert.match(
      refusedAnnotations?.['pod-security.kubernetes.io/audit-violations'] ?? '',
      /^would violate PodSecurity "restricted:latest": privileged /,
    );
  });

  it('a namespace label overrides the defaults', async () => {
    const r = await k(['create', '-f', file('p3.yaml', pod('open', 'priv', true))]);
    assert.equal(r.status, 0, r.err);
    const a = annotationsOf('open', 'priv');
    assert.equal(a?.['pod-security.kubernetes.io/enforce-policy'], 'privileged:latest');
    assert.match(a?.['pod-security.kubernetes.io/audit-violations'] ?? '', /"restricted:latest": privileged \(/);
  });

  it('an exempt namespace is not judged, and labelling it says the policy is ignored', async () => {
    const created = await k([
      'create',
      '-f',
      file(
        'free.yaml',
        'apiVersion: v1\nkind: Namespace\nmetadata: {name: free, labels: {pod-security.kubernetes.io/enforce: restricted}}\n',
      ),
    ]);
    assert.equal(created.status, 0, created.err);
    assert.equal(
      created.err,
      'Warning: namespace "free" is exempt from Pod Security, and the policy (enforce=restricted:latest) will be ignored\n',
    );
    const r = await k(['create', '-f', file('p4.yaml', pod('free', 'priv', true))]);
    assert.equal(r.status, 0, r.err);
    assert.equal(r.err, '');
    assert.deepEqual(
      Object.entries(annotationsOf('free', 'priv') ?? {}).filter(([key]) => key.startsWith('pod-security')),
      [['pod-security.kubernetes.io/exempt', 'namespace']],
    );
  });

  it('a bad PodSecurityConfiguration stops the apiserver from starting', () => {
    const dir = tempDir('podsecurity-config');
    made.push(dir);
    const pki = makePki(dir);
    const admission = join(dir, 'admission.yaml');
    writeFileSync(admission, ADMISSION_CONFIG);
    writeFileSync(join(dir, 'podsecurity.yaml'), podSecurityConfig('{enforce: strict, warn-version: "1.30"}', []));
    const message = configError(() =>
      loadConfig(pki, join(dir, 'data'), [`--admission-control-config-file=${admission}`]),
    );
    assert.equal(
      message,
      `--admission-control-config-file ${JSON.stringify(admission)}: plugins[0] (PodSecurity): [defaults.enforce: Invalid value: "strict": must be one of privileged, baseline, restricted, defaults.warn-version: Invalid value: "1.30": must be "latest" or "v1.x"]`,
    );
  });
});
