// /debug/pprof's answers: CPU and heap profiles that decode as pprof (gzipped protobuf) with Go's
// sample types and this process's functions in them, one CPU profile at a time, the command line,
// and Go's 404 for a profile V8 has no counterpart of.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { Profile } from 'pprof-format';
import { Profiler, pprofName } from '../src/pprof/index.ts';

const profiler = new Profiler();
after(() => profiler.stop());

function decode(body: Buffer | string): Profile {
  assert.ok(Buffer.isBuffer(body));
  return Profile.decode(gunzipSync(body));
}
const str = (p: Profile, i: number | bigint) => p.stringTable.strings[Number(i)];
const functionNames = (p: Profile) => new Set(p.function.map((f) => str(p, f.name)));

function busyLoopForPprofTest(ms: number): number {
  const end = Date.now() + ms;
  let x = 0;
  while (Date.now() < end) x += Math.sqrt(x + 1);
  return x;
}

describe('Profiler', () => {
  it('takes a CPU profile of the given seconds, in pprof with Go’s sample types', async () => {
    const pending = profiler.serve('profile', new URLSearchParams('seconds=1'));
    // One at a time, as Go's: a second profile meanwhile is refused.
    const second = await profiler.serve('profile', new URLSearchParams('seconds=1'));
    assert.equal(second.code, 500);
    assert.equal(second.body, 'Could not enable CPU profiling: cpu profiling already in use\n');
    assert.equal(second.headers['x-go-pprof'], '1');
    await new Promise((r) => setTimeout(r, 50));
    busyLoopForPprofTest(600);
    const r = await pending;
    assert.equal(r.code, 200);
    assert.equal(r.headers['content-disposition'], 'attachment; filename="profile"');
    const p = decode(r.body);
    assert.deepEqual(
      p.sampleType.map((t) => [str(p, t.type), str(p, t.unit)]),
      [
        ['samples', 'count'],
        ['cpu', 'nanoseconds'],
      ],
    );
    assert.equal(Number(p.period), 10_000_000);
    assert.ok(Number(p.durationNanos) >= 900_000_000, String(p.durationNanos));
    assert.ok(functionNames(p).has('busyLoopForPprofTest'), [...functionNames(p)].join(', '));
    const total = p.sample.reduce((n, s) => n + Number(s.value[0]), 0);
    assert.ok(total >= 30, `samples: ${total}`);
    for (const s of p.sample) assert.ok(s.locationId.length > 0);
  });

  it('serves the heap’s live allocations as inuse_objects and inuse_space', async () => {
    const keep: unknown[] = [];
    for (let i = 0; i < 2000; i++) keep.push(new Array(1000).fill(i));
    const r = await profiler.serve('heap', new URLSearchParams());
    assert.equal(r.code, 200);
    const p = decode(r.body);
    assert.deepEqual(
      p.sampleType.map((t) => str(p, t.type)),
      ['inuse_objects', 'inuse_space'],
    );
    const space = p.sample.reduce((n, s) => n + Number(s.value[1]), 0);
    assert.ok(space > 1_000_000, `inuse_space ${space}`);
    assert.ok(keep.length === 2000);
  });

  it('answers the index, cmdline and symbol, and 404 for an unknown profile', async () => {
    const index = await profiler.serve('', new URLSearchParams());
    assert.match(String(index.body), /<a href='profile'>profile<\/a>/);
    const cmdline = await profiler.serve('cmdline', new URLSearchParams());
    assert.equal(String(cmdline.body).split('\0')[0], process.execPath);
    assert.equal((await profiler.serve('symbol', new URLSearchParams())).body, 'num_symbols: 0\n');
    const unknown = await profiler.serve('goroutine', new URLSearchParams());
    assert.equal(unknown.code, 404);
    assert.equal(unknown.body, 'Unknown profile\n');
  });

  it('names the profile a path asks for', () => {
    assert.equal(pprofName('/debug/pprof'), '');
    assert.equal(pprofName('/debug/pprof/'), '');
    assert.equal(pprofName('/debug/pprof/heap'), 'heap');
    assert.equal(pprofName('/debug/pprofx'), undefined);
    assert.equal(pprofName('/metrics'), undefined);
  });
});
