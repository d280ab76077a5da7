// The highly available control plane as `mkube up --store etcd` runs it: three etcd members, two
// apiservers, two controller-managers. Kubelets (real processes) bootstrap through either
// apiserver while an etcd member is killed with SIGKILL and ConfigMaps are written through both:
// every node ends Ready and no acknowledged write is lost. Then the apiserver some kubelets watch
// through is killed: they carry on through the other (their Lease keeps being renewed, and a pod
// created through the other apiserver is run and reported Running).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ConfigMap, Lease, Node, Pod } from '@mkube/shared/api';
import { createClient, type KubeClient } from '@mkube/shared/client';
import { clientOptionsFrom, loadKubeconfig, resolveCredentials } from '@mkube/shared/kubeconfig';
import { type RunningDaemon, startDaemon as startClusterDaemon } from '../../cli/src/up/daemon.ts';
import { kubeletArgs, planNodes, prepareNode, writeKubeletConfig } from '../../cli/src/up/nodes.ts';
import { type Daemon, runMkube, startDaemon, tempDir, waitFor } from '../src/harness.ts';

const NODES = 4;
const CONFIGMAPS = { group: '', version: 'v1', resource: 'configmaps', namespace: 'default' } as const;
const NODES_RES = { group: '', version: 'v1', resource: 'nodes' } as const;
const LEASES = {
  group: 'coordination.k8s.io',
  version: 'v1',
  resource: 'leases',
  namespace: 'kube-node-lease',
} as const;
const CSRS = { group: 'certificates.k8s.io', version: 'v1', resource: 'certificatesigningrequests' } as const;
const PODS = { group: '', version: 'v1', resource: 'pods', namespace: 'default' } as const;

function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

/** `count` consecutive free loopback ports. */
async function freeRange(count: number): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * 30_000);
    let ok = true;
    for (let p = base; p < base + count && ok; p++) ok = await bindable(p);
    if (ok) return base;
  }
  throw new Error('no free port range');
}

function pidOf(pattern: string): number {
  const r = spawnSync('pgrep', ['-f', '--', pattern], { encoding: 'utf8' });
  const pids = r.stdout
    .trim()
    .split('\n')
    .filter((l) => l)
    .map(Number);
  assert.equal(pids.length, 1, `one process matches ${pattern}: ${r.stdout}`);
  return pids[0]!;
}

const ready = (n: Node) => n.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';

describe('HA control plane: mkube up --store etcd', { timeout: 300_000 }, () => {
  let dir: string;
  let up: Daemon;
  let apiPort: number;
  let etcdPort: number;
  let servers: string[];
  let viaA: KubeClient;
  let viaB: KubeClient;
  const kubelets: RunningDaemon[] = [];

  before(async () => {
    dir = tempDir('ha');
    apiPort = await freeRange(2);
    etcdPort = await freeRange(6);
    const kcmPort = await freeRange(2);
    const schedulerPort = await freeRange(2);
    servers = [`https://127.0.0.1:${apiPort}`, `https://127.0.0.1:${apiPort + 1}`];
    up = startDaemon([
      'up',
      '--store=etcd',
      '--nodes=0',
      `--data-dir=${dir}`,
      '--advertise-address=127.0.0.1',
      `--apiserver-bind-port=${apiPort}`,
      `--etcd-port=${etcdPort}`,
      `--controller-manager-port=${kcmPort}`,
      `--scheduler-port=${schedulerPort}`,
      '--metrics-server-port=0',
    ]);
    await waitFor(
      () => up.logs().includes('Ctrl-C stops the cluster.') || up.proc.exitCode !== null,
      120_000,
      () => up.logs(),
    );
    assert.equal(up.proc.exitCode, null, up.logs());
    const creds = await resolveCredentials(await loadKubeconfig(join(dir, 'admin.conf')));
    assert.deepEqual(creds.servers, servers, 'admin.conf names both apiservers');
    // Pinned to one apiserver each, so what is read through B was not served by A.
    viaA = createClient({ ...clientOptionsFrom(creds), server: servers[0]!, servers: [servers[0]!] });
    viaB = createClient({ ...clientOptionsFrom(creds), server: servers[1]!, servers: [servers[1]!] });
  });

  after(async () => {
    for (const k of kubelets) await k.stop();
    await viaA?.close();
    await viaB?.close();
    await up?.stop();
    if (up && up.proc.exitCode !== 0) process.stderr.write(up.logs().slice(-3000));
    rmSync(dir, { recursive: true, force: true });
  });

  it('every node ends Ready and no acknowledged write is lost when an etcd member is killed mid-bootstrap', async () => {
    const nodes = await planNodes(dir, NODES, await freeRange(1));
    for (const [i, n] of nodes.entries()) {
      const boot = join(dir, i % 2 === 0 ? 'bootstrap-kubelet.conf' : 'bootstrap-kubelet-2.conf');
      await writeKubeletConfig(n, dir, prepareNode(n));
      kubelets.push(startClusterDaemon(n.name, kubeletArgs(n, dir, 0, boot), dir));
    }
    // Writes through both apiservers, before, during and after the kill; only acknowledged ones count.
    const acked: string[] = [];
    const failed: string[] = [];
    let writing = true;
    const writer = (async () => {
      for (let i = 0; writing && i < 2000; i++) {
        const name = `w-${i}`;
        try {
          await (i % 2 ? viaB : viaA)
            .resource<ConfigMap>(CONFIGMAPS)
            .create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { i: String(i) } });
          acked.push(name);
        } catch (e) {
          failed.push(`${name}: ${(e as Error).message}`);
        }
      }
    })();
    // Mid-burst: the first CSRs are in, the nodes are not all Ready yet.
    await waitFor(
      async () => (await viaA.resource(CSRS).list()).items.length >= 1,
      30_000,
      () => 'the first CSR',
    );
    const readyAtKill = (await viaA.resource<Node>(NODES_RES).list()).items.filter(ready).length;
    const victim = pidOf(`--data-dir=${join(dir, 'etcd', 'etcd0')} `);
    process.kill(victim, 'SIGKILL');
    const killedAt = acked.length;

    await waitFor(
      async () => {
        const list = await viaB.resource<Node>(NODES_RES).list();
        return list.items.length === NODES && list.items.every(ready);
      },
      120_000,
      () => `nodes not all Ready; logs in ${join(dir, 'logs')}`,
    );
    await new Promise((r) => setTimeout(r, 2000));
    writing = false;
    await writer;
    assert.ok(
      killedAt > 0 && acked.length > killedAt + 10,
      `writes went on after the kill (${killedAt} → ${acked.length})`,
    );
    for (const client of [viaA, viaB]) {
      const names = new Set((await client.resource<ConfigMap>(CONFIGMAPS).list()).items.map((c) => c.metadata.name));
      const lost = acked.filter((n) => !names.has(n));
      assert.deepEqual(lost, [], 'every acknowledged ConfigMap is there');
    }
    // A write that failed may or may not have been applied; none may have been applied twice.
    assert.ok(readyAtKill < NODES, 'the member died before every node was Ready');
    process.stdout.write(
      `# etcd0 killed with ${readyAtKill}/${NODES} nodes Ready; ${acked.length} writes acknowledged, ${failed.length} failed: ${failed.join('; ')}\n`,
    );
    await waitFor(
      () => up.logs().includes('[etcd-etcd0] exited'),
      10_000,
      () => up.logs(),
    );
  });

  it('a kubelet watching through the apiserver that dies carries on through the other', async () => {
    const pid = pidOf(`apiserver --secure-port=${apiPort} `);
    process.kill(pid, 'SIGKILL');
    const killed = new Date();
    // node1 and node3 joined through the first apiserver and prefer it.
    await waitFor(
      async () => {
        const l = await viaB.resource<Lease>(LEASES).get('node1');
        return Date.parse(l.spec?.renewTime ?? '') > killed.getTime();
      },
      30_000,
      () => 'node1 renewed its Lease through the other apiserver',
    );
    await viaB.resource<Pod>(PODS).create({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'after-failover' },
      spec: { nodeName: 'node1', containers: [{ name: 'c', image: 'busybox', command: ['sleep', '300'] }] },
    });
    await waitFor(
      async () => (await viaB.resource<Pod>(PODS).get('after-failover')).status?.phase === 'Running',
      30_000,
      () => 'the pod created through the other apiserver runs on node1',
    );
    await waitFor(
      () => up.logs().includes('[apiserver-1] exited'),
      10_000,
      () => up.logs(),
    );
    assert.equal(up.proc.exitCode, null, 'mkube up runs on');
    // The admin command fails over too, and tells new nodes to join through the apiserver that answered.
    const joinCmd = runMkube(['token', 'create', '--print-join-command', `--kubeconfig=${join(dir, 'admin.conf')}`]);
    assert.equal(joinCmd.status, 0, joinCmd.stderr);
    assert.match(joinCmd.stdout, new RegExp(`^mkube kubelet --server=${servers[1]} --bootstrap-token=`, 'm'));
  });
});
