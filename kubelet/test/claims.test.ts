// Claim-backed pod volumes on the process runtime, end to end: a real apiserver (Node,RBAC,
// NodeRestriction), controller-manager (its binder off: this test binds claims itself) and kubelet.
// The kubelet reads the claim and its PersistentVolume with its node identity; a hostPath or local
// volume becomes a link under the pod's volumes; a claim not bound yet keeps the pod waiting, and so
// does a volume whose node affinity the node's current labels do not match.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { PersistentVolume, PersistentVolumeClaim, Pod } from '@mkube/shared/api';
import { type NodeCluster, podEvent, startNodeCluster, type TestKubelet, until } from './fixture.ts';

describe('persistentVolumeClaim and ephemeral volumes (process runtime)', () => {
  let c: NodeCluster;
  let k: TestKubelet;
  let hostDir: string;
  const NODE = 'node-pvc';
  before(async () => {
    c = await startNodeCluster({ kcmArgs: ['--controllers=*,-persistentvolume-binder-controller'] });
    k = await c.startKubelet(NODE);
    await k.kubelet.ready;
    hostDir = mkdtempSync(join(tmpdir(), 'mkube-pv-'));
    writeFileSync(join(hostDir, 'hello.txt'), 'from the volume\n');
  });
  after(async () => {
    await c?.close();
    if (hostDir) rmSync(hostDir, { recursive: true, force: true });
  });

  const pods = () => c.admin.resource<Pod>({ group: '', version: 'v1', resource: 'pods', namespace: 'default' });
  const claims = () =>
    c.admin.resource<PersistentVolumeClaim>({
      group: '',
      version: 'v1',
      resource: 'persistentvolumeclaims',
      namespace: 'default',
    });
  const volumes = () => c.admin.resource<PersistentVolume>({ group: '', version: 'v1', resource: 'persistentvolumes' });
  const podDir = (p: Pod) => join(k.rootDir, 'pods', `default_${p.metadata.name}_${p.metadata.uid}`);
  const logOf = (p: Pod) => {
    try {
      return readFileSync(join(podDir(p), 'app', '0.log'), 'utf8');
    } catch {
      return '';
    }
  };
  const waiting = (name: string) =>
    until(`${name} waiting with a message`, async () => {
      const s = (await pods().get(name)).status?.containerStatuses?.[0]?.state?.waiting;
      return s?.reason === 'ContainerCreating' && s.message ? s.message : undefined;
    });
  const claim = (name: string, extra: Partial<PersistentVolumeClaim['metadata']> = {}) =>
    claims().create({
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name, ...extra },
      spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } }, storageClassName: '' },
    });
  /** What the binder would do: the PV's claimRef, the claim's volumeName, the claim Bound. */
  const bind = async (pvc: PersistentVolumeClaim, pvName: string, source: Record<string, unknown>) => {
    await volumes().create({
      apiVersion: 'v1',
      kind: 'PersistentVolume',
      metadata: { name: pvName },
      spec: {
        capacity: { storage: '1Gi' },
        accessModes: ['ReadWriteOnce'],
        storageClassName: '',
        claimRef: {
          kind: 'PersistentVolumeClaim',
          namespace: 'default',
          name: pvc.metadata.name!,
          uid: pvc.metadata.uid!,
        },
        ...source,
      },
    });
    const merge = 'application/merge-patch+json';
    await claims().patch(pvc.metadata.name!, merge, { spec: { volumeName: pvName } });
    await claims().patch(
      pvc.metadata.name!,
      merge,
      { status: { phase: 'Bound', capacity: { storage: '1Gi' } } },
      {
        subresource: 'status',
      },
    );
  };
  const app = (name: string, volume: object) => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name },
    spec: {
      nodeName: NODE,
      restartPolicy: 'Never' as const,
      automountServiceAccountToken: false,
      volumes: [{ name: 'data', ...volume }],
      containers: [
        {
          name: 'app',
          image: 'busybox',
          command: ['sh', '-c', 'cat data/hello.txt'],
          volumeMounts: [{ name: 'data', mountPath: '/data' }],
        },
      ],
    },
  });

  it('waits while the claim is missing or Pending, then links the bound hostPath volume', async () => {
    const p = await pods().create(app('late', { persistentVolumeClaim: { claimName: 'late' } }));
    assert.equal(
      await waiting('late'),
      'error processing PVC default/late: failed to fetch PVC from API server: persistentvolumeclaims "late" not found',
    );
    const pvc = await claim('late');
    await until('the claim is seen Pending', async () =>
      (await waiting('late')) === 'error processing PVC default/late: PVC is not bound' ? true : undefined,
    );
    await podEvent(c, 'late', /^Warning FailedMount error processing PVC default\/late: PVC is not bound$/);
    assert.equal(logOf(p), '');
    await bind(pvc, 'pv-late', { hostPath: { path: hostDir } });
    await until('the pod read the volume', async () => (/from the volume/.test(logOf(p)) ? true : undefined));
    assert.equal(readlinkSync(join(podDir(p), 'volumes', 'data')), hostDir);
  });

  it("mounts an ephemeral volume's claim <pod>-<volume>, made by the ephemeral-volume controller, once bound", async () => {
    const p = await pods().create(
      app('eph', {
        ephemeral: {
          volumeClaimTemplate: {
            spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
          },
        },
      }),
    );
    const pvc = await until('the controller made the claim', () =>
      claims()
        .get('eph-data')
        .catch(() => undefined),
    );
    assert.equal(pvc.metadata.ownerReferences?.[0]?.uid, p.metadata.uid);
    await until('the claim is seen Pending', async () =>
      (await waiting('eph')) === 'error processing PVC default/eph-data: PVC is not bound' ? true : undefined,
    );
    await bind(pvc, 'pv-eph', {
      local: { path: hostDir },
      nodeAffinity: {
        required: {
          nodeSelectorTerms: [
            { matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: [NODE] }] },
          ],
        },
      },
    });
    await until('the pod read the volume', async () => (/from the volume/.test(logOf(p)) ? true : undefined));
  });

  it("refuses a volume whose node affinity excludes the node, and mounts it once the node's labels match", async () => {
    const affinity = (key: string, values: string[]) => ({
      nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key, operator: 'In', values }] }] } },
    });
    const far = await claim('far');
    await bind(far, 'pv-far', { local: { path: hostDir }, ...affinity('kubernetes.io/hostname', ['node-elsewhere']) });
    const farPod = await pods().create(app('far', { persistentVolumeClaim: { claimName: 'far' } }));
    const refusedFar = 'MountVolume.NodeAffinity check failed for volume "pv-far" : no matching NodeSelectorTerms';
    assert.equal(await waiting('far'), refusedFar);
    await podEvent(
      c,
      'far',
      /^Warning FailedMount MountVolume\.NodeAffinity check failed for volume "pv-far" : no matching NodeSelectorTerms$/,
    );

    // The labels are read at each attempt: a label the node gains later lets the volume mount.
    const rack = await claim('rack');
    await bind(rack, 'pv-rack', { hostPath: { path: hostDir }, ...affinity('mkube.test/rack', ['r1']) });
    const rackPod = await pods().create(app('rack', { persistentVolumeClaim: { claimName: 'rack' } }));
    assert.equal(
      await waiting('rack'),
      'MountVolume.NodeAffinity check failed for volume "pv-rack" : no matching NodeSelectorTerms',
    );
    await c.admin
      .resource({ group: '', version: 'v1', resource: 'nodes' })
      .patch(NODE, 'application/merge-patch+json', { metadata: { labels: { 'mkube.test/rack': 'r1' } } });
    await until('the rack pod read the volume', async () =>
      /from the volume/.test(logOf(rackPod)) ? true : undefined,
    );
    assert.equal(readlinkSync(join(podDir(rackPod), 'volumes', 'data')), hostDir);

    // The other node's volume is still refused, and its pod never ran.
    const far2 = await pods().get('far');
    assert.equal(far2.status?.containerStatuses?.[0]?.state?.waiting?.message, refusedFar);
    assert.equal(far2.status?.phase, 'Pending');
    assert.equal(logOf(farPod), '');
  });

  it("refuses another's claim for an ephemeral volume, and a volume it cannot mount", async () => {
    const stranger = await claim('odd-data');
    await bind(stranger, 'pv-odd', { hostPath: { path: hostDir } });
    await pods().create(
      app('odd', {
        ephemeral: {
          volumeClaimTemplate: {
            spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
          },
        },
      }),
    );
    assert.equal(await waiting('odd'), 'PVC default/odd-data was not created for pod default/odd (pod is not owner)');

    const nfs = await claim('nfs');
    await bind(nfs, 'pv-nfs', { nfs: { server: 'nfs.example.com', path: '/export' } });
    await pods().create(app('nfs', { persistentVolumeClaim: { claimName: 'nfs' } }));
    assert.equal(
      await waiting('nfs'),
      'PersistentVolume pv-nfs has a nfs source: the mkube process runtime can only use hostPath and local volumes',
    );
  });
});
