// The REST endpoint of every resource: dispatches a parsed request to the verb handlers and writes
// the answer — JSON, a Table for kubectl, or a watch stream.
import type { Eviction, KubeObject, List, TokenRequest } from '@mkube/shared/api';
import {
  newBadRequest,
  newMethodNotSupported,
  newNotFound,
  type Status,
  type StatusError,
  toStatusError,
} from '@mkube/shared/apierrors';
import type { UserInfo } from '@mkube/shared/auth';
import type { Logger } from '@mkube/shared/log';
import { admitNamespaceDelete, admitNamespacedCreate } from '../admission/namespacelifecycle.js';
import { watchInitialized } from '../flowcontrol/initialization.js';
import { toTable, wantsTable } from '../printers/index.js';
import type { ScaleREST } from '../registry/apps/scale.js';
import type { ResourceDef } from '../registry/catalog.js';
import { jsonOf } from '../registry/codec.js';
import type { BindRequest } from '../registry/core/binding.js';
import type { ComponentStatuses } from '../registry/core/componentstatus.js';
import { matchesFilter, parseFilter } from '../registry/filter.js';
import { Registries } from '../registry/index.js';
import type { RequestInfo } from '../request/requestinfo.js';
import type { ReviewHandler } from '../review/index.js';
import type { ResourceRequestContext } from '../server/context.js';
import { appendWarnings, warningHeaderValue } from '../server/warnings.js';
import type { Store } from '../storage/index.js';
import { decodeBinding, isBindingRequest } from './binding.js';
import { decodeObjectBody } from './body.js';
import {
  createObject,
  deleteCollection,
  deleteObject,
  getObject,
  listObjects,
  patchObject,
  updateObject,
  type VerbRequest,
} from './handlers.js';
import { deleteNamespaceContents } from './namespaces.js';
import { boolParam, intParam } from './options.js';
import { serveScale } from './scale.js';
import { serveWatch, startRevision, type WatchSink } from './watch.js';

export interface ResourceHandlerDeps {
  readonly store: Store;
  readonly log: Logger;
  /** --min-request-timeout: watches without their own timeoutSeconds last 1 to 2 times this. */
  readonly minRequestTimeoutMs?: number;
  /** Authorizes a second verb within one request (an apply that creates also needs `create`). */
  readonly authorize?: (info: RequestInfo, user: UserInfo) => Promise<StatusError | undefined>;
  /** The create-only review APIs (TokenReview, SubjectAccessReview, …). */
  readonly review?: ReviewHandler;
  /** POST serviceaccounts/<name>/token; absent without --service-account-signing-key-file. */
  readonly tokenRequest?: (
    namespace: string,
    name: string,
    req: TokenRequest,
    user: UserInfo,
    scope: { addWarning(text: string): void; addAuditAnnotation(key: string, value: string): void },
  ) => Promise<TokenRequest>;
  /** POST pods/<name>/eviction (policy/v1 Eviction); absent: not served. */
  readonly evict?: (
    namespace: string,
    name: string,
    eviction: Eviction,
    user: UserInfo,
    dryRun: boolean,
  ) => Promise<Status>;
  /** POST pods/<name>/binding and the legacy bindings (core/v1 Binding); absent: not served. */
  readonly bind?: (req: BindRequest) => Promise<Status>;
  /** The /scale subresource of a group/resource (Deployments, ReplicaSets, StatefulSets); absent: not served. */
  readonly scale?: (group: string, resource: string) => ScaleREST | undefined;
  /** v1 ComponentStatus, probed on each read; absent: not served. */
  readonly componentStatuses?: ComponentStatuses;
  /** Built from `store` when not given. */
  readonly registries?: Registries;
  readonly now?: () => Date;
}

/** --min-request-timeout's default, 1800 s. */
export const DEFAULT_MIN_REQUEST_TIMEOUT_MS = 30 * 60_000;

/**
 * A watch's lifetime, as upstream's ListResource picks it: its own `timeoutSeconds` when positive,
 * else a random time between --min-request-timeout and twice that (so a restarted apiserver's
 * watches do not all come back at once); 0 when both are 0 (no timeout).
 */
export function watchTimeoutMs(
  timeoutSeconds: number | undefined,
  minRequestTimeoutMs = DEFAULT_MIN_REQUEST_TIMEOUT_MS,
  random = Math.random,
): number {
  if (timeoutSeconds !== undefined && timeoutSeconds > 0) return timeoutSeconds * 1000;
  return minRequestTimeoutMs > 0 ? Math.round(minRequestTimeoutMs * (random() + 1)) : 0;
}

export function createResourceHandler(deps: ResourceHandlerDeps): (c: ResourceRequestContext) => Promise<void> {
  const now = deps.now ?? (() => new Date());
  const registries = deps.registries ?? new Registries(deps.store);
  const authorize = deps.authorize;
  return async (c) => {
    const { info, reply } = c;
    const query = new URLSearchParams(c.request.url.split('?')[1] ?? '');
    if (c.def.deprecationWarning) addWarnings(c, [`299 - ${JSON.stringify(c.def.deprecationWarning)}`]);
    try {
      if (c.def.group === '' && c.def.resource === 'serviceaccounts' && info.subresource === 'token') {
        if (!deps.tokenRequest || info.verb !== 'create')
          throw newNotFound({ group: '', resource: 'serviceaccounts/token' }, info.name);
        const req = decodeObjectBody(
          c.body,
          c.request.headers['content-type'],
          c.def,
          'TokenRequest',
          'authentication.k8s.io/v1',
        );
        const { addWarning, addAuditAnnotation } = requestScope(c, query);
        return send(
          c,
          201,
          await deps.tokenRequest(info.namespace, info.name, req as TokenRequest, c.user, {
            addWarning,
            addAuditAnnotation,
          }),
        );
      }
      if (c.def.group === '' && c.def.resource === 'pods' && info.subresource === 'eviction') {
        if (!deps.evict || info.verb !== 'create')
          throw newNotFound({ group: '', resource: 'pods/eviction' }, info.name);
        const eviction = decodeObjectBody(c.body, c.request.headers['content-type'], c.def, 'Eviction', 'policy/v1');
        const dryRun = query.getAll('dryRun').includes('All');
        const status = await deps.evict(info.namespace, info.name, eviction as Eviction, c.user, dryRun);
        // A Status the eviction returns carries its own code (500 for a pod under two budgets).
        return send(c, status.code ?? 201, status);
      }
      if (isBindingRequest(c.def, info)) {
        if (!deps.bind || info.verb !== 'create')
          throw newNotFound({ group: '', resource: info.subresource ? 'pods/binding' : 'bindings' }, info.name);
        const { binding, dryRun, warnings } = decodeBinding(c.body, c.request.headers['content-type'], c.def, query);
        await admitNamespacedCreate(registries.namespaces, info.namespace, registries.namespaceLister);
        const { addWarning, addAuditAnnotation } = requestScope(c, query);
        const req = { namespace: info.namespace, binding, user: c.user, dryRun, addWarning, addAuditAnnotation };
        const status = await deps.bind(info.subresource ? { ...req, urlName: info.name } : req);
        return send(c, 201, status, warnings);
      }
      const scale = info.subresource === 'scale' ? deps.scale?.(c.def.group, c.def.resource) : undefined;
      if (scale) {
        const ctx = { user: c.user, now: now(), userAgent: c.request.headers['user-agent'], ...requestScope(c, query) };
        const contentType = c.request.headers['content-type'];
        const { verb, namespace, name } = info;
        const res = await serveScale({
          scale,
          def: c.def,
          verb,
          namespace,
          name,
          query,
          body: c.body,
          contentType,
          ctx,
        });
        return send(c, res.code, res.object, res.warnings);
      }
      if (c.def.group === '' && c.def.resource === 'componentstatuses' && deps.componentStatuses)
        return await serveComponentStatuses(c, deps.componentStatuses, query, now());
      const registry = registries.served(c.def);
      if (!registry) {
        if (deps.review && info.verb === 'create' && !info.subresource) {
          const body = decodeObjectBody(c.body, c.request.headers['content-type'], c.def);
          return send(c, 201, await deps.review(c.def.resource, body, c.user, info.namespace));
        }
        throw newNotFound({ group: c.def.group, resource: c.def.resource }, info.name);
      }
      const r: VerbRequest = {
        registry,
        namespace: info.namespace,
        name: info.name,
        subresource: info.subresource,
        query,
        body: c.body,
        contentType: c.request.headers['content-type'],
        ctx: { user: c.user, now: now(), userAgent: c.request.headers['user-agent'], ...requestScope(c, query) },
        ...(authorize
          ? {
              authorizeCreate: async () => {
                const denied = await authorize({ ...info, verb: 'create' }, c.user);
                if (denied) throw denied;
              },
            }
          : {}),
      };
      if (
        info.subresource &&
        !registry.subresources[info.subresource] &&
        !['get', 'update', 'patch'].includes(info.verb)
      ) {
        throw newMethodNotSupported(
          { group: c.def.group, resource: `${c.def.resource}/${info.subresource}` },
          info.verb,
        );
      }
      if (info.subresource && !registry.subresources[info.subresource]) {
        throw newNotFound({ group: c.def.group, resource: `${c.def.resource}/${info.subresource}` }, info.name);
      }
      const accept = String(c.request.headers.accept ?? '');
      switch (info.verb) {
        case 'get': {
          const obj = await getObject(r);
          return send(c, 200, wantsTable(accept) ? table(c, [obj], query, now()) : obj);
        }
        case 'list': {
          const list = await listObjects(r);
          return send(c, 200, wantsTable(accept) ? table(c, list.items, query, now(), list) : list);
        }
        case 'watch':
          return await watch(c, r, query, deps.log, deps.minRequestTimeoutMs);
        case 'create': {
          if (c.def.namespaced)
            await admitNamespacedCreate(registries.namespaces, info.namespace, registries.namespaceLister);
          const res = await createObject(r);
          return send(c, res.code, res.object, res.warnings);
        }
        case 'update': {
          const res = await updateObject(r);
          return send(c, res.code, res.object, res.warnings);
        }
        case 'patch': {
          const res = await patchObject(r);
          return send(c, res.code, res.object, res.warnings);
        }
        case 'delete': {
          if (c.def.group === '' && c.def.resource === 'namespaces') {
            admitNamespaceDelete(info.name);
            await deleteNamespaceContents(registries, info.name);
          }
          const res = await deleteObject(r);
          return send(c, res.code, res.object);
        }
        case 'deletecollection': {
          const res = await deleteCollection(r);
          return send(c, res.code, res.object);
        }
        default:
          throw newMethodNotSupported(registry.gr, info.verb);
      }
    } catch (e) {
      const err = toStatusError(e);
      if (err.code >= 500) deps.log.error({ err: e, path: info.path, verb: info.verb }, 'request failed');
      if (!reply.sent && !reply.raw.headersSent) send(c, err.code, err.toStatus());
    }
  };
}

function addWarnings(c: Pick<ResourceRequestContext, 'reply'>, warnings: readonly string[]): void {
  appendWarnings(c.reply, warnings);
}

/**
 * What admission may add to the request (warning.AddWarning: `299 - "text"`, each text once;
 * audit annotations) and the options it reports to webhooks.
 */
function requestScope(c: ResourceRequestContext, query: URLSearchParams) {
  const seen = new Set<string>();
  return {
    addWarning(text: string) {
      const value = warningHeaderValue(text);
      if (!value || seen.has(value)) return;
      seen.add(value);
      addWarnings(c, [value]);
    },
    addAuditAnnotation(key: string, value: string) {
      c.request.mkubeAudit?.annotate(key, value);
    },
    ...(query.get('fieldManager') ? { fieldManager: query.get('fieldManager')! } : {}),
    ...(query.get('fieldValidation') ? { fieldValidation: query.get('fieldValidation')! } : {}),
  };
}

function send(c: ResourceRequestContext, code: number, body: unknown, warnings?: readonly string[]): void {
  const text = body !== null && typeof body === 'object' ? jsonOf(body) : JSON.stringify(body);
  if (warnings?.length) addWarnings(c, warnings);
  c.reply.code(code).header('content-type', 'application/json').send(text);
}

/** get and list; a list filtered by its selectors, as upstream's predicate does. */
async function serveComponentStatuses(
  c: ResourceRequestContext,
  statuses: ComponentStatuses,
  query: URLSearchParams,
  now: Date,
): Promise<void> {
  const accept = String(c.request.headers.accept ?? '');
  if (c.info.verb === 'get') {
    const obj = await statuses.get(c.info.name);
    return send(c, 200, wantsTable(accept) ? table(c, [obj], query, now) : obj);
  }
  const filter = parseFilter('componentstatuses', query.get('labelSelector'), query.get('fieldSelector'));
  const items = (await statuses.list()).filter((o) => matchesFilter(filter, o));
  const list: List<KubeObject> = { kind: 'ComponentStatusList', apiVersion: 'v1', metadata: {}, items };
  return send(c, 200, wantsTable(accept) ? table(c, items, query, now, list) : list);
}

function table(
  c: ResourceRequestContext,
  items: KubeObject[],
  query: URLSearchParams,
  now: Date,
  list?: List<KubeObject>,
) {
  const include = query.get('includeObject') ?? 'Metadata';
  if (include !== 'None' && include !== 'Metadata' && include !== 'Object') {
    throw newBadRequest(
      `includeObject: Unsupported value: ${JSON.stringify(include)}: supported values: "None", "Metadata", "Object"`,
    );
  }
  return toTable(c.def, items, {
    includeObject: include,
    now,
    resourceVersion: list?.metadata.resourceVersion,
    continue: list?.metadata.continue,
  });
}

/** Watch events as one-row Tables; column definitions go with the first event only, as upstream. */
function watchTableEncoder(c: ResourceRequestContext, query: URLSearchParams): (obj: KubeObject) => unknown {
  let first = true;
  return (obj) => {
    const t = table(c, [obj], query, new Date());
    if (!first) t.columnDefinitions = [];
    first = false;
    return t;
  };
}

async function watch(
  c: ResourceRequestContext,
  r: VerbRequest,
  query: URLSearchParams,
  log: Logger,
  minRequestTimeoutMs?: number,
): Promise<void> {
  const timeoutSeconds = intParam(query, 'timeoutSeconds');
  const req = {
    registry: r.registry,
    namespace: r.namespace,
    filter: parseFilter(r.registry.def.resource, query.get('labelSelector'), query.get('fieldSelector')),
    resourceVersion: query.get('resourceVersion') ?? '',
    allowBookmarks: boolParam(query, 'allowWatchBookmarks'),
    timeoutMs: watchTimeoutMs(timeoutSeconds, minRequestTimeoutMs),
    shutdown: c.shutdownSignal,
    log,
    encode: wantsTable(String(c.request.headers.accept ?? '')) ? watchTableEncoder(c, query) : undefined,
    onInitialized: () => watchInitialized(c.request.raw),
  };
  const { since, initial } = await startRevision(req);
  const raw = c.reply.raw;
  c.reply.hijack();
  raw.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-cache, private' });
  // Clients wait for the headers before they count the watch as started.
  (raw as { flushHeaders?: () => void }).flushHeaders?.();
  const closed = new AbortController();
  raw.on('close', () => closed.abort());
  const sink: WatchSink = {
    closed: closed.signal,
    send(line) {
      if (closed.signal.aborted) return;
      if (raw.write(line)) return;
      return new Promise<void>((resolve) => {
        const done = () => {
          raw.off('drain', done);
          closed.signal.removeEventListener('abort', done);
          resolve();
        };
        raw.on('drain', done);
        closed.signal.addEventListener('abort', done, { once: true });
      });
    },
    end() {
      if (!raw.writableEnded) raw.end();
    },
  };
  await serveWatch(req, sink, since, initial);
}

/** A watch requested as a WebSocket upgrade: one event per text message. */
export interface WatchSocketContext {
  readonly socket: {
    send(data: string, cb?: (err?: Error) => void): void;
    close(code?: number, reason?: string): void;
    on(event: 'close', l: () => void): void;
    readonly bufferedAmount: number;
  };
  readonly url: string;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly info: RequestInfo;
  readonly user: UserInfo;
  readonly def: ResourceDef;
  readonly shutdownSignal: AbortSignal;
  /** The upgrade request (the concurrency gate's initialization signal rides on it). */
  readonly rawRequest?: object;
}

/** Backpressure threshold for a WebSocket watcher, in buffered bytes. */
const WS_HIGH_WATER = 1 << 20;

export function createWatchSocketHandler(deps: ResourceHandlerDeps): (c: WatchSocketContext) => Promise<void> {
  const registries = deps.registries ?? new Registries(deps.store);
  return async (c) => {
    const query = new URLSearchParams(c.url.split('?')[1] ?? '');
    const closed = new AbortController();
    c.socket.on('close', () => closed.abort());
    try {
      const registry = registries.served(c.def);
      if (!registry) throw newNotFound({ group: c.def.group, resource: c.def.resource }, c.info.name);
      if (c.info.verb !== 'watch') throw newBadRequest('only watch requests may be upgraded to a WebSocket here');
      const timeoutSeconds = intParam(query, 'timeoutSeconds');
      const req = {
        registry,
        namespace: c.info.namespace,
        filter: parseFilter(registry.def.resource, query.get('labelSelector'), query.get('fieldSelector')),
        resourceVersion: query.get('resourceVersion') ?? '',
        allowBookmarks: boolParam(query, 'allowWatchBookmarks'),
        timeoutMs: watchTimeoutMs(timeoutSeconds, deps.minRequestTimeoutMs),
        shutdown: c.shutdownSignal,
        log: deps.log,
        onInitialized: () => watchInitialized(c.rawRequest),
      };
      const { since, initial } = await startRevision(req);
      const sink: WatchSink = {
        closed: closed.signal,
        send(line) {
          if (closed.signal.aborted) return;
          const text = line.endsWith('\n') ? line.slice(0, -1) : line;
          if (c.socket.bufferedAmount < WS_HIGH_WATER) {
            c.socket.send(text);
            return;
          }
          return new Promise<void>((resolve) => c.socket.send(text, () => resolve()));
        },
        end() {
          c.socket.close(1000);
        },
      };
      await serveWatch(req, sink, since, initial);
    } catch (e) {
      const err = toStatusError(e);
      if (!closed.signal.aborted) {
        c.socket.send(JSON.stringify({ type: 'ERROR', object: err.toStatus() }));
        c.socket.close(1000);
      }
    }
  };
}
