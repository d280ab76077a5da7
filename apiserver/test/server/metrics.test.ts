// GET /metrics: Prometheus text behind authorization (system:monitoring may read it, anonymous
// may not), counting each request with kube-apiserver's labels.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { curl, type Fixture, issueClient, kubectl, startFixture } from './fixture.ts';

describe('apiserver /metrics', () => {
  let f: Fixture;
  before(async () => {
    f = await startFixture(['--authorization-mode=Node,RBAC']);
  });
  after(async () => {
    await f?.close();
  });

  const sample = (text: string, name: string, labels: Record<string, string>): number | undefined => {
    for (const line of text.split('\n')) {
      if (!line.startsWith(`${name}{`)) continue;
      const body = line.slice(name.length + 1, line.lastIndexOf('}'));
      const got = Object.fromEntries([...body.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
      if (Object.entries(labels).every(([k, v]) => got[k] === v)) return Number(line.slice(line.lastIndexOf(' ') + 1));
    }
    return undefined;
  };

  it('counts requests by verb, resource, scope and code, with latencies and process metrics', async () => {
    assert.equal((await kubectl(f, ['create', 'cm', 'm1', '--from-literal=a=1'])).status, 0);
    assert.equal((await kubectl(f, ['get', 'cm', '-n', 'default'])).status, 0);
    assert.notEqual((await kubectl(f, ['get', 'cm', 'missing'])).status, 0);
    const p = join(f.dir, 'm2.json');
    writeFileSync(p, JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'm2' } }));
    assert.equal((await kubectl(f, ['apply', '--server-side', '-f', p])).status, 0);
    const r = await kubectl(f, ['get', '--raw', '/metrics']);
    assert.equal(r.status, 0, r.err);
    const cm = { group: '', version: 'v1', resource: 'configmaps', component: 'apiserver' };
    assert.ok(
      (sample(r.out, 'apiserver_request_total', { ...cm, verb: 'POST', scope: 'resource', code: '201' }) ?? 0) >= 1,
    );
    assert.ok(
      (sample(r.out, 'apiserver_request_total', { ...cm, verb: 'LIST', scope: 'namespace', code: '200' }) ?? 0) >= 1,
    );
    assert.ok(
      (sample(r.out, 'apiserver_request_total', { ...cm, verb: 'GET', scope: 'resource', code: '404' }) ?? 0) >= 1,
    );
    assert.ok(
      (sample(r.out, 'apiserver_request_total', { ...cm, verb: 'APPLY', scope: 'resource', code: '201' }) ?? 0) >= 1,
    );
    assert.ok((sample(r.out, 'apiserver_request_duration_seconds_count', { ...cm, verb: 'LIST' }) ?? 0) >= 1);
    assert.match(r.out, /^# TYPE apiserver_request_duration_seconds histogram$/m);
    assert.match(r.out, /^process_cpu_seconds_total \d/m);
    assert.match(r.out, /^process_resident_memory_bytes \d/m);
  });

  it('anonymous is refused; system:monitoring may read it', async () => {
    const anon = await curl(f, '/metrics', [], false);
    assert.equal(anon.code, 403, anon.body);
    assert.match(JSON.parse(anon.body).message, /User "system:anonymous" cannot get path "\/metrics"/);
    const mon = await issueClient(f, 'prometheus', ['system:monitoring']);
    const asMon = await curl(f, '/metrics', ['--cert', mon.crt, '--key', mon.key], false);
    assert.equal(asMon.code, 200, asMon.body);
    assert.match(asMon.body, /^apiserver_request_total\{/m);
    const nobody = await issueClient(f, 'nobody');
    const asNobody = await curl(f, '/metrics', ['--cert', nobody.crt, '--key', nobody.key], false);
    assert.equal(asNobody.code, 403);
  });
});
