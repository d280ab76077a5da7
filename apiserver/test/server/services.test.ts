// Services against a real apiserver: cluster IPs and node ports come from the configured ranges,
// are refused when taken or outside them, are given back on delete, on a failed write and on a type
// change; Service default/kubernetes and its Endpoints are kept by the apiserver itself.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { curl, type Fixture, kubectl, kubectlBinary, startFixture } from './fixture.ts';

const CIDR = '10.96.0.0/28';
const ADVERTISE = '192.0.2.77';

async function api(f: Fixture, method: string, path: string, body?: unknown) {
  const args = ['-X', method, '-H', 'Content-Type: application/json'];
  if (body !== undefined) args.push('--data-binary', JSON.stringify(body));
  const r = await curl(f, path, args);
  return { code: r.code, body: r.body ? JSON.parse(r.body) : undefined };
}

/** A GET repeated while it is 404, for up to 5 s. */
async function getEventually(f: Fixture, path: string) {
  let r = await api(f, 'GET', path);
  for (let i = 0; i < 50 && r.code === 404; i++) {
    await new Promise((res) => setTimeout(res, 100));
    r = await api(f, 'GET', path);
  }
  return r;
}

const svc = (name: string, spec: Record<string, unknown>) => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name },
  spec,
});

const SVCS = '/api/v1/namespaces/default/services';

describe('services', () => {
  let f: Fixture;
  before(async () => {
    f = await startFixture([
      `--service-cluster-ip-range=${CIDR}`,
      '--service-node-port-range=30000-30004',
      `--advertise-address=${ADVERTISE}`,
    ]);
  });
  after(async () => {
    await f?.close();
  });

  it('default/kubernetes holds the first Service IP, 443 → the secure port; its Endpoints the advertise address', async () => {
    const port = f.server.port;
    // The apiserver creates them after it starts serving (as upstream's controller does), not
    // before it is ready: wait for each, boundedly.
    const s = await getEventually(f, `${SVCS}/kubernetes`);
    assert.equal(s.code, 200, JSON.stringify(s.body));
    assert.deepEqual(s.body.metadata.labels, { component: 'apiserver', provider: 'kubernetes' });
    assert.equal(s.body.spec.clusterIP, '10.96.0.1');
    assert.deepEqual(s.body.spec.clusterIPs, ['10.96.0.1']);
    assert.deepEqual(s.body.spec.ports, [{ name: 'https', protocol: 'TCP', port: 443, targetPort: port }]);
    assert.deepEqual(s.body.spec.ipFamilies, ['IPv4']);
    const e = await getEventually(f, '/api/v1/namespaces/default/endpoints/kubernetes');
    assert.equal(e.code, 200, JSON.stringify(e.body));
    assert.deepEqual(e.body.subsets, [
      { addresses: [{ ip: ADVERTISE }], ports: [{ name: 'https', port, protocol: 'TCP' }] },
    ]);
    const slice = await getEventually(f, '/apis/discovery.k8s.io/v1/namespaces/default/endpointslices/kubernetes');
    assert.equal(slice.code, 200, JSON.stringify(slice.body));
    assert.deepEqual(slice.body.metadata.labels, { 'kubernetes.io/service-name': 'kubernetes' });
    assert.equal(slice.body.addressType, 'IPv4');
    assert.deepEqual(slice.body.endpoints, [{ addresses: [ADVERTISE], conditions: { ready: true } }]);
    assert.deepEqual(slice.body.ports, [{ name: 'https', protocol: 'TCP', port }]);
  });

  it('allocates from the range, defaults as SetDefaults_Service, and refuses a taken or foreign address', async () => {
    const a = await api(f, 'POST', SVCS, svc('a', { ports: [{ port: 80 }], selector: { app: 'a' } }));
    assert.equal(a.code, 201, JSON.stringify(a.body));
    const ip = a.body.spec.clusterIP as string;
    assert.match(ip, /^10\.96\.0\.([2-9]|1[0-4])$/, 'inside 10.96.0.0/28, not the network, broadcast or .1');
    assert.deepEqual(a.body.spec.clusterIPs, [ip]);
    assert.deepEqual(a.body.spec.ports, [{ port: 80, protocol: 'TCP', targetPort: 80 }]);
    assert.equal(a.body.spec.type, 'ClusterIP');
    assert.equal(a.body.spec.sessionAffinity, 'None');
    assert.equal(a.body.spec.internalTrafficPolicy, 'Cluster');
    assert.equal(a.body.spec.ipFamilyPolicy, 'SingleStack');
    assert.deepEqual(a.body.status, { loadBalancer: {} });

    const taken = await api(f, 'POST', SVCS, svc('b', { ports: [{ port: 80 }], clusterIP: ip }));
    assert.equal(taken.code, 422);
    assert.equal(
      taken.body.message,
      `Service "b" is invalid: spec.clusterIPs: Invalid value: []string{"${ip}"}: failed to allocate IP ${ip}: provided IP is already allocated`,
    );
    const foreign = await api(f, 'POST', SVCS, svc('b', { ports: [{ port: 80 }], clusterIP: '10.97.0.1' }));
    assert.equal(foreign.code, 422);
    assert.match(
      foreign.body.message,
      /the provided IP \(10\.97\.0\.1\) is not in the valid range\. The range of valid IPs is 10\.96\.0\.0\/28/,
    );
    const broadcast = await api(f, 'POST', SVCS, svc('b', { ports: [{ port: 80 }], clusterIP: '10.96.0.15' }));
    assert.equal(broadcast.code, 422, 'the broadcast address is not handed out');

    // Deleted: the address is free again.
    assert.equal((await api(f, 'DELETE', `${SVCS}/a`)).code, 200);
    const again = await api(f, 'POST', SVCS, svc('b', { ports: [{ port: 80 }], clusterIP: ip }));
    assert.equal(again.code, 201, JSON.stringify(again.body));
    assert.equal((await api(f, 'DELETE', `${SVCS}/b`)).code, 200);
  });

  it('a write that fails after allocation gives the address back (AlreadyExists, dry run)', async () => {
    const first = await api(f, 'POST', SVCS, svc('dup', { ports: [{ port: 80 }] }));
    assert.equal(first.code, 201);
    const [free, other] = ['10.96.0.3', '10.96.0.4', '10.96.0.5'].filter((ip) => ip !== first.body.spec.clusterIP);
    // A dry run answers as the create would, and holds nothing.
    const dry = await api(f, 'POST', `${SVCS}?dryRun=All`, svc('dry', { ports: [{ port: 80 }], clusterIP: free }));
    assert.equal(dry.code, 201, JSON.stringify(dry.body));
    assert.equal(dry.body.spec.clusterIP, free);
    const dryTaken = await api(
      f,
      'POST',
      `${SVCS}?dryRun=All`,
      svc('dry', { ports: [{ port: 80 }], clusterIP: first.body.spec.clusterIP }),
    );
    assert.equal(dryTaken.code, 422, 'a dry run still reports a taken address');
    // The same name again with a fixed free address: 409, and the address stays free.
    const conflict = await api(f, 'POST', SVCS, svc('dup', { ports: [{ port: 80 }], clusterIP: other }));
    assert.equal(conflict.code, 409, JSON.stringify(conflict.body));
    for (const [name, ip] of [
      ['a1', free],
      ['a2', other],
    ] as const) {
      const r = await api(f, 'POST', SVCS, svc(name, { ports: [{ port: 80 }], clusterIP: ip }));
      assert.equal(r.code, 201, `${ip} is free: ${JSON.stringify(r.body)}`);
    }
    for (const n of ['dup', 'a1', 'a2']) await api(f, 'DELETE', `${SVCS}/${n}`);
  });

  it('node ports: allocated in range, refused when taken or outside, released by a type change', async () => {
    const np = await api(f, 'POST', SVCS, svc('np', { type: 'NodePort', ports: [{ port: 80, nodePort: 30001 }] }));
    assert.equal(np.code, 201, JSON.stringify(np.body));
    assert.equal(np.body.spec.ports[0].nodePort, 30001);
    assert.equal(np.body.spec.externalTrafficPolicy, 'Cluster');
    const taken = await api(f, 'POST', SVCS, svc('np2', { type: 'NodePort', ports: [{ port: 80, nodePort: 30001 }] }));
    assert.equal(taken.code, 422);
    assert.equal(
      taken.body.message,
      'Service "np2" is invalid: spec.ports[0].nodePort: Invalid value: 30001: provided port is already allocated',
    );
    const outside = await api(
      f,
      'POST',
      SVCS,
      svc('np2', { type: 'NodePort', ports: [{ port: 80, nodePort: 31000 }] }),
    );
    assert.equal(outside.code, 422);
    assert.match(
      outside.body.message,
      /provided port is not in the valid range\. The range of valid ports is 30000-30004/,
    );
    const auto = await api(f, 'POST', SVCS, svc('np3', { type: 'NodePort', ports: [{ port: 80 }] }));
    assert.equal(auto.code, 201);
    const p = auto.body.spec.ports[0].nodePort as number;
    assert.ok(p >= 30000 && p <= 30004 && p !== 30001, String(p));

    // PUT without clusterIP and nodePort (kubectl replace of an edited manifest) keeps both.
    const put = await api(f, 'PUT', `${SVCS}/np`, svc('np', { type: 'NodePort', ports: [{ port: 80 }] }));
    assert.equal(put.code, 200, JSON.stringify(put.body));
    assert.equal(put.body.spec.clusterIP, np.body.spec.clusterIP);
    assert.equal(put.body.spec.ports[0].nodePort, 30001);
    // A changed cluster IP is refused.
    const elsewhere = np.body.spec.clusterIP === '10.96.0.14' ? '10.96.0.13' : '10.96.0.14';
    const moved = await api(
      f,
      'PUT',
      `${SVCS}/np`,
      svc('np', { type: 'NodePort', ports: [{ port: 80 }], clusterIP: elsewhere, clusterIPs: [elsewhere] }),
    );
    assert.equal(moved.code, 422);
    assert.match(
      moved.body.message,
      new RegExp(`spec\\.clusterIPs\\[0\\]: Invalid value: \\["${elsewhere}"\\]: may not change once set`),
    );

    // To ClusterIP: the node port is dropped and free again.
    const toCluster = await api(f, 'PUT', `${SVCS}/np`, { ...put.body, spec: { ...put.body.spec, type: 'ClusterIP' } });
    assert.equal(toCluster.code, 200, JSON.stringify(toCluster.body));
    assert.equal(toCluster.body.spec.ports[0].nodePort, undefined);
    assert.equal(toCluster.body.spec.externalTrafficPolicy, undefined);
    const reuse = await api(f, 'POST', SVCS, svc('np4', { type: 'NodePort', ports: [{ port: 80, nodePort: 30001 }] }));
    assert.equal(reuse.code, 201, JSON.stringify(reuse.body));
    // To ExternalName, sending the object back as read: the unchanged cluster IP is dropped (as
    // upstream's dropTypeDependentFields) and goes back to the pool.
    const ip = toCluster.body.spec.clusterIP;
    const named = await api(f, 'PUT', `${SVCS}/np`, {
      ...toCluster.body,
      spec: { ...toCluster.body.spec, type: 'ExternalName', externalName: 'db.example.com' },
    });
    assert.equal(named.code, 200, JSON.stringify(named.body));
    assert.equal(named.body.spec.clusterIP, undefined);
    assert.equal(named.body.spec.clusterIPs, undefined);
    const claim = await api(f, 'POST', SVCS, svc('claim', { ports: [{ port: 80 }], clusterIP: ip }));
    assert.equal(claim.code, 201, `${ip} went back to the pool: ${JSON.stringify(claim.body)}`);
    for (const n of ['np', 'np3', 'np4', 'claim']) await api(f, 'DELETE', `${SVCS}/${n}`);
  });

  it('a watch on Endpoints carries the deprecation warning, and an unknown field adds its own', async () => {
    const w = await curl(f, '/api/v1/namespaces/default/endpoints?watch=true&timeoutSeconds=1', ['-v']);
    assert.equal(w.code, 200);
    assert.match(
      w.stderr,
      /< warning: 299 - "v1 Endpoints is deprecated in v1\.33\+; use discovery\.k8s\.io\/v1 EndpointSlice"/i,
    );
    const r = await curl(f, '/api/v1/namespaces/default/endpoints?fieldValidation=Warn', [
      '-v',
      '-X',
      'POST',
      '-H',
      'Content-Type: application/json',
      '--data-binary',
      JSON.stringify({ apiVersion: 'v1', kind: 'Endpoints', metadata: { name: 'warned' }, bogus: 1 }),
    ]);
    assert.equal(r.code, 201, r.body);
    const warnings = r.stderr.split('\n').filter((l) => /^< warning:/i.test(l));
    assert.equal(warnings.length, 2, warnings.join('\n'));
    assert.match(warnings.join('\n'), /unknown field \\"bogus\\"/);
    await api(f, 'DELETE', '/api/v1/namespaces/default/endpoints/warned');
  });

  it('validation: Kubernetes paths and messages', async () => {
    const cases: [Record<string, unknown>, string, string][] = [
      [{ ports: [] }, 'x', 'spec.ports: Required value'],
      [{ ports: [{ port: 0 }] }, 'x', 'spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive'],
      [{ ports: [{ port: 80 }, { port: 81 }] }, 'x', 'spec.ports[0].name: Required value'],
      [
        { ports: [{ port: 80, nodePort: 30002 }] },
        'x',
        "spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'",
      ],
      [
        { ports: [{ port: 80, targetPort: 'Http' }] },
        'x',
        'spec.ports[0].targetPort: Invalid value: "Http": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)',
      ],
      [{ type: 'ExternalName' }, 'x', 'spec.externalName: Required value'],
      [
        { type: 'Weird', ports: [{ port: 80 }] },
        'x',
        'spec.type: Unsupported value: "Weird": supported values: "ClusterIP", "ExternalName", "LoadBalancer", "NodePort"',
      ],
      [
        { ports: [{ port: 80 }] },
        '1abc',
        'metadata.name: Invalid value: "1abc": a DNS-1035 label must consist of lower case alphanumeric characters',
      ],
      [
        { ports: [{ port: 80 }], ipFamilyPolicy: 'RequireDualStack' },
        'x',
        'spec.ipFamilyPolicy: Invalid value: "RequireDualStack": this cluster is not configured for dual-stack services',
      ],
    ];
    for (const [spec, name, want] of cases) {
      const r = await api(f, 'POST', SVCS, svc(name, spec));
      assert.equal(r.code, 422, `${JSON.stringify(spec)}: ${JSON.stringify(r.body)}`);
      assert.ok(r.body.message.includes(want), `${JSON.stringify(spec)}:\n${r.body.message}\nwant: ${want}`);
    }
    const ep = await api(f, 'POST', '/api/v1/namespaces/default/endpoints', {
      apiVersion: 'v1',
      kind: 'Endpoints',
      metadata: { name: 'local' },
      subsets: [{ addresses: [{ ip: '127.0.0.1' }], ports: [{ port: 80 }] }],
    });
    assert.equal(ep.code, 422);
    assert.equal(
      ep.body.message,
      'Endpoints "local" is invalid: subsets[0].addresses[0].ip: Invalid value: "127.0.0.1": may not be in the loopback range (127.0.0.0/8, ::1/128)',
    );
    const SLICES = '/apis/discovery.k8s.io/v1/namespaces/default/endpointslices';
    const slice = (addressType: string, address: string) => ({
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name: 'web-abc' },
      addressType,
      endpoints: [{ addresses: [address] }],
      ports: [{ port: 80 }],
    });
    const bad = await api(f, 'POST', SLICES, slice('IPv4', 'fd00::1'));
    assert.equal(bad.code, 422);
    assert.equal(
      bad.body.message,
      'EndpointSlice.discovery.k8s.io "web-abc" is invalid: endpoints[0].addresses[0]: Invalid value: "fd00::1": must be a valid IPv4 address',
    );
    const ok = await api(f, 'POST', SLICES, slice('IPv4', '10.1.2.3'));
    assert.equal(ok.code, 201, JSON.stringify(ok.body));
    assert.deepEqual(ok.body.ports, [{ name: '', protocol: 'TCP', port: 80 }]);
    const retype = await api(f, 'PUT', `${SLICES}/web-abc`, {
      ...ok.body,
      addressType: 'IPv6',
      endpoints: [{ addresses: ['fd00::1'] }],
    });
    assert.equal(retype.code, 422);
    assert.match(retype.body.message, /addressType: Invalid value: "IPv6": field is immutable/);
    await api(f, 'DELETE', `${SLICES}/web-abc`);
  });

  for (const minor of [27, 33]) {
    it(`kubectl 1.${minor}: create service, get svc, cluster-info`, async () => {
      const bin = kubectlBinary(minor);
      const c = await kubectl(f, ['create', 'service', 'nodeport', `web${minor}`, '--tcp=8080:http'], bin);
      assert.equal(c.status, 0, c.err);
      assert.equal(c.out.trim(), `service/web${minor} created`);
      const g = await kubectl(f, ['get', 'svc', `web${minor}`, '-o', 'wide'], bin);
      assert.equal(g.status, 0, g.err);
      const [head, row] = g.out.trim().split('\n');
      assert.match(head!, /^NAME\s+TYPE\s+CLUSTER-IP\s+EXTERNAL-IP\s+PORT\(S\)\s+AGE\s+SELECTOR$/);
      assert.match(
        row!,
        new RegExp(
          `^web${minor}\\s+NodePort\\s+10\\.96\\.0\\.\\d+\\s+<none>\\s+8080:3000[0-4]/TCP\\s+\\S+\\s+app=web${minor}$`,
        ),
      );
      // 1.27 reads Endpoints, 1.33 EndpointSlices: both show the apiserver's address.
      const ds = await kubectl(f, ['describe', 'svc', 'kubernetes'], bin);
      assert.equal(ds.status, 0, ds.err);
      assert.match(ds.out, new RegExp(`Endpoints:\\s+${ADVERTISE.replace(/\./g, '\\.')}:${f.server.port}\\n`));
      // As kube-apiserver 1.33: every request to v1 Endpoints warns, kubectl prints it.
      const ep = await kubectl(f, ['get', 'endpoints', 'kubernetes'], bin);
      assert.equal(ep.status, 0, ep.err);
      assert.match(ep.err, /Warning: v1 Endpoints is deprecated in v1\.33\+; use discovery\.k8s\.io\/v1 EndpointSlice/);
      assert.match(ep.out, new RegExp(`kubernetes\\s+${ADVERTISE.replace(/\./g, '\\.')}:${f.server.port}\\s`));
      const sl = await kubectl(f, ['get', 'endpointslices'], bin);
      assert.doesNotMatch(sl.err, /deprecated/);
      const ci = await kubectl(f, ['cluster-info'], bin);
      assert.equal(ci.status, 0, ci.err);
      assert.match(ci.out, new RegExp(`Kubernetes control plane.* is running at .*${f.url.replace(/\./g, '\\.')}`));
      const d = await kubectl(f, ['delete', 'svc', `web${minor}`], bin);
      assert.equal(d.status, 0, d.err);
    });
  }
});
