// Zone disruption in the node lifecycle controller, against a real apiserver: when every node is
// silent no NoExecute taint is added (master disruption mode) until one is Ready again; a small zone
// in a partial disruption gets none either, and a zone that is wholly down while another is healthy
// is tainted at the normal rate.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { after, before, describe, it } from 'node:test';
import type { Lease, Node, Taint } from '@mkube/shared/api';
import { issueClient } from '../../apiserver/test/server/fixture.ts';
import { freePort } from '../../e2e/src/harness.ts';
import { type Cluster, startCluster, waitFor } from './fixture.ts';

const NODES = { group: '', version: 'v1', resource: 'nodes' } as const;
const LEASES = { group: 'coordination.k8s.io', version: 'v1', resource: 'leases', namespace: 'kube-node-lease' };
const microTime = () => `${new Date().toISOString().slice(0, 23)}000Z`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('node lifecycle: zone disruption', () => {
  let cl: Cluster;
  /** Nodes whose Lease the test keeps renewing, as a live kubelet would. */
  const alive = new Set<string>();
  let renewing: NodeJS.Timeout | undefined;
  let port: number;
  let master: { crt: string; key: string };

  /** The node_collector lines of the controller-manager's /metrics, read as system:masters. */
  const nodeCollector = () =>
    new Promise<string[]>((resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port,
          path: '/metrics',
          rejectUnauthorized: false,
          cert: readFileSync(master.crt),
          key: readFileSync(master.key),
        },
        (res) => {
          let body = '';
          res.on('data', (d) => (body += d));
          res.on('end', () => resolve(body.split('\n').filter((l) => l.startsWith('node_collector_'))));
        },
      );
      req.on('error', reject);
      req.end();
    });

  before(async () => {
    cl = await startCluster();
    port = await freePort();
    master = await issueClient(cl.fx, 'breakglass', ['system:masters']);
    // A fast eviction rate: a taint the zone rules allow appears within a fraction of a second.
    await cl.startKcm([
      `--secure-port=${port}`,
      '--bind-address=127.0.0.1',
      `--client-ca-file=${cl.fx.pki.caCrt}`,
      '--leader-elect=false',
      '--node-monitor-grace-period=2s',
      '--node-monitor-period=1s',

      '--node-eviction-rate=10',
    ]);
    renewing = setInterval(() => {
      for (const name of alive) {
        const leases = cl.admin.resource<Lease>(LEASES);
        leases
          .get(name)
          .then((l) => leases.update({ ...l, spec: { ...l.spec, renewTime: microTime() } }))
          .catch(() => {});
      }
    }, 400);
  });
  after(async () => {
    clearInterval(renewing);
    await cl?.close();
  });

  async function createNode(name: string, zone?: string, live = false): Promise<void> {
    const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    await cl.admin.resource<Node>(NODES).create({
      apiVersion: 'v1',
      kind: 'Node',
      metadata: {
        name,
        labels: zone ? { 'topology.kubernetes.io/region': 'r', 'topology.kubernetes.io/zone': zone } : {},
      },
      status: {
        conditions: [
          { type: 'Ready', status: 'True', reason: 'KubeletReady', lastHeartbeatTime: now, lastTransitionTime: now },
        ],
      },
    });
    await cl.admin.resource<Lease>(LEASES).create({
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name, namespace: 'kube-node-lease' },
      spec: { holderIdentity: name, leaseDurationSeconds: 40, renewTime: microTime() },
    });
    if (live) alive.add(name);
  }

  /**
   * Renews the nodes' Leases at once, a third of the way into a second: with a 1 s monitor period
   * and a 2 s grace they then all go silent well inside the same period (nodes whose silences
   * straddle a period's end are counted in different periods, here as upstream).
   */
  async function lastRenewal(names: string[]): Promise<void> {
    while (Date.now() % 1000 < 300 || Date.now() % 1000 > 400) await sleep(5);
    const leases = cl.admin.resource<Lease>(LEASES);
    await Promise.all(
      names.map(async (n) => {
        const l = await leases.get(n);
        await leases.update({ ...l, spec: { ...l.spec, renewTime: microTime() } });
      }),
    );
  }

  const taintsOf = async (name: string): Promise<string[]> =>
    ((await cl.admin.resource<Node>(NODES).get(name)).spec?.taints ?? ([] as Taint[]))
      .map((t) => `${t.key.replace('node.kubernetes.io/', '')}:${t.effect}`)
      .sort();
  const UNREACHABLE = ['unreachable:NoSchedule'];
  const EVICTING = ['unreachable:NoExecute', 'unreachable:NoSchedule'];

  /** Waits until every node has exactly `want`, then checks they still do a while later. */
  async function expectTaints(names: string[], want: string[], holdMs = 0): Promise<void> {
    await waitFor(`${names.join(', ')}: ${want.join(' ')}`, async () => {
      for (const n of names) if ((await taintsOf(n)).join() !== want.join()) return undefined;
      return true;
    });
    if (!holdMs) return;
    await sleep(holdMs);
    for (const n of names) assert.deepEqual(await taintsOf(n), want, `${n} a while later`);
  }

  it('every node silent: NoSchedule only (master disruption mode) until a node is Ready again', async () => {
    await createNode('m1');
    await createNode('m2');
    await lastRenewal(['m1', 'm2']);
    // Both go Unknown after the grace period; with the whole cluster down, none gets NoExecute
    // (at 10 nodes/s they would have it well within the hold).
    await expectTaints(['m1', 'm2'], UNREACHABLE, 1500);

    // A Ready node: the zone has one Ready of three (Normal), the mode ends, and the silent
    // nodes are tainted at the normal rate.
    await createNode('r1', undefined, true);
    await expectTaints(['m1', 'm2'], EVICTING);
    assert.deepEqual(await taintsOf('r1'), []);
  });

  it('a small zone in partial disruption gets no NoExecute; wholly down beside a healthy zone, it does', async () => {
    for (const n of ['p1', 'p2', 'p3']) await createNode(n, 'z1');
    await createNode('p4', 'z1', true);
    await lastRenewal(['p1', 'p2', 'p3']);
    // Three of four not Ready (≥ 0.55, more than two): PartialDisruption, and a zone of four is
    // not a large cluster (--large-cluster-size-threshold 50): its eviction rate is 0.
    await expectTaints(['p1', 'p2', 'p3'], UNREACHABLE, 1500);
    assert.deepEqual(await taintsOf('p4'), []);

    // p4 goes too: z1 is FullDisruption, but r1's zone is healthy, so not the master mode: the
    // normal rate.
    alive.delete('p4');
    await expectTaints(['p1', 'p2', 'p3', 'p4'], EVICTING);
    assert.deepEqual(await taintsOf('r1'), []);
  });

  it('/metrics: upstream’s node_collector series per zone (the zone key, NUL included)', async () => {
    const lines = await nodeCollector();
    const z1 = 'r:\0:z1';
    // The unlabelled zone: m1, m2 tainted once each (master disruption took nothing away that counted
    // twice); r1 Ready. z1: four nodes, all down and tainted.
    for (const want of [
      'node_collector_evictions_total{zone=""} 2',
      'node_collector_unhealthy_nodes_in_zone{zone=""} 2',
      'node_collector_zone_size{zone=""} 3',
      `node_collector_evictions_total{zone="${z1}"} 4`,
      `node_collector_unhealthy_nodes_in_zone{zone="${z1}"} 4`,
      `node_collector_zone_health{zone="${z1}"} 0`,
      `node_collector_zone_size{zone="${z1}"} 4`,
    ])
      assert.ok(lines.includes(want), `${want} in\n${lines.join('\n')}`);
    assert.ok(
      lines.some((l) => /^node_collector_zone_health\{zone=""\} 33\.33/.test(l)),
      lines.join('\n'),
    );
  });
});
