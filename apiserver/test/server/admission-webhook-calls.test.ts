// Admission webhook calls against a real apiserver and a real HTTPS webhook: JSONPatch mutations in
// order with reinvocation (IfNeeded), failurePolicy Fail and Ignore with the webhook down, a
// webhook slower than its timeoutSeconds, and a service reference that resolves to nothing.
import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import {
  answer,
  api,
  applyYaml,
  closedPort,
  configMap,
  configuration,
  type Env,
  removeConfiguration,
  reviews,
  startEnv,
} from './admission-webhook-fixture.ts';
import { kubectl, tempDir } from './fixture.ts';

const CMS = '/api/v1/namespaces/default/configmaps';
const AUDIT_POLICY = `apiVersion: audit.k8s.io/v1
kind: Policy
rules:
- level: Metadata
  resources: [{group: "", resources: ["configmaps"]}]
- level: None
`;

describe('admission webhook calls', () => {
  let env: Env;
  let auditLog: string;
  let auditDir: string;
  before(async () => {
    auditDir = tempDir('webhook-audit');
    auditLog = join(auditDir, 'audit.log');
    writeFileSync(join(auditDir, 'policy.yaml'), AUDIT_POLICY);
    env = await startEnv([`--audit-policy-file=${join(auditDir, 'policy.yaml')}`, `--audit-log-path=${auditLog}`]);
  });
  after(async () => {
    await env?.close();
    rmSync(auditDir, { recursive: true, force: true });
  });
  beforeEach(() => {
    env.wh.requests.length = 0;
  });
  const k = (args: string[], bin?: string) => kubectl(env.f, args, bin);

  it('mutating webhooks patch the object in order, and an IfNeeded webhook runs again after a later change', async () => {
    const patch = (ops: unknown[]) => ({
      patchType: 'JSONPatch',
      patch: Buffer.from(JSON.stringify(ops)).toString('base64'),
    });
    env.wh.respond = (review, req) => {
      const obj = review.request.object;
      const path = req.path.split('?')[0];
      let ops: unknown[] = [];
      if (path === '/label' && !obj.metadata.labels?.mutated) {
        ops = obj.metadata.labels
          ? [{ op: 'add', path: '/metadata/labels/mutated', value: 'yes' }]
          : [{ op: 'add', path: '/metadata/labels', value: { mutated: 'yes' } }];
      }
      if (path === '/annotate') {
        const seen = String(obj.metadata.labels?.mutated ?? 'no');
        ops = [{ op: 'add', path: '/metadata/annotations', value: { seen } }];
      }
      const audit = path === '/label' ? { auditAnnotations: { decision: 'labelled' } } : {};
      return { json: answer(review, { ...audit, ...(ops.length ? patch(ops) : {}) }) };
    };
    // Configurations run by name: a-annotate first, b-label after it; a-annotate is IfNeeded.
    const applied = await applyYaml(env, 'mutating.yaml', [
      configuration(env, 'Mutating', 'a-annotate', [
        { name: 'annotate.example.com', path: '/annotate', extra: { reinvocationPolicy: 'IfNeeded' } },
      ]),
      configuration(env, 'Mutating', 'b-label', [{ name: 'label.example.com', path: '/label' }]),
    ]);
    assert.equal(applied.status, 0, applied.err);
    const created = await k(['create', 'configmap', 'patched']);
    assert.equal(created.status, 0, created.err);
    const yaml = (await k(['get', 'configmap', 'patched', '-o', 'yaml'])).out;
    assert.match(yaml, /labels:\n\s+mutated: "yes"\n/);
    assert.match(yaml, /annotations:\n\s+seen: "yes"\n/);
    const annotate = reviews(env.wh, '/annotate');
    assert.equal(annotate.length, 2, 'annotate.example.com is reinvoked');
    assert.equal(annotate[0].request.object.metadata.labels, undefined);
    assert.equal(annotate[1].request.object.metadata.labels.mutated, 'yes');
    assert.equal(reviews(env.wh, '/label').length, 1);
    // The audit event: which webhook mutated in which round, and the webhook's own annotation.
    const event = readFileSync(auditLog, 'utf8')
      .split('\n')
      .filter((l) => l)
      .map((l) => JSON.parse(l))
      .find((e) => e.stage === 'ResponseComplete' && e.verb === 'create' && e.objectRef?.name === 'patched');
    assert.deepEqual(
      event?.annotations?.['mutation.webhook.admission.k8s.io/round_0_index_0'],
      JSON.stringify({ configuration: 'a-annotate', webhook: 'annotate.example.com', mutated: true }),
    );
    assert.deepEqual(
      event?.annotations?.['mutation.webhook.admission.k8s.io/round_0_index_1'],
      JSON.stringify({ configuration: 'b-label', webhook: 'label.example.com', mutated: true }),
    );
    assert.deepEqual(
      event?.annotations?.['mutation.webhook.admission.k8s.io/round_1_index_0'],
      JSON.stringify({ configuration: 'a-annotate', webhook: 'annotate.example.com', mutated: true }),
    );
    assert.equal(event?.annotations?.['label.example.com/decision'], 'labelled');

    // A patch that does not apply fails the request (not subject to the failure policy).
    env.wh.respond = (review) => ({
      json: answer(review, patch([{ op: 'replace', path: '/metadata/labels/nosuch', value: 'x' }])),
    });
    const failed = await api(env, 'POST', CMS, configMap('unpatchable'));
    assert.equal(failed.code, 500, failed.raw);
    assert.equal(failed.body.reason, 'InternalError');
    assert.equal(await removeConfiguration(env, 'Mutating', 'a-annotate'), 200);
    assert.equal(await removeConfiguration(env, 'Mutating', 'b-label'), 200);
  });

  it('failurePolicy Fail refuses when the webhook cannot be called, Ignore lets the request through; timeouts and services', async () => {
    const port = await closedPort();
    const down = `https://127.0.0.1:${port}/down`;
    env.wh.respond = (review) => ({ delayMs: 5000, json: answer(review) });
    const applied = await applyYaml(env, 'failing.yaml', [
      configuration(env, 'Validating', 'failing', [
        { name: 'fail.example.com', url: down, resources: ['configmaps'] },
        { name: 'ignore.example.com', url: down, resources: ['secrets'], extra: { failurePolicy: 'Ignore' } },
        { name: 'slow.example.com', path: '/slow', resources: ['serviceaccounts'], extra: { timeoutSeconds: 1 } },
        {
          name: 'svc.example.com',
          service: { namespace: 'default', name: 'nosuch', path: '/check' },
          resources: ['events'],
        },
        // Even a webhook for the configurations themselves is never called for them: 'failing' stays removable.
        {
          name: 'all.example.com',
          url: down,
          extra: {
            rules: [
              { operations: ['*'], apiGroups: ['admissionregistration.k8s.io'], apiVersions: ['*'], resources: ['*'] },
            ],
          },
        },
      ]),
    ]);
    assert.equal(applied.status, 0, applied.err);

    const started = Date.now();
    const [failed, ignored, slow, svc] = await Promise.all([
      k(['create', 'configmap', 'unreachable']),
      k(['create', 'secret', 'generic', 'through', '--from-literal=k=v']),
      api(env, 'POST', '/api/v1/namespaces/default/serviceaccounts', { metadata: { name: 'slow' } }),
      api(env, 'POST', '/api/v1/namespaces/default/events', {
        metadata: { name: 'e1' },
        involvedObject: { kind: 'Pod', name: 'p', namespace: 'default' },
        reason: 'Test',
      }),
    ]);
    assert.ok(Date.now() - started < 4500, 'the slow webhook was given up after timeoutSeconds');
    assert.notEqual(failed.status, 0);
    assert.equal(
      failed.err,
      `error: failed to create configmap: Internal error occurred: failed calling webhook "fail.example.com": failed to call webhook: Post "${down}?timeout=10s": dial tcp 127.0.0.1:${port}: connect: connection refused\n`,
    );
    assert.equal(ignored.status, 0, ignored.err);
    assert.ok(env.f.logs.some((l) => l.includes('failing open') && l.includes('ignore.example.com')));
    assert.ok(!env.f.logs.some((l) => l.includes('"through"') || l.includes('dg==')), 'no object in the log');
    assert.equal(slow.code, 500, slow.raw);
    assert.equal(
      slow.body.message,
      `Internal error occurred: failed calling webhook "slow.example.com": failed to call webhook: Post "${env.wh.url}/slow?timeout=1s": context deadline exceeded`,
    );
    assert.deepEqual(slow.body.details, {
      causes: [{ message: slow.body.message.slice('Internal error occurred: '.length) }],
    });
    assert.equal(svc.code, 500, svc.raw);
    assert.equal(
      svc.body.message,
      'Internal error occurred: failed calling webhook "svc.example.com": failed to call webhook: Post "https://nosuch.default.svc:443/check?timeout=10s": service "nosuch" not found',
    );
    assert.equal(await removeConfiguration(env, 'Validating', 'failing'), 200);
  });
});
