// CONNECT admission against a real apiserver and a real HTTPS webhook: pods/exec, attach and
// portforward and nodes/proxy are admitted before anything is dialled, with the versioned options
// (PodExecOptions, …) as the object, so a webhook can refuse `kubectl exec` of a shell. pods/log is
// a GET and never reaches a CONNECT webhook.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import {
  answer,
  api,
  applyYaml,
  configuration,
  type Env,
  type Json,
  reviews,
  startEnv,
} from './admission-webhook-fixture.ts';
import { curl, kubectl, kubectlBinary } from './fixture.ts';

const SHELLS = new Set(['sh', 'bash', '/bin/sh', '/bin/bash']);

describe('admission of CONNECT requests (exec, attach, port-forward, node proxy)', () => {
  let env: Env;
  before(async () => {
    env = await startEnv();
    env.wh.respond = (review) => {
      const o = review.request.object ?? {};
      // Exec of anything but a shell passes; every attach, port-forward and node proxy is refused.
      const deny = o.kind === 'PodExecOptions' ? SHELLS.has(o.command?.[0]) : true;
      return {
        json: answer(review, {
          allowed: !deny,
          ...(deny ? { result: { message: `${o.kind} of ${review.request.name} refused`, code: 403 } } : {}),
        }),
      };
    };
    const applied = await applyYaml(env, 'connect.yaml', [
      configuration(env, 'Validating', 'connect', [
        {
          name: 'connect.example.com',
          path: '/connect',
          operations: ['CONNECT'],
          resources: ['pods/exec', 'pods/attach', 'pods/portforward', 'nodes/proxy'],
        },
      ]),
      {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'p1', namespace: 'default' },
        spec: { containers: [{ name: 'c', image: 'x' }] },
      },
      { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1' } },
    ]);
    assert.equal(applied.status, 0, applied.err);
    // The configuration cache is watch-fed.
    await new Promise((r) => setTimeout(r, 300));
  });
  after(async () => {
    await env?.close();
  });
  beforeEach(() => {
    env.wh.requests.length = 0;
  });
  const k = (args: string[], bin?: string) => kubectl(env.f, args, bin);

  it('kubectl exec of a shell is refused by the webhook; the review carries PodExecOptions as upstream sends it', async () => {
    const r = await k(['exec', 'p1', '--', 'sh', '-c', 'id']);
    assert.notEqual(r.status, 0);
    assert.match(r.err, /admission webhook "connect\.example\.com" denied the request: PodExecOptions of p1 refused/);
    const [review] = reviews(env.wh, '/connect') as Json[];
    assert.ok(review, 'the webhook was not called');
    const q = review.request;
    assert.equal(q.operation, 'CONNECT');
    assert.deepEqual(q.kind, { group: '', version: 'v1', kind: 'PodExecOptions' });
    assert.deepEqual(q.resource, { group: '', version: 'v1', resource: 'pods' });
    assert.equal(q.subResource, 'exec');
    assert.equal(q.name, 'p1');
    assert.equal(q.namespace, 'default');
    assert.equal(q.userInfo.username, 'kubernetes-admin');
    assert.equal(q.object.apiVersion, 'v1');
    assert.equal(q.object.container, 'c');
    assert.deepEqual(q.object.command, ['sh', '-c', 'id']);
    assert.equal(q.object.stdout, true);
    assert.equal(q.oldObject, null);
    assert.equal(q.options, null);
  });

  it('the same refusal over curl is the webhook’s 403 Status, before the pod is looked up', async () => {
    const r = await curl(env.f, '/api/v1/namespaces/default/pods/nope/exec?command=bash&stdout=true', ['-X', 'POST']);
    assert.equal(r.code, 403, r.body);
    const s = JSON.parse(r.body);
    assert.equal(s.kind, 'Status');
    assert.equal(
      s.message,
      'admission webhook "connect.example.com" denied the request: PodExecOptions of nope refused',
    );
  });

  it('an allowed exec goes on to the pod (which has no node here), so admission did not stop it', async () => {
    const r = await k(['exec', 'p1', '--', 'date']);
    assert.notEqual(r.status, 0);
    assert.match(r.err, /pod p1 does not have a host assigned/);
    assert.ok(reviews(env.wh, '/connect').length >= 1);
  });

  it('kubectl attach and port-forward (current and 1.27 kubectl) are admitted as PodAttachOptions and PodPortForwardOptions', async () => {
    const attach = await k(['attach', 'p1', '-c', 'c']);
    assert.notEqual(attach.status, 0);
    assert.match(attach.err, /denied the request: PodAttachOptions of p1 refused/);
    // kubectl port-forward dials only a Running pod.
    const running = await k([
      'patch',
      'pod',
      'p1',
      '--subresource=status',
      '--type=merge',
      '-p',
      '{"status":{"phase":"Running"}}',
    ]);
    assert.equal(running.status, 0, running.err);
    for (const bin of ['kubectl', kubectlBinary(27)]) {
      const pf = await k(['port-forward', 'pod/p1', ':80', '--pod-running-timeout=5s'], bin);
      assert.notEqual(pf.status, 0, `${bin}: ${pf.out}`);
      assert.match(pf.err + pf.out, /PodPortForwardOptions of p1 refused/, bin);
    }
    const kinds = reviews(env.wh, '/connect').map((r: Json) => `${r.request.subResource}:${r.request.object.kind}`);
    assert.ok(kinds.includes('attach:PodAttachOptions'), kinds.join(' '));
    assert.ok(kinds.includes('portforward:PodPortForwardOptions'), kinds.join(' '));
  });

  it('nodes/proxy is admitted as NodeProxyOptions with the proxied path', async () => {
    const r = await api(env, 'GET', '/api/v1/nodes/n1/proxy/metrics/cadvisor');
    assert.equal(r.code, 403, r.raw);
    assert.match(r.body.message, /NodeProxyOptions of n1 refused/);
    const [review] = reviews(env.wh, '/connect') as Json[];
    assert.deepEqual(review.request.kind, { group: '', version: 'v1', kind: 'NodeProxyOptions' });
    assert.equal(review.request.subResource, 'proxy');
    assert.deepEqual(review.request.object, { apiVersion: 'v1', kind: 'NodeProxyOptions', path: 'metrics/cadvisor' });
  });

  it('pods/log is a GET, not a CONNECT: the webhook is not asked', async () => {
    const r = await k(['logs', 'p1']);
    assert.notEqual(r.status, 0);
    assert.equal(reviews(env.wh, '/connect').length, 0);
  });
});
