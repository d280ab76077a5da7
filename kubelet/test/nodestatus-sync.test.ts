// The kubelet's status loop reads its Node every status period, as upstream's tryUpdateNodeStatus:
// a Ready=Unknown someone else wrote (the node controller, after a pause) is put right within a
// period, not at the next report; a cordon or uncordon is recorded as NodeNotSchedulable or
// NodeSchedulable (recordNodeSchedulableEvent); an unchanged status is not written again.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Event, Node } from '@mkube/shared/api';
import { waitFor } from '../../controller-manager/test/fixture.ts';
import { nodeStatusChanged } from '../src/nodestatus/node.ts';
import { type NodeCluster, readyCondition, startNodeCluster, type TestKubelet } from './fixture.ts';

const NODE = 'node-sync';

describe('nodeStatusChanged', () => {
  const status = (ready: string, beat: string): Node['status'] => ({
    capacity: { cpu: '2', pods: '110' },
    conditions: [
      { type: 'Ready', status: ready, reason: 'KubeletReady', message: 'ok', lastHeartbeatTime: beat } as never,
    ],
    daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
  });
  it('heartbeat times and key order aside, any difference is a change', () => {
    assert.equal(nodeStatusChanged(status('True', 'a'), status('True', 'b')), false);
    const reordered = { daemonEndpoints: { kubeletEndpoint: { Port: 10250 } }, ...status('True', 'c') };
    assert.equal(nodeStatusChanged(reordered, status('True', 'b')), false);
    assert.equal(nodeStatusChanged(status('Unknown', 'a'), status('True', 'a')), true);
    assert.equal(nodeStatusChanged({ ...status('True', 'a'), capacity: { cpu: '2' } }, status('True', 'a')), true);
  });
});

describe('the kubelet reads its Node every status period', { timeout: 120_000 }, () => {
  let c: NodeCluster;
  let k: TestKubelet;
  const nodes = () => c.admin.resource<Node>({ group: '', version: 'v1', resource: 'nodes' });
  const events = () => c.admin.resource<Event>({ group: '', version: 'v1', resource: 'events', namespace: 'default' });
  const kubeletEvent = async (reason: string) =>
    (await events().list()).items.find(
      (e) => e.reason === reason && e.involvedObject?.name === NODE && e.source?.component === 'kubelet',
    );

  before(async () => {
    // The controller-manager approves the kubelet's CSRs; with the Lease renewed, its node
    // controller leaves this Node's status alone.
    c = await startNodeCluster();
    k = await c.startKubelet(NODE, { extra: ['--node-status-update-frequency=1s'] });
    await k.kubelet.ready;
  });
  after(async () => {
    await c?.close();
  });

  it('puts right a Ready=Unknown written by someone else within a period, not at the next report', async () => {
    assert.equal(readyCondition(await nodes().get(NODE)), 'True');
    // As the node controller writes it: read, set, write; again on a conflict with the kubelet.
    await waitFor('Ready=Unknown written', async () => {
      const cur = await nodes().get(NODE);
      const status = structuredClone(cur.status!);
      for (const cond of status.conditions ?? []) if (cond.type === 'Ready') cond.status = 'Unknown';
      const written = await nodes().updateSubresource(NODE, 'status', { ...cur, status });
      return readyCondition(written) === 'Unknown' ? true : undefined;
    });
    await waitFor(
      'Ready=True again',
      async () => (readyCondition(await nodes().get(NODE)) === 'True' ? true : undefined),
      8_000,
    );
  });

  it('records a cordon and an uncordon as NodeNotSchedulable and NodeSchedulable', async () => {
    assert.equal(await kubeletEvent('NodeNotSchedulable'), undefined);
    const cordon = (unschedulable: boolean) =>
      waitFor('the cordon written', async () => {
        const cur = await nodes().get(NODE);
        return nodes().update({ ...cur, spec: { ...cur.spec, unschedulable } });
      });
    await cordon(true);
    const off = await waitFor('NodeNotSchedulable', () => kubeletEvent('NodeNotSchedulable'), 8_000);
    assert.equal(off.message, `Node ${NODE} status is now: NodeNotSchedulable`);
    assert.equal(off.type, 'Normal');
    await cordon(false);
    const on = await waitFor('NodeSchedulable', () => kubeletEvent('NodeSchedulable'), 8_000);
    assert.equal(on.message, `Node ${NODE} status is now: NodeSchedulable`);
  });

  it('writes nothing while nothing changed', async () => {
    const rv = (await nodes().get(NODE)).metadata?.resourceVersion;
    // Three status periods (well inside the 60 s report interval): three reads, no write.
    await new Promise((r) => setTimeout(r, 3_500));
    assert.equal((await nodes().get(NODE)).metadata?.resourceVersion, rv);
  });
});
