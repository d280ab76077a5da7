// `kubectl get componentstatuses` against a real apiserver and controller-manager: the apiserver
// probes the controller-manager's secure port (Healthy, "ok"), a scheduler that is not running
// (Unhealthy, with Go's connection error) and its storage (etcd-0), as kube-apiserver does.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { kubectl } from '../../apiserver/test/server/fixture.ts';
import { freePort } from '../../e2e/src/harness.ts';
import { type Cluster, startCluster } from './fixture.ts';

describe('componentstatuses', () => {
  let cl: Cluster;
  let kcmPort: number;
  let schedulerPort: number;

  before(async () => {
    kcmPort = await freePort();
    schedulerPort = await freePort();
    cl = await startCluster([], { componentPorts: { controllerManager: kcmPort, scheduler: schedulerPort } });
    await cl.startKcm(['--leader-elect=false', `--secure-port=${kcmPort}`, '--bind-address=127.0.0.1']);
  });
  after(async () => cl?.close());

  it('kubectl get cs: the controller-manager Healthy, no scheduler Unhealthy, the storage Healthy', async () => {
    const r = await kubectl(cl.fx, ['get', 'cs']);
    assert.equal(r.status, 0, r.err);
    assert.match(r.err, /Warning: v1 ComponentStatus is deprecated in v1\.19\+/);
    const rows = Object.fromEntries(
      r.out
        .trim()
        .split('\n')
        .slice(1)
        .map((l) => [l.split(/\s+/)[0], l.replace(/\s+$/, '')]),
    );
    assert.match(rows['controller-manager'] ?? '', /^controller-manager\s+Healthy\s+ok$/);
    assert.match(rows['etcd-0'] ?? '', /^etcd-0\s+Healthy\s+ok$/);
    assert.equal(
      rows.scheduler?.replace(/\s+/g, ' '),
      `scheduler Unhealthy Get "https://127.0.0.1:${schedulerPort}/healthz": dial tcp 127.0.0.1:${schedulerPort}: connect: connection refused`,
    );
  });

  it('get by name as JSON; an unknown name is upstream’s InternalError; selectors filter the list', async () => {
    const one = await kubectl(cl.fx, ['get', 'componentstatus', 'controller-manager', '-o', 'json']);
    assert.equal(one.status, 0, one.err);
    assert.deepEqual(JSON.parse(one.out), {
      kind: 'ComponentStatus',
      apiVersion: 'v1',
      metadata: { name: 'controller-manager' },
      conditions: [{ type: 'Healthy', status: 'True', message: 'ok' }],
    });
    const missing = await kubectl(cl.fx, ['get', 'cs', 'kube-proxy']);
    assert.notEqual(missing.status, 0);
    assert.match(
      missing.err,
      /Error from server \(InternalError\): Internal error occurred: Component not found: kube-proxy/,
    );
    const sel = await kubectl(cl.fx, ['get', 'cs', '--field-selector', 'metadata.name=etcd-0', '-o', 'name']);
    assert.equal(sel.out, 'componentstatus/etcd-0\n');
    // Only get and list: a write has no route.
    const del = await kubectl(cl.fx, ['delete', 'cs', 'etcd-0']);
    assert.notEqual(del.status, 0);
    assert.match(del.err, /MethodNotAllowed|the server does not allow this method/);
  });
});
