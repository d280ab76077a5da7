// ServiceCIDRs and IPAddresses through a real apiserver (--service-cluster-ip-range=10.96.0.0/24): the
// default `kubernetes` range kept Ready, upstream's validation messages and immutability, a Service's
// cluster IP recorded as an IPAddress (and given back with it), an address held by an IPAddress refused
// to a Service, the repair of a missing record, and kubectl's columns (the newest kubectl, 1.33, 1.27).
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { IPAddress, Service } from '@mkube/shared/api';
import { createLogger } from '@mkube/shared/log';
import { RepairIPController } from '../../src/controlplane/repairip.ts';
import { Registries } from '../../src/registry/index.ts';
import {
  adminCreate,
  adminRequest,
  expectInvalid,
  type Fixture,
  kubectl,
  kubectlBinary,
  startFixture,
  waitFor,
} from '../server/fixture.ts';

const API = '/apis/networking.k8s.io/v1';
const CIDRS = `${API}/servicecidrs`;
const IPS = `${API}/ipaddresses`;
const SVCS = '/api/v1/namespaces/default/services';
const MERGE = { contentType: 'application/merge-patch+json' };

// biome-ignore lint/suspicious/noExplicitAny: test bodies are built field by field
type Obj = any;

const serviceCIDR = (name: string, cidrs: string[]): Obj => ({
  apiVersion: 'networking.k8s.io/v1',
  kind: 'ServiceCIDR',
  metadata: { name },
  spec: { cidrs },
});
const ipAddress = (name: string, parentRef: Obj): Obj => ({
  apiVersion: 'networking.k8s.io/v1',
  kind: 'IPAddress',
  metadata: { name },
  spec: { parentRef },
});
const service = (name: string, spec: Obj = {}): Obj => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name },
  spec: { ports: [{ port: 80 }], ...spec },
});

describe('networking.k8s.io/v1 ServiceCIDRs and IPAddresses', () => {
  let fx: Fixture;
  before(async () => {
    fx = await startFixture(['--service-cluster-ip-range=10.96.0.0/24']);
  });
  after(async () => fx?.close());

  const post = (path: string, body: Obj) => adminRequest(fx, 'POST', path, body);
  const get = (path: string) => adminRequest(fx, 'GET', path);
  const del = (path: string) => adminRequest(fx, 'DELETE', path);

  describe('the default ServiceCIDR', () => {
    it('is `kubernetes`, holds --service-cluster-ip-range and is Ready', async () => {
      const sc = await waitFor('the default ServiceCIDR to be Ready', async () => {
        const r = await get(`${CIDRS}/kubernetes`);
        const ready = r.json.status?.conditions?.find((c: Obj) => c.type === 'Ready');
        return r.code === 200 && ready?.status === 'True' ? r.json : undefined;
      });
      assert.deepEqual(sc.spec, { cidrs: ['10.96.0.0/24'] });
      const ready = sc.status.conditions.find((c: Obj) => c.type === 'Ready');
      assert.equal(ready.message, 'Kubernetes default Service CIDR is ready');
      assert.ok(ready.lastTransitionTime);
    });

    it('comes back when deleted (as Service default/kubernetes does)', { timeout: 30_000 }, async () => {
      // No controller-manager here, so nothing holds it with a finalizer.
      assert.equal((await del(`${CIDRS}/kubernetes`)).code, 200);
      const back = await waitFor(
        'the default ServiceCIDR to be back',
        async () => {
          const r = await get(`${CIDRS}/kubernetes`);
          return r.code === 200 ? r.json : undefined;
        },
        20_000,
      );
      assert.deepEqual(back.spec, { cidrs: ['10.96.0.0/24'] });
    });
  });

  describe('ServiceCIDR validation', () => {
    it("refuses upstream's bad CIDR lists with upstream's messages", async () => {
      const cases: [string[], string][] = [
        [[], 'ServiceCIDR.networking.k8s.io "bad" is invalid: spec.cidrs: Required value: at least one CIDR required'],
        [
          ['10.1.0.0/24', '10.2.0.0/24'],
          'ServiceCIDR.networking.k8s.io "bad" is invalid: spec.cidrs: Invalid value: networking.ServiceCIDRSpec{CIDRs:[]string{"10.1.0.0/24", "10.2.0.0/24"}}: may specify no more than one IP for each IP family, i.e 192.168.0.0/24 and 2001:db8::/64',
        ],
        [
          ['10.1.0.0/24', 'fd00::/64', '10.2.0.0/24'],
          'ServiceCIDR.networking.k8s.io "bad" is invalid: spec.cidrs: Invalid value: networking.ServiceCIDRSpec{CIDRs:[]string{"10.1.0.0/24", "fd00::/64", "10.2.0.0/24"}}: may only hold up to 2 values',
        ],
        [
          ['10.1.0.5/24'],
          'ServiceCIDR.networking.k8s.io "bad" is invalid: spec.cidrs[0]: Invalid value: "10.1.0.5/24": must not have bits set beyond the prefix length',
        ],
        [
          ['010.1.0.0/24'],
          'ServiceCIDR.networking.k8s.io "bad" is invalid: spec.cidrs[0]: Invalid value: "010.1.0.0/24": must not have leading 0s in IP or prefix length',
        ],
        [
          ['FD00::/64'],
          'ServiceCIDR.networking.k8s.io "bad" is invalid: spec.cidrs[0]: Invalid value: "FD00::/64": must be in canonical form ("fd00::/64")',
        ],
        [
          ['nope'],
          'ServiceCIDR.networking.k8s.io "bad" is invalid: spec.cidrs[0]: Invalid value: "nope": must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)',
        ],
      ];
      for (const [cidrs, message] of cases) await expectInvalid(post(CIDRS, serviceCIDR('bad', cidrs)), message);
    });

    it('keeps the CIDRs fixed, but lets one family gain the other', async () => {
      await adminCreate(fx, CIDRS, serviceCIDR('extra', ['10.97.0.0/24']));
      const patch = (cidrs: string[]) => adminRequest(fx, 'PATCH', `${CIDRS}/extra`, { spec: { cidrs } }, MERGE);
      await expectInvalid(
        patch(['10.98.0.0/24']),
        'ServiceCIDR.networking.k8s.io "extra" is invalid: spec.cidrs[0]: Invalid value: "10.98.0.0/24": field is immutable',
      );
      await expectInvalid(
        patch(['10.97.0.0/24', '10.98.0.0/24']),
        'ServiceCIDR.networking.k8s.io "extra" is invalid: spec.cidrs: Invalid value: networking.ServiceCIDRSpec{CIDRs:[]string{"10.97.0.0/24", "10.98.0.0/24"}}: may specify no more than one IP for each IP family, i.e 192.168.0.0/24 and 2001:db8::/64',
      );
      const upgraded = await patch(['10.97.0.0/24', 'fd00:1::/112']);
      assert.equal(upgraded.code, 200, JSON.stringify(upgraded.json));
      assert.deepEqual(upgraded.json.spec.cidrs, ['10.97.0.0/24', 'fd00:1::/112']);
      await expectInvalid(
        patch(['10.97.0.0/24']),
        'ServiceCIDR.networking.k8s.io "extra" is invalid: spec.cidrs: Invalid value: []string{"10.97.0.0/24"}: field is immutable',
      );
    });

    it('writes status through /status and keeps the spec there', async () => {
      const r = await adminRequest(
        fx,
        'PATCH',
        `${CIDRS}/extra/status`,
        {
          spec: { cidrs: ['10.99.0.0/24'] },
          status: {
            conditions: [
              { type: 'Ready', status: 'True', reason: '', message: 'ok', lastTransitionTime: '2025-01-01T00:00:00Z' },
            ],
          },
        },
        MERGE,
      );
      assert.equal(r.code, 200, JSON.stringify(r.json));
      assert.deepEqual(r.json.spec.cidrs, ['10.97.0.0/24', 'fd00:1::/112']);
      assert.equal(r.json.status.conditions[0].message, 'ok');
    });
  });

  describe('IPAddress validation', () => {
    it('names an IPAddress by its canonical address and requires a parent reference', async () => {
      const ref = { group: '', resource: 'services', namespace: 'default', name: 'x' };
      await expectInvalid(
        post(IPS, ipAddress('10.96.0.010', ref)),
        'IPAddress.networking.k8s.io "10.96.0.010" is invalid: metadata.name: Invalid value: "10.96.0.010": must not have leading 0s',
      );
      await expectInvalid(
        post(IPS, ipAddress('2001:DB8::1', ref)),
        'IPAddress.networking.k8s.io "2001:DB8::1" is invalid: metadata.name: Invalid value: "2001:DB8::1": must be in canonical form ("2001:db8::1")',
      );
      await expectInvalid(
        post(IPS, ipAddress('10.96.0.200', undefined)),
        'IPAddress.networking.k8s.io "10.96.0.200" is invalid: spec.parentRef: Required value',
      );
      await expectInvalid(
        post(IPS, ipAddress('10.96.0.200', { group: '', resource: '', name: '' })),
        'IPAddress.networking.k8s.io "10.96.0.200" is invalid: [spec.parentRef.resource: Required value, spec.parentRef.name: Required value]',
      );
    });

    it('keeps the parent reference fixed', async () => {
      await adminCreate(fx, IPS, ipAddress('10.200.0.1', { resource: 'gateways', name: 'gw' }));
      await expectInvalid(
        adminRequest(fx, 'PATCH', `${IPS}/10.200.0.1`, { spec: { parentRef: { name: 'other' } } }, MERGE),
        'IPAddress.networking.k8s.io "10.200.0.1" is invalid: spec.parentRef: Invalid value: networking.ParentReference{Group:"", Resource:"gateways", Namespace:"", Name:"other"}: field is immutable',
      );
    });
  });

  describe('cluster IP allocation through IPAddresses', () => {
    it('records a Service cluster IP as an IPAddress naming the Service, and deletes it with the Service', async () => {
      const svc = await adminCreate(fx, SVCS, service('web'));
      const ip = svc.spec.clusterIP as string;
      assert.match(ip, /^10\.96\.0\.\d+$/);
      const rec = (await get(`${IPS}/${ip}`)).json as IPAddress;
      assert.deepEqual(rec.spec?.parentRef, { group: '', resource: 'services', namespace: 'default', name: 'web' });
      assert.deepEqual(rec.metadata.labels, {
        'ipaddress.kubernetes.io/ip-family': 'IPv4',
        'ipaddress.kubernetes.io/managed-by': 'ipallocator.k8s.io',
      });
      assert.ok(rec.metadata.uid && rec.metadata.creationTimestamp && rec.metadata.resourceVersion);
      assert.equal((await del(`${SVCS}/web`)).code, 200);
      assert.equal((await get(`${IPS}/${ip}`)).code, 404);
    });

    it("records the kubernetes Service's address too", async () => {
      const rec = await waitFor('the IPAddress of default/kubernetes', async () => {
        const r = await get(`${IPS}/10.96.0.1`);
        return r.code === 200 ? (r.json as IPAddress) : undefined;
      });
      assert.deepEqual(rec.spec?.parentRef, {
        group: '',
        resource: 'services',
        namespace: 'default',
        name: 'kubernetes',
      });
    });

    it("refuses a requested cluster IP another Service holds, with upstream's message, keeping the holder's record", async () => {
      await adminCreate(fx, SVCS, service('first', { clusterIP: '10.96.0.10' }));
      await expectInvalid(
        post(SVCS, service('second', { clusterIP: '10.96.0.10' })),
        'Service "second" is invalid: spec.clusterIPs: Invalid value: []string{"10.96.0.10"}: failed to allocate IP 10.96.0.10: provided IP is already allocated',
      );
      const rec = (await get(`${IPS}/10.96.0.10`)).json as IPAddress;
      assert.equal(rec.spec?.parentRef?.name, 'first');
      assert.equal((await get(`${SVCS}/second`)).code, 404);
    });

    it('refuses an address an IPAddress made by hand holds', async () => {
      await adminCreate(
        fx,
        IPS,
        ipAddress('10.96.0.20', { group: 'gateway.example.com', resource: 'gateways', name: 'gw' }),
      );
      await expectInvalid(
        post(SVCS, service('blocked', { clusterIP: '10.96.0.20' })),
        'Service "blocked" is invalid: spec.clusterIPs: Invalid value: []string{"10.96.0.20"}: failed to allocate IP 10.96.0.20: provided IP is already allocated',
      );
      assert.equal((await del(`${IPS}/10.96.0.20`)).code, 200);
      const ok = await adminCreate(fx, SVCS, service('blocked', { clusterIP: '10.96.0.20' }));
      assert.equal(ok.spec.clusterIP, '10.96.0.20');
    });

    it('gives the address back when the Service write fails after the allocation', async () => {
      // A Service of that name exists: the allocation happens, then the create finds the key taken.
      await adminCreate(fx, SVCS, service('twice'));
      const before = (await get(IPS)).json.items.length;
      const r = await post(SVCS, service('twice', { clusterIP: '10.96.0.30' }));
      assert.equal(r.code, 409, JSON.stringify(r.json));
      assert.equal((await get(`${IPS}/10.96.0.30`)).code, 404);
      assert.equal((await get(IPS)).json.items.length, before);
    });

    it('releases the old address when a Service stops needing one, and a dry run records nothing', async () => {
      const svc = await adminCreate(fx, SVCS, service('becomes-external'));
      const ip = svc.spec.clusterIP as string;
      const dry = await post(`${SVCS}?dryRun=All`, service('dry', { clusterIP: '10.96.0.40' }));
      assert.equal(dry.code, 201, JSON.stringify(dry.json));
      assert.equal((await get(`${IPS}/10.96.0.40`)).code, 404);
      const r = await adminRequest(
        fx,
        'PATCH',
        `${SVCS}/becomes-external`,
        {
          spec: {
            type: 'ExternalName',
            externalName: 'example.com',
            clusterIP: '',
            clusterIPs: null,
            ipFamilies: null,
            ipFamilyPolicy: null,
            ports: null,
          },
        },
        MERGE,
      );
      assert.equal(r.code, 200, JSON.stringify(r.json));
      assert.equal((await get(`${IPS}/${ip}`)).code, 404);
    });

    it('repairs a Service whose IPAddress is missing, and deletes an old IPAddress no Service holds', async () => {
      const svc = (await adminCreate(fx, SVCS, service('repaired'))) as Service;
      const ip = svc.spec!.clusterIP!;
      // Deleted behind the allocator's back (a store from before IPAddresses were the record looks so).
      assert.equal((await del(`${IPS}/${ip}`)).code, 200);
      const orphan = '10.96.0.50';
      await adminCreate(fx, IPS, {
        ...ipAddress(orphan, { group: '', resource: 'services', namespace: 'default', name: 'gone' }),
        metadata: { name: orphan, labels: { 'ipaddress.kubernetes.io/managed-by': 'ipallocator.k8s.io' } },
      });
      const registries = new Registries(fx.server.store, { serviceCidr: '10.96.0.0/24' });
      const repair = new RepairIPController({
        services: registries.get('', 'services')!,
        ipAddresses: registries.get('networking.k8s.io', 'ipaddresses')!,
        allocators: registries.serviceAllocators,
        log: createLogger({ name: 'test', destination: { write: () => undefined } as never }),
        // Well past the grace period an allocation in flight is given.
        now: () => Date.now() + 120_000,
      });
      await repair.runOnce();
      const rec = (await get(`${IPS}/${ip}`)).json as IPAddress;
      assert.equal(rec.spec?.parentRef?.name, 'repaired');
      assert.equal((await get(`${IPS}/${orphan}`)).code, 404);
      // Made by hand, not by the allocator: left alone.
      assert.equal((await get(`${IPS}/10.200.0.1`)).code, 200);
    });
  });

  describe('discovery and kubectl', () => {
    it('lists both resources in discovery, cluster-scoped, without short names', async () => {
      const r = await kubectl(fx, ['api-resources', '--api-group=networking.k8s.io', '--no-headers']);
      assert.equal(r.status, 0, r.err);
      const rows = r.out
        .trim()
        .split('\n')
        .map((l) => l.trim().split(/\s+/));
      assert.deepEqual(
        rows.find((c) => c[0] === 'servicecidrs'),
        ['servicecidrs', 'networking.k8s.io/v1', 'false', 'ServiceCIDR'],
      );
      assert.deepEqual(
        rows.find((c) => c[0] === 'ipaddresses'),
        ['ipaddresses', 'networking.k8s.io/v1', 'false', 'IPAddress'],
      );
    });

    for (const bin of ['kubectl', 'kubectl.1.33', 'kubectl.1.27']) {
      it(`${bin}: get servicecidr,ipaddress shows upstream's columns`, async (t) => {
        const path = bin === 'kubectl' ? bin : kubectlBinary(Number(bin.split('.')[2]));
        if (bin !== 'kubectl' && !existsSync(path)) return t.skip(`${bin} is not installed here`);
        const cidrs = await kubectl(fx, ['get', 'servicecidr', 'kubernetes'], path);
        assert.equal(cidrs.status, 0, cidrs.err);
        const [head, row] = cidrs.out.trimEnd().split('\n');
        assert.deepEqual(head?.split(/\s+/), ['NAME', 'CIDRS', 'AGE']);
        assert.deepEqual(row?.split(/\s+/).slice(0, 2), ['kubernetes', '10.96.0.0/24']);
        const ips = await kubectl(fx, ['get', 'ipaddress', '10.96.0.1', '10.200.0.1'], path);
        assert.equal(ips.status, 0, ips.err);
        assert.deepEqual(
          ips.out
            .trimEnd()
            .split('\n')
            .map((l) => l.split(/\s+/)),
          [
            ['NAME', 'PARENTREF'],
            ['10.96.0.1', 'services/default/kubernetes'],
            ['10.200.0.1', 'gateways/gw'],
          ],
        );
      });
    }

    it('kubectl get servicecidr,ipaddress in one call', async () => {
      const r = await kubectl(fx, ['get', 'servicecidr,ipaddress', '--no-headers']);
      assert.equal(r.status, 0, r.err);
      assert.match(r.out, /^servicecidr\.networking\.k8s\.io\/kubernetes\s+10\.96\.0\.0\/24\s+\S+$/m);
      assert.match(r.out, /^ipaddress\.networking\.k8s\.io\/10\.96\.0\.1\s+services\/default\/kubernetes$/m);
    });
  });
});
