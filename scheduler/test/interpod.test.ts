// InterPodAffinity and PodTopologySpread in a real kube-scheduler against a real apiserver
// (Node,RBAC; the scheduler as system:kube-scheduler, so its namespace/Service/ReplicaSet/
// StatefulSet informers run under upstream's role). Three nodes, no kubelet: replicas with
// required anti-affinity land one per node, a fourth and a pod that existing pods repel stay
// Pending with upstream's FailedScheduling text, a deletion lets the fourth in; a spread
// constraint picks the emptier zone and rejects a crowded one.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { Event, Node } from '@mkube/shared/api';
import { createClient, type KubeClient } from '@mkube/shared/client';
import { parseFlags } from '@mkube/shared/flags';
import { createLogger } from '@mkube/shared/log';
import { type Fixture, issueClient, startFixture, waitFor } from '../../apiserver/test/server/fixture.ts';
import type { Pod, PodSpec } from '../src/api/index.ts';
import { loadSchedulerConfig, type RunningScheduler, SCHEDULER_FLAGS, startScheduler } from '../src/main.ts';

const PODS = { group: '', version: 'v1', resource: 'pods', namespace: 'default' } as const;
const NODES = { group: '', version: 'v1', resource: 'nodes' } as const;
const EVENTS = { group: '', version: 'v1', resource: 'events', namespace: 'default' } as const;
const ZONE = 'topology.kubernetes.io/zone';

const newNode = (name: string, labels: Record<string, string> = {}): Node => ({
  apiVersion: 'v1',
  kind: 'Node',
  metadata: { name, labels: { 'kubernetes.io/hostname': name, ...labels } },
  spec: {},
  status: { allocatable: { cpu: '4', memory: '8Gi', pods: '110' }, capacity: { cpu: '4', memory: '8Gi', pods: '110' } },
});

const newPod = (name: string, labels: Record<string, string>, spec: Partial<PodSpec> = {}): Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'default', labels },
  spec: { containers: [{ name: 'c', image: 'busybox' }], ...spec },
});

const antiWeb: Partial<PodSpec> = {
  affinity: {
    podAntiAffinity: {
      requiredDuringSchedulingIgnoredDuringExecution: [
        { labelSelector: { matchLabels: { app: 'web' } }, topologyKey: 'kubernetes.io/hostname' },
      ],
    },
  },
};

describe('kube-scheduler: inter-pod affinity and topology spread', () => {
  let fx: Fixture;
  let admin: KubeClient;
  let sched: RunningScheduler;

  const pods = () => admin.resource<Pod>(PODS);
  const boundNode = (name: string, ms = 10_000) =>
    waitFor(`${name} bound`, async () => (await pods().get(name)).spec?.nodeName || undefined, ms);
  const failedScheduling = (name: string) =>
    waitFor(`FailedScheduling for ${name}`, async () => {
      const evs = await admin.resource<Event>(EVENTS).list({ fieldSelector: `involvedObject.name=${name}` });
      return evs.items.find((e) => e.reason === 'FailedScheduling')?.message;
    });

  before(async () => {
    fx = await startFixture(['--authorization-mode=Node,RBAC']);
    admin = createClient({
      server: fx.url,
      caPem: readFileSync(fx.pki.caCrt, 'utf8'),
      clientCertPem: readFileSync(fx.pki.adminCrt, 'utf8'),
      clientKeyPem: readFileSync(fx.pki.adminKey, 'utf8'),
    });
    const identity = await issueClient(fx, 'system:kube-scheduler');
    for (const n of [newNode('node-a', { [ZONE]: 'a' }), newNode('node-b', { [ZONE]: 'b' }), newNode('node-c')]) {
      // No kubelet or node lifecycle controller: lift the not-ready taint admission puts on.
      const created = await admin.resource<Node>(NODES).create(n);
      await admin.resource<Node>(NODES).update({ ...created, spec: { ...created.spec, taints: [] } });
    }
    const parsed = parseFlags(SCHEDULER_FLAGS, [
      `--kubeconfig=${identity.kubeconfig}`,
      '--secure-port=0',
      '--leader-elect=false',
      '--pod-max-in-unschedulable-pods-duration=60s',
    ]);
    const config = await loadSchedulerConfig(parsed.flags, parsed.given);
    sched = await startScheduler(config, {
      log: createLogger({ name: 'kube-scheduler', destination: { write: () => undefined } as never }),
    });
  });

  after(async () => {
    await sched?.stop();
    await admin?.close();
    await fx?.close();
  });

  it('places replicas with required anti-affinity one per node, then leaves the rest Pending', async () => {
    const placed = new Map<string, string>();
    for (const name of ['web-1', 'web-2', 'web-3']) {
      await pods().create(newPod(name, { app: 'web' }, antiWeb));
      placed.set(name, await boundNode(name));
    }
    assert.deepEqual([...new Set(placed.values())].sort(), ['node-a', 'node-b', 'node-c']);

    await pods().create(newPod('web-4', { app: 'web' }, antiWeb));
    assert.equal(
      await failedScheduling('web-4'),
      "0/3 nodes are available: 3 node(s) didn't match pod anti-affinity rules. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.",
    );
    // A pod with no terms of its own, kept away by the replicas' anti-affinity (symmetry).
    await pods().create(newPod('plain', { app: 'web' }));
    assert.equal(
      await failedScheduling('plain'),
      "0/3 nodes are available: 3 node(s) didn't satisfy existing pods anti-affinity rules. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.",
    );
    assert.equal((await pods().get('web-4')).status?.phase, 'Pending');

    // A replica's deletion is an event the rejection cares about: web-4 takes its node.
    await pods().delete('plain', { gracePeriodSeconds: 0 });
    await pods().delete('web-1', { gracePeriodSeconds: 0 });
    assert.equal(await boundNode('web-4', 20_000), placed.get('web-1'));
  });

  it('spreads over zones with DoNotSchedule constraints', async () => {
    // Two matching pods already run in zone a (bound directly, as a kubelet-less test may).
    for (const name of ['s-a1', 's-a2']) await pods().create(newPod(name, { app: 'spread' }, { nodeName: 'node-a' }));
    const spread = (maxSkew: number, extra: Partial<PodSpec> = {}): Partial<PodSpec> => ({
      topologySpreadConstraints: [
        {
          maxSkew,
          topologyKey: ZONE,
          whenUnsatisfiable: 'DoNotSchedule',
          labelSelector: { matchLabels: { app: 'spread' } },
        },
      ],
      ...extra,
    });
    // Zone a would be 3 against b's 0; node-c has no zone at all.
    await pods().create(newPod('spread-1', { app: 'spread' }, spread(1)));
    assert.equal(await boundNode('spread-1'), 'node-b');

    // Pinned to zone a yet counting every zone: a's 2 + 1 against b's 1 is a skew of 2.
    await pods().create(
      newPod(
        'crowded',
        { app: 'spread' },
        {
          ...spread(1),
          topologySpreadConstraints: [
            {
              maxSkew: 1,
              topologyKey: ZONE,
              whenUnsatisfiable: 'DoNotSchedule',
              labelSelector: { matchLabels: { app: 'spread' } },
              nodeAffinityPolicy: 'Ignore',
            },
          ],
          nodeSelector: { [ZONE]: 'a' },
        },
      ),
    );
    assert.equal(
      await failedScheduling('crowded'),
      "0/3 nodes are available: 1 node(s) didn't match pod topology spread constraints, 2 node(s) didn't match Pod's node affinity/selector. preemption: 0/3 nodes are available: 1 No preemption victims found for incoming pod, 2 Preemption is not helpful for scheduling.",
    );
  });
});
