// The watch stream: newline-delimited JSON events over a chunked (h1) or streamed (h2) body.
// Chunk boundaries fall anywhere (inside an event, inside a UTF-8 sequence, several events per
// chunk). A line that does not decode is counted and logged, never skipped silently and never
// fatal; an ERROR event ends the stream with its Status as a StatusError (410 → isGone).
import { StringDecoder } from 'node:string_decoder';
import { type Status, StatusError } from '../apierrors/index.js';
import { ClientError, toClientError } from './errors.js';
import { statusErrorFrom } from './response.js';
import type { ClientLogger, WatchEvent, WatchEventType } from './types.js';

/** An event line larger than this is dropped (and counted); etcd caps objects at 1.5 MiB. */
export const MAX_EVENT_BYTES = 32 * 1024 * 1024;

/** Splits a byte stream into lines, bounded in memory by `maxLine` characters. */
export class LineDecoder {
  readonly #utf8 = new StringDecoder('utf8');
  #buf = '';
  #skipping = false;
  /** Lines dropped for exceeding `maxLine`. */
  oversized = 0;

  constructor(readonly maxLine = MAX_EVENT_BYTES) {}

  push(chunk: Uint8Array | string): string[] {
    return this.#split(typeof chunk === 'string' ? chunk : this.#utf8.write(chunk as Buffer));
  }

  /** The last line when the stream ends without a newline. */
  end(): string[] {
    const rest = this.#split(this.#utf8.end());
    if (this.#skipping || this.#buf === '') return rest;
    const last = this.#buf;
    this.#buf = '';
    return [...rest, last];
  }

  #split(text: string): string[] {
    const out: string[] = [];
    let start = 0;
    for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', start)) {
      const piece = text.slice(start, nl);
      start = nl + 1;
      if (this.#skipping) {
        this.#skipping = false;
        continue;
      }
      const line = this.#buf + piece;
      this.#buf = '';
      if (line.length > this.maxLine) this.oversized++;
      else out.push(line.endsWith('\r') ? line.slice(0, -1) : line);
    }
    if (!this.#skipping) {
      this.#buf += text.slice(start);
      if (this.#buf.length > this.maxLine) {
        this.oversized++;
        this.#buf = '';
        this.#skipping = true;
      }
    }
    return out;
  }
}

const DELIVERED: ReadonlySet<string> = new Set<WatchEventType>(['ADDED', 'MODIFIED', 'DELETED', 'BOOKMARK']);

export type DecodedLine<T> =
  | { readonly kind: 'event'; readonly event: WatchEvent<T> }
  | { readonly kind: 'error'; readonly status: Partial<Status> }
  | { readonly kind: 'invalid'; readonly why: string };

/** Decodes one line; never throws. */
export function decodeWatchLine<T>(line: string): DecodedLine<T> {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch (e) {
    return { kind: 'invalid', why: (e as Error).message };
  }
  if (typeof v !== 'object' || v === null) return { kind: 'invalid', why: 'event is not an object' };
  const { type, object } = v as { type?: unknown; object?: unknown };
  if (typeof object !== 'object' || object === null) return { kind: 'invalid', why: 'event has no object' };
  if (type === 'ERROR') return { kind: 'error', status: object as Partial<Status> };
  if (typeof type !== 'string' || !DELIVERED.has(type)) {
    return { kind: 'invalid', why: `unknown event type ${JSON.stringify(type)}` };
  }
  return { kind: 'event', event: { type: type as WatchEventType, object: object as T } };
}

/** What a Watch needs from an HTTP response body (undici's BodyReadable and h2exchange's body fit). */
export interface WatchBody extends AsyncIterable<Uint8Array | string> {
  destroy(err?: Error): unknown;
}

export interface WatchInit {
  readonly body: WatchBody;
  /** Aborts the underlying request. */
  readonly abort: () => void;
  /** True once the caller (not the server) ended the watch. */
  readonly aborted: () => boolean;
  /** Runs once when the stream is over, however it ended. */
  readonly cleanup: () => void;
  readonly method: string;
  readonly url: string;
  readonly logger?: ClientLogger;
}

/**
 * One watch stream. Iterate it once with `for await`; iteration ends when the server ends the
 * stream or when `close()` / the caller's AbortSignal ends it; it throws a StatusError for an
 * ERROR event and a ClientError when the connection breaks.
 */
export class Watch<T> implements AsyncIterable<WatchEvent<T>> {
  readonly #init: WatchInit;
  #iterated = false;
  #finished = false;
  #events = 0;
  #unparsable = 0;

  constructor(init: WatchInit) {
    this.#init = init;
  }

  /** Events delivered and lines that could not be decoded (including oversized ones). */
  get stats(): { readonly events: number; readonly unparsable: number } {
    return { events: this.#events, unparsable: this.#unparsable };
  }

  /** Ends the stream and releases its connection (or h2 stream). Safe to call more than once. */
  close(): void {
    if (this.#finished) return;
    this.#init.abort();
    if (!this.#iterated) this.#finish();
  }

  [Symbol.asyncIterator](): AsyncIterator<WatchEvent<T>> {
    if (this.#iterated) throw new ClientError('EINVAL', 'a watch can be iterated only once');
    this.#iterated = true;
    return this.#run();
  }

  async *#run(): AsyncGenerator<WatchEvent<T>> {
    const lines = new LineDecoder();
    try {
      for await (const chunk of this.#init.body) {
        for (const line of lines.push(chunk)) {
          const ev = this.#decode(line);
          if (ev) yield ev;
        }
        this.#countOversized(lines);
      }
      for (const line of lines.end()) {
        const ev = this.#decode(line);
        if (ev) yield ev;
      }
      this.#countOversized(lines);
    } catch (err) {
      if (this.#init.aborted()) return;
      if (err instanceof StatusError) throw err;
      throw toClientError(err, this.#init.method, this.#init.url);
    } finally {
      this.#finish();
    }
  }

  #decode(line: string): WatchEvent<T> | undefined {
    if (line.trim() === '') return undefined;
    const d = decodeWatchLine<T>(line);
    if (d.kind === 'event') {
      this.#events++;
      return d.event;
    }
    if (d.kind === 'error') throw statusErrorFrom(d.status, 500);
    this.#unparsable++;
    // The line itself may hold secret data: log its size and the reason only.
    this.#init.logger?.warn({ url: this.#init.url, bytes: line.length, reason: d.why }, 'unparsable watch event');
    return undefined;
  }

  #countOversized(lines: LineDecoder): void {
    while (lines.oversized > 0) {
      lines.oversized--;
      this.#unparsable++;
      this.#init.logger?.warn({ url: this.#init.url, maxBytes: lines.maxLine }, 'watch event too large, dropped');
    }
  }

  #finish(): void {
    if (this.#finished) return;
    this.#finished = true;
    // Destroying undici's body alone only pauses an h2 stream; aborting the request sends
    // RST_STREAM (or closes the HTTP/1.1 socket) so the server sees the watch end.
    this.#init.abort();
    this.#init.body.destroy();
    this.#init.cleanup();
  }
}
