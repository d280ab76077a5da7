// A small etcd v3 client on @grpc/grpc-js: one channel per member (mutual TLS), the KV RPCs the
// store needs, and Watch streams. Measured against the etcd3 package (bench:store, a CPU profile
// of the apiserver): its per-call fault-handling wrappers cost about a tenth of the apiserver's
// CPU, and it resets a member's channels — every call and watch on them — whenever any stream
// ends in CANCELLED, which is how a watch is stopped; so the store speaks gRPC itself.
//
// Failover follows clientv3: the client sticks to one member; a call that fails UNAVAILABLE
// marks that member down for a while and is retried on the next one when that is safe — always
// for reads, and for writes only when the request never reached a server (no connection, or etcd
// said it has no leader), since a retried write that had been applied would report a spurious
// conflict.
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as loader from '@grpc/proto-loader';

export interface KeyValuePb {
  key: Buffer;
  create_revision: number;
  mod_revision: number;
  version: number;
  value: Buffer;
}

export interface ResponseHeaderPb {
  revision: number;
}

export interface RangeRequestPb {
  key: Buffer;
  range_end?: Buffer;
  limit?: number;
  revision?: number;
  count_only?: boolean;
}

export interface RangeResponsePb {
  header: ResponseHeaderPb;
  kvs: KeyValuePb[];
  more: boolean;
  count: number;
}

export interface ComparePb {
  key: Buffer;
  target: 'VERSION' | 'CREATE' | 'MOD' | 'VALUE';
  result: 'EQUAL' | 'GREATER' | 'LESS' | 'NOT_EQUAL';
  mod_revision?: number;
  create_revision?: number;
}

export interface RequestOpPb {
  request_range?: RangeRequestPb;
  request_put?: { key: Buffer; value: Buffer; prev_kv?: boolean };
  request_delete_range?: { key: Buffer; range_end?: Buffer; prev_kv?: boolean };
}

export interface TxnRequestPb {
  compare: ComparePb[];
  success: RequestOpPb[];
  failure: RequestOpPb[];
}

export interface TxnResponsePb {
  header: ResponseHeaderPb;
  succeeded: boolean;
  responses: {
    response_range?: RangeResponsePb;
    response_put?: { header: ResponseHeaderPb; prev_kv: KeyValuePb | null };
    response_delete_range?: { header: ResponseHeaderPb; deleted: number; prev_kvs: KeyValuePb[] };
  }[];
}

export interface WatchRequestPb {
  create_request?: {
    key: Buffer;
    range_end?: Buffer;
    start_revision?: number;
    progress_notify?: boolean;
    prev_kv?: boolean;
  };
  cancel_request?: { watch_id: number };
  progress_request?: Record<string, never>;
}

export interface EventPb {
  type: 'PUT' | 'DELETE';
  kv: KeyValuePb;
  prev_kv: KeyValuePb | null;
}

export interface WatchResponsePb {
  header: ResponseHeaderPb;
  watch_id: number;
  created: boolean;
  canceled: boolean;
  compact_revision: number;
  cancel_reason: string;
  events: EventPb[];
}

export type WatchCall = grpc.ClientDuplexStream<WatchRequestPb, WatchResponsePb>;

export interface EtcdClientOptions {
  readonly servers: readonly string[];
  readonly caPem?: string;
  readonly certPem?: string;
  readonly keyPem?: string;
  /** Deadline of each unary call. */
  readonly requestTimeoutMs: number;
}

type Unary<Req, Res> = (
  req: Req,
  metadata: grpc.Metadata,
  options: grpc.CallOptions,
  cb: (err: grpc.ServiceError | null, res: Res) => void,
) => grpc.ClientUnaryCall;

interface KVService extends grpc.Client {
  Range: Unary<RangeRequestPb, RangeResponsePb>;
  Txn: Unary<TxnRequestPb, TxnResponsePb>;
  Compact: Unary<{ revision: number; physical: boolean }, { header: ResponseHeaderPb }>;
}

interface WatchService extends grpc.Client {
  Watch(options?: grpc.CallOptions): WatchCall;
}

interface Member {
  readonly url: string;
  readonly channel: grpc.Channel;
  readonly kv: KVService;
  readonly watch: WatchService;
  downUntil: number;
  downFor: number;
}

const PROTO = fileURLToPath(new URL('./rpc.proto', import.meta.url));
let services: { KV: grpc.ServiceClientConstructor; Watch: grpc.ServiceClientConstructor } | undefined;

function loadServices() {
  if (!services) {
    const def = loader.loadSync(PROTO, { keepCase: true, longs: Number, enums: String, defaults: true, oneofs: true });
    const pkg = grpc.loadPackageDefinition(def).etcdserverpb as grpc.GrpcObject;
    services = {
      KV: pkg.KV as grpc.ServiceClientConstructor,
      Watch: pkg.Watch as grpc.ServiceClientConstructor,
    };
  }
  return services;
}

const DOWN_MIN_MS = 500;
const DOWN_MAX_MS = 8_000;

/** The request never reached an etcd server that could have applied it. */
function unsent(e: grpc.ServiceError): boolean {
  return /No connection established|ECONNREFUSED|etcdserver: no leader|not capable/.test(e.details ?? e.message);
}

export class EtcdClient {
  private readonly members: Member[];
  private current = 0;
  private closed = false;

  constructor(private readonly opts: EtcdClientOptions) {
    const { KV, Watch } = loadServices();
    const channelOptions: grpc.ChannelOptions = {
      // Objects are up to 1.5 MiB in etcd; lists of them are larger.
      'grpc.max_receive_message_length': 256 * 1024 * 1024,
      'grpc.keepalive_time_ms': 30_000,
      'grpc.keepalive_timeout_ms': 10_000,
      // Per-call bookkeeping the store does not use: channelz tracing, and client-side retries
      // (which copy every message into a retry buffer; the store retries on its own terms).
      'grpc.enable_channelz': 0,
      'grpc.enable_retries': 0,
    };
    this.members = opts.servers.map((url) => {
      const u = new URL(url);
      const creds =
        u.protocol === 'http:'
          ? grpc.credentials.createInsecure()
          : grpc.credentials.createSsl(
              opts.caPem ? Buffer.from(opts.caPem) : null,
              opts.keyPem ? Buffer.from(opts.keyPem) : null,
              opts.certPem ? Buffer.from(opts.certPem) : null,
            );
      const channel = new grpc.Channel(u.host, creds, channelOptions);
      return {
        url,
        channel,
        kv: new KV(u.host, creds, { channelOverride: channel }) as unknown as KVService,
        watch: new Watch(u.host, creds, { channelOverride: channel }) as unknown as WatchService,
        downUntil: 0,
        downFor: 0,
      };
    });
  }

  range(req: RangeRequestPb, timeoutMs?: number): Promise<RangeResponsePb> {
    return this.unary((m) => m.kv.Range.bind(m.kv), req, 'always', timeoutMs);
  }

  txn(req: TxnRequestPb): Promise<TxnResponsePb> {
    const mutates = req.success.some((o) => !o.request_range) || req.failure.some((o) => !o.request_range);
    return this.unary((m) => m.kv.Txn.bind(m.kv), req, mutates ? 'unsent' : 'always');
  }

  compact(revision: number): Promise<{ header: ResponseHeaderPb }> {
    // Compacting again to the same revision is harmless, so a retry is safe.
    return this.unary((m) => m.kv.Compact.bind(m.kv), { revision, physical: true }, 'always');
  }

  /** A new Watch stream on the member in use. */
  watch(): WatchCall {
    return this.pick().watch.Watch();
  }

  /** Called by a watcher whose stream broke with UNAVAILABLE: the next one goes elsewhere. */
  streamFailed(e: grpc.ServiceError): void {
    if (e.code === grpc.status.UNAVAILABLE) this.markDown(this.members[this.current]!);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const m of this.members) {
      m.kv.close();
      m.watch.close();
      m.channel.close();
    }
  }

  private pick(): Member {
    const now = Date.now();
    for (let i = 0; i < this.members.length; i++) {
      const idx = (this.current + i) % this.members.length;
      if (this.members[idx]!.downUntil <= now) {
        this.current = idx;
        return this.members[idx]!;
      }
    }
    // All marked down: try the one that comes back first.
    let best = 0;
    for (let i = 1; i < this.members.length; i++) {
      if (this.members[i]!.downUntil < this.members[best]!.downUntil) best = i;
    }
    this.current = best;
    return this.members[best]!;
  }

  private markDown(m: Member): void {
    m.downFor = Math.min(Math.max(m.downFor * 2, DOWN_MIN_MS), DOWN_MAX_MS);
    m.downUntil = Date.now() + m.downFor;
  }

  private async unary<Req, Res>(
    method: (m: Member) => Unary<Req, Res>,
    req: Req,
    retry: 'always' | 'unsent',
    timeoutMs = this.opts.requestTimeoutMs,
  ): Promise<Res> {
    const deadline = Date.now() + timeoutMs;
    let last: grpc.ServiceError | undefined;
    for (let attempt = 0; attempt <= this.members.length; attempt++) {
      const m = this.pick();
      try {
        const res = await new Promise<Res>((resolve, reject) => {
          method(m)(req, new grpc.Metadata(), { deadline }, (err, r) => (err ? reject(err) : resolve(r)));
        });
        m.downFor = 0;
        return res;
      } catch (e) {
        const err = e as grpc.ServiceError;
        if (err.code !== grpc.status.UNAVAILABLE || this.closed) throw err;
        this.markDown(m);
        last = err;
        if ((retry === 'unsent' && !unsent(err)) || Date.now() >= deadline || this.members.length === 1) throw err;
      }
    }
    throw last;
  }
}
