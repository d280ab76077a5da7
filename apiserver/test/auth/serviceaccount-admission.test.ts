// ServiceAccount admission (on by default, as upstream's): pods run as an account that must exist, take its
// pull secrets, get its token volume; mirror pods may name no account, secret or token projection.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type Fixture, kubectl, startFixture } from '../server/fixture.ts';

describe('ServiceAccount admission', () => {
  let fx: Fixture;
  before(async () => {
    // No admission flag but an empty disable list: the apiserver's default plugins (the fixture otherwise turns
    // this one off, as upstream's integration tests do).
    fx = await startFixture(['--disable-admission-plugins=']);
  });
  after(async () => fx?.close());

  it('refuses a pod whose account is missing, then defaults it to "default" once that exists', async () => {
    const file = join(fx.dir, 'pod.json');
    writeFileSync(
      file,
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'p' },
        spec: { containers: [{ name: 'c', image: 'busybox' }] },
      }),
    );
    let r = await kubectl(fx, ['create', '-f', file]);
    assert.notEqual(r.status, 0);
    assert.match(
      r.err,
      /pods "p" is forbidden: error looking up service account default\/default: serviceaccount "default" not found/,
    );
    assert.equal((await kubectl(fx, ['create', 'serviceaccount', 'default'])).status, 0);
    r = await kubectl(fx, ['create', '-f', file]);
    assert.equal(r.status, 0, r.err);
    assert.equal((await kubectl(fx, ['get', 'pod', 'p', '-o', 'jsonpath={.spec.serviceAccountName}'])).out, 'default');
  });

  it("gives a pod naming no pull secrets its account's, and its token volume", async () => {
    const sa = {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: 'puller' },
      imagePullSecrets: [{ name: 'regcred' }],
    };
    writeFileSync(join(fx.dir, 'sa.json'), JSON.stringify(sa));
    assert.equal((await kubectl(fx, ['create', '-f', join(fx.dir, 'sa.json')])).status, 0);
    const pod = (name: string, pullSecrets?: { name: string }[]) => {
      const file = join(fx.dir, `${name}.json`);
      writeFileSync(
        file,
        JSON.stringify({
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { name },
          spec: {
            serviceAccountName: 'puller',
            ...(pullSecrets ? { imagePullSecrets: pullSecrets } : {}),
            containers: [{ name: 'c', image: 'busybox' }],
          },
        }),
      );
      return file;
    };
    let r = await kubectl(fx, ['create', '-f', pod('inherits')]);
    assert.equal(r.status, 0, r.err);
    r = await kubectl(fx, [
      'get',
      'pod',
      'inherits',
      '-o',
      'jsonpath={.spec.imagePullSecrets[*].name} {.spec.containers[0].volumeMounts[0].mountPath}',
    ]);
    assert.equal(r.out, 'regcred /var/run/secrets/kubernetes.io/serviceaccount');
    r = await kubectl(fx, ['create', '-f', pod('own', [{ name: 'mine' }])]);
    assert.equal(r.status, 0, r.err);
    r = await kubectl(fx, ['get', 'pod', 'own', '-o', 'jsonpath={.spec.imagePullSecrets[*].name}']);
    assert.equal(r.out, 'mine');
  });

  it('refuses a mirror pod that names an account, a secret or a token projection', async () => {
    const mirror = (name: string, spec: Record<string, unknown>) => {
      const file = join(fx.dir, `${name}.json`);
      writeFileSync(
        file,
        JSON.stringify({
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { name, annotations: { 'kubernetes.io/config.mirror': 'hash' } },
          spec: { nodeName: 'n1', containers: [{ name: 'c', image: 'busybox' }], ...spec },
        }),
      );
      return file;
    };
    const cases: [string, Record<string, unknown>, string][] = [
      ['sa', { serviceAccountName: 'default' }, 'a mirror pod may not reference service accounts'],
      ['secret', { volumes: [{ name: 'v', secret: { secretName: 's' } }] }, 'a mirror pod may not reference secrets'],
      [
        'token',
        { volumes: [{ name: 'v', projected: { sources: [{ serviceAccountToken: { path: 't' } }] } }] },
        'a mirror pod may not use ServiceAccountToken volume projections',
      ],
    ];
    for (const [name, spec, message] of cases) {
      const r = await kubectl(fx, ['create', '-f', mirror(`mirror-${name}`, spec)]);
      assert.notEqual(r.status, 0, name);
      assert.match(r.err, new RegExp(`pods "mirror-${name}" is forbidden: ${message}`));
    }
    // Without any of them, a mirror pod needs no account and gets no token volume.
    const r = await kubectl(fx, ['create', '-f', mirror('mirror-plain', {})]);
    assert.equal(r.status, 0, r.err);
    const got = await kubectl(fx, [
      'get',
      'pod',
      'mirror-plain',
      '-o',
      'jsonpath={.spec.serviceAccountName}|{.spec.volumes}',
    ]);
    assert.equal(got.out, '|');
  });
});
