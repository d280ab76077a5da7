// The resourcequota controller against a real apiserver (ResourceQuota admission on, as by
// default): a new quota gets status.hard and a status.used counted from what its namespace holds;
// deleting or finishing a pod gives its share back; kubectl describe shows the tally.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ConfigMap, Pod, ResourceQuota, Service } from '@mkube/shared/api';
import { kubectl } from '../../apiserver/test/server/fixture.ts';
import { type Cluster, startCluster, waitFor } from './fixture.ts';

const NAMESPACES = { group: '', version: 'v1', resource: 'namespaces' } as const;
const NS = 'quota-ns';
const QUOTAS = { group: '', version: 'v1', resource: 'resourcequotas', namespace: NS } as const;
const PODS = { group: '', version: 'v1', resource: 'pods', namespace: NS } as const;
const CONFIGMAPS = { group: '', version: 'v1', resource: 'configmaps', namespace: NS } as const;
const SERVICES = { group: '', version: 'v1', resource: 'services', namespace: NS } as const;

const pod = (name: string, cpu: string): Pod =>
  ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name },
    spec: { containers: [{ name: 'c', image: 'busybox', resources: { requests: { cpu }, limits: { cpu } } }] },
  }) as Pod;

describe('resourcequota-controller', () => {
  let cl: Cluster;
  before(async () => {
    cl = await startCluster();
    await cl.admin.resource(NAMESPACES).create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
    // Objects that exist before the quota: the first sync counts them.
    await cl.admin
      .resource<ConfigMap>(CONFIGMAPS)
      .create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'before' } } as ConfigMap);
    await cl.admin.resource<Pod>(PODS).create(pod('early', '250m'));
    await cl.startKcm(['--leader-elect=false', '--controllers=resourcequota-controller']);
  });
  after(async () => cl?.close());

  const used = async (name: string) => (await cl.admin.resource<ResourceQuota>(QUOTAS).get(name)).status?.used;
  /** Waits (bounded) until status.used is exactly `want`. */
  const usedBecomes = (name: string, want: Record<string, string>) =>
    waitFor(
      `status.used of ${name} to be ${JSON.stringify(want)}`,
      async () => {
        const u = await used(name);
        return JSON.stringify(u) === JSON.stringify(want) ? u : undefined;
      },
      15_000,
    );

  it('writes status.hard and counts what the namespace already holds', async () => {
    await cl.admin.resource<ResourceQuota>(QUOTAS).create({
      apiVersion: 'v1',
      kind: 'ResourceQuota',
      metadata: { name: 'compute' },
      spec: {
        hard: {
          pods: '3',
          'requests.cpu': '1',
          'limits.cpu': '1',
          configmaps: '5',
          'count/configmaps': '5',
          services: '2',
          'services.nodeports': '1',
        },
      },
    } as ResourceQuota);
    await usedBecomes('compute', {
      configmaps: '1',
      'count/configmaps': '1',
      'limits.cpu': '250m',
      pods: '1',
      'requests.cpu': '250m',
      services: '0',
      'services.nodeports': '0',
    });
    const q = await cl.admin.resource<ResourceQuota>(QUOTAS).get('compute');
    assert.deepEqual(q.status?.hard, q.spec?.hard);
  });

  it('admission charges new objects, and the controller agrees', async () => {
    await cl.admin.resource<Pod>(PODS).create(pod('second', '500m'));
    await cl.admin.resource<Service>(SERVICES).create({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'np' },
      spec: { type: 'NodePort', ports: [{ port: 80 }] },
    } as Service);
    await usedBecomes('compute', {
      configmaps: '1',
      'count/configmaps': '1',
      'limits.cpu': '750m',
      pods: '2',
      'requests.cpu': '750m',
      services: '1',
      'services.nodeports': '1',
    });
    // A third pod would pass the pod count but not the cpu.
    await assert.rejects(cl.admin.resource<Pod>(PODS).create(pod('third', '500m')), (e: Error) => {
      assert.equal(
        e.message,
        'pods "third" is forbidden: exceeded quota: compute, requested: limits.cpu=500m,requests.cpu=500m, used: limits.cpu=750m,requests.cpu=750m, limited: limits.cpu=1,requests.cpu=1',
      );
      return true;
    });
  });

  it('a deleted pod and a finished one give their share back', async () => {
    await cl.admin.resource<Pod>(PODS).delete('second', { gracePeriodSeconds: 0 });
    await usedBecomes('compute', {
      configmaps: '1',
      'count/configmaps': '1',
      'limits.cpu': '250m',
      pods: '1',
      'requests.cpu': '250m',
      services: '1',
      'services.nodeports': '1',
    });
    const early = await cl.admin.resource<Pod>(PODS).get('early');
    await cl.admin
      .resource<Pod>(PODS)
      .updateSubresource('early', 'status', { ...early, status: { ...early.status, phase: 'Succeeded' } });
    await usedBecomes('compute', {
      configmaps: '1',
      'count/configmaps': '1',
      'limits.cpu': '0',
      pods: '0',
      'requests.cpu': '0',
      services: '1',
      'services.nodeports': '1',
    });
  });

  it('a new hard limit is picked up and counted', async () => {
    const api = cl.admin.resource<ResourceQuota>(QUOTAS);
    const q = await api.get('compute');
    await api.update({ ...q, spec: { hard: { ...q.spec?.hard, 'count/pods': '10' } } });
    await waitFor(
      'count/pods counted',
      async () => ((await used('compute'))?.['count/pods'] === '1' ? true : undefined),
      15_000,
    );
  });

  it('kubectl describe quota shows Used and Hard', async () => {
    const r = await kubectl(cl.fx, ['describe', 'quota', 'compute', '-n', NS]);
    assert.equal(r.status, 0, r.err);
    assert.match(r.out, /Name:\s+compute/);
    assert.match(r.out, /Resource\s+Used\s+Hard/);
    assert.match(r.out, /pods\s+0\s+3/);
    assert.match(r.out, /services\.nodeports\s+1\s+1/);
    assert.match(r.out, /count\/pods\s+1\s+10/);
  });
});
