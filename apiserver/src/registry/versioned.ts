// A resource served in a second API version over the same stored objects, as kube-apiserver serves
// autoscaling/v1 HorizontalPodAutoscalers over the autoscaling/v2 ones it stores: requests are
// converted to the stored version before the strategy, admission and storage see them, and every
// answer (reads, writes, watch events) is converted back. Patches apply to the requested version's
// form of the object, as upstream's patcher does.
import type { DeleteOptions, KubeObject, Preconditions } from '@mkube/shared/api';
import type { KeyValue, Store } from '../storage/index.js';
import type { ResourceDef } from './catalog.js';
import type { ObjectFilter } from './filter.js';
import { GenericRegistry, type ListRequest, type ListResponse, type WriteOptions } from './generic.js';
import type { StrategyContext } from './strategy.js';

export interface VersionConverter {
  /** Stored version → the served one. */
  toServed(obj: KubeObject): KubeObject;
  /** Served version → the stored one. */
  toStored(obj: KubeObject): KubeObject;
}

export class ConvertedRegistry extends GenericRegistry {
  readonly #inner: GenericRegistry;
  readonly #conv: VersionConverter;

  constructor(def: ResourceDef, inner: GenericRegistry, store: Store, conv: VersionConverter) {
    super(def, inner.strategy, store, inner.subresources);
    this.#inner = inner;
    this.#conv = conv;
  }

  override async get(namespace: string, name: string): Promise<KubeObject> {
    return this.#conv.toServed(await this.#inner.get(namespace, name));
  }

  override async list(req: ListRequest): Promise<ListResponse> {
    const res = await this.#inner.list(req);
    return { ...res, items: res.items.map((o) => this.#conv.toServed(o)) };
  }

  override async create(
    namespace: string,
    input: KubeObject,
    ctx: StrategyContext,
    opts: WriteOptions,
  ): Promise<KubeObject> {
    return this.#conv.toServed(await this.#inner.create(namespace, this.#conv.toStored(input), ctx, opts));
  }

  override async update(
    namespace: string,
    name: string,
    input: KubeObject,
    subresource: string,
    ctx: StrategyContext,
    opts: WriteOptions,
  ): Promise<KubeObject> {
    const stored = this.#conv.toStored(input);
    return this.#conv.toServed(await this.#inner.update(namespace, name, stored, subresource, ctx, opts));
  }

  override async guaranteedUpdate(
    namespace: string,
    name: string,
    subresource: string,
    ctx: StrategyContext,
    opts: WriteOptions,
    expectedRv: string | undefined,
    mutate: (current: KubeObject) => KubeObject,
  ): Promise<KubeObject> {
    const updated = await this.#inner.guaranteedUpdate(namespace, name, subresource, ctx, opts, expectedRv, (cur) =>
      this.#conv.toStored(mutate(this.#conv.toServed(cur))),
    );
    return this.#conv.toServed(updated);
  }

  override async delete(
    namespace: string,
    name: string,
    preconditions: Preconditions | undefined,
    opts: WriteOptions,
    ctx?: StrategyContext,
    options?: DeleteOptions,
  ): Promise<KubeObject> {
    return this.#conv.toServed(await this.#inner.delete(namespace, name, preconditions, opts, ctx, options));
  }

  override async deleteCollection(
    namespace: string,
    filter: ObjectFilter,
    opts: WriteOptions,
    ctx?: StrategyContext,
    options?: Omit<DeleteOptions, 'preconditions'>,
  ): Promise<KubeObject[]> {
    const items = await this.#inner.deleteCollection(namespace, filter, opts, ctx, options);
    return items.map((o) => this.#conv.toServed(o));
  }

  override decode(kv: KeyValue): KubeObject {
    return this.#conv.toServed(this.#inner.decode(kv));
  }

  override decodeDeleted(kv: KeyValue, revision: number): KubeObject {
    return this.#conv.toServed(this.#inner.decodeDeleted(kv, revision));
  }
}
