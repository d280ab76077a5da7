// Server-side apply with the real kubectl (oldest and newest supported): create through apply,
// field ownership in managedFields, pruning what an applier stops setting, conflicts with other
// appliers and with non-apply writers, --force-conflicts, and the options upstream refuses.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { curl, type Fixture, issueClient, kubectl, kubectlBinary, startFixture } from './fixture.ts';

const cm = (data: Record<string, string>, labels?: Record<string, string>) =>
  JSON.stringify({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'ssa', ...(labels ? { labels } : {}) },
    data,
  });

for (const minor of [27, 33]) {
  describe(`server-side apply, kubectl 1.${minor}`, () => {
    let f: Fixture;
    const bin = kubectlBinary(minor);
    const k = (...args: string[]) => kubectl(f, args, bin);
    const file = (name: string, text: string) => {
      const p = join(f.dir, name);
      writeFileSync(p, text);
      return p;
    };
    const patchRaw = (path: string, contentType: string, body: string) =>
      curl(f, path, ['-X', 'PATCH', '-H', `content-type: ${contentType}`, '--data-binary', body]);
    const getCm = async (name = 'ssa') => {
      const r = await k('get', 'cm', name, '-o', 'json', '--show-managed-fields');
      assert.equal(r.status, 0, r.err);
      return JSON.parse(r.out) as {
        data?: Record<string, string>;
        metadata: { labels?: Record<string, string>; managedFields?: Record<string, unknown>[] };
      };
    };
    before(async () => {
      f = await startFixture();
    });
    after(async () => {
      await f?.close();
    });

    it('creates the object and records the applier as its manager', async () => {
      const r = await k('apply', '--server-side', '-f', file('a.json', cm({ a: '1', b: '2' }, { app: 'x' })));
      assert.equal(r.status, 0, r.err);
      assert.match(r.out, /configmap\/ssa serverside-applied/);
      const o = await getCm();
      assert.deepEqual(o.data, { a: '1', b: '2' });
      assert.equal(o.metadata.managedFields?.length, 1);
      const m = o.metadata.managedFields![0]!;
      assert.equal(m.manager, 'kubectl');
      assert.equal(m.operation, 'Apply');
      assert.equal(m.apiVersion, 'v1');
      assert.equal(m.fieldsType, 'FieldsV1');
      assert.deepEqual(m.fieldsV1, {
        'f:data': { 'f:a': {}, 'f:b': {} },
        'f:metadata': { 'f:labels': { 'f:app': {} } },
      });
    });

    it('re-applying changes what it sets and removes what it no longer sets', async () => {
      const r = await k('apply', '--server-side', '-f', file('a2.json', cm({ a: '10' })));
      assert.equal(r.status, 0, r.err);
      const o = await getCm();
      assert.deepEqual(o.data, { a: '10' });
      assert.equal(o.metadata.labels?.app, undefined);
      assert.deepEqual(o.metadata.managedFields?.[0]?.fieldsV1, { 'f:data': { 'f:a': {} } });
    });

    it('a second applier that changes an owned field gets a 409 naming the field and the owner', async () => {
      const r = await k(
        'apply',
        '--server-side',
        '--field-manager=other',
        '-f',
        file('o.json', cm({ a: '20', c: '3' })),
      );
      assert.notEqual(r.status, 0);
      assert.match(r.err, /Apply failed with 1 conflict: conflict with "kubectl": \.data\.a/);
      assert.deepEqual((await getCm()).data, { a: '10' }, 'nothing was written');
      const raw = await patchRaw(
        '/api/v1/namespaces/default/configmaps/ssa?fieldManager=other',
        'application/apply-patch+yaml',
        cm({ a: '20' }),
      );
      assert.equal(raw.code, 409);
      const st = JSON.parse(raw.body);
      assert.equal(st.reason, 'Conflict');
      assert.deepEqual(st.details.causes, [
        { reason: 'FieldManagerConflict', message: 'conflict with "kubectl"', field: '.data.a' },
      ]);
    });

    it('an applier setting the same value shares the field; --force-conflicts takes it over', async () => {
      let r = await k('apply', '--server-side', '--field-manager=other', '-f', file('s.json', cm({ a: '10', c: '3' })));
      assert.equal(r.status, 0, r.err);
      let o = await getCm();
      assert.deepEqual(o.data, { a: '10', c: '3' });
      assert.deepEqual(o.metadata.managedFields?.map((m) => m.manager).sort(), ['kubectl', 'other']);
      r = await k(
        'apply',
        '--server-side',
        '--field-manager=other',
        '--force-conflicts',
        '-f',
        file('f.json', cm({ a: '30', c: '3' })),
      );
      assert.equal(r.status, 0, r.err);
      o = await getCm();
      assert.equal(o.data?.a, '30');
      const kubectlEntry = o.metadata.managedFields?.find((m) => m.manager === 'kubectl');
      assert.equal(kubectlEntry, undefined, 'kubectl lost its only field');
      // The first applier dropping a field it no longer owns does not remove it.
      r = await k('apply', '--server-side', '-f', file('e.json', cm({ d: '4' })));
      assert.equal(r.status, 0, r.err);
      assert.deepEqual((await getCm()).data, { a: '30', c: '3', d: '4' });
    });

    it('a non-apply write takes the fields it changes, and the applier then conflicts with it', async () => {
      let r = await k('patch', 'cm', 'ssa', '--type=merge', '-p', '{"data":{"d":"5"}}');
      assert.equal(r.status, 0, r.err);
      const o = await getCm();
      const patcher = o.metadata.managedFields?.find((m) => m.manager === 'kubectl-patch');
      assert.equal(patcher?.operation, 'Update');
      assert.deepEqual(patcher?.fieldsV1, { 'f:data': { 'f:d': {} } });
      r = await k('apply', '--server-side', '-f', file('e2.json', cm({ d: '4' })));
      assert.notEqual(r.status, 0);
      assert.match(r.err, /conflict with "kubectl-patch" using v1 at \d{4}-\d\d-\d\dT[\d:]+Z: \.data\.d/);
    });

    it('an object created without apply is owned by before-first-apply at its first apply', async () => {
      let r = await k('create', 'cm', 'plain', '--from-literal=x=1');
      assert.equal(r.status, 0, r.err);
      assert.equal((await getCm('plain')).metadata.managedFields, undefined);
      const plain = (data: Record<string, string>) =>
        JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'plain' }, data });
      r = await k('apply', '--server-side', '-f', file('p.json', plain({ x: '2' })));
      assert.notEqual(r.status, 0);
      assert.match(r.err, /conflict with "before-first-apply" using v1: \.data\.x/);
      r = await k('apply', '--server-side', '-f', file('p2.json', plain({ x: '1', y: '2' })));
      assert.equal(r.status, 0, r.err);
      const o = await getCm('plain');
      assert.deepEqual(o.data, { x: '1', y: '2' });
      assert.deepEqual(
        o.metadata.managedFields?.map((m) => [m.manager, m.operation]),
        [
          ['kubectl', 'Apply'],
          ['before-first-apply', 'Update'],
        ],
      );
    });

    it('refuses an apply without fieldManager, with managedFields, or for another version', async () => {
      const patch = (query: string, body: string) =>
        patchRaw(`/api/v1/namespaces/default/configmaps/ssa${query}`, 'application/apply-patch+yaml', body);
      let r = await patch('', cm({ a: '1' }));
      assert.equal(r.code, 422, r.body);
      assert.match(JSON.parse(r.body).message, /fieldManager: Required value: is required for apply patch/);
      r = await patch(
        '?fieldManager=x',
        JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'ssa', managedFields: [] } }),
      );
      assert.equal(r.code, 400, r.body);
      assert.match(JSON.parse(r.body).message, /metadata\.managedFields must be nil/);
      r = await patch('?fieldManager=x', JSON.stringify({ apiVersion: 'v2', kind: 'ConfigMap' }));
      assert.equal(r.code, 400, r.body);
      assert.match(JSON.parse(r.body).message, /Specified patch version: v2, expected: v1/);
      r = await patchRaw('/api/v1/namespaces/default/configmaps/ssa?force=true', 'application/merge-patch+json', '{}');
      assert.equal(r.code, 422, r.body);
      assert.match(JSON.parse(r.body).message, /force: Forbidden: may not be specified for non-apply patch/);
      // ValidateFieldManager, on every write: 128 bytes at most, printable characters only.
      r = await patch('?fieldManager=a%07b', cm({ a: '1' }));
      assert.equal(r.code, 422, r.body);
      assert.match(
        JSON.parse(r.body).message,
        /^PatchOptions\.meta\.k8s\.io "" is invalid: fieldManager: Invalid value: "a\\u0007b": invalid character U\+0007 \(at position 1\)$/,
      );
      r = await curl(f, `/api/v1/namespaces/default/configmaps?fieldManager=${'m'.repeat(129)}`, [
        '-X',
        'POST',
        '-H',
        'content-type: application/json',
        '--data-binary',
        cm({ a: '1' }),
      ]);
      assert.equal(r.code, 422, r.body);
      assert.match(
        JSON.parse(r.body).message,
        /^CreateOptions\.meta\.k8s\.io "" is invalid: fieldManager: Too long: may not be more than 128 bytes$/,
      );
    });
  });
}

describe('server-side apply: keyed lists, atomic maps, subresources, updates', () => {
  let f: Fixture;
  const k = (...args: string[]) => kubectl(f, args);
  const file = (name: string, obj: unknown) => {
    const p = join(f.dir, name);
    writeFileSync(p, JSON.stringify(obj));
    return p;
  };
  const svc = (ports: object[], selector?: Record<string, string>) => ({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'web' },
    spec: { ports, ...(selector ? { selector } : {}) },
  });
  const getSvc = async () => {
    const r = await k('get', 'svc', 'web', '-o', 'json', '--show-managed-fields');
    assert.equal(r.status, 0, r.err);
    return JSON.parse(r.out);
  };
  before(async () => {
    f = await startFixture(['--authorization-mode=Node,RBAC']);
  });
  after(async () => {
    await f?.close();
  });

  it('two appliers each own their own items of a keyed list', async () => {
    let r = await k(
      'apply',
      '--server-side',
      '--field-manager=a',
      '-f',
      file('a.json', svc([{ name: 'http', port: 80 }], { app: 'web' })),
    );
    assert.equal(r.status, 0, r.err);
    r = await k(
      'apply',
      '--server-side',
      '--field-manager=b',
      '-f',
      file('b.json', svc([{ name: 'https', port: 443 }])),
    );
    assert.equal(r.status, 0, r.err);
    let s = await getSvc();
    assert.deepEqual(
      s.spec.ports.map((p: { port: number; protocol: string }) => `${p.port}/${p.protocol}`),
      ['80/TCP', '443/TCP'],
    );
    const b = s.metadata.managedFields.find((m: { manager: string }) => m.manager === 'b');
    assert.deepEqual(Object.keys(b.fieldsV1['f:spec']['f:ports']), ['k:{"port":443,"protocol":"TCP"}']);
    // a changing b's item conflicts on the item's field, printed as upstream prints keyed paths.
    r = await k(
      'apply',
      '--server-side',
      '--field-manager=a',
      '-f',
      file(
        'a2.json',
        svc(
          [
            { name: 'http', port: 80 },
            { name: 'tls', port: 443 },
          ],
          { app: 'web' },
        ),
      ),
    );
    assert.notEqual(r.status, 0);
    assert.match(r.err, /conflict with "b": \.spec\.ports\[port=443,protocol="TCP"\]\.name/);
    // b dropping its item removes it; a's stays.
    r = await k('apply', '--server-side', '--field-manager=b', '-f', file('b2.json', svc([])));
    assert.equal(r.status, 0, r.err);
    s = await getSvc();
    assert.deepEqual(
      s.spec.ports.map((p: { port: number }) => p.port),
      [80],
    );
  });

  it('an atomic map (Service selector) conflicts as a whole', async () => {
    const r = await k(
      'apply',
      '--server-side',
      '--field-manager=b',
      '-f',
      file('b3.json', svc([], { app: 'web', tier: 'x' })),
    );
    assert.notEqual(r.status, 0);
    assert.match(r.err, /conflict with "a": \.spec\.selector/);
  });

  it('a PUT records its manager from the User-Agent; managedFields [{}] clears them', async () => {
    let s = await getSvc();
    s.metadata.labels = { put: 'yes' };
    let r = await k('replace', '-f', file('put.json', s));
    assert.equal(r.status, 0, r.err);
    s = await getSvc();
    const put = s.metadata.managedFields.find((m: { manager: string }) => m.manager === 'kubectl-replace');
    assert.deepEqual(put?.fieldsV1, { 'f:metadata': { 'f:labels': { 'f:put': {} } } });
    r = await k('patch', 'svc', 'web', '--type=merge', '-p', '{"metadata":{"managedFields":[{}]}}');
    assert.equal(r.status, 0, r.err);
    s = await getSvc();
    assert.equal(s.metadata.managedFields, undefined);
    assert.equal(s.metadata.labels.put, 'yes', 'clearing ownership changes no field');
  });

  it('kubectl moves an object from client-side to server-side apply without conflicts', async () => {
    const conf = (a: string) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'csa' }, data: { a } });
    let r = await k('apply', '-f', file('csa1.json', conf('1')));
    assert.equal(r.status, 0, r.err);
    r = await k('apply', '--server-side', '-f', file('csa2.json', conf('2')));
    assert.equal(r.status, 0, r.err);
    let o = JSON.parse((await k('get', 'cm', 'csa', '-o', 'json')).out);
    assert.equal(o.data.a, '2');
    const last = JSON.parse(o.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration']);
    assert.deepEqual(last.data, { a: '2' }, 'the annotation follows the server-side apply');
    // A value changed since the last apply by someone else is a real conflict, even for kubectl.
    r = await k('patch', 'cm', 'csa', '--type=merge', '-p', '{"data":{"b":"x"}}');
    assert.equal(r.status, 0, r.err);
    r = await k('apply', '-f', file('csa3.json', { ...conf('2'), data: { a: '2', b: 'y' } }));
    assert.equal(r.status, 0, r.err);
    r = await k('patch', 'cm', 'csa', '--type=merge', '-p', '{"data":{"b":"z"}}');
    assert.equal(r.status, 0, r.err);
    r = await k('apply', '--server-side', '-f', file('csa4.json', { ...conf('3'), data: { a: '3', b: 'w' } }));
    assert.notEqual(r.status, 0);
    assert.match(r.err, /conflict with "kubectl-patch" using v1 at [^:]+:\d\d:\d\dZ: \.data\.b/);
    o = JSON.parse((await k('get', 'cm', 'csa', '-o', 'json')).out);
    assert.deepEqual(o.data, { a: '2', b: 'z' });
  });

  it('an apply that creates also needs create: patch alone is 403 for a missing object', async () => {
    let r = await k('create', 'role', 'patcher', '--verb=patch,get', '--resource=configmaps');
    assert.equal(r.status, 0, r.err);
    r = await k('create', 'rolebinding', 'patcher', '--role=patcher', '--user=pat');
    assert.equal(r.status, 0, r.err);
    const pat = await issueClient(f, 'pat');
    const asPat = (...args: string[]) => kubectl({ kubeconfig: pat.kubeconfig, dir: f.dir }, args);
    const conf = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'by-pat' }, data: { a: '1' } };
    r = await asPat('apply', '--server-side', '-f', file('pat.json', conf));
    assert.notEqual(r.status, 0);
    assert.match(r.err, /configmaps "by-pat" is forbidden: User "pat" cannot create resource "configmaps"/);
    assert.notEqual((await k('get', 'cm', 'by-pat')).status, 0, 'nothing was created');
    r = await k('create', 'cm', 'by-pat', '--from-literal=a=0');
    assert.equal(r.status, 0, r.err);
    r = await asPat('apply', '--server-side', '--force-conflicts', '-f', file('pat.json', conf));
    assert.equal(r.status, 0, r.err);
  });

  it('unknown fields in an applied configuration follow fieldValidation', async () => {
    const bad = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'typo' }, data: { a: '1' }, dta: { b: '2' } };
    let r = await k('apply', '--server-side', '--validate=strict', '-f', file('typo.json', bad));
    assert.notEqual(r.status, 0);
    assert.match(r.err, /strict decoding error: unknown field "dta"/);
    r = await k('apply', '--server-side', '--validate=warn', '-f', file('typo.json', bad));
    assert.equal(r.status, 0, r.err);
    assert.match(r.err, /Warning: unknown field "dta"/);
  });

  it('dry-run applies write nothing', async () => {
    const r = await k(
      'apply',
      '--server-side',
      '--dry-run=server',
      '-f',
      file('d.json', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'dry' }, data: { a: '1' } }),
    );
    assert.equal(r.status, 0, r.err);
    assert.match(r.out, /configmap\/dry serverside-applied \(server dry run\)/);
    const g = await k('get', 'cm', 'dry');
    assert.notEqual(g.status, 0);
  });

  it('an apply to /status owns status fields only, with subresource "status"', async () => {
    const ns = (phase: string) => ({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'applied', labels: { ignored: 'yes' } },
      status: { phase },
    });
    let r = await k('create', 'ns', 'applied');
    assert.equal(r.status, 0, r.err);
    const put = await curl(f, '/api/v1/namespaces/applied/status?fieldManager=st', [
      '-X',
      'PATCH',
      '-H',
      'content-type: application/apply-patch+yaml',
      '--data-binary',
      JSON.stringify(ns('Active')),
    ]);
    assert.equal(put.code, 200, put.body);
    const o = JSON.parse(put.body);
    assert.equal(o.metadata.labels?.ignored, undefined);
    const st = o.metadata.managedFields.find((m: { manager: string }) => m.manager === 'st');
    assert.equal(st.subresource, 'status');
    assert.deepEqual(st.fieldsV1, { 'f:status': { 'f:phase': {} } });
    // The main resource's apply leaves status to /status.
    r = await k('apply', '--server-side', '-f', file('ns.json', ns('Terminating')));
    assert.equal(r.status, 0, r.err);
    const g = JSON.parse((await k('get', 'ns', 'applied', '-o', 'json')).out);
    assert.equal(g.status.phase, 'Active');
    assert.equal(g.metadata.labels.ignored, 'yes');
  });
});
