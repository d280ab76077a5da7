// Container logs in the CRI file format the kubelet reads (`<RFC3339Nano> <stream> <F|P> <text>`),
// one file per container start, and the reader behind /containerLogs and `kubectl logs`: tailLines,
// sinceSeconds/sinceTime, timestamps, limitBytes and follow, with kubelet semantics.
import { createReadStream, promises as fsp, watch as fsWatch } from 'node:fs';
import type { Writable } from 'node:stream';

export interface LogOptions {
  readonly follow?: boolean;
  readonly tailLines?: number;
  readonly sinceTime?: Date;
  readonly timestamps?: boolean;
  readonly limitBytes?: number;
}

/** Formats one chunk of a container's output as CRI log lines (a trailing partial line is `P`). */
export function criLines(stream: 'stdout' | 'stderr', chunk: string, now = new Date()): string {
  const ts = now.toISOString().replace(/\.(\d{3})Z$/, '.$1000000Z');
  const parts = chunk.split('\n');
  const last = parts.pop() ?? '';
  let out = '';
  for (const p of parts) out += `${ts} ${stream} F ${p}\n`;
  if (last !== '') out += `${ts} ${stream} P ${last}\n`;
  return out;
}

interface Entry {
  readonly time: string;
  readonly text: string;
}

function parseLine(line: string): Entry | undefined {
  const a = line.indexOf(' ');
  const b = line.indexOf(' ', a + 1);
  const c = line.indexOf(' ', b + 1);
  if (a < 0 || b < 0 || c < 0) return undefined;
  const tag = line.slice(b + 1, c);
  return { time: line.slice(0, a), text: tag === 'P' ? line.slice(c + 1) : `${line.slice(c + 1)}\n` };
}

function render(e: Entry, o: LogOptions): string {
  return o.timestamps ? `${e.time} ${e.text}` : e.text;
}

/**
 * Writes the log at `file` to `out` as `kubectl logs` shows it; with follow, keeps writing what is
 * appended until `signal` aborts or `done()` says the container has exited and all is read.
 */
export async function streamLog(
  file: string,
  out: Writable,
  o: LogOptions,
  signal: AbortSignal,
  done: () => boolean = () => true,
): Promise<void> {
  let text: string;
  try {
    text = await fsp.readFile(file, 'utf8');
  } catch {
    text = '';
  }
  let offset = Buffer.byteLength(text);
  let budget = o.limitBytes && o.limitBytes > 0 ? o.limitBytes : Number.POSITIVE_INFINITY;
  const emit = (s: string): boolean => {
    if (budget <= 0) return false;
    const buf = Buffer.from(s);
    const piece = buf.length > budget ? buf.subarray(0, budget) : buf;
    budget -= piece.length;
    out.write(piece);
    return budget > 0;
  };
  const keep = (e: Entry) => !o.sinceTime || Date.parse(e.time) >= o.sinceTime.getTime();
  const lines = text.split('\n');
  const pending = lines.pop() ?? '';
  offset -= Buffer.byteLength(pending);
  let entries = lines.map(parseLine).filter((e): e is Entry => !!e && keep(e));
  if (o.tailLines !== undefined && o.tailLines >= 0) entries = entries.slice(Math.max(0, entries.length - o.tailLines));
  for (const e of entries) if (!emit(render(e, o))) return;
  if (!o.follow) return;

  // Follow: read what is appended, line by line, woken by fs.watch and a slow poll as a safety net.
  let partial = '';
  await new Promise<void>((resolve) => {
    let reading = false;
    let again = false;
    let finished = false;
    const finish = () => {
      if (finished) return;
      finished = true;
      watcher?.close();
      clearInterval(poll);
      signal.removeEventListener('abort', finish);
      resolve();
    };
    const readMore = async (): Promise<void> => {
      if (reading) {
        again = true;
        return;
      }
      reading = true;
      try {
        do {
          again = false;
          const st = await fsp.stat(file).catch(() => undefined);
          if (st && st.size > offset) {
            const chunk = await new Promise<string>((res, rej) => {
              let acc = '';
              createReadStream(file, { start: offset, end: st.size - 1, encoding: 'utf8' })
                .on('data', (d) => {
                  acc += d;
                })
                .on('end', () => res(acc))
                .on('error', rej);
            });
            offset = st.size;
            const ls = (partial + chunk).split('\n');
            partial = ls.pop() ?? '';
            for (const l of ls) {
              const e = parseLine(l);
              if (e && keep(e) && !emit(render(e, o))) return finish();
            }
          }
        } while (again);
        if (done()) finish();
      } catch {
        finish();
      } finally {
        reading = false;
      }
    };
    let watcher: ReturnType<typeof fsWatch> | undefined;
    try {
      watcher = fsWatch(file, () => void readMore());
      watcher.on('error', () => {});
    } catch {
      watcher = undefined;
    }
    const poll = setInterval(() => void readMore(), 250);
    if (signal.aborted) return finish();
    signal.addEventListener('abort', finish, { once: true });
    out.once('close', finish);
    void readMore();
  });
}
