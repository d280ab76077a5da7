// Two kube-schedulers on one apiserver, as `mkube up --store=etcd` runs them: one holds the
// kube-scheduler Lease and binds; the other binds nothing until the leader stops (releasing the
// Lease), then takes over and binds the next pod. Every pod is bound once, with one Scheduled Event.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { Event, Lease, Node } from '@mkube/shared/api';
import { createClient, type KubeClient } from '@mkube/shared/client';
import { parseFlags } from '@mkube/shared/flags';
import { createLogger } from '@mkube/shared/log';
import { type Fixture, issueClient, startFixture, waitFor } from '../../apiserver/test/server/fixture.ts';
import type { Pod } from '../src/api/index.ts';
import { loadSchedulerConfig, type RunningScheduler, SCHEDULER_FLAGS, startScheduler } from '../src/main.ts';

const PODS = { group: '', version: 'v1', resource: 'pods', namespace: 'default' } as const;
const LEASES = { group: 'coordination.k8s.io', version: 'v1', resource: 'leases', namespace: 'kube-system' } as const;

describe('kube-scheduler leader election', () => {
  let fx: Fixture;
  let admin: KubeClient;
  const scheds = new Map<string, RunningScheduler>();

  const holder = async () =>
    (
      await admin
        .resource<Lease>(LEASES)
        .get('kube-scheduler')
        .catch(() => undefined)
    )?.spec?.holderIdentity ?? '';
  const createPod = (name: string) =>
    admin.resource<Pod>(PODS).create({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, namespace: 'default' },
      spec: { containers: [{ name: 'c', image: 'busybox' }] },
    });
  const boundNode = (name: string) =>
    waitFor(`${name} bound`, async () => (await admin.resource<Pod>(PODS).get(name)).spec?.nodeName || undefined);
  const scheduledEvents = async (name: string) =>
    (
      await admin
        .resource<Event>({ group: '', version: 'v1', resource: 'events', namespace: 'default' })
        .list({ fieldSelector: `involvedObject.name=${name}` })
    ).items.filter((e) => e.reason === 'Scheduled');
  const attempts = (s: RunningScheduler) =>
    /scheduler_schedule_attempts_total\{profile="default-scheduler",result="scheduled"\} (\d+)/.exec(
      s.metrics.text({ active: 0, backoff: 0, unschedulable: 0, gated: 0 }, { isLeader: s.isLeader() }),
    )?.[1] ?? '0';

  before(async () => {
    fx = await startFixture(['--authorization-mode=Node,RBAC']);
    admin = createClient({
      server: fx.url,
      caPem: readFileSync(fx.pki.caCrt, 'utf8'),
      clientCertPem: readFileSync(fx.pki.adminCrt, 'utf8'),
      clientKeyPem: readFileSync(fx.pki.adminKey, 'utf8'),
    });
    const node: Node = {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: 'worker', labels: { 'kubernetes.io/hostname': 'worker' } },
      spec: {},
      status: { allocatable: { cpu: '4', memory: '8Gi', pods: '110' } },
    };
    // Admission taints a new Node not-ready; no kubelet or node lifecycle controller here to lift it.
    const created = await admin.resource<Node>({ group: '', version: 'v1', resource: 'nodes' }).create(node);
    await admin
      .resource<Node>({ group: '', version: 'v1', resource: 'nodes' })
      .update({ ...created, spec: { ...created.spec, taints: [] } });
    const identity = await issueClient(fx, 'system:kube-scheduler');
    const parsed = parseFlags(SCHEDULER_FLAGS, [
      `--kubeconfig=${identity.kubeconfig}`,
      '--secure-port=0',
      '--leader-elect-lease-duration=3s',
      '--leader-elect-renew-deadline=2s',
      '--leader-elect-retry-period=300ms',
    ]);
    const config = await loadSchedulerConfig(parsed.flags, parsed.given);
    const quiet = createLogger({ name: 'kube-scheduler', destination: { write: () => undefined } as never });
    for (const id of ['sched-a', 'sched-b']) scheds.set(id, await startScheduler(config, { log: quiet, identity: id }));
  });

  after(async () => {
    for (const s of scheds.values()) await s.stop();
    await admin?.close();
    await fx?.close();
  });

  it('one leads and binds; the other takes over when it stops; each pod is bound once', async () => {
    const first = await waitFor('a leader', async () => (await holder()) || undefined);
    const leader = scheds.get(first)!;
    const standby = [...scheds.entries()].find(([id]) => id !== first)![1];
    assert.equal(leader.isLeader(), true);
    assert.equal(standby.isLeader(), false);

    await createPod('before');
    assert.equal(await boundNode('before'), 'worker');
    assert.equal(attempts(leader), '1');
    assert.equal(attempts(standby), '0', 'the standby binds nothing');

    await leader.stop();
    const second = await waitFor('the standby leading', async () => {
      const h = await holder();
      return h && h !== first && standby.isLeader() ? h : undefined;
    });
    assert.equal(second, standby.identity);
    await createPod('after');
    assert.equal(await boundNode('after'), 'worker');
    assert.equal(attempts(standby), '1');
    for (const name of ['before', 'after']) {
      const evs = await waitFor(`${name}'s Scheduled event`, async () => {
        const e = await scheduledEvents(name);
        return e.length ? e : undefined;
      });
      assert.equal(evs.length, 1, `${name}: ${JSON.stringify(evs)}`);
      assert.equal(evs[0]!.message, `Successfully assigned default/${name} to worker`);
    }
  });
});
