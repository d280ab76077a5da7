// Small tools for the storage tests: a watch recorder and a bounded wait.
import type { Store, StoreWatchEvent, WatchOptions } from '../../src/storage/index.js';

/** Runs `fn` on a fresh store, then closes and cleans it up. */
export type WithStore = (fn: (s: Store) => Promise<void>) => Promise<void>;

export const b = (s: string): Buffer => Buffer.from(s);

/** Polls `pred` every few ms; fails after `timeoutMs`. */
export async function waitFor(what: string, pred: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

export interface Recorder {
  readonly events: StoreWatchEvent[];
  readonly errors: Error[];
  /** Revisions of put/delete events, in delivery order. */
  revisions(): number[];
  stop(): void;
}

export function record(
  store: Store,
  prefix: string,
  sinceRevision: number,
  extra: Partial<Pick<WatchOptions, 'progressNotifyMs' | 'maxQueuedEvents'>> = {},
): Recorder {
  const events: StoreWatchEvent[] = [];
  const errors: Error[] = [];
  const w = store.watch(prefix, {
    sinceRevision,
    ...extra,
    onEvent: (e) => {
      events.push(e);
    },
    onError: (err) => {
      errors.push(err);
    },
  });
  return {
    events,
    errors,
    revisions: () => events.filter((e) => e.type !== 'progress').map((e) => e.revision),
    stop: () => w.stop(),
  };
}
