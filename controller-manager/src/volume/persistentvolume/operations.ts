// The binder's slow work (provisioning, deleting, recycling) runs beside its queues, one operation
// per name at a time (goroutinemap): asking again while one runs does nothing, and after a failure
// the same name waits out an exponential backoff (500 ms doubling to 2m2s) before it may run again;
// the next sync of its claim or volume asks again.
import type { Logger } from '@mkube/shared/log';
import { errorSummary } from '@mkube/shared/workqueue';

const INITIAL_BACKOFF_MS = 500;
const MAX_BACKOFF_MS = 122_000;

export class OperationMap {
  readonly #running = new Map<string, Promise<void>>();
  readonly #failed = new Map<string, { until: number; backoffMs: number }>();

  constructor(
    readonly log: Logger,
    readonly now: () => number = Date.now,
  ) {}

  /** Starts `op` under `name` unless one is running or backing off; false if it did not start. */
  run(name: string, op: () => Promise<void>): boolean {
    if (this.#running.has(name)) return false;
    const failed = this.#failed.get(name);
    if (failed && failed.until > this.now()) return false;
    const p = (async () => {
      try {
        await op();
        this.#failed.delete(name);
      } catch (err) {
        const backoffMs = failed ? Math.min(MAX_BACKOFF_MS, failed.backoffMs * 2) : INITIAL_BACKOFF_MS;
        this.#failed.set(name, { until: this.now() + backoffMs, backoffMs });
        this.log.warn({ operation: name, err: errorSummary(err), backoffMs }, 'operation failed');
      } finally {
        this.#running.delete(name);
      }
    })();
    this.#running.set(name, p);
    return true;
  }

  /** Resolves once every running operation has finished (the controller's stop). */
  async wait(): Promise<void> {
    await Promise.all([...this.#running.values()]);
  }
}
