// An EventRecorder (client-go tools/record): core/v1 Events about the objects a controller or the
// kubelet acts on, sent in the background through a bounded queue that drops when full, so a slow
// apiserver never stalls its caller. Cluster-scoped objects get their Events in "default", as upstream.
import { randomInt } from 'node:crypto';
import { type Event, type EventType, type KubeObject, metaTime, type ObjectReference } from '../api/index.js';
import type { KubeClient } from '../client/index.js';
import { TokenBucket } from '../flowcontrol/index.js';
import type { Logger } from '../log/index.js';

const EVENTS = { group: '', version: 'v1', resource: 'events' } as const;

const MAX_PENDING = 1000;
const CONCURRENCY = 4;

export interface EventRecorder {
  event(obj: KubeObject, type: EventType, reason: string, message: string): void;
}

/** Records about an object by its reference (a Node by name and uid, a pod not at hand). */
export interface ReferenceEventRecorder {
  eventFor(ref: ObjectReference, type: EventType, reason: string, message: string): void;
}

/** reference.GetReference: what an Event's involvedObject says of `obj` (fieldPath for a part of it). */
export function referenceOf(obj: KubeObject, fieldPath?: string): ObjectReference {
  const m = obj.metadata ?? {};
  const ref: ObjectReference = { kind: obj.kind, apiVersion: obj.apiVersion, name: m.name };
  if (m.namespace) ref.namespace = m.namespace;
  if (m.uid) ref.uid = m.uid;
  if (m.resourceVersion) ref.resourceVersion = m.resourceVersion;
  if (fieldPath) ref.fieldPath = fieldPath;
  return ref;
}

let sequence = 0;

/**
 * `<object>.<time in ns, hex>`, as client-go names Events: names sort as the Events were made, so
 * a list (and kubectl describe, for Events in the same second) shows them in order. The low digits
 * are a counter and a random part: two recorders in the same millisecond do not collide.
 */
function eventName(object: string): string {
  sequence = (sequence + 1) % 1000;
  const ns = BigInt(Date.now()) * 1_000_000n + BigInt(sequence * 1000 + randomInt(1000));
  return `${object}.${ns.toString(16)}`;
}

/** The event client's rate limit (the kubelet's eventRecordQPS and eventBurst): sends wait for a token. */
export interface EventRateLimit {
  readonly qps: number;
  readonly burst: number;
}

export class ApiEventRecorder implements EventRecorder {
  readonly #pending: Event[] = [];
  readonly #bucket: TokenBucket | undefined;
  #inFlight = 0;
  #dropped = 0;
  #nextDropLog = 1;
  #idle: (() => void)[] = [];

  constructor(
    /** Absent until the caller has credentials (a bootstrapping kubelet): Events wait in the queue. */
    readonly client: KubeClient | (() => KubeClient | undefined),
    readonly component: string,
    readonly host: string,
    readonly log: Logger,
    limit?: EventRateLimit,
  ) {
    this.#bucket = limit && limit.qps > 0 ? new TokenBucket(limit.qps, Math.max(1, limit.burst)) : undefined;
  }

  get dropped(): number {
    return this.#dropped;
  }

  event(obj: KubeObject, type: EventType, reason: string, message: string): void {
    this.eventFor(referenceOf(obj), type, reason, message);
  }

  /** An Event about what `ref` names (the kubelet's Node reference carries the node's name as its uid). */
  eventFor(ref: ObjectReference, type: EventType, reason: string, message: string): void {
    const time = metaTime();
    const ev: Event = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: eventName(ref.name ?? ''), namespace: ref.namespace || 'default' },
      involvedObject: ref,
      reason,
      message,
      type,
      source: { component: this.component, host: this.host },
      firstTimestamp: time,
      lastTimestamp: time,
      count: 1,
      reportingComponent: this.component,
      reportingInstance: this.host,
    };
    if (this.#pending.length >= MAX_PENDING) {
      this.#dropped++;
      // client-go logs every event it drops; a burst here would drop thousands, so the 1st, 10th,
      // 100th… are logged, each with the running count.
      if (this.#dropped === this.#nextDropLog) {
        this.#nextDropLog *= 10;
        this.log.warn(
          { dropped: this.#dropped, reason, object: `${ref.kind ?? ''}/${ref.name ?? ''}` },
          'unable to record event: too many queued events, dropped event',
        );
      }
      return;
    }
    this.#pending.push(ev);
    this.#pump();
  }

  /** Resolves once every queued Event was sent (or failed). */
  flush(): Promise<void> {
    if (this.#pending.length === 0 && this.#inFlight === 0) return Promise.resolve();
    return new Promise((r) => this.#idle.push(r));
  }

  /** Sends what waited for a client (call once the client exists). */
  resume(): void {
    this.#pump();
  }

  #pump(): void {
    const client = typeof this.client === 'function' ? this.client() : this.client;
    if (!client) return;
    while (this.#inFlight < CONCURRENCY && this.#pending.length > 0) {
      const ev = this.#pending.shift()!;
      this.#inFlight++;
      const wait = this.#bucket?.reserve() ?? 0;
      (wait > 0 ? new Promise<void>((r) => setTimeout(r, wait)) : Promise.resolve())
        .then(() => client.resource<Event>({ ...EVENTS, namespace: ev.metadata?.namespace }).create(ev))
        .catch((err) =>
          this.log.debug({ err: (err as Error)?.message ?? String(err), reason: ev.reason }, 'could not record event'),
        )
        .finally(() => {
          this.#inFlight--;
          this.#pump();
          if (this.#inFlight === 0 && this.#pending.length === 0) {
            const idle = this.#idle;
            this.#idle = [];
            for (const r of idle) r();
          }
        });
    }
  }
}
