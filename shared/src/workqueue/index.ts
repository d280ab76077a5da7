// client-go's rate-limited work queue, for the controllers and the kubelet's managers: a key is
// queued at most once, never handed to two workers at the same time (re-added while processing →
// queued again after done), and retried with per-item exponential backoff (5 ms doubling to 1000 s) until forgotten. Delays use one timer
// per pending key, cleared on shutdown so nothing outlives the queue.

export interface RateLimiterOptions {
  readonly baseDelayMs?: number;
  readonly maxDelayMs?: number;
}

/** Per-item exponential failure backoff (workqueue.ItemExponentialFailureRateLimiter). */
export class ItemExponentialRateLimiter {
  readonly #base: number;
  readonly #max: number;
  readonly #failures = new Map<string, number>();

  constructor(opts: RateLimiterOptions = {}) {
    this.#base = opts.baseDelayMs ?? 5;
    this.#max = opts.maxDelayMs ?? 1_000_000;
  }

  when(key: string): number {
    const n = this.#failures.get(key) ?? 0;
    this.#failures.set(key, n + 1);
    return Math.min(this.#max, this.#base * 2 ** Math.min(n, 40));
  }

  numRequeues(key: string): number {
    return this.#failures.get(key) ?? 0;
  }

  forget(key: string): void {
    this.#failures.delete(key);
  }
}

/** The queues of this process while workers drain them: what /metrics reports (client-go's workqueue metrics). */
export const RUNNING_QUEUES = new Set<WorkQueue>();

export class WorkQueue {
  /** Keys newly queued (workqueue_adds_total) and rate-limited requeues (workqueue_retries_total). */
  adds = 0;
  retries = 0;
  readonly #queue: string[] = [];
  #head = 0;
  readonly #dirty = new Set<string>();
  readonly #processing = new Set<string>();
  readonly #waiting = new Map<string, { at: number; timer: NodeJS.Timeout }>();
  readonly #limiter: ItemExponentialRateLimiter;
  #getters: ((key: string | undefined) => void)[] = [];
  #shuttingDown = false;

  constructor(
    readonly name: string,
    limiter: ItemExponentialRateLimiter = new ItemExponentialRateLimiter(),
  ) {
    this.#limiter = limiter;
  }

  get length(): number {
    return this.#queue.length - this.#head;
  }

  get shuttingDown(): boolean {
    return this.#shuttingDown;
  }

  add(key: string): void {
    if (this.#shuttingDown || this.#dirty.has(key)) return;
    this.#dirty.add(key);
    this.adds++;
    if (this.#processing.has(key)) return;
    const getter = this.#getters.shift();
    if (getter) {
      this.#dirty.delete(key);
      this.#processing.add(key);
      getter(key);
      return;
    }
    this.#queue.push(key);
  }

  /** Adds after `ms`; an earlier pending time for the same key wins. */
  addAfter(key: string, ms: number): void {
    if (this.#shuttingDown) return;
    if (ms <= 0) {
      this.add(key);
      return;
    }
    const at = Date.now() + ms;
    const cur = this.#waiting.get(key);
    if (cur && cur.at <= at) return;
    if (cur) clearTimeout(cur.timer);
    const timer = setTimeout(() => {
      this.#waiting.delete(key);
      this.add(key);
    }, ms);
    this.#waiting.set(key, { at, timer });
  }

  addRateLimited(key: string): void {
    this.retries++;
    this.addAfter(key, this.#limiter.when(key));
  }

  forget(key: string): void {
    this.#limiter.forget(key);
  }

  numRequeues(key: string): number {
    return this.#limiter.numRequeues(key);
  }

  /** The next key, waiting for one; undefined once the queue shuts down. */
  get(): Promise<string | undefined> {
    if (this.#head < this.#queue.length) {
      const key = this.#queue[this.#head++]!;
      if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
        this.#queue.splice(0, this.#head);
        this.#head = 0;
      }
      this.#dirty.delete(key);
      this.#processing.add(key);
      return Promise.resolve(key);
    }
    if (this.#shuttingDown) return Promise.resolve(undefined);
    return new Promise((resolve) => this.#getters.push(resolve));
  }

  /** Marks a key finished; if it was re-added meanwhile it goes back on the queue. */
  done(key: string): void {
    this.#processing.delete(key);
    if (this.#dirty.has(key)) {
      this.#dirty.delete(key);
      this.add(key);
    }
  }

  shutDown(): void {
    this.#shuttingDown = true;
    RUNNING_QUEUES.delete(this);
    for (const w of this.#waiting.values()) clearTimeout(w.timer);
    this.#waiting.clear();
    const getters = this.#getters;
    this.#getters = [];
    for (const g of getters) g(undefined);
  }
}

export type SyncHandler = (key: string) => Promise<void>;

export interface WorkerLogger {
  warn(obj: object, msg: string): void;
  debug(obj: object, msg: string): void;
}

/**
 * Runs `workers` loops taking keys and calling `sync`; a throw requeues the key rate-limited, a
 * success forgets its failures. Resolves when the queue shuts down and every worker is idle.
 */
export async function runWorkers(
  queue: WorkQueue,
  workers: number,
  sync: SyncHandler,
  log?: WorkerLogger,
): Promise<void> {
  if (!queue.shuttingDown) RUNNING_QUEUES.add(queue);
  const loop = async (): Promise<void> => {
    for (;;) {
      const key = await queue.get();
      if (key === undefined) return;
      try {
        await sync(key);
        queue.forget(key);
      } catch (err) {
        if (!queue.shuttingDown) {
          // An expected wait (IgnorableError) is not worth a warning; it retries all the same.
          const quiet = err instanceof Error && err.name === 'IgnorableError';
          log?.[quiet ? 'debug' : 'warn']({ queue: queue.name, key, err: errorSummary(err) }, 'sync failed, requeuing');
          queue.addRateLimited(key);
        }
      } finally {
        queue.done(key);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, workers) }, loop));
}

export function errorSummary(err: unknown): { message: string; code?: unknown } {
  if (err instanceof Error) return { message: err.message, code: (err as { code?: unknown }).code };
  return { message: String(err) };
}
