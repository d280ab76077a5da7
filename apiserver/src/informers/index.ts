// In-process informers over the apiserver's own store: a cache of one resource kept current by a
// store watch, for authorizers and admission plugins that must not read the store per request
// (RBAC's subject index, the Node authorizer's graph). Handlers run after the cache is updated.
import type { KubeObject } from '@mkube/shared/api';
import type { Logger } from '@mkube/shared/log';
import { decodeDeleted, decodeObject } from '../registry/codec.js';
import { EVERYTHING } from '../registry/filter.js';
import type { GenericRegistry } from '../registry/generic.js';
import { listPrefix } from '../registry/keys.js';
import type { StoreWatch } from '../storage/index.js';

export interface InformerHandlers<T extends KubeObject> {
  onAdd?(obj: T): void;
  onUpdate?(obj: T, old: T): void;
  onDelete?(obj: T): void;
}

export function cacheKey(obj: KubeObject): string {
  const ns = obj.metadata.namespace;
  return ns ? `${ns}/${obj.metadata.name}` : (obj.metadata.name ?? '');
}

export class Informer<T extends KubeObject = KubeObject> {
  private readonly items = new Map<string, T>();
  private readonly handlers: InformerHandlers<T>[] = [];
  private watch: StoreWatch | undefined;
  private synced = false;
  private revision = 0;
  private stopped = false;

  constructor(
    readonly registry: GenericRegistry,
    private readonly log: Logger,
  ) {}

  addHandlers(h: InformerHandlers<T>): void {
    this.handlers.push(h);
    if (this.synced) for (const o of this.items.values()) h.onAdd?.(o);
  }

  get(namespace: string, name: string): T | undefined {
    return this.items.get(namespace ? `${namespace}/${name}` : name);
  }

  list(): IterableIterator<T> {
    return this.items.values();
  }

  hasSynced(): boolean {
    return this.synced;
  }

  /** Lists, then follows the store; a watch that ends (compaction, too slow) relists. */
  async start(): Promise<void> {
    const { items, revision } = await this.registry.list({ namespace: '', filter: EVERYTHING });
    const fresh = new Map(items.map((o) => [cacheKey(o), o as T]));
    for (const [k, old] of this.items) {
      if (fresh.has(k)) continue;
      this.items.delete(k);
      this.emitDelete(old);
    }
    for (const [k, o] of fresh) {
      const old = this.items.get(k);
      this.items.set(k, o);
      if (!old) for (const h of this.handlers) h.onAdd?.(o);
      else if (old.metadata.resourceVersion !== o.metadata.resourceVersion)
        for (const h of this.handlers) h.onUpdate?.(o, old);
    }
    this.revision = revision;
    this.synced = true;
    this.follow();
  }

  private follow(): void {
    if (this.stopped) return;
    this.watch = this.registry.storage.watch(listPrefix(this.registry.def, ''), {
      sinceRevision: this.revision,
      onEvent: (e) => {
        if (e.type === 'progress') return;
        this.revision = e.revision;
        if (e.type === 'delete') {
          if (e.prevKv) {
            const gone = decodeDeleted(e.prevKv, e.revision, this.registry.storage) as T;
            this.items.delete(cacheKey(gone));
            this.emitDelete(gone);
          }
          return;
        }
        const obj = decodeObject(e.kv, this.registry.storage) as T;
        const k = cacheKey(obj);
        const old = this.items.get(k);
        this.items.set(k, obj);
        for (const h of this.handlers) old ? h.onUpdate?.(obj, old) : h.onAdd?.(obj);
      },
      onError: (err) => {
        if (this.stopped) return;
        this.log.debug({ err, resource: this.registry.def.resource }, 'informer watch ended; relisting');
        this.start().catch((e) =>
          this.log.error({ err: e, resource: this.registry.def.resource }, 'informer relist failed'),
        );
      },
    });
  }

  private emitDelete(obj: T): void {
    for (const h of this.handlers) h.onDelete?.(obj);
  }

  stop(): void {
    this.stopped = true;
    this.watch?.stop();
  }
}
