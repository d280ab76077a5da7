// Protobuf bodies as kubectl 1.33 sends them, captured at run time from the real binary through a
// real mkube apiserver, decoded into the JSON form; plus hostile input.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { StatusError } from '@mkube/shared/apierrors';
import { decodeKubernetesProtobuf, unknownFields } from '../../src/protobuf/index.ts';
import { readFields, readVarint } from '../../src/protobuf/wire.ts';
import { type Fixture, kubectl, startFixture } from '../server/fixture.ts';

function run(bin: string, args: string[], opts: { input?: string; env?: NodeJS.ProcessEnv } = {}) {
  const r = spawnSync(bin, args, {
    encoding: 'utf8',
    input: opts.input,
    env: { ...process.env, KUBECONFIG: '', ...opts.env },
    timeout: 30_000,
  });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

function kubectl133(): string | undefined {
  const which = spawnSync('sh', ['-c', 'dirname "$(readlink -f "$(command -v kubectl)")"'], {
    encoding: 'utf8',
  }).stdout.trim();
  const bin = join(which, 'kubectl.1.33');
  return existsSync(bin) ? bin : undefined;
}

describe('protobuf bodies from kubectl 1.33', () => {
  let fx: Fixture;
  const bin = kubectl133();
  // Async: the apiserver runs in this process, so its event loop must stay free.
  const k = async (args: string[]) => {
    const r = await kubectl(fx, args, bin);
    return { status: r.status, stdout: r.out, stderr: r.err };
  };
  before(async () => {
    fx = await startFixture();
  });
  after(async () => fx?.close());

  it('create configmap / secret / serviceaccount / namespace', async (t) => {
    if (!bin) return t.skip('kubectl.1.33 not installed');
    const c = await k(['create', 'configmap', 'cm1', '--from-literal=a=b', '--from-literal=c=d']);
    assert.equal(c.status, 0, c.stderr);
    assert.equal((await k(['get', 'cm', 'cm1', '-o', 'jsonpath={.data}'])).stdout, '{"a":"b","c":"d"}');
    assert.equal((await k(['create', 'secret', 'generic', 's1', '--from-literal=k=v'])).status, 0);
    assert.equal(
      (await k(['get', 'secret', 's1', '-o', 'jsonpath={.data.k} {.type}'])).stdout,
      `${Buffer.from('v').toString('base64')} Opaque`,
    );
    assert.equal((await k(['create', 'serviceaccount', 'sa1'])).status, 0);
    assert.equal((await k(['create', 'namespace', 'ns1'])).status, 0);
    assert.equal((await k(['get', 'ns', 'ns1', '-o', 'jsonpath={.status.phase}'])).stdout, 'Active');
  });

  it('create role / rolebinding / clusterrole (aggregated) / clusterrolebinding', async (t) => {
    if (!bin) return t.skip('kubectl.1.33 not installed');
    let r = await k(['create', 'role', 'r1', '--verb=get,list', '--resource=pods,pods/log', '--resource-name=p1']);
    assert.equal(r.status, 0, r.stderr);
    const role = JSON.parse((await k(['get', 'role', 'r1', '-o', 'json'])).stdout);
    assert.deepEqual(role.rules, [
      { verbs: ['get', 'list'], apiGroups: [''], resources: ['pods', 'pods/log'], resourceNames: ['p1'] },
    ]);
    r = await k([
      'create',
      'rolebinding',
      'rb1',
      '--role=r1',
      '--user=alice',
      '--group=g1',
      '--serviceaccount=ns1:robot',
    ]);
    assert.equal(r.status, 0, r.stderr);
    const rb = JSON.parse((await k(['get', 'rolebinding', 'rb1', '-o', 'json'])).stdout);
    assert.deepEqual(rb.roleRef, { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'r1' });
    assert.deepEqual(rb.subjects, [
      { kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: 'alice' },
      { kind: 'Group', apiGroup: 'rbac.authorization.k8s.io', name: 'g1' },
      { kind: 'ServiceAccount', name: 'robot', namespace: 'ns1' },
    ]);
    assert.equal((await k(['create', 'clusterrole', 'cr1', '--verb=get', '--non-resource-url=/healthz'])).status, 0);
    assert.equal(
      (await k(['get', 'clusterrole', 'cr1', '-o', 'jsonpath={.rules[0].nonResourceURLs[0]}'])).stdout,
      '/healthz',
    );
    assert.equal((await k(['create', 'clusterrole', 'agg', '--aggregation-rule=a=b'])).status, 0);
    assert.equal(
      (
        await k([
          'get',
          'clusterrole',
          'agg',
          '-o',
          'jsonpath={.aggregationRule.clusterRoleSelectors[0].matchLabels.a}',
        ])
      ).stdout,
      'b',
    );
    assert.equal((await k(['create', 'clusterrolebinding', 'crb1', '--clusterrole=cr1', '--group=g2'])).status, 0);
  });

  it('certificate approve sends the whole CSR as protobuf', async (t) => {
    if (!bin) return t.skip('kubectl.1.33 not installed');
    run('openssl', [
      'req',
      '-new',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-subj',
      '/O=system:nodes/CN=system:node:n1',
      '-keyout',
      join(fx.dir, 'n1.key'),
      '-out',
      join(fx.dir, 'n1.csr'),
    ]);
    const request = readFileSync(join(fx.dir, 'n1.csr')).toString('base64');
    const csr = {
      apiVersion: 'certificates.k8s.io/v1',
      kind: 'CertificateSigningRequest',
      metadata: { name: 'c1' },
      spec: {
        request,
        signerName: 'kubernetes.io/kube-apiserver-client-kubelet',
        usages: ['digital signature', 'client auth'],
      },
    };
    writeFileSync(join(fx.dir, 'csr.json'), JSON.stringify(csr));
    const created = await k(['create', '-f', join(fx.dir, 'csr.json')]);
    assert.equal(created.status, 0, created.stderr);
    const r = await k(['certificate', 'approve', 'c1']);
    assert.equal(r.status, 0, r.stderr);
    const got = JSON.parse((await k(['get', 'csr', 'c1', '-o', 'json'])).stdout);
    assert.equal(got.status.conditions[0].type, 'Approved');
    assert.equal(got.status.conditions[0].reason, 'KubectlApprove');
    assert.equal(got.spec.request, request);
  });
});

describe('protobuf wire reader', () => {
  it('reads varints at their boundaries and refuses overlong ones', () => {
    assert.deepEqual(readVarint(Buffer.from([0x7f]), 0), [127n, 1]);
    assert.deepEqual(readVarint(Buffer.from([0x80, 0x01]), 0), [128n, 2]);
    assert.throws(() => readVarint(Buffer.from([0x80]), 0), /truncated varint/);
    assert.throws(() => readVarint(Buffer.alloc(11, 0xff), 0), /longer than 10 bytes/);
  });
  it('refuses a length past the end and an unknown wire type', () => {
    assert.throws(() => readFields(Buffer.from([0x0a, 0x05, 0x61])), /runs past the end/);
    assert.throws(() => readFields(Buffer.from([0x0b])), /unsupported wire type 3/);
  });
  it('refuses bodies without the magic, and unknown kinds as an unsupported media type', () => {
    assert.throws(
      () => decodeKubernetesProtobuf(Buffer.from('{"kind":"ConfigMap"}'), { apiVersion: 'v1', kind: 'ConfigMap' }),
      /magic number/,
    );
    const e = (() => {
      try {
        decodeKubernetesProtobuf(Buffer.from([0x6b, 0x38, 0x73, 0x00]), { apiVersion: 'v1', kind: 'Node' });
      } catch (err) {
        return err as StatusError;
      }
    })();
    assert.equal(e?.code, 415);
  });
  it('never throws anything but a StatusError on mutated input (bounded fuzz)', () => {
    // A ConfigMap as kubectl encodes it: magic + Unknown{typeMeta, raw{metadata{name}, data{a:b}}}.
    const meta = Buffer.from([0x0a, 0x03, ...Buffer.from('cm1')]);
    const entry = Buffer.from([0x0a, 0x01, 0x61, 0x12, 0x01, 0x62]);
    const raw = Buffer.concat([Buffer.from([0x0a, meta.length]), meta, Buffer.from([0x12, entry.length]), entry]);
    const tm = Buffer.concat([
      Buffer.from([0x0a, 0x02]),
      Buffer.from('v1'),
      Buffer.from([0x12, 0x09]),
      Buffer.from('ConfigMap'),
    ]);
    const body = Buffer.concat([
      Buffer.from([0x6b, 0x38, 0x73, 0x00, 0x0a, tm.length]),
      tm,
      Buffer.from([0x12, raw.length]),
      raw,
    ]);
    const ok = decodeKubernetesProtobuf(body, { apiVersion: 'v1', kind: 'ConfigMap' });
    assert.deepEqual(ok, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm1' }, data: { a: 'b' } });
    let seed = 42;
    const rnd = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed;
    };
    for (let i = 0; i < 2000; i++) {
      const m = Buffer.from(body);
      for (let j = 0; j < 1 + (rnd() % 4); j++) m[4 + (rnd() % (m.length - 4))] = rnd() & 0xff;
      try {
        decodeKubernetesProtobuf(m, { apiVersion: 'v1', kind: 'ConfigMap' });
      } catch (e) {
        assert.ok(e instanceof StatusError, `mutation ${i} threw ${e}`);
      }
    }
  });
});

// A minimal protobuf writer, to build bodies field by field as gogo-protobuf writes them (every
// non-pointer field, empty or not, in field-number order).
function varint(n: number | bigint): Buffer {
  let v = BigInt.asUintN(64, BigInt(n));
  const out: number[] = [];
  while (v >= 0x80n) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
  return Buffer.from(out);
}
const pbInt = (n: number, v: number | bigint) => Buffer.concat([varint(n << 3), varint(v)]);
const pbLen = (n: number, ...parts: (Buffer | string)[]) => {
  const b = Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : p)));
  return Buffer.concat([varint((n << 3) | 2), varint(b.length), b]);
};
const pbMap = (n: number, m: Record<string, string>) =>
  Object.entries(m).map(([k, v]) => pbLen(n, pbLen(1, k), pbLen(2, v)));
/** intstr.IntOrString as gogo-protobuf writes it: all three fields. */
const pbIntOrString = (n: number, v: number | string) =>
  typeof v === 'number'
    ? pbLen(n, pbInt(1, 0), pbInt(2, v), pbLen(3))
    : pbLen(n, pbInt(1, 1), pbInt(2, 0), pbLen(3, v));
/** `k8s\0` + runtime.Unknown{typeMeta, raw, contentEncoding "", contentType ""}. */
const envelope = (apiVersion: string, kind: string, raw: Buffer) =>
  Buffer.concat([
    Buffer.from([0x6b, 0x38, 0x73, 0x00]),
    pbLen(1, pbLen(1, apiVersion), pbLen(2, kind)),
    pbLen(2, raw),
    pbLen(3),
    pbLen(4),
  ]);
const objectMeta = (name: string, namespace: string) => pbLen(1, pbLen(1, name), pbLen(3, namespace));

describe('protobuf bodies of v1 Service and Endpoints', () => {
  const svc = { apiVersion: 'v1', kind: 'Service' };
  const ep = { apiVersion: 'v1', kind: 'Endpoints' };

  it('decodes the Services kubectl 1.33 `create service` sends (bodies captured from the binary)', () => {
    // kubectl create service nodeport foo --tcp=80:http --tcp=443:8443 --node-port=30080
    const nodePort = Buffer.from(
      '6b3873000a0d0a027631120753657276696365128e010a1f0a03666f6f12001a0022002a003200380042005a0a0a0361707012' +
        '03666f6f12670a200a0738302d6874747012035443501850220a080110001a04687474702880eb010a1f0a083434332d3834' +
        '3433120354435018bb032207080010fb411a002880eb01120a0a036170701203666f6f1a0022084e6f6465506f72743a0042' +
        '0052005a00600068001a020a001a002200',
      'hex',
    );
    assert.deepEqual(decodeKubernetesProtobuf(nodePort, svc), {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'foo', labels: { app: 'foo' } },
      spec: {
        ports: [
          { name: '80-http', protocol: 'TCP', port: 80, targetPort: 'http', nodePort: 30080 },
          { name: '443-8443', protocol: 'TCP', port: 443, targetPort: 8443, nodePort: 30080 },
        ],
        selector: { app: 'foo' },
        type: 'NodePort',
      },
    });
    // kubectl create service clusterip bar --tcp=80
    const clusterIP = Buffer.from(
      '6b3873000a0d0a02763112075365727669636512630a1f0a0362617212001a0022002a003200380042005a0a0a036170701203' +
        '626172123c0a150a023830120354435018502206080010501a002800120a0a0361707012036261721a002209436c75737465' +
        '7249503a00420052005a00600068001a020a001a002200',
      'hex',
    );
    assert.deepEqual(decodeKubernetesProtobuf(clusterIP, svc), {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'bar', labels: { app: 'bar' } },
      spec: {
        ports: [{ name: '80', protocol: 'TCP', port: 80, targetPort: 80 }],
        selector: { app: 'bar' },
        type: 'ClusterIP',
      },
    });
  });

  it('decodes every ServiceSpec field, the status, and a named and a numbered targetPort', () => {
    const port = (name: string, p: number, target: number | string | undefined, node: number, appProtocol?: string) =>
      pbLen(
        1,
        pbLen(1, name),
        pbLen(2, 'TCP'),
        pbInt(3, p),
        // An unset targetPort travels as the zero IntOrString.
        target === undefined ? pbIntOrString(4, 0) : pbIntOrString(4, target),
        pbInt(5, node),
        ...(appProtocol === undefined ? [] : [pbLen(6, appProtocol)]),
      );
    const spec = pbLen(
      2,
      port('http', 80, 'http', 30080, 'kubernetes.io/h2c'),
      port('metrics', 9090, 8080, 30090),
      port('plain', 7000, undefined, 0),
      ...pbMap(2, { app: 'web', tier: 'front' }),
      pbLen(3, '10.96.0.10'),
      pbLen(4, 'NodePort'),
      pbLen(5, '192.0.2.1'),
      pbLen(7, 'ClientIP'),
      pbLen(8),
      pbLen(9, '198.51.100.0/24'),
      pbLen(10),
      pbLen(11, 'Local'),
      pbInt(12, 31000),
      pbInt(13, 1),
      pbLen(14, pbLen(1, pbInt(1, 10800))),
      pbLen(17, 'SingleStack'),
      pbLen(18, '10.96.0.10'),
      pbLen(19, 'IPv4'),
      pbInt(20, 0),
      pbLen(21, 'example.com/lb'),
      pbLen(22, 'Cluster'),
      pbLen(23, 'PreferClose'),
    );
    const status = pbLen(
      3,
      pbLen(1, pbLen(1, pbLen(1, '203.0.113.7'), pbLen(2), pbLen(3, 'VIP'), pbLen(4, pbInt(1, 80), pbLen(2, 'TCP')))),
      pbLen(
        2,
        pbLen(1, 'Ready'),
        pbLen(2, 'True'),
        pbInt(3, 2),
        pbLen(4, pbInt(1, 1_700_000_000), pbInt(2, 0)),
        pbLen(5, 'Provisioned'),
        pbLen(6),
      ),
    );
    const got = decodeKubernetesProtobuf(
      envelope('v1', 'Service', Buffer.concat([objectMeta('web', 'prod'), spec, status])),
      svc,
    );
    assert.deepEqual(got, {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web', namespace: 'prod' },
      spec: {
        ports: [
          {
            name: 'http',
            protocol: 'TCP',
            port: 80,
            targetPort: 'http',
            nodePort: 30080,
            appProtocol: 'kubernetes.io/h2c',
          },
          { name: 'metrics', protocol: 'TCP', port: 9090, targetPort: 8080, nodePort: 30090 },
          { name: 'plain', protocol: 'TCP', port: 7000 },
        ],
        selector: { app: 'web', tier: 'front' },
        clusterIP: '10.96.0.10',
        type: 'NodePort',
        externalIPs: ['192.0.2.1'],
        sessionAffinity: 'ClientIP',
        loadBalancerSourceRanges: ['198.51.100.0/24'],
        externalTrafficPolicy: 'Local',
        healthCheckNodePort: 31000,
        publishNotReadyAddresses: true,
        sessionAffinityConfig: { clientIP: { timeoutSeconds: 10800 } },
        ipFamilyPolicy: 'SingleStack',
        clusterIPs: ['10.96.0.10'],
        ipFamilies: ['IPv4'],
        allocateLoadBalancerNodePorts: false,
        loadBalancerClass: 'example.com/lb',
        internalTrafficPolicy: 'Cluster',
        trafficDistribution: 'PreferClose',
      },
      status: {
        loadBalancer: { ingress: [{ ip: '203.0.113.7', ipMode: 'VIP', ports: [{ port: 80, protocol: 'TCP' }] }] },
        conditions: [
          {
            type: 'Ready',
            status: 'True',
            observedGeneration: 2,
            lastTransitionTime: '2023-11-14T22:13:20Z',
            reason: 'Provisioned',
          },
        ],
      },
    });
    // The named port stays a string and the numbered one a number, not "8080" or NaN.
    const ports = (got as unknown as { spec: { ports: { targetPort?: unknown }[] } }).spec.ports;
    assert.equal(typeof ports[0]?.targetPort, 'string');
    assert.equal(typeof ports[1]?.targetPort, 'number');
    // Every name the table produces is a field the kind has, so fieldValidation=Strict accepts it.
    assert.deepEqual(unknownFields(got, 'v1', 'Service'), []);
  });

  it('decodes Endpoints with addresses, targetRef, nodeName, notReadyAddresses and ports', () => {
    const targetRef = (name: string) =>
      pbLen(
        2,
        pbLen(1, 'Pod'),
        pbLen(2, 'prod'),
        pbLen(3, name),
        pbLen(4, `uid-${name}`),
        pbLen(5),
        pbLen(6),
        pbLen(7),
      );
    const subset = pbLen(
      2,
      pbLen(1, pbLen(1, '10.244.1.5'), targetRef('web-a'), pbLen(3), pbLen(4, 'node-1')),
      pbLen(1, pbLen(1, '10.244.2.7'), pbLen(3, 'web-b'), pbLen(4, 'node-2')),
      pbLen(2, pbLen(1, '10.244.3.9'), targetRef('web-c')),
      pbLen(3, pbLen(1, 'http'), pbInt(2, 8080), pbLen(3, 'TCP')),
      pbLen(3, pbLen(1, 'metrics'), pbInt(2, 9090), pbLen(3, 'TCP'), pbLen(4, 'http')),
    );
    const got = decodeKubernetesProtobuf(
      envelope('v1', 'Endpoints', Buffer.concat([objectMeta('web', 'prod'), subset])),
      ep,
    );
    const ref = (name: string) => ({ kind: 'Pod', namespace: 'prod', name, uid: `uid-${name}` });
    assert.deepEqual(got, {
      apiVersion: 'v1',
      kind: 'Endpoints',
      metadata: { name: 'web', namespace: 'prod' },
      subsets: [
        {
          addresses: [
            { ip: '10.244.1.5', targetRef: ref('web-a'), nodeName: 'node-1' },
            { ip: '10.244.2.7', hostname: 'web-b', nodeName: 'node-2' },
          ],
          notReadyAddresses: [{ ip: '10.244.3.9', targetRef: ref('web-c') }],
          ports: [
            { name: 'http', port: 8080, protocol: 'TCP' },
            { name: 'metrics', port: 9090, protocol: 'TCP', appProtocol: 'http' },
          ],
        },
      ],
    });
    assert.deepEqual(unknownFields(got, 'v1', 'Endpoints'), []);
  });

  it('refuses an IntOrString whose parts have the wrong wire type, as a BadRequest', () => {
    const body = (targetPort: Buffer) =>
      envelope('v1', 'Service', Buffer.concat([objectMeta('s', 'd'), pbLen(2, pbLen(1, pbInt(3, 80), targetPort))]));
    const bad = [
      pbInt(4, 8080), // the IntOrString itself as a varint
      pbLen(4, pbLen(1, 'x')), // type as bytes
      pbLen(4, pbInt(1, 0), pbLen(2, '80')), // intVal as bytes
      pbLen(4, pbInt(1, 1), pbInt(3, 7)), // strVal as a varint
    ];
    for (const tp of bad) {
      assert.throws(
        () => decodeKubernetesProtobuf(body(tp), svc),
        (e: unknown) => e instanceof StatusError && e.code === 400 && /targetPort.*wrong wire type/.test(e.message),
      );
    }
    // intVal is an int32: a negative one (10-byte varint) comes back negative.
    const neg = decodeKubernetesProtobuf(body(pbIntOrString(4, -1)), svc) as unknown as {
      spec: { ports: { targetPort: unknown }[] };
    };
    assert.equal(neg.spec.ports[0]?.targetPort, -1);
  });

  it('keeps a pointer IntOrString sent as 0 (maxUnavailable: 0), where a plain zero one is left out', () => {
    const deploy = envelope(
      'apps/v1',
      'Deployment',
      Buffer.concat([
        objectMeta('d', 'default'),
        pbLen(2, pbLen(4, pbLen(1, 'RollingUpdate'), pbLen(2, pbIntOrString(1, 0), pbIntOrString(2, '25%')))),
      ]),
    );
    const d = decodeKubernetesProtobuf(deploy, { apiVersion: 'apps/v1', kind: 'Deployment' }) as unknown as {
      spec: { strategy: unknown };
    };
    assert.deepEqual(d.spec.strategy, { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: '25%' } });
    const pdb = envelope(
      'policy/v1',
      'PodDisruptionBudget',
      Buffer.concat([objectMeta('p', 'default'), pbLen(2, pbIntOrString(3, 0))]),
    );
    const p = decodeKubernetesProtobuf(pdb, { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget' }) as unknown as {
      spec: unknown;
    };
    assert.deepEqual(p.spec, { maxUnavailable: 0 });
  });

  it('the Service and Endpoints tables know every JSON field name, and still report a misspelt one', () => {
    const service = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 's' },
      spec: {
        ports: [{ name: 'p', protocol: 'TCP', appProtocol: 'h', port: 1, targetPort: 'x', nodePort: 30000 }],
        selector: { a: 'b' },
        clusterIP: 'None',
        clusterIPs: ['None'],
        type: 'ClusterIP',
        externalIPs: [],
        sessionAffinity: 'None',
        loadBalancerIP: '',
        loadBalancerSourceRanges: [],
        externalName: '',
        externalTrafficPolicy: 'Cluster',
        healthCheckNodePort: 0,
        publishNotReadyAddresses: false,
        sessionAffinityConfig: { clientIP: { timeoutSeconds: 1 } },
        ipFamilies: ['IPv4'],
        ipFamilyPolicy: 'SingleStack',
        allocateLoadBalancerNodePorts: true,
        loadBalancerClass: 'c',
        internalTrafficPolicy: 'Cluster',
        trafficDistribution: 'PreferClose',
        clusterIp: '10.0.0.1',
      },
      status: {
        loadBalancer: {
          ingress: [{ ip: '1.2.3.4', hostname: 'h', ipMode: 'VIP', ports: [{ port: 1, protocol: 'TCP', error: 'e' }] }],
        },
      },
    };
    assert.deepEqual(unknownFields(service, 'v1', 'Service'), ['spec.clusterIp']);
    const endpoints = {
      subsets: [{ addresses: [{ ip: '1.2.3.4', hostName: 'h' }], notReadyAddresses: [], ports: [{ port: 1 }] }],
    };
    assert.deepEqual(unknownFields(endpoints, 'v1', 'Endpoints'), ['subsets[0].addresses[0].hostName']);
  });
});
