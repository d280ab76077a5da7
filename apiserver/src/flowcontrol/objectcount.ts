// Each resource's stored object count, sampled periodically (upstream's ObjectCountTracker behind the
// storage-object-count-tracker-hook): the list work estimate reads it. A sample older than a few
// periods is stale, and a stale count makes a list cost the most, as upstream's.

/** upstream samples every minute and treats a count not refreshed for longer than this as stale. */
export const OBJECT_COUNT_STALE_MS = 3 * 60_000;

export class ObjectCountTracker {
  private readonly counts = new Map<string, { n: number; atMs: number }>();

  constructor(private readonly now: () => number = () => performance.now()) {}

  set(groupResource: string, n: number): void {
    this.counts.set(groupResource, { n, atMs: this.now() });
  }

  readonly get = (groupResource: string): number | 'stale' | undefined => {
    const c = this.counts.get(groupResource);
    if (!c) return undefined;
    return this.now() - c.atMs > OBJECT_COUNT_STALE_MS ? 'stale' : c.n;
  };
}
