// Keys that expire a fixed time after their last write, as kube-apiserver stores Events: every create
// and update attaches an etcd lease of --event-ttl, and etcd deletes the key when it runs out. Here
// the apiserver keeps the deadlines itself, for either store: it lists the prefix, follows its watch
// (a write moves a key's deadline to now + ttl), and deletes due keys with a compare on the revision
// it saw, so a key written again in the meantime stays. The delete is a storage delete, as a lease's
// expiry is: watchers see DELETED; no admission or finalizers run. On start every key present gets a
// full ttl, as etcd renews its leases when a leader takes over.
import { StoreConflictError, StoreNotFoundError } from './errors.js';
import type { Store, StoreWatch } from './store.js';

export interface TTLExpirerOptions {
  readonly prefix: string;
  readonly ttlMs: number;
  readonly now?: () => number;
  /** How often due keys are looked for (etcd checks its leases every 500 ms). */
  readonly sweepMs?: number;
  /** Told each key it deleted. */
  readonly onExpired?: (key: string) => void;
  /** Told when a list, watch or delete failed (it is retried). */
  readonly onError?: (err: Error) => void;
}

const PAGE = 500;
const DELETES_IN_FLIGHT = 8;

export class TTLExpirer {
  // Every write's deadline is now + ttl, so insertion order is deadline order once a rewritten key
  // is moved to the end (delete, then set).
  readonly #due = new Map<string, { at: number; rev: number }>();
  readonly #now: () => number;
  #watch: StoreWatch | undefined;
  #timer: NodeJS.Timeout | undefined;
  #sweeping: Promise<number> | undefined;
  #restart: NodeJS.Timeout | undefined;
  #stopped = true;

  constructor(
    private readonly store: Store,
    private readonly opts: TTLExpirerOptions,
  ) {
    this.#now = opts.now ?? Date.now;
  }

  /** Keys currently waiting to expire. */
  get tracked(): number {
    return this.#due.size;
  }

  /** When `key` is due, in the clock's milliseconds; undefined when it is not tracked. */
  deadline(key: string): number | undefined {
    return this.#due.get(key)?.at;
  }

  start(signal?: AbortSignal): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    signal?.addEventListener('abort', () => this.stop(), { once: true });
    void this.#sync();
    const every = this.opts.sweepMs ?? Math.min(1000, Math.max(50, this.opts.ttlMs / 4));
    this.#timer = setInterval(() => void this.sweep(), every);
    this.#timer.unref();
  }

  stop(): void {
    this.#stopped = true;
    this.#watch?.stop();
    this.#watch = undefined;
    clearInterval(this.#timer);
    clearTimeout(this.#restart);
  }

  /** Deletes the keys whose deadline has passed; resolves to how many it deleted. */
  sweep(): Promise<number> {
    this.#sweeping ??= this.#sweepOnce().finally(() => {
      this.#sweeping = undefined;
    });
    return this.#sweeping;
  }

  async #sweepOnce(): Promise<number> {
    const now = this.#now();
    const due: [string, number][] = [];
    for (const [key, d] of this.#due) {
      if (d.at > now) break;
      due.push([key, d.rev]);
    }
    let deleted = 0;
    for (let i = 0; i < due.length && !this.#stopped; i += DELETES_IN_FLIGHT) {
      await Promise.all(
        due.slice(i, i + DELETES_IN_FLIGHT).map(async ([key, rev]) => {
          // Written again since the sweep began: the watch gave it a new deadline.
          if (this.#due.get(key)?.rev !== rev) return;
          try {
            await this.store.delete(key, { expectedModRevision: rev });
            this.#forget(key, rev);
            deleted++;
            this.opts.onExpired?.(key);
          } catch (e) {
            // Gone or rewritten: the watch says which, and keeps the map right.
            if (e instanceof StoreNotFoundError) this.#forget(key, rev);
            else if (!(e instanceof StoreConflictError)) this.opts.onError?.(e as Error);
          }
        }),
      );
    }
    return deleted;
  }

  #forget(key: string, rev: number): void {
    if (this.#due.get(key)?.rev === rev) this.#due.delete(key);
  }

  #track(key: string, rev: number): void {
    this.#due.delete(key);
    this.#due.set(key, { at: this.#now() + this.opts.ttlMs, rev });
  }

  /** List, then watch from the list's revision; on any failure, again a moment later. */
  async #sync(): Promise<void> {
    if (this.#stopped) return;
    try {
      const seen = new Map<string, number>();
      let startKey: string | undefined;
      let revision: number | undefined;
      for (;;) {
        const page = await this.store.list(this.opts.prefix, { limit: PAGE, startKey, revision });
        revision = page.revision;
        for (const kv of page.kvs) seen.set(kv.key, kv.modRevision);
        if (!page.more || page.kvs.length === 0) break;
        startKey = `${page.kvs[page.kvs.length - 1]!.key}\x00`;
      }
      if (this.#stopped) return;
      // A key unchanged since it was last seen keeps its deadline; anything else starts afresh.
      const kept = [...this.#due].filter(([key, d]) => seen.get(key) === d.rev);
      this.#due.clear();
      for (const [key, d] of kept.sort((a, b) => a[1].at - b[1].at)) this.#due.set(key, d);
      for (const [key, rev] of seen) if (this.#due.get(key)?.rev !== rev) this.#track(key, rev);
      this.#watch = this.store.watch(this.opts.prefix, {
        sinceRevision: revision!,
        onEvent: (e) => {
          if (e.type === 'put') this.#track(e.kv.key, e.kv.modRevision);
          else if (e.type === 'delete') this.#due.delete(e.kv.key);
        },
        onError: (err) => {
          this.#watch = undefined;
          this.#retry(err);
        },
      });
    } catch (e) {
      this.#retry(e as Error);
    }
  }

  #retry(err: Error): void {
    if (this.#stopped) return;
    this.opts.onError?.(err);
    this.#restart = setTimeout(() => void this.#sync(), 1000);
    this.#restart.unref();
  }
}
