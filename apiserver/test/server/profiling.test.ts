// --profiling: /debug/pprof and /debug/flags/v on the apiserver's secure port, a non-resource path authorized like any
// other — the admin (system:masters) gets profiles in pprof's format with the real kubectl and curl,
// a user RBAC grants nothing gets 403 — and --profiling=false leaves it unserved (404).
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { Profile } from 'pprof-format';
import { curl, type Fixture, issueClient, run, startFixture } from './fixture.ts';

const sampleTypes = (p: Profile) => p.sampleType.map((t) => p.stringTable.strings[Number(t.type)]);

describe('apiserver --profiling', { timeout: 60_000 }, () => {
  let fx: Fixture;
  let quiet: Fixture;
  before(async () => {
    [fx, quiet] = await Promise.all([
      startFixture(['--authorization-mode=Node,RBAC']),
      startFixture(['--profiling=false']),
    ]);
  });
  after(async () => Promise.all([fx?.close(), quiet?.close()]));

  it('serves a CPU profile and the heap to the admin, in pprof’s format', async () => {
    const file = join(fx.dir, 'cpu.pprof');
    const r = await run('curl', [
      '-sSf',
      '--max-time',
      '20',
      '--cacert',
      fx.pki.caCrt,
      '--cert',
      fx.pki.adminCrt,
      '--key',
      fx.pki.adminKey,
      '-o',
      file,
      `${fx.url}/debug/pprof/profile?seconds=1`,
    ]);
    assert.equal(r.status, 0, r.stderr);
    const cpu = Profile.decode(gunzipSync(readFileSync(file)));
    assert.deepEqual(sampleTypes(cpu), ['samples', 'cpu']);
    assert.ok(Number(cpu.durationNanos) >= 900_000_000);

    // The real kubectl, as an admin would fetch one.
    const heapFile = join(fx.dir, 'heap.pprof');
    const h = await run(
      'sh',
      ['-c', `kubectl --kubeconfig=${fx.kubeconfig} get --raw /debug/pprof/heap > ${heapFile}`],
      {
        env: { ...process.env, KUBECONFIG: '', HOME: fx.dir },
      },
    );
    assert.equal(h.status, 0, h.stderr);
    const heap = Profile.decode(gunzipSync(readFileSync(heapFile)));
    assert.deepEqual(sampleTypes(heap), ['inuse_objects', 'inuse_space']);
    assert.ok(heap.sample.length > 0);

    const index = await curl(fx, '/debug/pprof/');
    assert.equal(index.code, 200);
    assert.match(index.body, /href='profile'/);
    const unknown = await curl(fx, '/debug/pprof/goroutine');
    assert.deepEqual([unknown.code, unknown.body], [404, 'Unknown profile\n']);
  });

  it('forbids it to a user RBAC grants nothing', async () => {
    const someone = await issueClient(fx, 'someone');
    const r = await curl(
      { ...fx, pki: { ...fx.pki, adminCrt: someone.crt, adminKey: someone.key } },
      '/debug/pprof/cmdline',
    );
    assert.equal(r.code, 403);
    assert.equal(
      (JSON.parse(r.body) as { message: string }).message,
      'forbidden: User "someone" cannot get path "/debug/pprof/cmdline"',
    );
  });

  it('--profiling=false: not served', async () => {
    const r = await curl(quiet, '/debug/pprof/cmdline');
    assert.equal(r.code, 404);
    const v = await curl(quiet, '/debug/flags/v', ['-X', 'PUT', '-d', '3']);
    assert.equal(v.code, 404);
  });

  it('/debug/flags/v: the admin turns request logging on and off in the running apiserver', async () => {
    const httpLines = () => fx.logs.filter((l) => l.includes('"msg":"HTTP"'));
    await curl(fx, '/api');
    assert.equal(httpLines().length, 0, 'no request lines at -v=0');

    const put = await curl(fx, '/debug/flags/v', ['-X', 'PUT', '-d', '3']);
    assert.deepEqual([put.code, put.body], [200, 'successfully set klog.logging.verbosity to 3\n']);
    await curl(fx, '/api?limit=1', ['-A', 'probe/1.0']);
    const line = httpLines().find((l) => l.includes('"URI":"/api?limit=1"'));
    assert.ok(line, `no httplog line for /api:\n${fx.logs.slice(-5).join('')}`);
    const rec = JSON.parse(line) as Record<string, unknown>;
    assert.equal(rec.verb, 'GET');
    assert.equal(rec.resp, 200);
    assert.equal(rec.userAgent, 'probe/1.0');
    assert.match(String(rec.srcIP), /^127\.0\.0\.1:\d+$/);
    assert.match(String(rec.latency), /^[\d.]+(µs|ms|s)$/);
    // WithAuditInit runs with no audit policy too: every answer has its Audit-Id, in the line as well.
    assert.match(String(rec['audit-ID']), /^[0-9a-f]{8}-[0-9a-f-]{27}$/);

    // The real kubectl sends it as `replace --raw` (a PUT of the file's bytes).
    const file = join(fx.dir, 'v0');
    writeFileSync(file, '0');
    const k = await run(
      'kubectl',
      [`--kubeconfig=${fx.kubeconfig}`, 'replace', '--raw', '/debug/flags/v', '-f', file],
      {
        env: { ...process.env, KUBECONFIG: '', HOME: fx.dir },
      },
    );
    assert.equal(k.status, 0, k.stderr);
    assert.equal(k.stdout.trim(), 'successfully set klog.logging.verbosity to 0');
    const before = httpLines().length;
    await curl(fx, '/api?limit=2');
    assert.equal(httpLines().length, before, 'request lines stop at -v=0');
  });

  it('/debug/flags/v: a bad value and any method but PUT are refused with upstream’s texts', async () => {
    const bad = await curl(fx, '/debug/flags/v', ['-X', 'PUT', '-d', 'x']);
    assert.deepEqual(
      [bad.code, bad.body],
      [400, 'failed set klog.logging.verbosity x: strconv.ParseInt: parsing "x": invalid syntax\n'],
    );
    const get = await curl(fx, '/debug/flags/v');
    assert.deepEqual([get.code, get.body], [406, 'unsupported http method\n']);
    const index = await curl(fx, '/debug/flags/');
    assert.equal(index.code, 200);
    assert.match(index.body, /<tr>v<br>/);
  });

  it('/debug/flags/v: forbidden to a user RBAC grants nothing, verb put', async () => {
    const someone = await issueClient(fx, 'someone-else');
    const r = await curl(
      { ...fx, pki: { ...fx.pki, adminCrt: someone.crt, adminKey: someone.key } },
      '/debug/flags/v',
      ['-X', 'PUT', '-d', '9'],
    );
    assert.equal(r.code, 403);
    assert.equal(
      (JSON.parse(r.body) as { message: string }).message,
      'forbidden: User "someone-else" cannot put path "/debug/flags/v"',
    );
  });
});
