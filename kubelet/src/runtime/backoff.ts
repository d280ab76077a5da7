// The crash-loop back-off of one container, as kuberuntime's doBackOff over flowcontrol.Backoff:
// without an entry (the first exit, or none moved on for twice the cap) the container starts again
// at once; otherwise it waits out the current period from its exit, and the period doubles
// (10 s … 5 min) when it starts.

const INITIAL_MS = 10_000;
const MAX_MS = 300_000;

export class ContainerBackoff {
  #entry: { periodMs: number; updatedAt: number } | undefined;

  /**
   * The container exited at `finishedMs`: how long it waits before it starts again (0: at once).
   * `started` is to be called when it does start after a wait.
   */
  next(finishedMs: number): { waitMs: number; started: () => void } {
    const e = this.#entry;
    if (!e || finishedMs - e.updatedAt > 2 * MAX_MS) {
      this.#entry = { periodMs: INITIAL_MS, updatedAt: finishedMs };
      return { waitMs: 0, started: () => {} };
    }
    return {
      waitMs: e.periodMs,
      started: () => {
        this.#entry = { periodMs: Math.min(MAX_MS, e.periodMs * 2), updatedAt: finishedMs };
      },
    };
  }
}

/** Whole seconds as Go's time.Duration prints them (10s, 1m20s, 5m0s). */
export function goSeconds(ms: number): string {
  const s = Math.round(ms / 1000);
  return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m${s % 60}s`;
}
