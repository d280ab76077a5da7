// One request whose whole answer is read into memory, through undici's dispatch with a handler that
// collects the body: the HTTP/1.1 path (h2 goes through ./h2exchange.ts). undici's request() wraps
// every answer in a Readable stream with its own abort plumbing, which costs ~40 µs of CPU a call.
import type { Dispatcher } from 'undici';

export interface UnaryResponse {
  readonly statusCode: number;
  readonly text: string;
  /** Retry-After, read only on a 429 or 5xx (the answers a client may wait and send again). */
  readonly retryAfter?: string;
}

/** Whether a status may carry a Retry-After worth honouring (client-go's checkWait). */
export const mayRetryAfter = (code: number): boolean => code === 429 || code >= 500;

/**
 * Dispatches `opts` on `d`. `onResponse` runs when the status line arrives (before the body); the
 * promise settles with the whole body as UTF-8, or the error. An abort of `signal` rejects at once
 * with its reason and aborts the request, now or when undici starts it.
 */
export function dispatchUnary(
  d: Dispatcher,
  opts: Dispatcher.DispatchOptions,
  signal: AbortSignal,
  onResponse: () => void,
): Promise<UnaryResponse> {
  return new Promise<UnaryResponse>((resolve, reject) => {
    let controller: Dispatcher.DispatchController | undefined;
    let reason: Error | undefined;
    let statusCode = 0;
    let retryAfter: string | undefined;
    const chunks: Buffer[] = [];
    let settled = false;
    const settle = (err: unknown, value?: UnaryResponse): void => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      if (value) resolve(value);
      else reject(err);
    };
    const onAbort = (): void => {
      reason =
        signal.reason instanceof Error ? signal.reason : new DOMException('This operation was aborted', 'AbortError');
      controller?.abort(reason);
      settle(reason);
    };
    if (signal.aborted) {
      onAbort();
      return;
    }
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      d.dispatch(opts, {
        onRequestStart(c) {
          controller = c;
          if (reason !== undefined) c.abort(reason);
        },
        onResponseStart(_c, code, headers) {
          // An interim answer (100 Continue) is not the answer: request() skips it the same way.
          if (code < 200) return;
          statusCode = code;
          if (mayRetryAfter(code)) {
            const h = headers['retry-after'];
            retryAfter = Array.isArray(h) ? h[0] : h;
          }
          onResponse();
        },
        onResponseData(_c, chunk) {
          chunks.push(chunk);
        },
        onResponseEnd() {
          const text = Buffer.concat(chunks).toString('utf8');
          settle(undefined, retryAfter === undefined ? { statusCode, text } : { statusCode, text, retryAfter });
        },
        onResponseError(_c, err) {
          settle(err);
        },
      });
    } catch (e) {
      settle(e);
    }
  });
}
