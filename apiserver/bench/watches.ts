// Many idle watches over a few HTTP/2 sessions (one TLS handshake each), then one write and the
// time until every stream has received its event.
import { type ClientHttp2Session, type ClientHttp2Stream, connect } from 'node:http2';
import type { Tls } from './load.ts';

export interface WatchSet {
  readonly opened: number;
  readonly failed: number;
  /** Resolves with each stream's delay (ms) from `t0` to the first byte containing `marker`. */
  fanout(marker: string, t0: number, timeoutMs: number): Promise<number[]>;
  close(): void;
}

export async function openWatches(
  origin: string,
  tls: Tls,
  path: string,
  count: number,
  sessions: number,
  timeoutMs: number,
): Promise<WatchSet> {
  const conns: ClientHttp2Session[] = [];
  for (let i = 0; i < sessions; i++) {
    const s = connect(origin, { ca: tls.ca, cert: tls.cert, key: tls.key, peerMaxConcurrentStreams: 100_000 });
    s.on('error', () => {});
    conns.push(s);
  }
  const streams: ClientHttp2Stream[] = [];
  const buffers: string[] = [];
  let failed = 0;
  const deadline = Date.now() + timeoutMs;
  const opening: Promise<void>[] = [];
  for (let i = 0; i < count; i++) {
    const s = conns[i % sessions]!;
    opening.push(
      new Promise<void>((resolve) => {
        const st = s.request({ ':method': 'GET', ':path': path });
        const idx = streams.push(st) - 1;
        buffers[idx] = '';
        st.setEncoding('utf8');
        st.on('data', (d: string) => {
          buffers[idx] += d;
        });
        st.on('response', (h) => {
          if (h[':status'] !== 200) failed++;
          resolve();
        });
        st.on('error', () => {
          failed++;
          resolve();
        });
        setTimeout(resolve, Math.max(0, deadline - Date.now())).unref();
      }),
    );
    // Pace stream creation so the handshake and settings exchange are not swamped.
    if (i % 500 === 499) await new Promise((r) => setImmediate(r));
  }
  await Promise.all(opening);
  return {
    opened: streams.length - failed,
    failed,
    async fanout(marker, t0, waitMs) {
      const delays: number[] = new Array(streams.length).fill(Number.NaN);
      let pending = 0;
      await new Promise<void>((resolve) => {
        const check = (i: number) => {
          if (Number.isNaN(delays[i]!) && buffers[i]!.includes(marker)) {
            delays[i] = performance.now() - t0;
            if (--pending === 0) resolve();
          }
        };
        streams.forEach((st, i) => {
          if (st.destroyed) return;
          pending++;
          st.on('data', () => check(i));
          check(i);
        });
        if (pending === 0) resolve();
        setTimeout(resolve, waitMs).unref();
      });
      return delays.filter((d) => !Number.isNaN(d));
    },
    close() {
      for (const st of streams) st.close();
      for (const c of conns) c.destroy();
    },
  };
}
