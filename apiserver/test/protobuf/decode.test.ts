// Protobuf bodies as kubectl 1.33 sends them, captured at run time from the real binary through a
// real mkube apiserver, decoded into the JSON form; plus hostile input.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { StatusError } from '@mkube/shared/apierrors';
import { decodeKubernetesProtobuf } from '../../src/protobuf/index.ts';
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
        decodeKubernetesProtobuf(Buffer.from([0x6b, 0x38, 0x73, 0x00]), { apiVersion: 'v1', kind: 'Pod' });
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
