// VolumeBinding and VolumeRestrictions against a real apiserver, with the real scheduler as
// system:kube-scheduler and the test playing the PV controller (no controller-manager runs): the
// PreFilter and Filter messages in the PodScheduled condition, WaitForFirstConsumer claims bound to
// a local PV on its node or handed to a provisioner through selected-node, PreBind's wait (and its
// timeout, from a profile's VolumeBindingArgs), and pods retried when claims, volumes or nodes change.
// The binder's Reserve is checked without the apiserver: a volume assumed for one pod is not offered
// to the next.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type {
  Event,
  Node,
  PersistentVolume,
  PersistentVolumeAccessMode,
  PersistentVolumeClaim,
  StorageClass,
} from '@mkube/shared/api';
import { createClient, type KubeClient } from '@mkube/shared/client';
import { parseFlags } from '@mkube/shared/flags';
import { createLogger } from '@mkube/shared/log';
import { type Fixture, issueClient, startFixture, waitFor } from '../../apiserver/test/server/fixture.ts';
import type { Pod } from '../src/api/index.ts';
import { loadSchedulerConfig, type RunningScheduler, SCHEDULER_FLAGS, startScheduler } from '../src/main.ts';
import { AssumeCache } from '../src/plugins/volumebinding/assumecache.ts';
import { VolumeBinder } from '../src/plugins/volumebinding/binder.ts';
import { ERR_REASON_BIND_CONFLICT } from '../src/plugins/volumebinding/reasons.ts';

const NS = 'default';
const PODS = { group: '', version: 'v1', resource: 'pods', namespace: NS } as const;
const NODES = { group: '', version: 'v1', resource: 'nodes' } as const;
const PVS = { group: '', version: 'v1', resource: 'persistentvolumes' } as const;
const PVCS = { group: '', version: 'v1', resource: 'persistentvolumeclaims', namespace: NS } as const;
const CLASSES = { group: 'storage.k8s.io', version: 'v1', resource: 'storageclasses' } as const;
const EVENTS = { group: '', version: 'v1', resource: 'events', namespace: NS } as const;

const NOT_HELPFUL = 'preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling.';

const newNode = (name: string): Node => ({
  apiVersion: 'v1',
  kind: 'Node',
  metadata: { name, labels: { 'kubernetes.io/hostname': name } },
  spec: {},
  status: { allocatable: { cpu: '4', memory: '8Gi', pods: '110' }, capacity: { cpu: '4', memory: '8Gi', pods: '110' } },
});

const podWith = (name: string, claims: string[], spec: Partial<NonNullable<Pod['spec']>> = {}): Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: NS },
  spec: {
    containers: [{ name: 'c', image: 'busybox' }],
    volumes: claims.map((c, i) => ({ name: `v${i}`, persistentVolumeClaim: { claimName: c } })),
    ...spec,
  },
});

interface ClaimOpts {
  cls?: string;
  size?: string;
  modes?: PersistentVolumeAccessMode[];
}

const claim = (name: string, o: ClaimOpts = {}): PersistentVolumeClaim => ({
  apiVersion: 'v1',
  kind: 'PersistentVolumeClaim',
  metadata: { name, namespace: NS },
  spec: {
    accessModes: o.modes ?? ['ReadWriteOnce'],
    resources: { requests: { storage: o.size ?? '1Gi' } },
    // An explicit '' keeps a claim classless whatever class is the default.
    storageClassName: o.cls ?? '',
  },
});

const volume = (
  name: string,
  o: { cls?: string; size?: string; node?: string; local?: boolean; modes?: PersistentVolumeAccessMode[] } = {},
): PersistentVolume => ({
  apiVersion: 'v1',
  kind: 'PersistentVolume',
  metadata: { name },
  spec: {
    capacity: { storage: o.size ?? '1Gi' },
    accessModes: o.modes ?? ['ReadWriteOnce'],
    ...(o.local ? { local: { path: `/mnt/${name}` } } : { hostPath: { path: `/tmp/${name}` } }),
    storageClassName: o.cls ?? '',
    ...(o.node
      ? {
          nodeAffinity: {
            required: {
              nodeSelectorTerms: [
                { matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: [o.node] }] },
              ],
            },
          },
        }
      : {}),
  },
});

const storageClass = (name: string, provisioner: string, o: Partial<StorageClass> = {}): StorageClass => ({
  apiVersion: 'storage.k8s.io/v1',
  kind: 'StorageClass',
  metadata: { name },
  provisioner,
  volumeBindingMode: 'WaitForFirstConsumer',
  ...o,
});

describe('kube-scheduler volume binding', () => {
  let fx: Fixture;
  let admin: KubeClient;
  let sched: RunningScheduler;

  const pods = () => admin.resource<Pod>(PODS);
  const pvs = () => admin.resource<PersistentVolume>(PVS);
  const pvcs = () => admin.resource<PersistentVolumeClaim>(PVCS);
  const scheduled = (p: Pod) => p.status?.conditions?.find((c) => c.type === 'PodScheduled');

  /** The PodScheduled=False message once the scheduler has written one. */
  const unschedulableMessage = (name: string, ms = 15_000) =>
    waitFor(
      `${name} marked unschedulable`,
      async () => {
        const c = scheduled(await pods().get(name));
        return c?.status === 'False' && c.message ? c.message : undefined;
      },
      ms,
    );
  const boundNode = (name: string, ms = 15_000) =>
    waitFor(`${name} bound`, async () => (await pods().get(name)).spec?.nodeName || undefined, ms);

  /** A volume as the PV controller leaves a new one: Available. */
  const createVolume = async (pv: PersistentVolume) => {
    const created = await pvs().create(pv);
    return pvs().updateSubresource<PersistentVolume>(created.metadata.name ?? '', 'status', {
      ...created,
      status: { phase: 'Available' },
    });
  };

  /** What the PV controller does to finish a binding: claimRef, volumeName, bind-completed, phases. */
  const bindClaim = async (claimName: string, pvName: string) => {
    const c = await pvcs().get(claimName);
    let pv = await pvs().get(pvName);
    if (!pv.spec?.claimRef?.uid) {
      pv = await pvs().update({
        ...pv,
        spec: {
          ...pv.spec,
          claimRef: {
            kind: 'PersistentVolumeClaim',
            apiVersion: 'v1',
            namespace: NS,
            name: claimName,
            uid: c.metadata.uid,
          },
        },
      });
    }
    await pvs().updateSubresource<PersistentVolume>(pvName, 'status', { ...pv, status: { phase: 'Bound' } });
    const named = await pvcs().update({
      ...c,
      metadata: { ...c.metadata, annotations: { ...c.metadata.annotations, 'pv.kubernetes.io/bind-completed': 'yes' } },
      spec: { ...c.spec, volumeName: pvName },
    });
    await pvcs().updateSubresource<PersistentVolumeClaim>(claimName, 'status', {
      ...named,
      status: { phase: 'Bound', accessModes: named.spec?.accessModes ?? [], capacity: pv.spec?.capacity ?? {} },
    });
  };

  before(async () => {
    fx = await startFixture(['--authorization-mode=Node,RBAC']);
    admin = createClient({
      server: fx.url,
      caPem: readFileSync(fx.pki.caCrt, 'utf8'),
      clientCertPem: readFileSync(fx.pki.adminCrt, 'utf8'),
      clientKeyPem: readFileSync(fx.pki.adminKey, 'utf8'),
    });
    // Only the rights bootstrap policy gives kube-scheduler (system:kube-scheduler and system:volume-scheduler).
    const identity = await issueClient(fx, 'system:kube-scheduler');
    for (const name of ['node-a', 'node-b']) {
      const created = await admin.resource<Node>(NODES).create(newNode(name));
      await admin.resource<Node>(NODES).update({ ...created, spec: { ...created.spec, taints: [] } });
    }
    const cls = admin.resource<StorageClass>(CLASSES);
    await cls.create(storageClass('local', 'kubernetes.io/no-provisioner'));
    await cls.create(storageClass('hostpath', 'kubernetes.io/host-path'));
    await cls.create(
      storageClass('zoned', 'kubernetes.io/host-path', {
        allowedTopologies: [{ matchLabelExpressions: [{ key: 'topology.kubernetes.io/zone', values: ['z9'] }] }],
      }),
    );
    await cls.create(storageClass('eager', 'kubernetes.io/host-path', { volumeBindingMode: 'Immediate' }));

    const config = join(fx.dir, 'scheduler.yaml');
    writeFileSync(
      config,
      [
        'apiVersion: kubescheduler.config.k8s.io/v1',
        'kind: KubeSchedulerConfiguration',
        `clientConnection: {kubeconfig: ${JSON.stringify(identity.kubeconfig)}}`,
        'leaderElection: {leaderElect: false}',
        'profiles:',
        '- schedulerName: default-scheduler',
        '  pluginConfig: [{name: VolumeBinding, args: {bindTimeoutSeconds: 60}}]',
        '- schedulerName: impatient',
        '  pluginConfig: [{name: VolumeBinding, args: {bindTimeoutSeconds: 2}}]',
      ].join('\n'),
    );
    const parsed = parseFlags(SCHEDULER_FLAGS, [`--config=${config}`, '--secure-port=0']);
    sched = await startScheduler(await loadSchedulerConfig(parsed.flags, parsed.given), {
      log: createLogger({ name: 'kube-scheduler', destination: { write: () => undefined } as never }),
    });
  });

  after(async () => {
    await sched?.stop();
    await admin?.close();
    await fx?.close();
  });

  it('refuses a pod whose claim does not exist, and schedules it once the claim is there and bound', async () => {
    await pods().create(podWith('missing', ['nope']));
    const msg = await unschedulableMessage('missing');
    assert.equal(msg, `0/2 nodes are available: persistentvolumeclaim "nope" not found. ${NOT_HELPFUL}`);
    const ev = await waitFor('FailedScheduling', async () =>
      (await admin.resource<Event>(EVENTS).list({ fieldSelector: 'involvedObject.name=missing' })).items.find(
        (e) => e.reason === 'FailedScheduling',
      ),
    );
    assert.equal(ev.message, msg);
    await pvcs().create(claim('nope'));
    await waitFor('the next verdict', async () =>
      (await unschedulableMessage('missing')).includes('unbound immediate') ? true : undefined,
    );
    await createVolume(volume('pv-nope'));
    await bindClaim('nope', 'pv-nope');
    assert.ok(await boundNode('missing'));
  });

  it('refuses a pod whose claim is being deleted', async () => {
    await pvcs().create({
      ...claim('dying'),
      metadata: { name: 'dying', namespace: NS, finalizers: ['mkube.test/hold'] },
    });
    await pvcs().delete('dying');
    await waitFor('dying marked for deletion', async () =>
      (await pvcs().get('dying')).metadata.deletionTimestamp ? true : undefined,
    );
    await pods().create(podWith('with-dying', ['dying']));
    assert.equal(
      await unschedulableMessage('with-dying'),
      `0/2 nodes are available: persistentvolumeclaim "dying" is being deleted. ${NOT_HELPFUL}`,
    );
  });

  it('leaves a pod with an unbound Immediate claim for the PV controller, and schedules it once bound', async () => {
    await pvcs().create(claim('eager-data', { cls: 'eager' }));
    await pods().create(podWith('eager', ['eager-data']));
    assert.equal(
      await unschedulableMessage('eager'),
      `0/2 nodes are available: pod has unbound immediate PersistentVolumeClaims. ${NOT_HELPFUL}`,
    );
    assert.equal((await pods().get('eager')).spec?.nodeName ?? '', '');
    await createVolume(volume('pv-eager', { cls: 'eager' }));
    await bindClaim('eager-data', 'pv-eager');
    assert.ok(await boundNode('eager'), 'the claim update retries the parked pod');
  });

  it('refuses every node when the bound volume is pinned to a node not in the cluster', async () => {
    await createVolume(volume('pv-far', { node: 'node-z' }));
    await pvcs().create(claim('far'));
    await bindClaim('far', 'pv-far');
    await pods().create(podWith('far-pod', ['far']));
    assert.equal(
      await unschedulableMessage('far-pod'),
      `0/2 nodes are available: 2 node(s) had volume node affinity conflict. ${NOT_HELPFUL}`,
    );
  });

  it('binds a WaitForFirstConsumer claim to the local volume on its node, then binds the pod there', async () => {
    await createVolume(volume('pv-local-b', { cls: 'local', size: '5Gi', node: 'node-b', local: true }));
    // Larger than needed and on the other node: the smaller fitting one on node-b must not lose to it.
    await createVolume(volume('pv-local-a-big', { cls: 'local', size: '50Gi', node: 'node-a', local: true }));
    await pvcs().create(claim('local-data', { cls: 'local', size: '2Gi' }));
    const c = await pvcs().get('local-data');
    await pods().create(podWith('local-pod', ['local-data'], { nodeSelector: { 'kubernetes.io/hostname': 'node-b' } }));
    const pv = await waitFor('pv-local-b pre-bound', async () => {
      const v = await pvs().get('pv-local-b');
      return v.spec?.claimRef ? v : undefined;
    });
    assert.deepEqual(
      {
        kind: pv.spec?.claimRef?.kind,
        apiVersion: pv.spec?.claimRef?.apiVersion,
        namespace: pv.spec?.claimRef?.namespace,
        name: pv.spec?.claimRef?.name,
        uid: pv.spec?.claimRef?.uid,
      },
      { kind: 'PersistentVolumeClaim', apiVersion: 'v1', namespace: NS, name: 'local-data', uid: c.metadata.uid },
    );
    assert.equal(pv.metadata.annotations?.['pv.kubernetes.io/bound-by-controller'], 'yes');
    assert.equal((await pvs().get('pv-local-a-big')).spec?.claimRef, undefined);
    // PreBind waits for the PV controller: no Binding yet.
    assert.equal((await pods().get('local-pod')).spec?.nodeName ?? '', '');
    await bindClaim('local-data', 'pv-local-b');
    assert.equal(await boundNode('local-pod'), 'node-b');
  });

  it('picks the node a WaitForFirstConsumer local volume is on, without a selector', async () => {
    await createVolume(volume('pv-only-a', { cls: 'local', size: '1Gi', node: 'node-a', local: true }));
    await pvcs().create(claim('only-a', { cls: 'local', size: '1Gi' }));
    await pods().create(podWith('follows-volume', ['only-a']));
    await waitFor('pv-only-a pre-bound', async () =>
      (await pvs().get('pv-only-a')).spec?.claimRef?.name === 'only-a' ? true : undefined,
    );
    await bindClaim('only-a', 'pv-only-a');
    assert.equal(await boundNode('follows-volume'), 'node-a');
  });

  it('refuses every node when no volume fits and the class cannot provision', async () => {
    await pvcs().create(claim('too-big', { cls: 'local', size: '1Ti' }));
    await pods().create(podWith('too-big-pod', ['too-big']));
    assert.equal(
      await unschedulableMessage('too-big-pod'),
      `0/2 nodes are available: 2 node(s) didn't find available persistent volumes to bind. ${NOT_HELPFUL}`,
    );
  });

  it('hands a WaitForFirstConsumer claim to its provisioner with selected-node, then binds the pod', async () => {
    await pvcs().create(claim('prov', { cls: 'hostpath' }));
    await pods().create(podWith('prov-pod', ['prov'], { nodeSelector: { 'kubernetes.io/hostname': 'node-a' } }));
    await waitFor('selected-node on the claim', async () =>
      (await pvcs().get('prov')).metadata.annotations?.['volume.kubernetes.io/selected-node'] === 'node-a'
        ? true
        : undefined,
    );
    assert.equal((await pods().get('prov-pod')).spec?.nodeName ?? '', '');
    // The provisioner's volume, then the PV controller's binding.
    await createVolume(volume('pvc-prov', { cls: 'hostpath', node: 'node-a' }));
    await bindClaim('prov', 'pvc-prov');
    assert.equal(await boundNode('prov-pod'), 'node-a');
  });

  it("refuses nodes outside a class's allowedTopologies, and retries when a node is labelled into them", async () => {
    await pvcs().create(claim('zoned-data', { cls: 'zoned' }));
    await pods().create(podWith('zoned-pod', ['zoned-data']));
    assert.equal(
      await unschedulableMessage('zoned-pod'),
      `0/2 nodes are available: 2 node(s) didn't find available persistent volumes to bind. ${NOT_HELPFUL}`,
    );
    const b = await admin.resource<Node>(NODES).get('node-b');
    await admin.resource<Node>(NODES).update({
      ...b,
      metadata: { ...b.metadata, labels: { ...b.metadata.labels, 'topology.kubernetes.io/zone': 'z9' } },
    });
    await waitFor('selected-node node-b', async () =>
      (await pvcs().get('zoned-data')).metadata.annotations?.['volume.kubernetes.io/selected-node'] === 'node-b'
        ? true
        : undefined,
    );
    await createVolume(volume('pvc-zoned', { cls: 'zoned', node: 'node-b' }));
    await bindClaim('zoned-data', 'pvc-zoned');
    assert.equal(await boundNode('zoned-pod'), 'node-b');
  });

  it("fails PreBind after the profile's bindTimeoutSeconds when the claim is never bound", async () => {
    await pvcs().create(claim('never', { cls: 'hostpath' }));
    await pods().create(podWith('impatient-pod', ['never'], { schedulerName: 'impatient' }));
    const msg = await unschedulableMessage('impatient-pod', 20_000);
    assert.equal(msg, 'running PreBind plugin "VolumeBinding": binding volumes: context deadline exceeded');
    assert.equal(scheduled(await pods().get('impatient-pod'))?.reason, 'SchedulerError');
    // Unreserve took the assumption back; the claim keeps the annotation the provisioner would act on.
    assert.equal((await pods().get('impatient-pod')).spec?.nodeName ?? '', '');
  });

  it('keeps a ReadWriteOncePod claim to one pod, and schedules the next once that pod is gone', async () => {
    await createVolume(volume('pv-solo', { modes: ['ReadWriteOncePod'] }));
    await pvcs().create(claim('solo', { modes: ['ReadWriteOncePod'] }));
    await bindClaim('solo', 'pv-solo');
    await pods().create(podWith('solo-1', ['solo']));
    assert.ok(await boundNode('solo-1'));
    await pods().create(podWith('solo-2', ['solo']));
    assert.equal(
      await unschedulableMessage('solo-2'),
      '0/2 nodes are available: 2 node has pod using PersistentVolumeClaim with the same name and ReadWriteOncePod access mode. preemption: 0/2 nodes are available: 2 No preemption victims found for incoming pod.',
    );
    await pods().delete('solo-1', { gracePeriodSeconds: 0 });
    assert.ok(await boundNode('solo-2', 20_000));
  });
});

describe('VolumeBinder Reserve', () => {
  const pvc = (name: string): PersistentVolumeClaim => ({
    ...claim(name, { cls: 'local' }),
    metadata: { name, namespace: NS, uid: `uid-${name}`, resourceVersion: '1' },
  });
  const node = newNode('n1');

  it('does not offer a volume assumed for one pod to the next, until Unreserve', () => {
    const pvcs = new AssumeCache<PersistentVolumeClaim>('PersistentVolumeClaim');
    const pvs = new AssumeCache<PersistentVolume>('PersistentVolume');
    pvcs.onAddOrUpdate(pvc('c1'));
    pvcs.onAddOrUpdate(pvc('c2'));
    pvs.onAddOrUpdate({
      ...volume('only', { cls: 'local' }),
      metadata: { name: 'only', resourceVersion: '1' },
      status: { phase: 'Available' },
    });
    const binder = new VolumeBinder(
      {
        pvcs,
        pvs,
        storageClass: (n) => (n === 'local' ? storageClass('local', 'kubernetes.io/no-provisioner') : undefined),
        node: () => node,
        podExists: () => true,
      },
      {
        updatePV: () => Promise.reject(new Error('unused')),
        updatePVC: () => Promise.reject(new Error('unused')),
      },
      { bindTimeoutMs: 1000 },
    );
    const p1 = podWith('p1', ['c1']);
    const p2 = podWith('p2', ['c2']);
    const first = binder.findPodVolumes(binder.getPodVolumeClaims(p1), node);
    assert.deepEqual(first.reasons, []);
    assert.equal(first.volumes.staticBindings[0]?.pv.metadata.name, 'only');
    assert.equal(binder.assumePodVolumes(p1, 'n1', first.volumes), false);
    assert.equal(pvs.get('only')?.spec?.claimRef?.name, 'c1');
    assert.equal(pvs.getApi('only')?.spec?.claimRef, undefined, "the informer's object is untouched");

    assert.deepEqual(binder.findPodVolumes(binder.getPodVolumeClaims(p2), node).reasons, [ERR_REASON_BIND_CONFLICT]);
    binder.revertAssumed(first.volumes);
    assert.deepEqual(binder.findPodVolumes(binder.getPodVolumeClaims(p2), node).reasons, []);
  });
});
