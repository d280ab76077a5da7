// The kubelet's status loop reads its Node every status period, as upstream's tryUpdateNodeStatus:
// a Ready=Unknown someone else wrote (the node controller, after a pause) is put right within a
// period, not at the next report; a cordon or uncordon is recorded as NodeNotSchedulable or
// NodeSchedulable (recordNodeSchedulableEvent); an unchanged status is not written again.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
    // Three status periods (well inside the 5 m report interval): three reads, no write.
    await new Promise((r) => setTimeout(r, 3_500));
    assert.equal((await nodes().get(NODE)).metadata?.resourceVersion, rv);
  });
});

describe('nodeStatusReportFrequency from --config', { timeout: 120_000 }, () => {
  let c: NodeCluster;
  const dir = mkdtempSync(join(tmpdir(), 'mkube-report-'));
  const NAME = 'node-report';
  const heartbeat = async () => {
    const n = await c.admin.resource<Node>({ group: '', version: 'v1', resource: 'nodes' }).get(NAME);
    return Date.parse(n.status?.conditions?.find((x) => x.type === 'Ready')?.lastHeartbeatTime ?? '');
  };

  before(async () => {
    c = await startNodeCluster();
  });
  after(async () => {
    await c?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes an unchanged status once per report interval, a periodic report at the interval itself', async () => {
    const config = join(dir, 'config.yaml');
    writeFileSync(
      config,
      'apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\nnodeStatusUpdateFrequency: 1s\nnodeStatusReportFrequency: 2s\n',
    );
    const k = await c.startKubelet(NAME, { extra: [`--config=${config}`] });
    await k.kubelet.ready;
    // Ready=True was a change: the next report comes 1–3 s later (upstream's jitter of half an
    // interval either way); the reports after it, with nothing changed, every 2–3 s (the interval,
    // seen at the next 1 s status period).
    const beats: number[] = [await heartbeat()];
    await waitFor(
      'three more reports of an unchanged status',
      async () => {
        const b = await heartbeat();
        if (b !== beats.at(-1)) beats.push(b);
        return beats.length >= 4 ? true : undefined;
      },
      20_000,
    );
    const gaps = beats.slice(1).map((b, i) => (b - beats[i]!) / 1000);
    for (const g of gaps.slice(1)) assert.ok(g >= 2 && g <= 5, `report gaps ${gaps.join(', ')} s`);
  });
});
