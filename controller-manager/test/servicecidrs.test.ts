// The service-cidr-controller against a real apiserver (--service-cluster-ip-range=10.96.0.0/24), as
// its own ServiceAccount with only its bootstrap role: it keeps the finalizer on every ServiceCIDR and
// marks it Ready; a deleted ServiceCIDR stays (Ready=False, Terminating) while an allocator-made
// IPAddress would be left in no range, and goes once the address is gone or another range covers it.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { IPAddress, Service, ServiceCIDR } from '@mkube/shared/api';
import { isNotFound } from '@mkube/shared/apierrors';
import { type Cluster, startCluster, waitFor } from './fixture.ts';

const CIDRS = { group: 'networking.k8s.io', version: 'v1', resource: 'servicecidrs' } as const;
const IPS = { group: 'networking.k8s.io', version: 'v1', resource: 'ipaddresses' } as const;
const SVCS = { group: '', version: 'v1', resource: 'services', namespace: 'default' } as const;
const FINALIZER = 'networking.k8s.io/service-cidr-finalizer';

const ready = (sc: ServiceCIDR | undefined) => sc?.status?.conditions?.find((c) => c.type === 'Ready');

describe('service-cidr-controller', () => {
  let cl: Cluster;
  before(async () => {
    cl = await startCluster(['--service-cluster-ip-range=10.96.0.0/24']);
    await cl.startKcm(['--leader-elect=false', '--controllers=service-cidr-controller'], {
      serviceCIDR: { deletionGraceMs: 200 },
    });
  });
  after(async () => cl?.close());

  const cidrs = () => cl.admin.resource<ServiceCIDR>(CIDRS);
  const ips = () => cl.admin.resource<IPAddress>(IPS);
  const gone = async (name: string) => {
    try {
      await cidrs().get(name);
      return false;
    } catch (e) {
      if (isNotFound(e)) return true;
      throw e;
    }
  };
  const create = (name: string, cidr: string) =>
    cidrs().create({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'ServiceCIDR',
      metadata: { name },
      spec: { cidrs: [cidr] },
    });
  const protectedAndReady = (name: string) =>
    waitFor(`${name} to carry the finalizer and be Ready`, async () => {
      const sc = await cidrs().get(name);
      return sc.metadata.finalizers?.includes(FINALIZER) && ready(sc)?.status === 'True' ? sc : undefined;
    });

  it('puts the finalizer on the default ServiceCIDR and on new ones, and marks them Ready', async () => {
    await protectedAndReady('kubernetes');
    await create('extra', '10.97.0.0/24');
    const sc = await protectedAndReady('extra');
    assert.equal(ready(sc)?.message, 'Kubernetes Service CIDR is ready');
  });

  it('removes the finalizer of a deleted ServiceCIDR that holds no address', async () => {
    await create('empty', '10.98.0.0/24');
    await protectedAndReady('empty');
    await cidrs().delete('empty');
    await waitFor('the empty ServiceCIDR to go', async () => ((await gone('empty')) ? true : undefined));
  });

  it('keeps a deleted ServiceCIDR while an address only it holds exists, then lets it go', async () => {
    await create('held', '10.99.0.0/24');
    await protectedAndReady('held');
    await ips().create({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'IPAddress',
      metadata: { name: '10.99.0.5', labels: { 'ipaddress.kubernetes.io/managed-by': 'ipallocator.k8s.io' } },
      spec: { parentRef: { group: '', resource: 'services', namespace: 'default', name: 'elsewhere' } },
    });
    await cidrs().delete('held');
    const blocked = await waitFor('Ready=False, Terminating', async () => {
      const sc = await cidrs().get('held');
      return ready(sc)?.status === 'False' ? sc : undefined;
    });
    assert.equal(ready(blocked)?.reason, 'Terminating');
    assert.equal(
      ready(blocked)?.message,
      'There are still IPAddresses referencing the ServiceCIDR, please remove them or create a new ServiceCIDR',
    );
    assert.ok(blocked.metadata.finalizers?.includes(FINALIZER));
    await ips().delete('10.99.0.5');
    await waitFor('the held ServiceCIDR to go', async () => ((await gone('held')) ? true : undefined));
  });

  it('lets a deleted ServiceCIDR go when another covers its range, whatever addresses it holds', async () => {
    await create('inner', '10.97.0.0/25');
    await protectedAndReady('inner');
    // A Service's address in both ranges: `extra` (10.97.0.0/24) still holds it.
    await ips().create({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'IPAddress',
      metadata: { name: '10.97.0.7', labels: { 'ipaddress.kubernetes.io/managed-by': 'ipallocator.k8s.io' } },
      spec: { parentRef: { group: '', resource: 'services', namespace: 'default', name: 'covered' } },
    });
    await cidrs().delete('inner');
    await waitFor('the covered ServiceCIDR to go', async () => ((await gone('inner')) ? true : undefined));
  });

  it('keeps the default ServiceCIDR while Services hold addresses from it', async () => {
    const svc = await cl.admin.resource<Service>(SVCS).create({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web' },
      spec: { ports: [{ port: 80 }] },
    });
    assert.match(svc.spec?.clusterIP ?? '', /^10\.96\.0\./);
    await cidrs().delete('kubernetes');
    const blocked = await waitFor('the default range to be Terminating', async () => {
      const sc = await cidrs().get('kubernetes');
      return ready(sc)?.reason === 'Terminating' ? sc : undefined;
    });
    assert.ok(blocked.metadata.deletionTimestamp);
  });
});
