// root-ca-cert-publisher, serviceaccount, nodelifecycle and csrcleaner against a real apiserver.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type {
  CertificateSigningRequest,
  ConfigMap,
  Event,
  Lease,
  Namespace,
  Node,
  ServiceAccount,
} from '@mkube/shared/api';
import { isNotFound } from '@mkube/shared/apierrors';
import { kubectl } from '../../apiserver/test/server/fixture.ts';
import { type Cluster, CSRS, postCsr, startCluster, waitFor } from './fixture.ts';

const NODES = { group: '', version: 'v1', resource: 'nodes' } as const;
const microTime = () => `${new Date().toISOString().slice(0, 23)}000Z`;

describe('controller-manager: root CA publisher, node lifecycle, CSR cleaner', () => {
  let cl: Cluster;
  before(async () => {
    cl = await startCluster();
    await cl.startKcm(['--leader-elect=false', '--node-monitor-grace-period=2s'], { cleanerIntervalMs: 300 });
  });
  after(async () => cl?.close());

  const rootCA = (ns: string) =>
    cl.admin
      .resource<ConfigMap>({ group: '', version: 'v1', resource: 'configmaps', namespace: ns })
      .get('kube-root-ca.crt');

  it('publishes kube-root-ca.crt in every namespace, new ones included, and restores it', async () => {
    const ca = readFileSync(cl.fx.pki.caCrt, 'utf8');
    for (const ns of ['default', 'kube-system', 'kube-public']) {
      const cm = await waitFor(`kube-root-ca.crt in ${ns}`, () => rootCA(ns));
      assert.equal(cm.data?.['ca.crt'], ca);
    }
    await cl.admin.resource<Namespace>({ group: '', version: 'v1', resource: 'namespaces' }).create({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'team-a' },
    });
    await waitFor('kube-root-ca.crt in team-a', () => rootCA('team-a'));
    const del = await kubectl(cl.fx, ['delete', 'cm', 'kube-root-ca.crt', '-n', 'team-a']);
    assert.equal(del.status, 0, del.err);
    const back = await waitFor('recreated', () => rootCA('team-a'));
    assert.equal(back.data?.['ca.crt'], ca);
    const edit = await kubectl(cl.fx, [
      'patch',
      'cm',
      'kube-root-ca.crt',
      '-n',
      'team-a',
      '-p',
      '{"data":{"ca.crt":"x"}}',
    ]);
    assert.equal(edit.status, 0, edit.err);
    await waitFor('restored', async () => ((await rootCA('team-a')).data?.['ca.crt'] === ca ? true : undefined));
  });

  it('gives every namespace ServiceAccount "default", new ones included, and recreates it when deleted', async () => {
    const sa = (ns: string) =>
      cl.admin
        .resource<ServiceAccount>({ group: '', version: 'v1', resource: 'serviceaccounts', namespace: ns })
        .get('default');
    for (const ns of ['default', 'kube-system', 'kube-public', 'kube-node-lease'])
      await waitFor(`default SA in ${ns}`, () => sa(ns));
    await cl.admin.resource<Namespace>({ group: '', version: 'v1', resource: 'namespaces' }).create({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'team-sa' },
    });
    const first = await waitFor('default SA in team-sa', () => sa('team-sa'));
    const del = await kubectl(cl.fx, ['delete', 'sa', 'default', '-n', 'team-sa']);
    assert.equal(del.status, 0, del.err);
    const back = await waitFor('recreated', async () => {
      const cur = await sa('team-sa').catch((e) => (isNotFound(e) ? undefined : Promise.reject(e)));
      return cur && cur.metadata?.uid !== first.metadata?.uid ? cur : undefined;
    });
    assert.equal(back.metadata?.name, 'default');
  });

  it('marks a node whose Lease stops being renewed Ready=Unknown after the grace period, not before', async () => {
    const nodeClient = await cl.nodeClient('quiet');
    const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    await nodeClient.resource<Node>(NODES).create({
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: 'quiet' },
      status: {
        conditions: [
          { type: 'Ready', status: 'True', reason: 'KubeletReady', lastHeartbeatTime: now, lastTransitionTime: now },
        ],
      },
    });
    const leases = nodeClient.resource<Lease>({
      group: 'coordination.k8s.io',
      version: 'v1',
      resource: 'leases',
      namespace: 'kube-node-lease',
    });
    let lease = await leases.create({
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: 'quiet', namespace: 'kube-node-lease' },
      spec: { holderIdentity: 'quiet', leaseDurationSeconds: 40, renewTime: microTime() },
    });
    // Renewing every 500 ms for 3 s (longer than the 2 s grace) keeps it Ready.
    for (let i = 0; i < 6; i++) {
      await new Promise((r) => setTimeout(r, 500));
      lease = await leases.update({ ...lease, spec: { ...lease.spec, renewTime: microTime() } });
    }
    const ready = (n: Node) => n.status?.conditions?.find((c) => c.type === 'Ready');
    assert.equal(ready(await cl.admin.resource<Node>(NODES).get('quiet'))?.status, 'True');
    const stoppedAt = Date.now();
    const n = await waitFor(
      'Ready=Unknown',
      async () => {
        const cur = await cl.admin.resource<Node>(NODES).get('quiet');
        return ready(cur)?.status === 'Unknown' ? cur : undefined;
      },
      6000,
    );
    assert.ok(Date.now() - stoppedAt >= 1500, 'not marked before the grace period ran out');
    const c = ready(n)!;
    assert.equal(c.reason, 'NodeStatusUnknown');
    assert.equal(c.message, 'Kubelet stopped posting node status.');
    assert.equal(c.lastHeartbeatTime, now, 'the heartbeat time stays what the kubelet last posted');
    // As upstream's node-controller: RegisteredNode when it first saw the node, NodeNotReady once.
    const events = cl.admin.resource<Event>({ group: '', version: 'v1', resource: 'events', namespace: 'default' });
    const mine = await waitFor('node-controller events', async () => {
      const evs = (await events.list()).items.filter(
        (e) => e.source?.component === 'node-controller' && e.involvedObject?.name === 'quiet',
      );
      return evs.some((e) => e.reason === 'NodeNotReady') ? evs : undefined;
    });
    assert.deepEqual(
      mine.map((e) => [e.reason, e.message]),
      [
        ['RegisteredNode', 'Node quiet event: Registered Node quiet in Controller'],
        ['NodeNotReady', 'Node quiet status is now: NodeNotReady'],
      ],
    );
    assert.deepEqual(mine[0]!.involvedObject, { kind: 'Node', name: 'quiet', uid: n.metadata?.uid });
  });

  it('deletes CSRs denied more than an hour ago and keeps recent ones', async () => {
    // kube-apiserver-client CSRs: no approver acts on them, so only this test decides them.
    const spec = { orgs: [], signerName: 'kubernetes.io/kube-apiserver-client', usages: ['client auth' as const] };
    const { csr: old } = await postCsr(cl.admin, { cn: 'old', ...spec });
    const { csr: fresh } = await postCsr(cl.admin, { cn: 'fresh', ...spec });
    const twoHoursAgo = new Date(Date.now() - 2 * 3600_000).toISOString().replace(/\.\d+Z$/, 'Z');
    const csrs = cl.admin.resource<CertificateSigningRequest>(CSRS);
    for (const [c, t] of [
      [old, twoHoursAgo],
      [fresh, undefined],
    ] as const) {
      const cur = await csrs.get(c.metadata!.name!);
      await csrs.updateSubresource(c.metadata!.name!, 'approval', {
        ...cur,
        status: {
          conditions: [{ type: 'Denied', status: 'True', reason: 'Test', ...(t ? { lastUpdateTime: t } : {}) }],
        },
      });
    }
    await waitFor('old csr deleted', async () => {
      try {
        await csrs.get(old.metadata!.name!);
        return undefined;
      } catch (e) {
        return isNotFound(e) ? true : undefined;
      }
    });
    await new Promise((r) => setTimeout(r, 600));
    assert.ok(await csrs.get(fresh.metadata!.name!), 'a CSR denied just now stays');
  });
});
