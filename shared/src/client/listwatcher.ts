// An informer-style reflector: list, then watch from the list's resourceVersion; re-watch from
// the last seen resourceVersion when a stream ends (bookmarks advance it); relist and replace the
// cache on 410 Gone; back off with jitter on errors. Handlers only see events, they must not
// block (enqueue a key and return). Everything stops on the AbortSignal given to run().
import { isGone, isTooManyRequests, StatusError } from '../apierrors/index.js';
import { Backoff, type BackoffOptions, sleep } from './backoff.js';
import { ClientError } from './errors.js';
import { type ReadonlyStore, Store } from './store.js';
import type { ClientLogger, KubeList, KubeObject, ListOptions, WatchEvent, WatchOptions } from './types.js';

/** A watch as the reflector consumes it (client Watch fits). */
export interface WatchStream<T> extends AsyncIterable<WatchEvent<T>> {
  close(): void;
  readonly stats: { readonly events: number; readonly unparsable: number };
}

/** Where objects come from: a ResourceClient fits. */
export interface ListerWatcher<T> {
  list(opts: ListOptions): Promise<KubeList<T>>;
  watch(opts: WatchOptions): Promise<WatchStream<T>>;
}

export interface ResourceEventHandlers<T> {
  onAdd?(obj: T): void;
  onUpdate?(old: T, cur: T): void;
  onDelete?(obj: T): void;
  /** After every (re)list, with the cache's new content; adds/updates/deletes were sent first. */
  onResync?(objs: readonly T[]): void;
}

export interface ListWatcherOptions<T> {
  readonly source: ListerWatcher<T>;
  /** Used in log lines, e.g. `certificatesigningrequests`. */
  readonly name?: string;
  readonly labelSelector?: string;
  readonly fieldSelector?: string;
  readonly handlers?: ResourceEventHandlers<T>;
  readonly logger?: ClientLogger;
  readonly backoff?: BackoffOptions;
  /** List page size (`limit`). Default 500, as client-go's pager. */
  readonly pageSize?: number;
  /** Each watch asks for a random timeoutSeconds in [min, 2·min). Default 300, as the reflector. */
  readonly minWatchTimeoutSeconds?: number;
  readonly random?: () => number;
  /** A watch that ends sooner than this without events counts as a failure (backs off). Default 1000. */
  readonly shortWatchMs?: number;
}

export interface ListWatcherStats {
  lists: number;
  watches: number;
  /** Relists caused by 410 Gone / Expired. */
  goneRelists: number;
  errors: number;
  events: number;
  unparsable: number;
}

const MAX_PAGES = 100_000;

type Next = 'list' | 'watch';

export class ListWatcher<T extends KubeObject> {
  readonly #o: ListWatcherOptions<T>;
  readonly #store = new Store<T>();
  readonly #backoff: Backoff;
  readonly #stats: ListWatcherStats = { lists: 0, watches: 0, goneRelists: 0, errors: 0, events: 0, unparsable: 0 };
  #rv = '';
  #synced = false;
  #running = false;
  #syncWaiters: (() => void)[] = [];

  constructor(opts: ListWatcherOptions<T>) {
    this.#o = opts;
    this.#backoff = new Backoff({ ...opts.backoff, random: opts.backoff?.random ?? opts.random });
  }

  get store(): ReadonlyStore<T> {
    return this.#store;
  }

  /** The resourceVersion the next watch starts from. */
  get resourceVersion(): string {
    return this.#rv;
  }

  get stats(): Readonly<ListWatcherStats> {
    return { ...this.#stats };
  }

  hasSynced(): boolean {
    return this.#synced;
  }

  /** Resolves true once the first list is in the cache, false if `signal` aborts first. */
  waitForSync(signal?: AbortSignal): Promise<boolean> {
    if (this.#synced) return Promise.resolve(true);
    if (signal?.aborted) return Promise.resolve(false);
    return new Promise((resolve) => {
      const onAbort = (): void => {
        this.#syncWaiters = this.#syncWaiters.filter((w) => w !== done);
        resolve(false);
      };
      const done = (): void => {
        signal?.removeEventListener('abort', onAbort);
        resolve(true);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#syncWaiters.push(done);
    });
  }

  /** Runs until `signal` aborts; never rejects (failures are logged, counted and retried). */
  async run(signal: AbortSignal): Promise<void> {
    if (this.#running) throw new ClientError('EINVAL', 'ListWatcher.run called twice');
    this.#running = true;
    let next: Next = 'list';
    let goneInARow = 0;
    try {
      while (!signal.aborted) {
        try {
          if (next === 'list') {
            await this.#listAndReplace(signal);
            next = 'watch';
          }
          const { events, ms } = await this.#watchOnce(signal);
          goneInARow = 0;
          if (events === 0 && ms < (this.#o.shortWatchMs ?? 1000)) {
            // A server that ends watches at once must not turn this into a hot loop.
            this.#log('watch ended immediately, backing off', undefined);
            await sleep(this.#backoff.next(), signal);
          } else {
            this.#backoff.reset();
          }
        } catch (err) {
          if (signal.aborted) break;
          if (isGone(err)) {
            // The resourceVersion was compacted: only a fresh list can continue.
            this.#stats.goneRelists++;
            this.#log('resourceVersion too old, relisting', err);
            next = 'list';
            if (goneInARow++ > 0) await sleep(this.#backoff.next(), signal);
            continue;
          }
          this.#stats.errors++;
          this.#log(next === 'list' ? 'list failed' : 'watch failed', err);
          // Transport trouble and overload keep the cache and resume the watch; other API errors
          // (403, 500…) start over with a list, as the reflector does.
          if (next === 'watch' && !retryWatch(err)) next = 'list';
          await sleep(this.#backoff.next(), signal);
        }
      }
    } finally {
      this.#running = false;
    }
  }

  async #listAndReplace(signal: AbortSignal): Promise<void> {
    const { items, rv } = await this.#list(signal);
    this.#stats.lists++;
    const diff = this.#store.replace(items);
    this.#rv = rv;
    const h = this.#o.handlers;
    for (const o of diff.deleted) this.#call(() => h?.onDelete?.(o));
    for (const o of diff.added) this.#call(() => h?.onAdd?.(o));
    for (const [old, cur] of diff.updated) this.#call(() => h?.onUpdate?.(old, cur));
    if (h?.onResync) {
      const all = this.#store.list();
      this.#call(() => h.onResync?.(all));
    }
    if (!this.#synced) {
      this.#synced = true;
      const ws = this.#syncWaiters;
      this.#syncWaiters = [];
      for (const w of ws) w();
    }
  }

  async #list(signal: AbortSignal): Promise<{ items: T[]; rv: string }> {
    const base = { labelSelector: this.#o.labelSelector, fieldSelector: this.#o.fieldSelector, signal };
    const items: T[] = [];
    let cont: string | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      let l: KubeList<T>;
      try {
        l = await this.#o.source.list({ ...base, limit: this.#o.pageSize ?? 500, continue: cont });
      } catch (err) {
        // The continue token expired between pages: one full, unpaginated list instead.
        if (!cont || !isGone(err)) throw err;
        const full = await this.#o.source.list(base);
        return { items: full.items ?? [], rv: full.metadata?.resourceVersion ?? '' };
      }
      items.push(...(l.items ?? []));
      cont = l.metadata?.continue || undefined;
      if (!cont) return { items, rv: l.metadata?.resourceVersion ?? '' };
    }
    throw new ClientError('EPROTO', `list did not finish within ${MAX_PAGES} pages`);
  }

  async #watchOnce(signal: AbortSignal): Promise<{ events: number; ms: number }> {
    const min = this.#o.minWatchTimeoutSeconds ?? 300;
    const random = this.#o.random ?? Math.random;
    const started = Date.now();
    this.#stats.watches++;
    const w = await this.#o.source.watch({
      labelSelector: this.#o.labelSelector,
      fieldSelector: this.#o.fieldSelector,
      resourceVersion: this.#rv,
      allowWatchBookmarks: true,
      timeoutSeconds: Math.floor(min * (1 + random())),
      signal,
    });
    let events = 0;
    try {
      for await (const ev of w) {
        events++;
        this.#apply(ev);
      }
    } finally {
      this.#stats.events += events;
      this.#stats.unparsable += w.stats.unparsable;
      w.close();
    }
    return { events, ms: Date.now() - started };
  }

  #apply(ev: WatchEvent<T>): void {
    const rv = ev.object.metadata?.resourceVersion;
    const h = this.#o.handlers;
    switch (ev.type) {
      case 'ADDED':
      case 'MODIFIED': {
        const old = this.#store.set(ev.object);
        if (old) this.#call(() => h?.onUpdate?.(old, ev.object));
        else this.#call(() => h?.onAdd?.(ev.object));
        break;
      }
      case 'DELETED': {
        const old = this.#store.delete(ev.object);
        this.#call(() => h?.onDelete?.(old ?? ev.object));
        break;
      }
      case 'BOOKMARK':
        break;
    }
    if (rv) this.#rv = rv;
  }

  #call(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.#log('event handler threw', err);
    }
  }

  #log(msg: string, err: unknown): void {
    const e = err instanceof Error ? { code: (err as { code?: unknown }).code, message: err.message } : undefined;
    this.#o.logger?.warn({ resource: this.#o.name, err: e }, msg);
  }
}

function retryWatch(err: unknown): boolean {
  if (err instanceof ClientError) return err.code !== 'EPROTO' && err.code !== 'EINVAL';
  if (err instanceof StatusError) return isTooManyRequests(err) || err.code === 503 || err.code === 504;
  return false;
}
