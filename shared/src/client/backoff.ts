// Exponential backoff with jitter (client-go's wait.Backoff as the reflector uses it: 800 ms
// doubling to 30 s, jitter 1.0) and an abortable sleep that leaves no timer behind.

export interface BackoffOptions {
  readonly initialMs?: number;
  readonly maxMs?: number;
  readonly factor?: number;
  /** Adds up to `jitter × delay` at random, so many clients do not retry in step. */
  readonly jitter?: number;
  readonly random?: () => number;
}

export class Backoff {
  readonly #initial: number;
  readonly #max: number;
  readonly #factor: number;
  readonly #jitter: number;
  readonly #random: () => number;
  #attempt = 0;

  constructor(opts: BackoffOptions = {}) {
    this.#initial = Math.max(1, opts.initialMs ?? 800);
    this.#max = Math.max(this.#initial, opts.maxMs ?? 30_000);
    this.#factor = Math.max(1, opts.factor ?? 2);
    this.#jitter = Math.max(0, opts.jitter ?? 1);
    this.#random = opts.random ?? Math.random;
  }

  /** The next delay: never 0 (no hot loop) and never above maxMs. */
  next(): number {
    const base = Math.min(this.#max, this.#initial * this.#factor ** Math.min(this.#attempt, 64));
    this.#attempt++;
    return Math.min(this.#max, Math.round(base * (1 + this.#jitter * this.#random())));
  }

  reset(): void {
    this.#attempt = 0;
  }
}

/** Resolves true after `ms`, or false as soon as `signal` aborts; clears its timer either way. */
export function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
