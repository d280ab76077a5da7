// Resource metrics end to end on the `mkube up` cluster: metrics-server scrapes every kubelet's
// /metrics/resource over verified TLS as its own identity, serves metrics.k8s.io through the
// aggregation layer (an APIService whose Service is an ExternalName on loopback, its serving
// certificate checked against the APIService's caBundle), authorizes each reader by a
// SubjectAccessReview, and the HorizontalPodAutoscaler scales a Deployment on what it serves.
// The same cluster's storage (V1–V3): the default StorageClass `standard`, a claim provisioned by
// the controller-manager's host-path provisioner on the node the scheduler picked, mounted by that
// kubelet, readable by that node alone (the Node authorizer's pv → pvc → pod → node path), kept
// while a pod uses it (pvc-protection) and deleted with its directory (reclaim policy Delete); a
// StatefulSet's claims (V4), a generic ephemeral volume's (V5), and each kubelet's CSINode (V6).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type Credential, httpsRequest, startUpCluster, type UpCluster } from '../src/cluster.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('metrics-server, the HorizontalPodAutoscaler and persistent volumes (mkube up)', () => {
  let c: UpCluster;
  let admin: Credential;
  const work = mkdtempSync(join(tmpdir(), 'mkube-metrics-'));
  const kubectl = (args: string[]) =>
    new Promise<{ status: number; stdout: string; stderr: string }>((resolve) => {
      execFile(
        'kubectl',
        ['--kubeconfig', c.adminConf, ...args],
        { encoding: 'utf8', timeout: 30_000, env: { ...process.env, HOME: work } },
        (err, stdout, stderr) =>
          resolve({ status: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
      );
    });
  const eventually = async (what: string, fn: () => Promise<boolean>, ms = 60_000) => {
    const deadline = Date.now() + ms;
    while (!(await fn())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await sleep(500);
    }
  };

  before(async () => {
    c = await startUpCluster('metrics');
    admin = await c.issue('kubernetes-admin', ['kubeadm:cluster-admins']);
  });
  after(async () => {
    await c?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it('M1 the APIService is Available, and kubectl top shows every node and pod after two scrapes', async () => {
    await eventually('APIService v1beta1.metrics.k8s.io Available', async () =>
      /True/.test((await kubectl(['get', 'apiservice', 'v1beta1.metrics.k8s.io', '--no-headers'])).stdout),
    );
    let top = { status: 1, stdout: '', stderr: '' };
    await eventually('kubectl top nodes', async () => {
      top = await kubectl(['top', 'nodes', '--no-headers']);
      return top.status === 0 && c.nodes.every((n) => top.stdout.includes(n.name));
    });
    for (const line of top.stdout.trim().split('\n')) assert.match(line, /^node\d\s+\d+m\s+\d+%\s+\d+Mi\s+\d+%/);
    await eventually('kubectl top pods', async () => {
      const r = await kubectl(['top', 'pods', '--no-headers']);
      return r.status === 0 && c.nodes.every((n) => r.stdout.includes(`hello-${n.name}`));
    });
    const raw = JSON.parse((await kubectl(['get', '--raw', '/apis/metrics.k8s.io/v1beta1/nodes/node1'])).stdout);
    assert.equal(raw.kind, 'NodeMetrics');
    assert.match(raw.usage.cpu, /^\d+(n|u|m)?$/);
    assert.match(raw.usage.memory, /^\d+(Ki|Mi|Gi)?$/);
    assert.match(raw.window, /^\d+(\.\d+)?s$/);
    // kubectl get asks for a Table, which metrics-server answers with its own columns.
    const t = await kubectl(['get', 'nodes.metrics.k8s.io']);
    assert.equal(t.status, 0, t.stderr);
    assert.match(t.stdout, /^NAME\s+CPU\s+MEMORY\s+WINDOW/);
    const missing = await kubectl(['top', 'pod', 'no-such-pod']);
    assert.notEqual(missing.status, 0);
    assert.match(missing.stderr, /pods "default\/no-such-pod" not found/);
  });

  it('M2 reading metrics is authorized per user by the apiserver (SubjectAccessReview), through the front proxy', async () => {
    const nobody = await c.issue('nobody', []);
    const denied = await c.req(nobody, 'GET', '/apis/metrics.k8s.io/v1beta1/nodes');
    assert.equal(denied.status, 403, denied.text);
    assert.equal(
      (denied.json as { message: string }).message,
      'nodes.metrics.k8s.io is forbidden: User "nobody" cannot list resource "nodes" in API group "metrics.k8s.io" at the cluster scope',
    );
    // view aggregates system:aggregated-metrics-reader, as upstream's manifest labels it.
    assert.equal(
      (await kubectl(['create', 'rolebinding', 'm2-view', '--clusterrole=view', '--user=viewer'])).status,
      0,
    );
    const viewer = await c.issue('viewer', []);
    await eventually('view grants pods.metrics.k8s.io', async () => {
      const r = await c.req(viewer, 'GET', '/apis/metrics.k8s.io/v1beta1/namespaces/default/pods');
      return r.status === 200;
    });
    const other = await c.req(viewer, 'GET', '/apis/metrics.k8s.io/v1beta1/namespaces/kube-system/pods');
    assert.equal(other.status, 403, 'the binding is for default only');
    // A node's own client certificate is no reader of metrics.
    const n = await c.req(c.nodes[0]!.cred, 'GET', '/apis/metrics.k8s.io/v1beta1/nodes');
    assert.equal(n.status, 403);
  });

  it('M3 metrics-server itself: anonymous refused, no trusted X-Remote-User without the front-proxy certificate', async () => {
    const ms = c.metricsServer!;
    const base = `https://${ms.host}:${ms.port}/apis/metrics.k8s.io/v1beta1/nodes`;
    // Anonymous, as any k8s.io/apiserver server: authenticated as system:anonymous, then refused.
    const anon = await httpsRequest(base, { caPem: c.caPem });
    assert.equal(anon.status, 403, anon.text);
    assert.match((anon.json as { message: string }).message, /User "system:anonymous" cannot list resource "nodes"/);
    // A cluster-CA client certificate claiming to speak for someone else: its own name counts, not the header.
    const spoof = await c.issue('spoofer', []);
    const r = await httpsRequest(base, { ...spoof, caPem: c.caPem }, 'GET', undefined, {
      'X-Remote-User': 'kubernetes-admin',
      'X-Remote-Group': 'system:masters',
    });
    assert.equal(r.status, 403, r.text);
    assert.match((r.json as { message: string }).message, /User "spoofer" cannot list resource "nodes"/);
    // The admin's own client certificate is believed (the client CA from extension-apiserver-authentication).
    const ok = await httpsRequest(base, { ...admin, caPem: c.caPem });
    assert.equal(ok.status, 200, ok.text);
  });

  it('M4 kubectl autoscale: a Deployment burning CPU over its request is scaled up by the HPA', async () => {
    assert.equal(
      (await kubectl(['create', 'deployment', 'burn', '--image=busybox', '--', 'sh', '-c', 'while :; do :; done']))
        .status,
      0,
    );
    assert.equal((await kubectl(['set', 'resources', 'deployment', 'burn', '--requests=cpu=50m'])).status, 0);
    const a = await kubectl(['autoscale', 'deployment', 'burn', '--cpu-percent=50', '--min=1', '--max=2']);
    assert.equal(a.status, 0, a.stderr);
    try {
      await eventually(
        'the HPA to scale burn to 2',
        async () => {
          const r = await kubectl(['get', 'hpa', 'burn', '-o', 'jsonpath={.status.desiredReplicas}']);
          return r.stdout === '2';
        },
        90_000,
      );
      const d = await kubectl(['get', 'deployment', 'burn', '-o', 'jsonpath={.spec.replicas}']);
      assert.equal(d.stdout, '2');
      const ev = await kubectl(['get', 'events', '--field-selector=reason=SuccessfulRescale', '-o', 'name']);
      assert.notEqual(ev.stdout.trim(), '');
      const hpa = await kubectl(['get', 'hpa', 'burn', '--no-headers']);
      assert.match(hpa.stdout, /^burn\s+Deployment\/burn\s+cpu: \d+%\/50%\s+1\s+2\s+/);
    } finally {
      await kubectl(['delete', 'hpa/burn', 'deployment/burn', '--wait=false']);
    }
  });

  const claim = (name: string, extra: Record<string, unknown> = {}) => ({
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name },
    spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '16Mi' } }, ...extra },
  });
  const apply = async (obj: unknown) => {
    const f = join(work, `obj-${Date.now()}-${Math.random()}.json`);
    writeFileSync(f, JSON.stringify(obj));
    const r = await kubectl(['apply', '-f', f]);
    assert.equal(r.status, 0, r.stderr);
  };
  const getJson = async (args: string[]) => {
    const r = await kubectl(['get', ...args, '-o', 'json']);
    assert.equal(r.status, 0, r.stderr);
    return JSON.parse(r.stdout);
  };

  it('V1 a claim of the default class waits for its pod, is provisioned on the chosen node and mounted there', async () => {
    const sc = await kubectl(['get', 'storageclass', '--no-headers']);
    assert.match(
      sc.stdout,
      /^standard \(default\)\s+kubernetes\.io\/host-path\s+Delete\s+WaitForFirstConsumer\s+false\s/,
    );
    await apply(claim('data'));
    const pending = await getJson(['pvc', 'data']);
    assert.equal(pending.spec.storageClassName, 'standard', 'DefaultStorageClass admission');
    assert.deepEqual(pending.metadata.finalizers, ['kubernetes.io/pvc-protection']);
    await eventually('the WaitForFirstConsumer event', async () =>
      /waiting for first consumer to be created before binding/.test(
        (await kubectl(['get', 'events', '--field-selector=involvedObject.name=data'])).stdout,
      ),
    );
    assert.equal((await getJson(['pvc', 'data'])).status.phase, 'Pending');
    await apply({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'writer' },
      spec: {
        containers: [
          {
            name: 'w',
            image: 'busybox',
            command: ['sh', '-c', 'echo persisted > data/out.txt && sleep 3600'],
            volumeMounts: [{ name: 'd', mountPath: '/data' }],
          },
        ],
        volumes: [{ name: 'd', persistentVolumeClaim: { claimName: 'data' } }],
      },
    });
    await eventually('writer Running', async () => (await getJson(['pod', 'writer'])).status.phase === 'Running');
    const pod = await getJson(['pod', 'writer']);
    const pvc = await getJson(['pvc', 'data']);
    assert.equal(pvc.status.phase, 'Bound');
    assert.equal(pvc.metadata.annotations['volume.kubernetes.io/selected-node'], pod.spec.nodeName);
    const pv = await getJson(['pv', pvc.spec.volumeName]);
    assert.equal(pv.metadata.name, `pvc-${pvc.metadata.uid}`);
    assert.equal(pv.spec.claimRef.name, 'data');
    assert.equal(pv.metadata.annotations['pv.kubernetes.io/provisioned-by'], 'kubernetes.io/host-path');
    const dir = pv.spec.hostPath.path as string;
    await eventually('the pod wrote into the volume', async () => existsSync(join(dir, 'out.txt')));
    assert.equal(readFileSync(join(dir, 'out.txt'), 'utf8'), 'persisted\n');
    const cols = await kubectl(['get', 'pvc', 'data', '--no-headers']);
    assert.match(cols.stdout, new RegExp(`^data\\s+Bound\\s+${pv.metadata.name}\\s+16Mi\\s+RWO\\s+standard\\s`));
  });

  it('V2 only the node running the pod reads its claim and volume (Node authorizer)', async () => {
    const node = (await getJson(['pod', 'writer'])).spec.nodeName as string;
    const pvName = (await getJson(['pvc', 'data'])).spec.volumeName as string;
    const mine = c.nodes.find((n) => n.name === node)!;
    const other = c.nodes.find((n) => n.name !== node)!;
    assert.equal((await c.req(mine.cred, 'GET', `/api/v1/persistentvolumes/${pvName}`)).status, 200);
    assert.equal((await c.req(mine.cred, 'GET', '/api/v1/namespaces/default/persistentvolumeclaims/data')).status, 200);
    const denied = await c.req(other.cred, 'GET', `/api/v1/persistentvolumes/${pvName}`);
    assert.equal(denied.status, 403, denied.text);
    assert.match(
      (denied.json as { message: string }).message,
      new RegExp(
        `User "system:node:${other.name}" cannot get resource "persistentvolumes".*no relationship found between node '${other.name}' and this object`,
      ),
    );
    assert.equal(
      (await c.req(other.cred, 'GET', '/api/v1/namespaces/default/persistentvolumeclaims/data')).status,
      403,
    );
    // Neither node lists volumes, nor writes a claim's spec.
    assert.equal((await c.req(mine.cred, 'GET', '/api/v1/persistentvolumes')).status, 403);
    const pvc = await getJson(['pvc', 'data']);
    const w = await c.req(mine.cred, 'PUT', '/api/v1/namespaces/default/persistentvolumeclaims/data', pvc);
    assert.equal(w.status, 403, w.text);
  });

  it('V3 a claim in use is kept (pvc-protection); deleted after its pod, its volume and directory go too', async () => {
    const pvc = await getJson(['pvc', 'data']);
    const pv = await getJson(['pv', pvc.spec.volumeName]);
    assert.equal((await kubectl(['delete', 'pvc', 'data', '--wait=false'])).status, 0);
    await sleep(2_000);
    const terminating = await getJson(['pvc', 'data']);
    assert.ok(terminating.metadata.deletionTimestamp, 'marked for deletion');
    assert.deepEqual(terminating.metadata.finalizers, ['kubernetes.io/pvc-protection']);
    assert.equal((await kubectl(['delete', 'pod', 'writer', '--grace-period=1'])).status, 0);
    await eventually('the claim gone', async () => (await kubectl(['get', 'pvc', 'data'])).status !== 0);
    await eventually('the volume gone', async () => (await kubectl(['get', 'pv', pv.metadata.name])).status !== 0);
    await eventually('its directory removed', async () => !existsSync(pv.spec.hostPath.path));
  });

  it('V4 a StatefulSet gets a claim per pod from its volumeClaimTemplates, each provisioned and mounted', async () => {
    await apply({
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: { name: 'db' },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: 'db' } },
        serviceName: 'db',
        template: {
          metadata: { labels: { app: 'db' } },
          spec: {
            containers: [
              {
                name: 'db',
                image: 'busybox',
                command: ['sh', '-c', 'echo $HOSTNAME > data/who && sleep 3600'],
                volumeMounts: [{ name: 'data', mountPath: '/data' }],
              },
            ],
          },
        },
        volumeClaimTemplates: [
          {
            metadata: { name: 'data' },
            spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '8Mi' } } },
          },
        ],
        persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Delete', whenScaled: 'Retain' },
      },
    });
    try {
      await eventually(
        'db-0 and db-1 Running',
        async () => (await getJson(['statefulset', 'db'])).status.readyReplicas === 2,
        90_000,
      );
      for (const i of [0, 1]) {
        const pvc = await getJson(['pvc', `data-db-${i}`]);
        assert.equal(pvc.status.phase, 'Bound');
        assert.equal(pvc.metadata.labels.app, 'db');
        assert.equal(pvc.metadata.ownerReferences?.[0]?.kind, 'StatefulSet', 'whenDeleted: Delete');
        const pv = await getJson(['pv', pvc.spec.volumeName]);
        await eventually(`db-${i} wrote its name`, async () => existsSync(join(pv.spec.hostPath.path, 'who')));
        assert.equal(readFileSync(join(pv.spec.hostPath.path, 'who'), 'utf8').trim(), `db-${i}`);
      }
    } finally {
      await kubectl(['delete', 'statefulset', 'db', '--wait=false']);
    }
    // whenDeleted: Delete — the garbage collector takes the claims with the set, and their volumes follow.
    await eventually(
      'the claims gone with the set',
      async () => {
        const r = await kubectl(['get', 'pvc', '-l', 'app=db', '-o', 'name']);
        return r.status === 0 && r.stdout.trim() === '';
      },
      90_000,
    );
  });

  it('V5 a generic ephemeral volume: the controller makes its claim, provisioned and mounted, gone with the pod', async () => {
    await apply({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'scratch' },
      spec: {
        containers: [
          {
            name: 's',
            image: 'busybox',
            command: ['sh', '-c', 'echo ephemeral > cache/out.txt && sleep 3600'],
            volumeMounts: [{ name: 'cache', mountPath: '/cache' }],
          },
        ],
        volumes: [
          {
            name: 'cache',
            ephemeral: {
              volumeClaimTemplate: {
                metadata: { labels: { use: 'scratch' } },
                spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '4Mi' } } },
              },
            },
          },
        ],
      },
    });
    await eventually('scratch Running', async () => (await getJson(['pod', 'scratch'])).status.phase === 'Running');
    const pod = await getJson(['pod', 'scratch']);
    const pvc = await getJson(['pvc', 'scratch-cache']);
    assert.equal(pvc.metadata.labels.use, 'scratch');
    assert.deepEqual(pvc.metadata.ownerReferences, [
      {
        apiVersion: 'v1',
        kind: 'Pod',
        name: 'scratch',
        uid: pod.metadata.uid,
        controller: true,
        blockOwnerDeletion: true,
      },
    ]);
    assert.equal(pvc.spec.storageClassName, 'standard');
    const pv = await getJson(['pv', pvc.spec.volumeName]);
    await eventually('the pod wrote into its ephemeral volume', async () =>
      existsSync(join(pv.spec.hostPath.path, 'out.txt')),
    );
    // The pod's node reads the claim through the pod (the graph's ephemeral edge); the other does not.
    const mine = c.nodes.find((n) => n.name === pod.spec.nodeName)!;
    const other = c.nodes.find((n) => n.name !== pod.spec.nodeName)!;
    const claimPath = '/api/v1/namespaces/default/persistentvolumeclaims/scratch-cache';
    assert.equal((await c.req(mine.cred, 'GET', claimPath)).status, 200);
    assert.equal((await c.req(other.cred, 'GET', claimPath)).status, 403);
    assert.equal((await kubectl(['delete', 'pod', 'scratch', '--grace-period=1'])).status, 0);
    await eventually(
      'the claim gone with its pod',
      async () => (await kubectl(['get', 'pvc', 'scratch-cache'])).status !== 0,
    );
    await eventually('its volume and directory gone', async () => !existsSync(pv.spec.hostPath.path));
  });

  it('V6 each kubelet publishes its CSINode; a node writes only its own', async () => {
    await eventually('a CSINode per node', async () => {
      const r = await kubectl(['get', 'csinodes', '--no-headers']);
      return c.nodes.every((n) => new RegExp(`^${n.name}\\s+0\\s`, 'm').test(r.stdout));
    });
    const [a, b] = c.nodes;
    const mine = await c.req(a!.cred, 'GET', `/apis/storage.k8s.io/v1/csinodes/${a!.name}`);
    assert.equal(mine.status, 200, mine.text);
    const obj = mine.json as { metadata: { ownerReferences?: { kind: string; name: string }[] } };
    assert.equal(obj.metadata.ownerReferences?.[0]?.kind, 'Node');
    assert.equal(obj.metadata.ownerReferences?.[0]?.name, a!.name);
    const theirs = await c.req(a!.cred, 'GET', `/apis/storage.k8s.io/v1/csinodes/${b!.name}`);
    assert.equal(theirs.status, 403, theirs.text);
    const del = await c.req(a!.cred, 'DELETE', `/apis/storage.k8s.io/v1/csinodes/${b!.name}`);
    assert.equal(del.status, 403, del.text);
  });
});
