// /debug/pprof for the daemons, as Go's net/http/pprof serves it for kube-apiserver (--profiling),
// kube-controller-manager (--profiling) and the kubelet (enableProfilingHandler): the same paths,
// parameters, headers and errors, and profiles in pprof's format (gzipped protobuf, written with
// Datadog's pprof-format), so `go tool pprof https://…/debug/pprof/profile` reads them. The samples
// are V8's: the CPU profiler's stacks of JavaScript functions, and the sampling heap profiler's live
// allocations. Go-only profiles (goroutine, block, mutex, threadcreate, trace) are unknown here.
import { Session } from 'node:inspector/promises';
import { gzipSync } from 'node:zlib';
import { Location, Function as PprofFunction, Profile, Sample, StringTable, ValueType } from 'pprof-format';

export const PPROF_PATH = '/debug/pprof';

/** What a pprof path answers: code, headers and body, for any HTTP framework to send. */
export interface PprofResponse {
  readonly code: number;
  readonly headers: Record<string, string>;
  readonly body: Buffer | string;
}

/** Go's default CPU profile length when `seconds` is absent or not a positive integer. */
const DEFAULT_PROFILE_SECONDS = 30;
/** runtime.SetCPUProfileRate(100): a sample every 10 ms, as Go's profiles have. */
const CPU_SAMPLING_INTERVAL_US = 10_000;
/** runtime.MemProfileRate: a heap sample per 512 KiB allocated. */
const HEAP_SAMPLING_INTERVAL_BYTES = 512 * 1024;

/** The profiles the index lists (Go's set less those V8 has no counterpart for). */
const PROFILES: Record<string, string> = {
  allocs: 'A sampling of live memory allocations (V8 keeps no record of freed ones)',
  cmdline: 'The command line invocation of the current program',
  heap: 'A sampling of memory allocations of live objects. You can specify the gc GET parameter to run GC before taking the heap sample.',
  profile:
    'CPU profile. You can specify the duration in the seconds GET parameter. After you get the profile file, use the go tool pprof command to investigate the profile.',
  symbol: 'Symbol lookup: V8 profiles carry their function names, so there are no symbols to look up',
};

/**
 * The process's profiler: one inspector session, the heap sampler running from `start()` on (as Go's
 * MemProfileRate samples from process start), one CPU profile at a time.
 */
export class Profiler {
  #session: Session | undefined;
  #started: Promise<void> | undefined;
  #cpuBusy = false;

  /** Starts the heap sampler; called once when the daemon installs its handler. */
  start(): Promise<void> {
    this.#started ??= (async () => {
      const s = new Session();
      s.connect();
      this.#session = s;
      await s.post('HeapProfiler.enable');
      await s.post('HeapProfiler.startSampling', { samplingInterval: HEAP_SAMPLING_INTERVAL_BYTES });
    })();
    return this.#started;
  }

  /** Disconnects the session (the daemon's shutdown). */
  stop(): void {
    this.#session?.disconnect();
    this.#session = undefined;
    this.#started = undefined;
  }

  /**
   * Answers a request for `url` (a path under /debug/pprof with its query): a CPU profile ends early
   * when the response closes (the client went) or `signal` aborts (the server stops).
   */
  serveRequest(
    url: string,
    response: { once(event: 'close', listener: () => void): unknown },
    signal?: AbortSignal,
  ): Promise<PprofResponse> {
    const u = new URL(url, 'https://localhost');
    const gone = new AbortController();
    response.once('close', () => gone.abort());
    return this.serve(
      pprofName(u.pathname) ?? '',
      u.searchParams,
      signal ? AbortSignal.any([gone.signal, signal]) : gone.signal,
    );
  }

  /** Answers GET /debug/pprof/<name>; `name` is the part after "/debug/pprof/" ('' for the index). */
  async serve(name: string, query: URLSearchParams, signal?: AbortSignal): Promise<PprofResponse> {
    await this.start();
    switch (name) {
      case '':
        return { code: 200, headers: { 'content-type': 'text/html; charset=utf-8' }, body: indexPage() };
      case 'cmdline':
        return {
          code: 200,
          headers: { 'content-type': 'text/plain; charset=utf-8', 'x-content-type-options': 'nosniff' },
          body: [process.execPath, ...process.execArgv, ...process.argv.slice(1)].join('\x00'),
        };
      case 'symbol':
        return { code: 200, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: 'num_symbols: 0\n' };
      case 'profile':
        return this.#cpu(query, signal);
      case 'heap':
      case 'allocs': {
        if (query.get('gc') && query.get('gc') !== '0') await this.#session!.post('HeapProfiler.collectGarbage');
        return profileResponse(name, await this.#heap());
      }
      default:
        return pprofError(404, 'Unknown profile');
    }
  }

  async #cpu(query: URLSearchParams, signal?: AbortSignal): Promise<PprofResponse> {
    const raw = query.get('seconds') ?? '';
    const asked = /^\d+$/.test(raw) ? Number(raw) : 0;
    const seconds = asked > 0 ? asked : DEFAULT_PROFILE_SECONDS;
    if (this.#cpuBusy) return pprofError(500, 'Could not enable CPU profiling: cpu profiling already in use');
    this.#cpuBusy = true;
    const s = this.#session!;
    try {
      await s.post('Profiler.enable');
      await s.post('Profiler.setSamplingInterval', { interval: CPU_SAMPLING_INTERVAL_US });
      const began = Date.now();
      await s.post('Profiler.start');
      await sleep(seconds * 1000, signal);
      const { profile } = await s.post('Profiler.stop');
      await s.post('Profiler.disable');
      return profileResponse('profile', cpuToPprof(profile as V8CpuProfile, began));
    } finally {
      this.#cpuBusy = false;
    }
  }

  async #heap(): Promise<Uint8Array> {
    const { profile } = await this.#session!.post('HeapProfiler.getSamplingProfile');
    return heapToPprof(profile as unknown as V8HeapProfile);
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** A profile as Go sends one: a download named after it. */
function profileResponse(name: string, body: Uint8Array): PprofResponse {
  return {
    code: 200,
    headers: {
      'content-type': 'application/octet-stream',
      'content-disposition': `attachment; filename="${name}"`,
      'x-content-type-options': 'nosniff',
    },
    body: Buffer.from(body.buffer, body.byteOffset, body.byteLength),
  };
}

/** serveError: plain text, with the header `go tool pprof` looks for. */
function pprofError(code: number, message: string): PprofResponse {
  return {
    code,
    headers: { 'content-type': 'text/plain; charset=utf-8', 'x-go-pprof': '1', 'x-content-type-options': 'nosniff' },
    body: `${message}\n`,
  };
}

function indexPage(): string {
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  const rows = Object.entries(PROFILES)
    .map(([name, help]) => `<tr><td><a href='${name}'>${name}</a></td><td>${esc(help)}</td></tr>`)
    .join('\n');
  return `<html>
<head>
<title>/debug/pprof/</title>
</head>
<body>
/debug/pprof/
<br>
Types of profiles available (pprof's format; the legacy text format, debug=1, is Go's only):
<table>
${rows}
</table>
</body>
</html>
`;
}

interface V8CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}
interface V8CpuProfile {
  nodes: { id: number; callFrame: V8CallFrame; children?: number[] }[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}
interface V8HeapNode {
  id: number;
  callFrame: V8CallFrame;
  selfSize: number;
  children: V8HeapNode[];
}
interface V8HeapProfile {
  head: V8HeapNode;
  samples: { size: number; nodeId: number; ordinal: number }[];
}

/** Builds a Profile's functions, locations and string table, one location per V8 call frame. */
class ProfileBuilder {
  readonly strings = new StringTable();
  readonly functions: PprofFunction[] = [];
  readonly locations: Location[] = [];
  readonly #functionIds = new Map<string, number>();

  /** The location of one frame (V8's lines and columns count from 0, pprof's from 1). */
  location(frame: V8CallFrame): number {
    const name = frame.functionName || '(anonymous)';
    const key = `${name}\0${frame.url}\0${frame.lineNumber}\0${frame.columnNumber}`;
    let fn = this.#functionIds.get(key);
    if (fn === undefined) {
      fn = this.functions.length + 1;
      this.#functionIds.set(key, fn);
      this.functions.push(
        new PprofFunction({
          id: fn,
          name: this.strings.dedup(name),
          systemName: this.strings.dedup(name),
          filename: this.strings.dedup(frame.url),
          startLine: frame.lineNumber + 1,
        }),
      );
    }
    const id = this.locations.length + 1;
    this.locations.push(
      new Location({ id, line: [{ functionId: fn, line: frame.lineNumber + 1, column: frame.columnNumber + 1 }] }),
    );
    return id;
  }

  valueType(type: string, unit: string): ValueType {
    return new ValueType({ type: this.strings.dedup(type), unit: this.strings.dedup(unit) });
  }

  /** The gzipped profile: the samples, two [type, unit] sample types, the period's. */
  encode(
    samples: Sample[],
    types: [[string, string], [string, string]],
    period: { type: [string, string]; value: number },
    times: { timeNanos: bigint; durationNanos?: number },
  ): Uint8Array {
    const profile = new Profile({
      sampleType: types.map(([t, u]) => this.valueType(t, u)),
      sample: samples,
      location: this.locations,
      function: this.functions,
      stringTable: this.strings,
      ...times,
      periodType: this.valueType(...period.type),
      period: period.value,
    });
    return gzipSync(profile.encode());
  }
}

/** A CPU profile: samples/count and cpu/nanoseconds per stack, leaf first, as Go's. */
export function cpuToPprof(p: V8CpuProfile, startedAtMs: number): Uint8Array {
  const b = new ProfileBuilder();
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const locationOf = new Map<number, number>();
  const hits = new Map<number, number>();
  for (const id of p.samples ?? []) hits.set(id, (hits.get(id) ?? 0) + 1);
  const periodNs = CPU_SAMPLING_INTERVAL_US * 1000;
  const samples: Sample[] = [];
  for (const [leaf, count] of hits) {
    const stack: number[] = [];
    for (let id: number | undefined = leaf; id !== undefined; id = parent.get(id)) {
      const node = byId.get(id);
      // The root is V8's "(root)", not a frame of the program.
      if (!node || parent.get(id) === undefined) break;
      let loc = locationOf.get(id);
      if (loc === undefined) {
        loc = b.location(node.callFrame);
        locationOf.set(id, loc);
      }
      stack.push(loc);
    }
    if (stack.length > 0) samples.push(new Sample({ locationId: stack, value: [count, count * periodNs] }));
  }
  return b.encode(
    samples,
    [
      ['samples', 'count'],
      ['cpu', 'nanoseconds'],
    ],
    { type: ['cpu', 'nanoseconds'], value: periodNs },
    {
      timeNanos: BigInt(startedAtMs) * 1_000_000n,
      durationNanos: Math.max(0, Math.round((p.endTime - p.startTime) * 1000)),
    },
  );
}

/** A heap profile: inuse_objects/count and inuse_space/bytes per allocating stack. */
export function heapToPprof(p: V8HeapProfile): Uint8Array {
  const b = new ProfileBuilder();
  const counts = new Map<number, number>();
  for (const s of p.samples) counts.set(s.nodeId, (counts.get(s.nodeId) ?? 0) + 1);
  const samples: Sample[] = [];
  const walk = (n: V8HeapNode, stack: number[]) => {
    const here = n === p.head ? stack : [b.location(n.callFrame), ...stack];
    if (n.selfSize > 0 && here.length > 0)
      samples.push(new Sample({ locationId: here, value: [counts.get(n.id) ?? 0, n.selfSize] }));
    for (const c of n.children) walk(c, here);
  };
  walk(p.head, []);
  return b.encode(
    samples,
    [
      ['inuse_objects', 'count'],
      ['inuse_space', 'bytes'],
    ],
    { type: ['space', 'bytes'], value: HEAP_SAMPLING_INTERVAL_BYTES },
    { timeNanos: BigInt(Date.now()) * 1_000_000n },
  );
}

let shared: Profiler | undefined;

/** The process's one profiler: V8 has one CPU profiler and one heap sampler per isolate. */
export function processProfiler(): Profiler {
  shared ??= new Profiler();
  return shared;
}

/** The name a path under /debug/pprof asks for ('' for the index), or undefined for another path. */
export function pprofName(path: string): string | undefined {
  if (path === PPROF_PATH || path === `${PPROF_PATH}/`) return '';
  if (!path.startsWith(`${PPROF_PATH}/`)) return undefined;
  return path.slice(PPROF_PATH.length + 1);
}
