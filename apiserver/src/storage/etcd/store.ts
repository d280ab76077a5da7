// The Store on etcd v3, as kube-apiserver's etcd3 storage: a key's modRevision is the object's
// resourceVersion, creates/updates/deletes are transactions comparing the key's revisions (the
// same optimistic concurrency as the SQLite store), lists read at a revision with limit and
// continue, and watches are etcd watches with prevKv, each on its own stream (so a progress request
// concerns that watch alone). The gRPC client is ./client.ts (why not the etcd3 package: there).
import {
  StoreClosedError,
  StoreCompactedError,
  StoreConflictError,
  StoreFutureRevisionError,
  StoreKeyExistsError,
  StoreNotFoundError,
} from '../errors.js';
import { assertKey, assertRevision } from '../keys.js';
import type {
  DeleteOptions,
  DeleteResult,
  GetResult,
  KeyValue,
  ListOptions,
  ListResult,
  Store,
  StoreWatch,
  UpdateOptions,
  WatchOptions,
} from '../store.js';
import { type ComparePb, EtcdClient, type KeyValuePb, type RangeRequestPb, type ResponseHeaderPb } from './client.js';
import { EtcdKeys } from './keys.js';
import { EtcdWatcher } from './watcher.js';

export interface EtcdStoreOptions {
  readonly servers: readonly string[];
  readonly caPem?: string;
  readonly certPem?: string;
  readonly keyPem?: string;
  /** etcd-side prefix of every key (--etcd-prefix); '' for none. */
  readonly keyPrefix: string;
  /** Store-side root that keyPrefix replaces (the apiserver's '/registry'); default ''. */
  readonly registryRoot?: string;
  /** Per-request deadline (default 15 s). */
  readonly requestTimeoutMs?: number;
  /** How long open() waits for a member to answer (default 20 s). */
  readonly dialTimeoutMs?: number;
  /** Queued events per watcher before it is ended as too slow (default 1024, as the SQLite store). */
  readonly maxQueuedEvents?: number;
}

const COMPACTED = /required revision has been compacted/;
const FUTURE = /required revision is a future revision/;

/** A clear start-up error: no member answered, with the reason (TLS, refused, timeout). */
export class EtcdUnavailableError extends Error {
  override readonly name = 'EtcdUnavailableError';
}

export async function openEtcdStore(opts: EtcdStoreOptions): Promise<EtcdStore> {
  const store = new EtcdStore(opts);
  try {
    await store.ping(opts.dialTimeoutMs ?? 20_000);
  } catch (e) {
    await store.close();
    throw e;
  }
  return store;
}

export class EtcdStore implements Store {
  readonly client: EtcdClient;
  readonly keys: EtcdKeys;
  private readonly watchers = new Set<EtcdWatcher>();
  private closed = false;
  private readonly requestTimeoutMs: number;
  private readonly maxQueued: number;

  constructor(private readonly opts: EtcdStoreOptions) {
    this.keys = new EtcdKeys(opts.keyPrefix, opts.registryRoot ?? '');
    this.requestTimeoutMs = opts.requestTimeoutMs ?? 15_000;
    this.maxQueued = opts.maxQueuedEvents ?? 1024;
    this.client = new EtcdClient({
      servers: opts.servers,
      caPem: opts.caPem,
      certPem: opts.certPem,
      keyPem: opts.keyPem,
      requestTimeoutMs: this.requestTimeoutMs,
    });
  }

  /** One read against the cluster, failing with the transport's reason (a wrong CA or client cert). */
  async ping(timeoutMs: number): Promise<void> {
    try {
      await this.client.range({ key: this.keys.toEtcd(`${this.keys.root}/health`) }, timeoutMs);
    } catch (e) {
      throw new EtcdUnavailableError(`cannot reach etcd at ${this.opts.servers.join(',')}: ${describeGrpcError(e)}`);
    }
  }

  async get(key: string): Promise<GetResult> {
    this.assertOpen();
    assertKey(key);
    const r = await this.client.range({ key: this.keys.toEtcd(key) });
    const kv = r.kvs[0];
    return { kv: kv ? this.kv(kv) : null, revision: rev(r.header) };
  }

  async list(prefix: string, opts: ListOptions = {}): Promise<ListResult> {
    this.assertOpen();
    const { key, rangeEnd } = this.keys.range(prefix, opts.startKey);
    const req: RangeRequestPb = { key, range_end: rangeEnd };
    if (opts.limit !== undefined) {
      if (!Number.isSafeInteger(opts.limit) || opts.limit <= 0) throw new TypeError('limit must be a positive integer');
      req.limit = opts.limit;
    }
    if (opts.revision !== undefined && opts.revision > 0) {
      assertRevision('revision', opts.revision);
      req.revision = opts.revision;
    }
    try {
      const r = await this.client.range(req);
      return {
        kvs: r.kvs.map((kv) => this.kv(kv)),
        revision: opts.revision && opts.revision > 0 ? opts.revision : rev(r.header),
        more: r.more,
        count: Number(r.count),
      };
    } catch (e) {
      throw await this.revisionError(e, opts.revision ?? 0);
    }
  }

  async create(key: string, value: Uint8Array): Promise<KeyValue> {
    this.assertOpen();
    assertKey(key);
    const k = this.keys.toEtcd(key);
    const v = Buffer.from(value);
    const r = await this.client.txn({
      compare: [{ key: k, target: 'MOD', result: 'EQUAL', mod_revision: 0 }],
      success: [{ request_put: { key: k, value: v } }],
      failure: [],
    });
    if (!r.succeeded) throw new StoreKeyExistsError(key);
    const revision = rev(r.header);
    return { key, value: v, createRevision: revision, modRevision: revision };
  }

  async update(key: string, value: Uint8Array, opts: UpdateOptions = {}): Promise<KeyValue> {
    this.assertOpen();
    assertKey(key);
    const k = this.keys.toEtcd(key);
    const v = Buffer.from(value);
    const expected = opts.expectedModRevision;
    const r = await this.client.txn({
      compare: [precondition(k, expected)],
      success: [{ request_put: { key: k, value: v, prev_kv: true } }],
      failure: [{ request_range: { key: k } }],
    });
    if (!r.succeeded) throw this.preconditionFailed(key, expected, r.responses[0]?.response_range?.kvs[0]);
    const prev = r.responses[0]?.response_put?.prev_kv;
    const revision = rev(r.header);
    return { key, value: v, createRevision: prev ? Number(prev.create_revision) : revision, modRevision: revision };
  }

  async delete(key: string, opts: DeleteOptions = {}): Promise<DeleteResult> {
    this.assertOpen();
    assertKey(key);
    const k = this.keys.toEtcd(key);
    const expected = opts.expectedModRevision;
    const r = await this.client.txn({
      compare: [precondition(k, expected)],
      success: [{ request_delete_range: { key: k, prev_kv: true } }],
      failure: [{ request_range: { key: k } }],
    });
    if (!r.succeeded) throw this.preconditionFailed(key, expected, r.responses[0]?.response_range?.kvs[0]);
    const prev = r.responses[0]?.response_delete_range?.prev_kvs?.[0];
    // Another writer deleted it between compare and delete: impossible inside one txn.
    if (!prev) throw new StoreNotFoundError(key);
    return { prevKv: this.kv(prev), revision: rev(r.header) };
  }

  watch(prefix: string, opts: WatchOptions): StoreWatch {
    const w = new EtcdWatcher(this, prefix, opts, opts.maxQueuedEvents ?? this.maxQueued, (x) =>
      this.watchers.delete(x),
    );
    if (this.closed) {
      queueMicrotask(() => w.fail(new StoreClosedError()));
      return w;
    }
    this.watchers.add(w);
    w.start();
    return w;
  }

  async currentRevision(): Promise<number> {
    this.assertOpen();
    const r = await this.client.range({ key: this.keys.toEtcd(`${this.keys.root}/health`), count_only: true });
    return rev(r.header);
  }

  async compact(revision: number): Promise<void> {
    this.assertOpen();
    assertRevision('revision', revision);
    const current = await this.currentRevision();
    if (revision > current) throw new StoreFutureRevisionError(revision, current);
    try {
      await this.client.compact(revision);
    } catch (e) {
      // Already compacted at or beyond it: nothing to do (the Store contract's no-op).
      if (COMPACTED.test(String((e as Error).message))) return;
      throw e;
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const w of [...this.watchers]) w.fail(new StoreClosedError());
    this.watchers.clear();
    this.client.close();
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /**
   * The compacted revision, read from a watch etcd refuses (its only cheap public source). Only
   * called once etcd said a revision was compacted, so the refusal comes (after `created`, from
   * etcd's watcher sync loop).
   */
  async compactedRevision(): Promise<number> {
    const stream = this.client.watch();
    try {
      return await new Promise<number>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no answer from etcd')), this.requestTimeoutMs);
        stream.on('data', (r) => {
          if (r.canceled) {
            clearTimeout(timer);
            resolve(Number(r.compact_revision));
          }
        });
        stream.on('error', (e) => {
          clearTimeout(timer);
          reject(e);
        });
        stream.write({ create_request: { key: Buffer.from([0]), start_revision: 1 } });
      });
    } finally {
      stream.end();
      stream.cancel();
    }
  }

  kv(kv: KeyValuePb): KeyValue {
    return {
      key: this.keys.fromEtcd(kv.key),
      value: kv.value,
      createRevision: Number(kv.create_revision),
      modRevision: Number(kv.mod_revision),
    };
  }

  private preconditionFailed(key: string, expected: number | undefined, current: KeyValuePb | undefined): Error {
    if (!current) return new StoreNotFoundError(key);
    return new StoreConflictError(key, expected ?? 0, this.kv(current));
  }

  /** etcd's revision errors as the store's typed ones. */
  async revisionError(e: unknown, requested: number): Promise<unknown> {
    const msg = String((e as Error)?.message ?? e);
    if (COMPACTED.test(msg)) return new StoreCompactedError(requested, await this.compactedRevision());
    if (FUTURE.test(msg)) return new StoreFutureRevisionError(requested, await this.currentRevision());
    return e;
  }

  private assertOpen(): void {
    if (this.closed) throw new StoreClosedError();
  }
}

/** The key exists (no expected revision) or was last written at `expected` (kube's etcd3 store). */
function precondition(key: Buffer, expected: number | undefined): ComparePb {
  return expected === undefined
    ? { key, target: 'MOD', result: 'GREATER', mod_revision: 0 }
    : { key, target: 'MOD', result: 'EQUAL', mod_revision: expected };
}

function rev(h: ResponseHeaderPb): number {
  return Number(h.revision);
}

/**
 * The reason a gRPC call failed, in words that name the cause: Node's HTTP/2 client wraps the TLS
 * or socket error in "The pending stream has been canceled (caused by: …)".
 */
export function describeGrpcError(e: unknown): string {
  const raw = String((e as Error)?.message ?? e);
  const last = raw;
  const msg = last
    .replace(/^\d+ [A-Z_]+: /, '')
    .replace(/^The pending stream has been canceled \(caused by: ([\s\S]*)\)$/, '$1')
    .trim();
  if (/unable to verify|self[- ]signed|unable to get (local )?issuer|certificate signature failure/i.test(msg)) {
    return `x509: certificate signed by unknown authority: the server's certificate does not verify against --etcd-cafile (${msg})`;
  }
  if (/alert bad certificate|alert certificate required|alert unknown ca|SSL alert number (42|116|48)/i.test(msg)) {
    return 'remote error: tls: bad certificate: etcd refused the client certificate (--etcd-certfile/--etcd-keyfile must be issued by the CA etcd trusts)';
  }
  if (/ECONNREFUSED/.test(msg)) return `connection refused (${msg})`;
  return msg;
}
