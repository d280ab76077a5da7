// The projection work queue of the podcertificate manager, as client-go's rate-limited workqueue with
// the one worker upstream runs: a key is queued at most once, a key re-added while it is handled
// runs again afterwards, and a failed key comes back after a per-key delay doubling from 5 ms to
// 1000 s until it succeeds.
const BASE_DELAY_MS = 5;
const MAX_DELAY_MS = 1_000_000;

export class ProjectionQueue {
  /** Insertion-ordered: the order keys were added. */
  readonly #queued = new Set<string>();
  readonly #failures = new Map<string, number>();
  readonly #delayed = new Map<string, NodeJS.Timeout>();
  #wake: (() => void) | undefined;

  add(key: string): void {
    this.#queued.add(key);
    this.#wake?.();
  }

  addRateLimited(key: string): void {
    const n = this.#failures.get(key) ?? 0;
    this.#failures.set(key, n + 1);
    if (this.#delayed.has(key)) return;
    const timer = setTimeout(
      () => {
        this.#delayed.delete(key);
        this.add(key);
      },
      Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** Math.min(n, 40)),
    );
    timer.unref();
    this.#delayed.set(key, timer);
  }

  forget(key: string): void {
    this.#failures.delete(key);
  }

  /** Handles keys one at a time until `signal` aborts; a throw requeues the key rate-limited. */
  async run(handle: (key: string) => Promise<void>, onError: (key: string, e: unknown) => void, signal: AbortSignal) {
    signal.addEventListener('abort', () => this.#shutDown(), { once: true });
    while (!signal.aborted) {
      const key = this.#queued.values().next().value;
      if (key === undefined) {
        await new Promise<void>((resolve) => {
          this.#wake = resolve;
        });
        this.#wake = undefined;
        continue;
      }
      this.#queued.delete(key);
      try {
        await handle(key);
        this.forget(key);
      } catch (e) {
        if (signal.aborted) break;
        onError(key, e);
        this.addRateLimited(key);
      }
    }
  }

  #shutDown(): void {
    for (const t of this.#delayed.values()) clearTimeout(t);
    this.#delayed.clear();
    this.#queued.clear();
    this.#wake?.();
  }
}
