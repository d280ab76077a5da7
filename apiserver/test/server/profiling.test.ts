// --profiling: /debug/pprof on the apiserver's secure port, a non-resource path authorized like any
// other — the admin (system:masters) gets profiles in pprof's format with the real kubectl and curl,
// a user RBAC grants nothing gets 403 — and --profiling=false leaves it unserved (404).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
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
  });
});
