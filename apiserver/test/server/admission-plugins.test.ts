// Two opt-in upstream admission plugins, with the real kubectl: AlwaysPullImages sets every
// container's imagePullPolicy to Always (ephemeral ones too) and refuses a pod a later mutation left
// otherwise; DenyServiceExternalIPs refuses a Service that gains an externalIP (CVE-2020-8554) and lets
// one keep those it has. Without them, nothing changes.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Pod, Service } from '@mkube/shared/api';
import { StatusError } from '@mkube/shared/apierrors';
import { alwaysPullImages } from '../../src/admission/plugins/alwayspullimages.ts';
import { denyServiceExternalIPs } from '../../src/admission/plugins/denyserviceexternalips.ts';
import type { AdmissionAttributes } from '../../src/admission/types.ts';
import { curl, type Fixture, kubectl, startFixture } from './fixture.ts';

const podJson = (name: string) =>
  JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name },
    spec: {
      initContainers: [{ name: 'init', image: 'busybox:1.36', imagePullPolicy: 'Never', command: ['true'] }],
      containers: [{ name: 'app', image: 'busybox:1.36', imagePullPolicy: 'IfNotPresent', command: ['sleep', '1'] }],
    },
  });

async function apply(fx: Fixture, json: string, args: string[] = ['create', '-f', '-']) {
  const { spawn } = await import('node:child_process');
  return new Promise<{ status: number; out: string; err: string }>((resolve) => {
    const p = spawn('kubectl', [`--kubeconfig=${fx.kubeconfig}`, ...args], {
      env: { ...process.env, KUBECONFIG: '', HOME: fx.dir },
    });
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (err += d));
    p.on('close', (status) => resolve({ status: status ?? -1, out, err }));
    p.stdin.end(json);
  });
}

describe('AlwaysPullImages and DenyServiceExternalIPs', { timeout: 60_000 }, () => {
  let on: Fixture;
  let off: Fixture;
  before(async () => {
    [on, off] = await Promise.all([
      startFixture(['--enable-admission-plugins=AlwaysPullImages,DenyServiceExternalIPs']),
      startFixture(),
    ]);
  });
  after(async () => Promise.all([on?.close(), off?.close()]));

  it('AlwaysPullImages: every container pulls Always, and an ephemeral one with a new image', async () => {
    const r = await apply(on, podJson('pulls'));
    assert.equal(r.status, 0, r.err);
    const got = await kubectl(on, [
      'get',
      'pod',
      'pulls',
      '-o',
      'jsonpath={.spec.initContainers[0].imagePullPolicy} {.spec.containers[0].imagePullPolicy}',
    ]);
    assert.equal(got.out, 'Always Always');
    const patched = await curl(on, '/api/v1/namespaces/default/pods/pulls/ephemeralcontainers', [
      '-X',
      'PATCH',
      '-H',
      'Content-Type: application/strategic-merge-patch+json',
      '-d',
      '{"spec":{"ephemeralContainers":[{"name":"dbg","image":"busybox:1.37","imagePullPolicy":"IfNotPresent"}]}}',
    ]);
    assert.equal(patched.code, 200, patched.body);
    assert.equal((JSON.parse(patched.body) as Pod).spec?.ephemeralContainers?.[0]?.imagePullPolicy, 'Always');

    assert.equal((await apply(off, podJson('pulls'))).status, 0);
    const plain = await kubectl(off, ['get', 'pod', 'pulls', '-o', 'jsonpath={.spec.containers[0].imagePullPolicy}']);
    assert.equal(plain.out, 'IfNotPresent');
  });

  it('DenyServiceExternalIPs: no new externalIP, by create or update', async () => {
    const svc = (ips?: string[]) =>
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'web' },
        spec: { ports: [{ port: 80 }], ...(ips ? { externalIPs: ips } : {}) },
      });
    const denied = await apply(on, svc(['203.0.113.7']));
    assert.notEqual(denied.status, 0);
    assert.match(
      denied.err,
      /Error from server \(Forbidden\).*services "web" is forbidden: Use of external IPs is denied by admission control/,
    );
    assert.equal((await apply(on, svc())).status, 0);
    const added = await kubectl(on, ['patch', 'service', 'web', '-p', '{"spec":{"externalIPs":["203.0.113.7"]}}']);
    assert.notEqual(added.status, 0);
    assert.match(added.err, /Use of external IPs is denied by admission control/);
    // Without the plugin (upstream's default) the same Service is taken.
    assert.equal((await apply(off, svc(['203.0.113.7']))).status, 0);
  });
});

describe('the plugins’ other halves', () => {
  const attrs = (o: Partial<AdmissionAttributes>): AdmissionAttributes =>
    ({
      operation: 'UPDATE',
      user: { username: 'u', groups: [] },
      group: '',
      version: 'v1',
      resource: 'pods',
      subresource: '',
      kind: 'Pod',
      namespace: 'default',
      name: 'x',
      object: undefined,
      oldObject: undefined,
      dryRun: false,
      ...o,
    }) as AdmissionAttributes;
  const pod = (image: string, policy: 'Always' | 'IfNotPresent'): Pod => ({
    metadata: { name: 'x' },
    spec: { containers: [{ name: 'a', image, imagePullPolicy: policy }] },
  });

  it('AlwaysPullImages refuses what a later mutation left, and leaves an update with no new image alone', async () => {
    const err = await alwaysPullImages.validate!(
      attrs({ object: pod('b:2', 'IfNotPresent'), oldObject: pod('b:1', 'Always') }),
    ).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(err instanceof StatusError);
    assert.equal(err.code, 500);
    assert.deepEqual(err.toStatus(), {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message:
        'pods "x" is forbidden: spec.containers[0].imagePullPolicy: Unsupported value: "IfNotPresent": supported values: "Always"',
      code: 500,
    });
    const same = pod('b:1', 'IfNotPresent');
    await alwaysPullImages.admit!(attrs({ object: same, oldObject: pod('b:1', 'IfNotPresent') }));
    assert.equal(same.spec?.containers[0]?.imagePullPolicy, 'IfNotPresent');
    await alwaysPullImages.validate!(attrs({ object: same, oldObject: pod('b:1', 'IfNotPresent') }));
  });

  it('DenyServiceExternalIPs lets a Service keep the externalIPs it has', async () => {
    const svc = (ips: string[]): Service => ({ metadata: { name: 'web' }, spec: { externalIPs: ips } });
    const a = { resource: 'services', kind: 'Service', name: 'web' };
    await denyServiceExternalIPs.validate!(
      attrs({ ...a, object: svc(['10.0.0.1']), oldObject: svc(['10.0.0.1', '10.0.0.2']) }),
    );
    await assert.rejects(
      denyServiceExternalIPs.validate!(attrs({ ...a, object: svc(['10.0.0.3']), oldObject: svc(['10.0.0.1']) })),
      /services "web" is forbidden: Use of external IPs is denied by admission control/,
    );
  });
});
