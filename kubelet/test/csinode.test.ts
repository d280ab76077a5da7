// The kubelet's CSINode (csi_plugin initializeCSINode): once its Node is registered it publishes a
// CSINode of the node's name, owned by the Node, without drivers, annotated with the in-tree plugins
// migrated to CSI; an existing one gets the annotation brought up to date. An apiserver that does
// not serve csinodes is tolerated: logged once, retried quietly.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { CSINode, Node } from '@mkube/shared/api';
import { StatusError } from '@mkube/shared/apierrors';
import type { KubeClient } from '@mkube/shared/client';
import { initializeCSINode, setMigrationAnnotation } from '../src/csi/nodeinfomanager.ts';
import { capturingLog, type NodeCluster, startNodeCluster, until } from './fixture.ts';

const ANNOTATION = 'storage.alpha.kubernetes.io/migrated-plugins';
const MIGRATED =
  'kubernetes.io/aws-ebs,kubernetes.io/azure-disk,kubernetes.io/azure-file,kubernetes.io/cinder,' +
  'kubernetes.io/gce-pd,kubernetes.io/portworx-volume,kubernetes.io/vsphere-volume';

describe('CSINode registration', () => {
  let c: NodeCluster;
  before(async () => {
    c = await startNodeCluster();
  });
  after(async () => {
    await c?.close();
  });
  const csiNodes = () => c.admin.resource<CSINode>({ group: 'storage.k8s.io', version: 'v1', resource: 'csinodes' });
  const csiNode = (name: string) =>
    until(`CSINode ${name}`, () =>
      csiNodes()
        .get(name)
        .catch(() => undefined),
    );

  it('creates the CSINode owned by its Node, without drivers, with the migrated plugins', async () => {
    const k = await c.startKubelet('node-csi');
    await k.kubelet.ready;
    const node = await c.admin.resource<Node>({ group: '', version: 'v1', resource: 'nodes' }).get('node-csi');
    const got = await csiNode('node-csi');
    assert.deepEqual(got.metadata.ownerReferences, [
      { apiVersion: 'v1', kind: 'Node', name: 'node-csi', uid: node.metadata.uid },
    ]);
    assert.deepEqual(got.spec.drivers, []);
    assert.equal(got.metadata.annotations?.[ANNOTATION], MIGRATED);
  });

  it("brings an existing CSINode's annotation up to date and leaves the rest of it", async () => {
    const old = await csiNodes().create({
      apiVersion: 'storage.k8s.io/v1',
      kind: 'CSINode',
      metadata: { name: 'node-csi-old', annotations: { [ANNOTATION]: 'kubernetes.io/gce-pd', keep: 'me' } },
      spec: { drivers: [{ name: 'hostpath.csi.k8s.io', nodeID: 'node-csi-old' }] },
    });
    const k = await c.startKubelet('node-csi-old');
    await k.kubelet.ready;
    const got = await until('the annotation updated', async () => {
      const n = await csiNodes().get('node-csi-old');
      return n.metadata.annotations?.[ANNOTATION] === MIGRATED ? n : undefined;
    });
    assert.equal(got.metadata.uid, old.metadata.uid, 'updated in place, not recreated');
    assert.equal(got.metadata.annotations?.keep, 'me');
    assert.deepEqual(
      got.spec.drivers.map((d) => d.name),
      ['hostpath.csi.k8s.io'],
    );
  });
});

describe('CSINode registration against an apiserver without csinodes', () => {
  it('logs the missing resource once and keeps retrying until the kubelet stops', async () => {
    let attempts = 0;
    const notServed = () => new StatusError('NotFound', 'the server could not find the requested resource', {});
    const client = {
      resource: () => ({
        get: async () => {
          attempts++;
          throw notServed();
        },
      }),
    } as unknown as KubeClient;
    const lines: string[] = [];
    const stop = new AbortController();
    const done = initializeCSINode({
      client: () => client,
      nodeName: 'n1',
      log: capturingLog(lines),
      signal: stop.signal,
    });
    await until('a few attempts', async () => (attempts >= 4 ? true : undefined));
    stop.abort();
    await done;
    assert.equal(lines.filter((l) => l.includes('does not serve storage.k8s.io/v1 csinodes')).length, 1);
    assert.equal(lines.filter((l) => l.includes('failed to initialize CSINode')).length, 0);
  });

  it('compares the annotation as a set, and drops it when nothing is migrated', () => {
    const n: CSINode = { metadata: { name: 'n', annotations: { [ANNOTATION]: 'b,a' } }, spec: { drivers: [] } };
    assert.equal(setMigrationAnnotation(n, ['a', 'b']), false);
    assert.equal(setMigrationAnnotation(n, ['c', 'a']), true);
    assert.equal(n.metadata.annotations?.[ANNOTATION], 'a,c');
    assert.equal(setMigrationAnnotation(n, []), true);
    assert.equal(n.metadata.annotations?.[ANNOTATION], undefined);
  });
});
