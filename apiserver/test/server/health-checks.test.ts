// /healthz, /livez and /readyz of a real apiserver: kube-apiserver's checks and post-start hooks, in
// its order, all ok once startApiServer has returned; the readiness-only checks only in /readyz; a
// check's own path, slashes and all; an excluded check in its place; and a hook whose task keeps
// failing holding readiness back until the task is done (and liveness only after --livez-grace-period).
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Service } from '@mkube/shared/api';
import { createLogger } from '@mkube/shared/log';
import { type RunningApiServer, startApiServer } from '../../src/server/server.ts';
import {
  configError,
  curl,
  curlPost,
  eventually,
  type Fixture,
  loadConfig,
  makePki,
  startFixture,
  tempDir,
} from './fixture.ts';

// kube-apiserver 1.33's /readyz?verbose (plus the encryption reload hook, which it adds first when
// --encryption-provider-config-automatic-reload is on); mkube reports a subsequence of it.
const UPSTREAM_READYZ = [
  'ping',
  'log',
  'etcd',
  'etcd-readiness',
  'kms-providers',
  'informer-sync',
  'poststarthook/start-encryption-provider-config-automatic-reload',
  'poststarthook/start-apiserver-admission-initializer',
  'poststarthook/generic-apiserver-start-informers',
  'poststarthook/priority-and-fairness-config-consumer',
  'poststarthook/priority-and-fairness-filter',
  'poststarthook/storage-object-count-tracker-hook',
  'poststarthook/start-apiextensions-informers',
  'poststarthook/start-apiextensions-controllers',
  'poststarthook/crd-informer-synced',
  'poststarthook/start-system-namespaces-controller',
  'poststarthook/start-cluster-authentication-info-controller',
  'poststarthook/start-kube-apiserver-identity-lease-controller',
  'poststarthook/start-kube-apiserver-identity-lease-garbage-collector',
  'poststarthook/start-legacy-token-tracking-controller',
  'poststarthook/start-service-ip-repair-controllers',
  'poststarthook/rbac/bootstrap-roles',
  'poststarthook/scheduling/bootstrap-system-priority-classes',
  'poststarthook/priority-and-fairness-config-producer',
  'poststarthook/bootstrap-controller',
  // Added by pkg/controlplane with MultiCIDRServiceAllocator (GA in 1.33), right after bootstrap-controller.
  'poststarthook/start-kubernetes-service-cidr-controller',
  'poststarthook/aggregator-reload-proxy-client-cert',
  'poststarthook/start-kube-aggregator-informers',
  'poststarthook/apiservice-status-local-available-controller',
  'poststarthook/apiservice-status-remote-available-controller',
  'poststarthook/apiservice-registration-controller',
  'poststarthook/apiservice-discovery-controller',
  'poststarthook/kube-apiserver-autoregistration',
  'autoregister-completion',
  'poststarthook/apiservice-openapi-controller',
  'poststarthook/apiservice-openapiv3-controller',
  'shutdown',
];
const READYZ_ONLY = ['etcd-readiness', 'informer-sync', 'shutdown'];

// What this server (RBAC, APF on, no KMS, no proxy client certificate) reports.
const EXPECTED_READYZ = [
  'ping',
  'log',
  'etcd',
  'etcd-readiness',
  'informer-sync',
  'poststarthook/generic-apiserver-start-informers',
  'poststarthook/priority-and-fairness-config-consumer',
  'poststarthook/storage-object-count-tracker-hook',
  'poststarthook/start-system-namespaces-controller',
  'poststarthook/start-cluster-authentication-info-controller',
  'poststarthook/start-kube-apiserver-identity-lease-controller',
  'poststarthook/start-kube-apiserver-identity-lease-garbage-collector',
  'poststarthook/start-legacy-token-tracking-controller',
  'poststarthook/start-service-ip-repair-controllers',
  'poststarthook/rbac/bootstrap-roles',
  'poststarthook/scheduling/bootstrap-system-priority-classes',
  'poststarthook/priority-and-fairness-config-producer',
  'poststarthook/bootstrap-controller',
  'poststarthook/start-kubernetes-service-cidr-controller',
  'poststarthook/start-kube-aggregator-informers',
  'poststarthook/apiservice-status-remote-available-controller',
  'poststarthook/apiservice-registration-controller',
  'poststarthook/kube-apiserver-autoregistration',
  'autoregister-completion',
  'shutdown',
];

/** The check names of a verbose answer, each line `[+]<name> ok`. */
function okNames(body: string, endpoint: string): string[] {
  const lines = body.trimEnd().split('\n');
  assert.equal(lines.pop(), `${endpoint} check passed`, body);
  return lines.map((l) => {
    const m = /^\[\+\](\S+) ok$/.exec(l);
    assert.ok(m, `not an ok line: ${l}`);
    return m[1]!;
  });
}

describe('health checks and post-start hooks', () => {
  let fx: Fixture;
  before(async () => {
    fx = await startFixture(['--authorization-mode=Node,RBAC']);
  });
  after(async () => fx?.close());

  it("/readyz?verbose: upstream's checks in upstream's order, all ok once started", async () => {
    const r = await curl(fx, '/readyz?verbose');
    assert.equal(r.code, 200, r.body);
    const names = okNames(r.body, 'readyz');
    assert.deepEqual(names, EXPECTED_READYZ);
    const positions = names.map((n) => UPSTREAM_READYZ.indexOf(n));
    assert.ok(!positions.includes(-1), `not upstream's: ${names.filter((_, i) => positions[i] === -1)}`);
    assert.deepEqual(
      positions,
      [...positions].sort((a, b) => a - b),
      'in upstream order',
    );
  });

  it('/livez and /healthz: the same, less the readiness-only checks', async () => {
    const want = EXPECTED_READYZ.filter((n) => !READYZ_ONLY.includes(n));
    for (const endpoint of ['livez', 'healthz']) {
      const r = await curl(fx, `/${endpoint}?verbose`);
      assert.equal(r.code, 200, r.body);
      assert.deepEqual(okNames(r.body, endpoint), want, endpoint);
    }
    assert.equal((await curl(fx, '/livez/etcd-readiness')).code, 404);
    assert.equal((await curl(fx, '/healthz/informer-sync')).code, 404);
  });

  it("a check's own path, its name's slashes and all", async () => {
    for (const path of ['/readyz/poststarthook/rbac/bootstrap-roles', '/livez/poststarthook/rbac/bootstrap-roles']) {
      const r = await curl(fx, path);
      assert.equal(r.code, 200, path);
      assert.equal(r.body, 'ok', path);
    }
    assert.equal((await curl(fx, '/readyz/informer-sync')).body, 'ok');
    assert.equal((await curl(fx, '/readyz/poststarthook/rbac')).code, 404);
    assert.equal((await curl(fx, '/readyz/poststarthook/no-such-hook')).code, 404);
  });

  it('?exclude= prints the excluded check in its place', async () => {
    const r = await curl(fx, '/readyz?verbose&exclude=poststarthook/rbac/bootstrap-roles');
    assert.equal(r.code, 200, r.body);
    const lines = r.body.split('\n');
    const at = EXPECTED_READYZ.indexOf('poststarthook/rbac/bootstrap-roles');
    assert.equal(lines[at], '[+]poststarthook/rbac/bootstrap-roles excluded: ok');
    assert.equal(lines[at - 1], '[+]poststarthook/start-service-ip-repair-controllers ok');
    assert.equal((await curl(fx, '/readyz?exclude=poststarthook/rbac/bootstrap-roles')).body, 'ok');
  });
});

describe('a post-start hook whose task keeps failing', () => {
  const dir = tempDir('apiserver-hooks');
  const pki = makePki(dir);
  const dataDir = join(dir, 'data');
  const logs: string[] = [];
  const log = createLogger({ name: 'kube-apiserver', destination: { write: (s: string) => logs.push(s) } as never });
  const start = (extra: string[] = []) =>
    startApiServer(loadConfig(pki, dataDir, ['--authorization-mode=Node,RBAC', ...extra]), {
      log,
      drainTimeoutMs: 3000,
      postStartHooksWaitMs: 500,
    });
  let server: RunningApiServer | undefined;
  after(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("is 'not finished' (and the server not ready) until the task is done", async () => {
    // Another Service takes default/kubernetes's address, so that the bootstrap controller cannot
    // create it at the next start.
    server = await start();
    let fx = { url: `https://127.0.0.1:${server.port}`, pki };
    const svc = JSON.parse((await curl(fx, '/api/v1/namespaces/default/services/kubernetes')).body) as Service;
    const ip = svc.spec!.clusterIP!;
    assert.equal((await curl(fx, '/api/v1/namespaces/default/services/kubernetes', ['-X', 'DELETE'])).code, 200);
    const squatter = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'squatter' },
      spec: { clusterIP: ip, ports: [{ port: 80 }] },
    };
    assert.equal((await curlPost(fx, '/api/v1/namespaces/default/services', squatter)).code, 201);
    await server.stop();

    // --livez-grace-period: /livez counts the unfinished hook healthy for its first 6 s; /healthz and
    // /readyz have no grace.
    const started = Date.now();
    server = await start(['--livez-grace-period=6s']);
    fx = { url: `https://127.0.0.1:${server.port}`, pki };
    const live = await curl(fx, '/livez?verbose');
    assert.equal(live.code, 200, live.body);
    assert.match(live.body, /^\[\+\]poststarthook\/bootstrap-controller ok$/m);
    const ownLive = await curl(fx, '/livez/poststarthook/bootstrap-controller');
    assert.deepEqual([ownLive.code, ownLive.body], [200, 'ok']);
    assert.equal((await curl(fx, '/healthz')).code, 500);
    const ready = await curl(fx, '/readyz?verbose');
    assert.equal(ready.code, 500, ready.body);
    assert.match(ready.body, /^\[-\]poststarthook\/bootstrap-controller failed: reason withheld$/m);
    assert.match(ready.body, /^\[\+\]poststarthook\/rbac\/bootstrap-roles ok$/m);
    assert.match(ready.body, /\nreadyz check failed\n$/);
    assert.ok(Date.now() - started < 6000, 'the checks above ran inside the grace period');
    const f0 = fx;
    await eventually('/livez to fail after the grace period', async () => (await curl(f0, '/livez')).code === 500);
    assert.ok(Date.now() - started >= 6000, `failed ${Date.now() - started} ms after the start began`);
    const own = await curl(fx, '/readyz/poststarthook/bootstrap-controller');
    assert.deepEqual([own.code, own.body], [500, 'internal server error: not finished\n']);
    assert.equal((await curl(fx, '/readyz?exclude=poststarthook/bootstrap-controller')).code, 200);
    const warned = logs.find((l) => l.includes('post-start hooks not finished; serving, not ready'));
    assert.deepEqual(JSON.parse(warned ?? '{}').hooks, ['bootstrap-controller'], warned);

    // The address freed, the controller's next pass (10 s apart) creates the Service: ready.
    assert.equal((await curl(fx, '/api/v1/namespaces/default/services/squatter', ['-X', 'DELETE'])).code, 200);
    const f = fx;
    await eventually('/readyz to pass', async () => (await curl(f, '/readyz')).body === 'ok', 25_000);
    assert.equal((await curl(fx, '/readyz/poststarthook/bootstrap-controller')).body, 'ok');
  });
});

describe('--livez-grace-period', () => {
  const dir = tempDir('apiserver-livez-grace');
  const pki = makePki(dir);
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('is 0 by default; a negative one is a start-up error naming the flag', () => {
    assert.equal(loadConfig(pki, join(dir, 'data'), []).livezGracePeriodMs, 0);
    assert.equal(loadConfig(pki, join(dir, 'data'), ['--livez-grace-period=1m30s']).livezGracePeriodMs, 90_000);
    const m = configError(() => loadConfig(pki, join(dir, 'data'), ['--livez-grace-period=-1s']));
    assert.match(m, /--livez-grace-period: can not be a negative value/);
  });
});
