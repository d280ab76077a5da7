// Periodic compaction, as kube-apiserver's compactor does for etcd: at each tick remember the
// current revision, and compact to the one remembered a tick earlier, so at least one interval of
// history stays watchable. `keepRevisions` also keeps the latest N revisions whatever their age.
// `runOnce` is the whole decision, so tests drive it without timers.
import type { Store } from './store.js';

export interface CompactorOptions {
  /** Tick interval (default 5 minutes, kube-apiserver's --etcd-compaction-interval). */
  readonly intervalMs?: number;
  /** Always keep at least this many recent revisions (default 10,000). */
  readonly keepRevisions?: number;
  /** Told about each compaction or failure (metrics, logs). */
  readonly onCompact?: (r: { revision: number } | { error: Error }) => void;
}

export interface Compactor {
  /** One tick: returns the revision compacted to, or null when there was nothing to do. */
  runOnce(): Promise<number | null>;
  /** Ticks every interval until stop() or the signal aborts. */
  start(signal?: AbortSignal): void;
  stop(): void;
}

export function newCompactor(store: Store, opts: CompactorOptions = {}): Compactor {
  const intervalMs = opts.intervalMs ?? 5 * 60_000;
  const keep = opts.keepRevisions ?? 10_000;
  let previous: number | null = null;
  let compacted = 0;
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<unknown> | null = null;

  async function runOnce(): Promise<number | null> {
    const current = await store.currentRevision();
    const target = previous === null ? null : Math.min(previous, current - keep);
    previous = current;
    if (target === null || target <= compacted) return null;
    await store.compact(target);
    compacted = target;
    return target;
  }

  function tick(): void {
    if (running) return;
    running = runOnce()
      .then(
        (revision) => {
          if (revision !== null) opts.onCompact?.({ revision });
        },
        (error: unknown) => opts.onCompact?.({ error: error instanceof Error ? error : new Error(String(error)) }),
      )
      .finally(() => {
        running = null;
      });
  }

  function stop(): void {
    if (timer) clearInterval(timer);
    timer = null;
  }

  return {
    runOnce,
    start(signal) {
      if (timer || signal?.aborted) return;
      timer = setInterval(tick, intervalMs);
      timer.unref();
      signal?.addEventListener('abort', stop, { once: true });
    },
    stop,
  };
}
