// Watch: newline-delimited `{"type","object"}` events over a chunked response, from a revision the
// store still keeps. A selector change turns into ADDED/DELETED as the object enters or leaves the
// selection, as the apiserver's cacher does. A slow reader applies backpressure to its own watch
// only; when its queue overflows the store ends that watch and the client re-watches.
import type { KubeObject } from '@mkube/shared/api';
import { newBadRequest, type StatusError, toStatusError } from '@mkube/shared/apierrors';
import type { Logger } from '@mkube/shared/log';
import { jsonOf } from '../registry/codec.js';
import { matchesFilter, type ObjectFilter } from '../registry/filter.js';
import type { GenericRegistry } from '../registry/generic.js';
import { listPrefix, objectKey } from '../registry/keys.js';
import { storeErrorToStatus } from '../registry/storeerrors.js';
import type { StoreWatchEvent } from '../storage/index.js';

export interface WatchSink {
  /** Writes one event; resolves when the client has taken it (backpressure). */
  send(line: string): void | Promise<void>;
  end(): void;
  readonly closed: AbortSignal;
}

export interface WatchRequest {
  readonly registry: GenericRegistry;
  readonly namespace: string;
  readonly filter: ObjectFilter;
  /** '' or '0': send the current state as ADDED first; otherwise events after this revision. */
  readonly resourceVersion: string;
  readonly allowBookmarks: boolean;
  readonly timeoutMs: number;
  readonly shutdown: AbortSignal;
  readonly log: Logger;
  readonly bookmarkIntervalMs?: number;
  /** How an object goes on the wire (a Table row for kubectl); the object itself by default. */
  readonly encode?: (obj: KubeObject) => unknown;
  /** Told once the initial events are sent and the store watch is in place (APF gives the seat back). */
  readonly onInitialized?: () => void;
}

// The object's JSON is computed once and shared by every watcher of the same event.
const rawLine = (type: string, object: unknown): string =>
  `{"type":"${type}","object":${object !== null && typeof object === 'object' ? jsonOf(object) : JSON.stringify(object)}}\n`;

/** Validates the start point before any byte is sent, so a bad one is a plain HTTP error. */
export async function startRevision(req: WatchRequest): Promise<{ since: number; initial: KubeObject[] }> {
  const rv = req.resourceVersion;
  if (rv === '' || rv === '0') {
    const { items, revision } = await req.registry.list({ namespace: req.namespace, filter: req.filter });
    return { since: revision, initial: items };
  }
  if (!/^\d+$/.test(rv)) throw newBadRequest(`invalid resource version: ${JSON.stringify(rv)}`);
  return { since: Number(rv), initial: [] };
}

/** Runs a watch until the client goes, the timeout passes, the server shuts down or the store ends it. */
export async function serveWatch(
  req: WatchRequest,
  sink: WatchSink,
  since: number,
  initial: KubeObject[],
): Promise<void> {
  const { registry, filter } = req;
  const def = registry.def;
  const apiVersion = def.group ? `${def.group}/${def.version}` : def.version;
  const encode = req.encode;
  const line = (type: string, object: KubeObject): string => rawLine(type, encode ? encode(object) : object);
  for (const obj of initial) await sink.send(line('ADDED', obj));

  await new Promise<void>((resolve) => {
    let done = false;
    let lastRevision = since;
    const finish = (err?: StatusError) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      watch.stop();
      req.shutdown.removeEventListener('abort', onAbort);
      sink.closed.removeEventListener('abort', onAbort);
      if (err && !sink.closed.aborted) {
        try {
          void sink.send(rawLine('ERROR', err.toStatus()));
        } catch {
          // the client is gone; nothing to tell it
        }
      }
      sink.end();
      resolve();
    };
    const onAbort = () => finish();
    const timer = req.timeoutMs > 0 ? setTimeout(() => finish(), req.timeoutMs) : undefined;
    timer?.unref();

    const onEvent = (e: StoreWatchEvent): void | Promise<void> => {
      if (done) return;
      if (e.type === 'progress') {
        lastRevision = e.revision;
        if (!req.allowBookmarks) return;
        return sink.send(
          line('BOOKMARK', { kind: def.kind, apiVersion, metadata: { resourceVersion: String(e.revision) } }),
        );
      }
      lastRevision = e.revision;
      const out = translate(e);
      if (out) return sink.send(out);
    };

    const translate = (e: Exclude<StoreWatchEvent, { type: 'progress' }>): string | undefined => {
      if (e.type === 'delete') {
        if (!e.prevKv) return undefined;
        const obj = registry.decodeDeleted(e.prevKv, e.revision);
        return selects(obj) ? line('DELETED', obj) : undefined;
      }
      const obj = registry.decode(e.kv);
      const now = selects(obj);
      if (e.isCreate) return now ? line('ADDED', obj) : undefined;
      // Whether the previous state was selected decides MODIFIED against ADDED/DELETED. When the key
      // alone decides (no selector, or only this object's name), it was, and the previous value —
      // which the write's own object has displaced from the decoded cache — is not parsed again.
      const before =
        e.prevKv && !keyDecides ? matchesFilter(filter, registry.decode(e.prevKv), registry.strategy) : true;
      if (now && before) return line('MODIFIED', obj);
      if (now) return line('ADDED', obj);
      if (before) return line('DELETED', obj);
      return undefined;
    };

    // A watch on one named object (fieldSelector=metadata.name=…, how a kubelet waits for its CSR)
    // listens on that object's key alone; the filter below still decides what is sent.
    const byName = req.filter.fields.requirements.find((r) => r.field === 'metadata.name' && r.operator === '=');
    const single =
      byName && (!def.namespaced || req.namespace) ? objectKey(def, req.namespace, byName.value) : undefined;
    // Every object this watch can see is selected: no selector, or a name selector on that name's key.
    const keyDecides =
      filter.isEmpty || (single !== undefined && filter.labels.empty() && filter.fields.requirements.length === 1);
    const selects = (obj: KubeObject): boolean => keyDecides || matchesFilter(filter, obj, registry.strategy);
    const watch = registry.storage.watch(single ?? listPrefix(def, req.namespace), {
      ...(single ? { exactKey: true } : {}),
      sinceRevision: since,
      onEvent,
      onError: (err) => {
        req.log.debug({ err, resource: def.resource, lastRevision }, 'watch ended by the store');
        finish(storeErrorToStatus(err, registry.gr, ''));
      },
      progressNotifyMs: req.allowBookmarks ? (req.bookmarkIntervalMs ?? 30_000) : undefined,
    });
    req.onInitialized?.();
    if (req.shutdown.aborted || sink.closed.aborted) finish();
    req.shutdown.addEventListener('abort', onAbort, { once: true });
    sink.closed.addEventListener('abort', onAbort, { once: true });
  }).catch((e) => {
    req.log.warn({ err: toStatusError(e) }, 'watch failed');
  });
}
