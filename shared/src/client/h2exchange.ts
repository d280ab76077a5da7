// Requests and watches as streams of one of mkube's own HTTP/2 connections (../h2). undici's h2
// client runs every request through Node's http2 session (a Duplex stream, an AsyncResource and
// validated header objects per request) and its own dispatch layers: ~130 µs of client CPU per
// request against an apiserver, where framing it here costs ~15 µs (measured with a
// SubjectAccessReview POST loop, 32 in flight). A controller-manager makes three requests per CSR
// and a joining kubelet about ten, so this is most of their client cost.
import type { H2Connection, H2Error, HeaderList } from '../h2/index.js';
import { mayRetryAfter, type UnaryResponse } from './unary.js';
import type { WatchBody } from './watch.js';

export interface OutgoingRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer | undefined;
}

/** Set once a request may have reached the server (a failed one that did not may go elsewhere). */
export interface Sent {
  value: boolean;
}

function headerList(req: OutgoingRequest): [string, string][] {
  const out: [string, string][] = [];
  for (const k in req.headers) out.push([k, req.headers[k]!]);
  // Fastify (and Go's server) reads a body only when its length or chunking is announced.
  if (req.body !== undefined) out.push(['content-length', String(req.body.length)]);
  return out;
}

/** The final status of a header block; 1xx answers are interim and not the answer. */
function statusOf(headers: HeaderList): number {
  for (const [k, v] of headers) if (k === ':status') return Number(v);
  return 0;
}

function abortReason(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new DOMException('This operation was aborted', 'AbortError');
}

const noResponse = (): Error =>
  Object.assign(new Error('the server ended the stream without a response'), { code: 'ECONNRESET' });

function markSent(sent: Sent | undefined, err: unknown): void {
  if (sent && !(err as H2Error).unsent) sent.value = true;
}

/** One request, its whole answer read into memory as UTF-8. */
export function h2Unary(
  conn: H2Connection,
  req: OutgoingRequest,
  signal: AbortSignal,
  sent: Sent | undefined,
  onResponse: () => void,
): Promise<UnaryResponse> {
  return new Promise<UnaryResponse>((resolve, reject) => {
    if (signal.aborted) {
      reject(abortReason(signal));
      return;
    }
    let statusCode = 0;
    let retryAfter: string | undefined;
    const chunks: Buffer[] = [];
    const onAbort = (): void => {
      stream.cancel();
      if (sent) sent.value = true;
      reject(abortReason(signal));
    };
    const stream = conn.request(req.method, req.path, headerList(req), req.body ?? EMPTY, {
      onHeaders(headers) {
        if (statusCode !== 0) return; // trailers
        const code = statusOf(headers);
        if (code < 200) return;
        statusCode = code;
        if (mayRetryAfter(code)) for (const [k, v] of headers) if (k === 'retry-after') retryAfter = v;
        if (sent) sent.value = true;
        onResponse();
      },
      onData(chunk) {
        chunks.push(chunk);
      },
      onEnd() {
        signal.removeEventListener('abort', onAbort);
        if (statusCode === 0) {
          reject(noResponse());
          return;
        }
        const text = chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8');
        resolve(retryAfter === undefined ? { statusCode, text } : { statusCode, text, retryAfter });
      },
      onError(err) {
        signal.removeEventListener('abort', onAbort);
        markSent(sent, err);
        reject(err);
      },
    });
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

const EMPTY = Buffer.alloc(0);

export interface StreamedResponse {
  readonly statusCode: number;
  readonly body: WatchBody;
  /** The whole body as text (an error answer). */
  text(): Promise<string>;
}

export interface StreamTimeouts {
  /** The answer's status must arrive within this; 0 for no limit. */
  readonly headersMs: number;
  /** The stream fails when no data arrives for this long; 0 for no limit. */
  readonly bodyIdleMs: number;
}

// Codes of their own: a deadline of ours on an answer is not a dial failure (no failover).
const timeoutError = (message: string, code: 'H2_HEADERS_TIMEOUT' | 'H2_BODY_TIMEOUT'): Error =>
  Object.assign(new Error(message), { code });

/**
 * The body of a streamed answer: chunks in arrival order for `for await`. Flow control is the
 * connection's (the server may send up to the stream window ahead); a watch consumer keeps up.
 */
class H2Body implements WatchBody {
  readonly #chunks: Buffer[] = [];
  #ended = false;
  #error: Error | undefined;
  #wake: (() => void) | undefined;
  #cancel: () => void;

  constructor(cancel: () => void) {
    this.#cancel = cancel;
  }

  push(chunk: Buffer): void {
    this.#chunks.push(chunk);
    this.#notify();
  }

  end(): void {
    this.#ended = true;
    this.#notify();
  }

  fail(err: Error): void {
    if (this.#ended) return;
    this.#error ??= err;
    this.#ended = true;
    this.#notify();
  }

  destroy(err?: Error): void {
    this.#cancel();
    this.#cancel = () => {};
    this.fail(err ?? Object.assign(new Error('the stream was destroyed'), { name: 'AbortError' }));
    this.#chunks.length = 0;
  }

  #notify(): void {
    const w = this.#wake;
    this.#wake = undefined;
    w?.();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Buffer> {
    for (;;) {
      if (this.#chunks.length > 0) {
        yield this.#chunks.shift()!;
        continue;
      }
      if (this.#error) throw this.#error;
      if (this.#ended) return;
      await new Promise<void>((r) => {
        this.#wake = r;
      });
    }
  }

  async text(): Promise<string> {
    const parts: Buffer[] = [];
    for await (const c of this) parts.push(c);
    return Buffer.concat(parts).toString('utf8');
  }
}

/** A request whose answer is streamed (a watch): resolves with the status, the body follows. */
export function h2Stream(
  conn: H2Connection,
  req: OutgoingRequest,
  signal: AbortSignal,
  sent: Sent | undefined,
  timeouts: StreamTimeouts,
): Promise<StreamedResponse> {
  return new Promise<StreamedResponse>((resolve, reject) => {
    if (signal.aborted) {
      reject(abortReason(signal));
      return;
    }
    let statusCode = 0;
    let lastData = 0;
    let timer: NodeJS.Timeout | undefined;
    const body = new H2Body(() => stream.cancel());
    const stop = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
    };
    const fail = (err: Error): void => {
      stop();
      stream.cancel();
      if (statusCode === 0) reject(err);
      else body.fail(err);
    };
    const onAbort = (): void => {
      if (sent) sent.value = true;
      fail(abortReason(signal));
    };
    // One timer per stream, re-armed lazily: data only records its time.
    const armIdle = (ms: number): void => {
      timer = setTimeout(() => {
        const quiet = performance.now() - lastData;
        if (quiet >= timeouts.bodyIdleMs)
          fail(timeoutError(`no data from the server for ${timeouts.bodyIdleMs} ms`, 'H2_BODY_TIMEOUT'));
        else armIdle(timeouts.bodyIdleMs - quiet);
      }, ms);
      timer.unref();
    };
    const stream = conn.request(req.method, req.path, headerList(req), req.body ?? EMPTY, {
      onHeaders(headers) {
        if (statusCode !== 0) return;
        const code = statusOf(headers);
        if (code < 200) return;
        statusCode = code;
        if (sent) sent.value = true;
        clearTimeout(timer);
        timer = undefined;
        if (timeouts.bodyIdleMs > 0) {
          lastData = performance.now();
          armIdle(timeouts.bodyIdleMs);
        }
        resolve({ statusCode, body, text: () => body.text() });
      },
      onData(chunk) {
        lastData = performance.now();
        body.push(chunk);
      },
      onEnd() {
        stop();
        if (statusCode === 0) {
          reject(noResponse());
          return;
        }
        body.end();
      },
      onError(err) {
        stop();
        markSent(sent, err);
        if (statusCode === 0) reject(err);
        else body.fail(err);
      },
    });
    signal.addEventListener('abort', onAbort, { once: true });
    if (timeouts.headersMs > 0) {
      timer = setTimeout(
        () => fail(timeoutError(`no response headers within ${timeouts.headersMs} ms`, 'H2_HEADERS_TIMEOUT')),
        timeouts.headersMs,
      );
      timer.unref();
    }
  });
}
