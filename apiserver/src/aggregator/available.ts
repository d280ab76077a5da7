// The availability controller for remote APIServices (kube-aggregator pkg/controllers/status/remote):
// a reconcile loop over a queue fed by APIService, Service and Endpoints events and a 30 s resync,
// writing the Available condition with upstream's reasons — ServiceNotFound, ServicePortError,
// EndpointsNotFound, MissingEndpoints, FailedDiscoveryCheck, Passed — and messages. The discovery
// check GETs /apis/<group>/<version> from an endpoint as system:kube-aggregator in system:masters,
// presenting the proxy client certificate and, as upstream, without verifying the server's: it says
// whether something answers, not whom to trust (the proxy verifies that on every request).
import { request as httpsRequest } from 'node:https';
import type { APIService, APIServiceCondition, Endpoints, Service } from '@mkube/shared/api';
import { metaTime } from '@mkube/shared/api';
import { StatusError } from '@mkube/shared/apierrors';
import type { UserInfo } from '@mkube/shared/auth';
import type { Logger } from '@mkube/shared/log';
import type { Informer } from '../informers/index.js';
import type { GenericRegistry } from '../registry/generic.js';
import { apiserverContext } from '../registry/strategy.js';
import { goDialError } from '../util/dialerror.js';
import type { ServiceEndpoint } from '../util/serviceresolver.js';
import { availableCondition, isLocal } from './apiservices.js';
import { authProxyHeaders } from './proxy.js';
import type { ProxyTransport } from './transport.js';

/** Who the aggregator's own calls (discovery check, discovery fetch) say they are: always allowed. */
export const AGGREGATOR_IDENTITY: UserInfo = { username: 'system:kube-aggregator', groups: ['system:masters'] };
const CHECK_TIMEOUT_MS = 5_000;
const ATTEMPTS = 5;
const WORKERS = 5;

export interface AvailableConditionDeps {
  readonly apiServices: Informer<APIService>;
  readonly services: Informer<Service>;
  readonly endpoints: Informer<Endpoints>;
  /** The apiservices registry (its status subresource is written). */
  readonly registry: GenericRegistry;
  readonly resolve: (namespace: string, name: string, port: number) => Promise<ServiceEndpoint>;
  readonly transport: ProxyTransport;
  /** After each sync of a remote APIService, with whether it passed. */
  readonly onSynced?: (s: APIService, available: boolean) => void;
  readonly log: Logger;
  readonly resyncMs?: number;
}

type Verdict = Pick<APIServiceCondition, 'status' | 'reason' | 'message'>;

const discoveryPath = (s: APIService) =>
  s.metadata.name === 'v1.' ? `/api/${s.spec.version}` : `/apis/${s.spec.group}/${s.spec.version}`;

export class AvailableConditionController {
  readonly #queued = new Set<string>();
  readonly #active = new Set<string>();
  readonly #again = new Set<string>();
  readonly #failures = new Map<string, number>();
  readonly #timers = new Set<NodeJS.Timeout>();
  #resync: NodeJS.Timeout | undefined;
  #stopped = false;

  constructor(private readonly deps: AvailableConditionDeps) {
    const byService = (ns: string | undefined, name: string | undefined) => {
      for (const s of deps.apiServices.list()) {
        if (s.spec?.service?.namespace === ns && s.spec?.service?.name === name) this.enqueue(s.metadata.name!);
      }
    };
    const onApiService = (s: APIService) => this.enqueue(s.metadata.name!);
    deps.apiServices.addHandlers({ onAdd: onApiService, onUpdate: onApiService, onDelete: onApiService });
    for (const inf of [deps.services, deps.endpoints] as Informer[]) {
      const h = (o: { metadata: { namespace?: string; name?: string } }) =>
        byService(o.metadata.namespace, o.metadata.name);
      inf.addHandlers({ onAdd: h, onUpdate: h, onDelete: h });
    }
  }

  start(): void {
    // Low cardinality, and what decides availability (the network) is not watchable: recheck all.
    this.#resync = setInterval(() => {
      for (const s of this.deps.apiServices.list()) if (!isLocal(s)) this.enqueue(s.metadata.name!);
    }, this.deps.resyncMs ?? 30_000);
    this.#resync.unref();
  }

  stop(): void {
    this.#stopped = true;
    clearInterval(this.#resync);
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
  }

  enqueue(name: string): void {
    if (this.#stopped) return;
    if (this.#active.has(name)) {
      this.#again.add(name);
      return;
    }
    this.#queued.add(name);
    this.#pump();
  }

  #pump(): void {
    while (this.#active.size < WORKERS && this.#queued.size > 0) {
      const name = this.#queued.values().next().value as string;
      this.#queued.delete(name);
      this.#active.add(name);
      this.sync(name)
        .then(
          () => this.#failures.delete(name),
          (err: unknown) => {
            // Retried with backoff (5 ms doubling to 30 s), besides the events and the resync.
            const n = (this.#failures.get(name) ?? 0) + 1;
            this.#failures.set(name, n);
            this.deps.log.debug({ apiservice: name, err: (err as Error).message }, 'APIService check failed');
            const t = setTimeout(
              () => {
                this.#timers.delete(t);
                this.enqueue(name);
              },
              Math.min(30_000, 5 * 2 ** (n - 1)),
            );
            t.unref();
            this.#timers.add(t);
          },
        )
        .finally(() => {
          this.#active.delete(name);
          if (this.#again.delete(name)) this.#queued.add(name);
          this.#pump();
        });
    }
  }

  /** One APIService: its condition worked out and written when it changed. Throws to be retried. */
  async sync(name: string): Promise<void> {
    const s = this.deps.apiServices.get('', name);
    if (!s || isLocal(s)) return;
    const verdict = await this.#verdict(s);
    await this.#write(s, verdict);
    this.deps.onSynced?.(s, verdict.status === 'True');
    if (verdict.status !== 'True' && verdict.reason === 'FailedDiscoveryCheck') throw new Error(verdict.message);
  }

  async #verdict(s: APIService): Promise<Verdict> {
    const ref = s.spec.service!;
    const ns = ref.namespace ?? '';
    const svcName = ref.name ?? '';
    const port = ref.port ?? 443;
    const svc = this.deps.services.get(ns, svcName);
    if (!svc) {
      return { status: 'False', reason: 'ServiceNotFound', message: `service/${svcName} in "${ns}" is not present` };
    }
    if ((svc.spec?.type ?? 'ClusterIP') === 'ClusterIP') {
      const sp = (svc.spec?.ports ?? []).find((p) => p.port === port);
      if (!sp) {
        return {
          status: 'False',
          reason: 'ServicePortError',
          message: `service/${svcName} in "${ns}" is not listening on port ${port}`,
        };
      }
      const eps = this.deps.endpoints.get(ns, svcName);
      if (!eps) {
        return {
          status: 'False',
          reason: 'EndpointsNotFound',
          message: `cannot find endpoints for service/${svcName} in "${ns}"`,
        };
      }
      const portName = sp.name ?? '';
      const active = (eps.subsets ?? []).some(
        (ss) => (ss.addresses ?? []).length > 0 && (ss.ports ?? []).some((p) => (p.name ?? '') === portName),
      );
      if (!active) {
        return {
          status: 'False',
          reason: 'MissingEndpoints',
          message: `endpoints for service/${svcName} in "${ns}" have no addresses with port name "${portName}"`,
        };
      }
    }
    // Up to five tries at once, each at an endpoint picked at random: one answer is enough.
    const results = await Promise.all(Array.from({ length: ATTEMPTS }, () => this.#check(s, ns, svcName, port)));
    const ok = results.some((r) => r === undefined);
    if (ok) return { status: 'True', reason: 'Passed', message: 'all checks passed' };
    return { status: 'False', reason: 'FailedDiscoveryCheck', message: results[results.length - 1]! };
  }

  /** One discovery GET; undefined when it answered 2xx, else upstream's message. */
  async #check(s: APIService, ns: string, svcName: string, port: number): Promise<string | undefined> {
    let ep: ServiceEndpoint;
    try {
      ep = await this.deps.resolve(ns, svcName, port);
    } catch (e) {
      return (e as Error).message;
    }
    const hostPort = ep.host.includes(':') ? `[${ep.host}]:${ep.port}` : `${ep.host}:${ep.port}`;
    const url = `https://${hostPort}${discoveryPath(s)}`;
    const pair = this.deps.transport.clientPair();
    const err = await new Promise<string | undefined>((resolve) => {
      const req = httpsRequest(
        {
          host: ep.host,
          port: ep.port,
          path: discoveryPath(s),
          method: 'GET',
          agent: false,
          rejectUnauthorized: false,
          ...(pair ? { cert: pair.certPem, key: pair.keyPem } : {}),
          headers: authProxyHeaders(AGGREGATOR_IDENTITY),
          timeout: CHECK_TIMEOUT_MS,
        },
        (res) => {
          res.resume();
          const code = res.statusCode ?? 0;
          resolve(code < 200 || code >= 300 ? `bad status from ${url}: ${code}` : undefined);
        },
      );
      req.on('timeout', () => {
        req.destroy();
        resolve(`Get "${url}": context deadline exceeded (Client.Timeout exceeded while awaiting headers)`);
      });
      req.on('error', (e: NodeJS.ErrnoException) => resolve(`Get "${url}": ${goDialError(e, hostPort, ep.host)}`));
      req.end();
    });
    return err === undefined ? undefined : `failing or missing response from ${url}: ${err}`;
  }

  async #write(s: APIService, v: Verdict): Promise<void> {
    const had = availableCondition(s);
    if (had && had.status === v.status && had.reason === v.reason && had.message === v.message) return;
    if ((had?.status ?? 'Unknown') !== v.status || had?.reason !== v.reason) {
      this.deps.log.info(
        {
          apiservice: s.metadata.name,
          oldStatus: had?.status ?? 'Unknown',
          newStatus: v.status,
          reason: v.reason,
          message: v.message,
        },
        'changing APIService availability',
      );
    }
    try {
      await this.deps.registry.guaranteedUpdate(
        '',
        s.metadata.name!,
        'status',
        apiserverContext(),
        { dryRun: false },
        undefined,
        (cur) => {
          const o = cur as APIService;
          const conditions = [...(o.status?.conditions ?? [])];
          const i = conditions.findIndex((c) => c.type === 'Available');
          const prev = i >= 0 ? conditions[i] : undefined;
          // SetAPIServiceCondition: the transition time moves only when the status does.
          const next: APIServiceCondition = {
            type: 'Available',
            status: v.status,
            lastTransitionTime:
              prev && prev.status === v.status && prev.lastTransitionTime
                ? prev.lastTransitionTime
                : metaTime(new Date()),
            ...(v.reason ? { reason: v.reason } : {}),
            ...(v.message ? { message: v.message } : {}),
          };
          if (i >= 0) conditions[i] = next;
          else conditions.push(next);
          return { ...o, status: { ...o.status, conditions } };
        },
      );
    } catch (e) {
      if (e instanceof StatusError && e.reason === 'NotFound') return;
      throw e;
    }
  }
}
