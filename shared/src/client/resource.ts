// Resource-addressed verbs on top of KubeClient, as client-go's dynamic ResourceInterface offers:
// get, list, create, update, updateSubresource, patch, delete, watch.
import type { KubeClient } from './client.js';
import { ClientError } from './errors.js';
import { resourcePath } from './paths.js';
import type {
  CreateOptions,
  DeleteOptions,
  KubeList,
  KubeObject,
  ListOptions,
  PatchType,
  Query,
  ResourceRef,
  WatchOptions,
} from './types.js';
import type { Watch } from './watch.js';

export interface SignalOption {
  readonly signal?: AbortSignal;
}

function listQuery(o: ListOptions | WatchOptions): Query {
  return {
    labelSelector: o.labelSelector || undefined,
    fieldSelector: o.fieldSelector || undefined,
    resourceVersion: o.resourceVersion,
  };
}

export class ResourceClient<T extends KubeObject = KubeObject> {
  constructor(
    readonly client: KubeClient,
    readonly ref: ResourceRef,
  ) {}

  /** A copy addressed to another namespace. */
  namespace(ns: string): ResourceClient<T> {
    return new ResourceClient<T>(this.client, { ...this.ref, namespace: ns });
  }

  /** The collection, object or subresource path; an object's own namespace wins when the ref has none. */
  path(name?: string, subresource?: string, obj?: KubeObject): string {
    const ns = this.ref.namespace || obj?.metadata?.namespace;
    return resourcePath(ns ? { ...this.ref, namespace: ns } : this.ref, name, subresource);
  }

  get(name: string, opts: SignalOption = {}): Promise<T> {
    return this.client.request<T>('GET', this.path(name), { signal: opts.signal });
  }

  list(opts: ListOptions = {}): Promise<KubeList<T>> {
    return this.client.request<KubeList<T>>('GET', this.path(), {
      query: {
        ...listQuery(opts),
        limit: opts.limit,
        continue: opts.continue || undefined,
        resourceVersionMatch: opts.resourceVersionMatch,
      },
      signal: opts.signal,
    });
  }

  create(obj: T, opts: CreateOptions = {}): Promise<T> {
    return this.client.request<T>('POST', this.path(undefined, undefined, obj), {
      body: obj,
      query: { dryRun: opts.dryRun ? 'All' : undefined, fieldManager: opts.fieldManager },
      signal: opts.signal,
    });
  }

  update(obj: T, opts: SignalOption = {}): Promise<T> {
    return this.client.request<T>('PUT', this.path(nameOf(obj), undefined, obj), { body: obj, signal: opts.signal });
  }

  /** PUT to a subresource (`status`, `approval`). */
  updateSubresource<B = T, R = T>(name: string, subresource: string, obj: B, opts: SignalOption = {}): Promise<R> {
    return this.client.request<R>('PUT', this.path(name, subresource, obj as KubeObject), {
      body: obj,
      signal: opts.signal,
    });
  }

  /** POST to a subresource (`serviceaccounts/<name>/token` takes a TokenRequest). */
  createSubresource<B, R = B>(name: string, subresource: string, obj: B, opts: SignalOption = {}): Promise<R> {
    return this.client.request<R>('POST', this.path(name, subresource), { body: obj, signal: opts.signal });
  }

  patch(
    name: string,
    type: PatchType,
    body: unknown,
    opts: SignalOption & { subresource?: string; fieldManager?: string; force?: boolean } = {},
  ): Promise<T> {
    return this.client.request<T>('PATCH', this.path(name, opts.subresource), {
      body,
      contentType: type,
      query: { fieldManager: opts.fieldManager, force: opts.force },
      signal: opts.signal,
    });
  }

  /** Returns what the server answers: the deleted object (or one with a deletionTimestamp), or a Status. */
  delete(name: string, opts: DeleteOptions = {}): Promise<T | { kind: 'Status' }> {
    return this.client.request('DELETE', this.path(name), { body: deleteOptionsBody(opts), signal: opts.signal });
  }

  /** DELETE of the collection (deletecollection): each object in it deleted as `delete` would. */
  deleteCollection(opts: Omit<DeleteOptions, 'preconditions'> = {}): Promise<KubeList<T>> {
    return this.client.request('DELETE', this.path(), { body: deleteOptionsBody(opts), signal: opts.signal });
  }

  watch(opts: WatchOptions = {}): Promise<Watch<T>> {
    return this.client.watch<T>(this.path(), {
      query: {
        ...listQuery(opts),
        allowWatchBookmarks: opts.allowWatchBookmarks ?? true,
        timeoutSeconds: opts.timeoutSeconds,
      },
      signal: opts.signal,
    });
  }
}

function nameOf(obj: KubeObject): string {
  const name = obj.metadata?.name;
  if (!name) throw new ClientError('EINVAL', 'resource name may not be empty');
  return name;
}

function deleteOptionsBody(opts: DeleteOptions): Record<string, unknown> {
  const body: Record<string, unknown> = { kind: 'DeleteOptions', apiVersion: 'v1' };
  if (opts.preconditions) body.preconditions = opts.preconditions;
  if (opts.propagationPolicy) body.propagationPolicy = opts.propagationPolicy;
  if (opts.gracePeriodSeconds !== undefined) body.gracePeriodSeconds = opts.gracePeriodSeconds;
  if (opts.dryRun) body.dryRun = ['All'];
  return body;
}
