// A closed-loop load generator: `concurrency` workers each issuing one request at a time on
// keep-alive connections for a fixed duration; latencies recorded per request.
import { Pool } from 'undici';

export interface LoadResult {
  readonly requests: number;
  readonly errors: number;
  readonly seconds: number;
  readonly rps: number;
  readonly p50: number;
  readonly p99: number;
  readonly firstError?: string;
}

export interface Tls {
  readonly ca: string;
  readonly cert: string;
  readonly key: string;
}

export function pool(origin: string, tls: Tls, connections: number): Pool {
  return new Pool(origin, {
    connections,
    pipelining: 1,
    connect: { ca: tls.ca, cert: tls.cert, key: tls.key, ALPNProtocols: ['http/1.1'] },
  });
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

export async function runLoad(
  p: Pool,
  concurrency: number,
  durationMs: number,
  request: (worker: number, i: number) => { method: 'GET' | 'POST'; path: string; body?: string },
): Promise<LoadResult> {
  const lat: number[] = [];
  let errors = 0;
  let firstError: string | undefined;
  const start = performance.now();
  const end = start + durationMs;
  await Promise.all(
    Array.from({ length: concurrency }, async (_, w) => {
      for (let i = 0; performance.now() < end; i++) {
        const r = request(w, i);
        const t0 = performance.now();
        try {
          const res = await p.request({
            method: r.method,
            path: r.path,
            body: r.body,
            headers: r.body ? { 'content-type': 'application/json' } : {},
          });
          await res.body.arrayBuffer();
          if (res.statusCode >= 300) {
            errors++;
            firstError ??= `HTTP ${res.statusCode}`;
          } else lat.push(performance.now() - t0);
        } catch (e) {
          errors++;
          firstError ??= (e as Error).message;
        }
      }
    }),
  );
  const seconds = (performance.now() - start) / 1000;
  lat.sort((a, b) => a - b);
  return {
    requests: lat.length,
    errors,
    seconds,
    rps: lat.length / seconds,
    p50: percentile(lat, 50),
    p99: percentile(lat, 99),
    firstError,
  };
}
