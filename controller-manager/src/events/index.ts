// An EventRecorder (client-go tools/record): core/v1 Events about the objects controllers act on,
// sent in the background through a bounded queue that drops when full, so a slow apiserver never
// stalls a controller. Cluster-scoped objects get their Events in "default", as upstream.
import { randomBytes } from 'node:crypto';
import { type Event, type EventType, metaTime, type ObjectReference } from '@mkube/shared/api';
import type { KubeClient, KubeObject } from '@mkube/shared/client';
import type { Logger } from '@mkube/shared/log';
import { RESOURCES } from '../informers/index.js';
import { errorSummary } from '../workqueue/index.js';

const MAX_PENDING = 1000;
const CONCURRENCY = 4;

export interface EventRecorder {
  event(obj: KubeObject, type: EventType, reason: string, message: string): void;
}

export class ApiEventRecorder implements EventRecorder {
  readonly #pending: Event[] = [];
  #inFlight = 0;
  #dropped = 0;
  #nextDropLog = 1;
  #idle: (() => void)[] = [];

  constructor(
    readonly client: KubeClient,
    readonly component: string,
    readonly host: string,
    readonly log: Logger,
  ) {}

  get dropped(): number {
    return this.#dropped;
  }

  event(obj: KubeObject, type: EventType, reason: string, message: string): void {
    const m = obj.metadata ?? {};
    const now = new Date();
    const time = metaTime(now);
    const ref: ObjectReference = { kind: obj.kind, apiVersion: obj.apiVersion, name: m.name };
    if (m.namespace) ref.namespace = m.namespace;
    if (m.uid) ref.uid = m.uid;
    if (m.resourceVersion) ref.resourceVersion = m.resourceVersion;
    const ev: Event = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: `${m.name}.${randomBytes(8).toString('hex')}`, namespace: m.namespace || 'default' },
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
          { dropped: this.#dropped, reason, object: `${obj.kind ?? ''}/${m.name ?? ''}` },
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

  #pump(): void {
    while (this.#inFlight < CONCURRENCY && this.#pending.length > 0) {
      const ev = this.#pending.shift()!;
      this.#inFlight++;
      this.client
        .resource<Event>({ ...RESOURCES.events, namespace: ev.metadata?.namespace })
        .create(ev)
        .catch((err) => this.log.debug({ err: errorSummary(err), reason: ev.reason }, 'could not record event'))
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
