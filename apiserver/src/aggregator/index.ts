// The aggregation layer (kube-aggregator), in this apiserver as in kube-apiserver: APIServices that
// name a Service are remote. Requests for their group versions are proxied to the Service's endpoints
// after this apiserver's own authentication and authorization; their groups appear in discovery; the
// availability controller keeps their Available condition. Local APIServices are served here.
import { request as httpsRequest } from 'node:https';
import type { APIGroup, APIGroupDiscovery, APIService, Endpoints, Service } from '@mkube/shared/api';
import type { UserInfo } from '@mkube/shared/auth';
import type { Logger } from '@mkube/shared/log';
import type { CertKeyPair } from '@mkube/shared/tls';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Informer } from '../informers/index.js';
import type { Registries } from '../registry/index.js';
import { readLimitedBody } from '../util/body.js';
import { resolveServiceEndpoint, type ServiceLookup } from '../util/serviceresolver.js';
import { isAvailable, isLocal, sortedByGroupAndVersion } from './apiservices.js';
import { AGGREGATOR_IDENTITY, AvailableConditionController } from './available.js';
import { aggregatedGroup, discoveryGroup, type FetchedResources, parseResourceList } from './discovery.js';
import { authProxyHeaders, proxyRequest, sendProxyError } from './proxy.js';
import { ProxyTransport, serviceServerName } from './transport.js';

const DISCOVERY_TIMEOUT_MS = 5_000;
const MAX_DISCOVERY_BYTES = 3 * 1024 * 1024;
/** How long a proxied request may wait for the answer's headers. */
const RESPONSE_TIMEOUT_MS = 60_000;

export interface AggregatorOptions {
  readonly registries: Registries;
  /** --proxy-client-cert-file/--proxy-client-key-file, current; absent: no client certificate. */
  readonly proxyClientPair?: () => CertKeyPair | undefined;
  readonly log: Logger;
  readonly resyncMs?: number;
  /** --enable-aggregator-routing: false lets an ExternalName Service name the server's host. */
  readonly routing?: boolean;
}

/** `/apis/<group>/<version>[/...]` → its group and version. */
export function groupVersionOfPath(path: string): { group: string; version: string } | undefined {
  const m = /^\/apis\/([^/]+)\/([^/]+)(?:\/|$)/.exec(path);
  return m ? { group: m[1]!, version: m[2]! } : undefined;
}

export class Aggregator {
  readonly apiServices: Informer<APIService>;
  readonly #services: Informer<Service>;
  readonly #endpoints: Informer<Endpoints>;
  readonly #transport: ProxyTransport;
  readonly #available: AvailableConditionController;
  readonly #fetched = new Map<string, FetchedResources>();
  readonly #log: Logger;
  /** Services and Endpoints from the caches, as upstream's listers: no store read per proxied request. */
  readonly #lookup: ServiceLookup;
  readonly #routing: boolean;
  #remote: Map<string, APIService> | undefined;
  #generation = 0;

  constructor(opts: AggregatorOptions) {
    const reg = (g: string, r: string) => opts.registries.get(g, r)!;
    this.#log = opts.log.child({ component: 'aggregator' });
    this.#routing = opts.routing ?? true;
    this.apiServices = new Informer<APIService>(reg('apiregistration.k8s.io', 'apiservices'), opts.log);
    this.#services = new Informer<Service>(reg('', 'services'), opts.log);
    this.#endpoints = new Informer<Endpoints>(reg('', 'endpoints'), opts.log);
    this.#lookup = {
      service: (ns, name) => this.#services.get(ns, name),
      endpoints: (ns, name) => this.#endpoints.get(ns, name),
    };
    this.#transport = new ProxyTransport(opts.proxyClientPair ?? (() => undefined));
    // Only remote APIServices change routing and discovery: the Local ones are the catalog's.
    const changed = (s: APIService, old?: APIService) => {
      if (isLocal(s) && (!old || isLocal(old))) return;
      this.#remote = undefined;
      this.#generation++;
    };
    this.apiServices.addHandlers({
      onAdd: (s) => changed(s),
      onUpdate: (s, old) => changed(s, old),
      onDelete: (s) => {
        changed(s);
        this.#transport.forget(s.metadata.name ?? '');
        this.#fetched.delete(s.metadata.name ?? '');
      },
    });
    this.#available = new AvailableConditionController({
      apiServices: this.apiServices,
      services: this.#services,
      endpoints: this.#endpoints,
      registry: reg('apiregistration.k8s.io', 'apiservices'),
      resolve: (ns, name, port) => resolveServiceEndpoint(this.#lookup, ns, name, port, this.#routing),
      transport: this.#transport,
      onSynced: (s, available) => {
        if (available) void this.#fetchDiscovery(s);
        else this.#markStale(s);
      },
      log: this.#log,
      ...(opts.resyncMs ? { resyncMs: opts.resyncMs } : {}),
    });
  }

  async start(): Promise<void> {
    await Promise.all([this.#services.start(), this.#endpoints.start()]);
    await this.apiServices.start();
    this.#available.start();
  }

  /** Whether its APIService, Service and Endpoints caches have listed. */
  hasSynced(): boolean {
    return [this.apiServices, this.#services, this.#endpoints].every((i) => (i as Informer).hasSynced());
  }

  stop(): void {
    this.#available.stop();
    for (const i of [this.apiServices, this.#services, this.#endpoints] as Informer[]) i.stop();
    this.#transport.close();
  }

  /** Bumped whenever what discovery shows of remote APIServices may have changed. */
  generation(): number {
    return this.#generation;
  }

  #remoteByGV(): Map<string, APIService> {
    if (!this.#remote) {
      this.#remote = new Map();
      for (const s of this.apiServices.list()) {
        if (!isLocal(s)) this.#remote.set(`${s.spec.group ?? ''}/${s.spec.version ?? ''}`, s);
      }
    }
    return this.#remote;
  }

  /** The remote APIService serving this path's group version, if one does. */
  remoteFor(path: string): APIService | undefined {
    // On every /apis request: nothing to parse while no APIService is remote.
    if (this.#remoteByGV().size === 0) return undefined;
    const gv = groupVersionOfPath(path.split('?')[0] ?? '');
    return gv ? this.#remoteByGV().get(`${gv.group}/${gv.version}`) : undefined;
  }

  /** proxyHandler.ServeHTTP for a remote APIService: unavailable → 503, else to one of its endpoints. */
  async serve(s: APIService, request: FastifyRequest, reply: FastifyReply, user: UserInfo): Promise<void> {
    if (!isAvailable(s)) return sendProxyError(reply, 'service unavailable', 503);
    const ref = s.spec.service!;
    let endpoint: { host: string; port: number };
    try {
      endpoint = await resolveServiceEndpoint(
        this.#lookup,
        ref.namespace ?? '',
        ref.name ?? '',
        ref.port ?? 443,
        this.#routing,
      );
    } catch (e) {
      this.#log.error({ err: (e as Error).message, apiservice: s.metadata.name }, 'error resolving the service');
      return sendProxyError(reply, 'service unavailable', 503);
    }
    return proxyRequest({
      request,
      reply,
      user,
      endpoint,
      serverName: serviceServerName(s),
      agent: this.#transport.agentFor(s),
      responseTimeoutMs: RESPONSE_TIMEOUT_MS,
    });
  }

  /** The remote groups (those with no local version), for /apis in the legacy form, in priority order. */
  legacyGroups(localGroups: ReadonlySet<string>): APIGroup[] {
    return this.#remoteGroups(localGroups).map(discoveryGroup);
  }

  /** /apis/<group> for a group only remote APIServices serve. */
  apiGroup(group: string, localGroups: ReadonlySet<string>): APIGroup | undefined {
    const sorted = this.#remoteGroups(localGroups).find((l) => l[0]!.spec.group === group);
    return sorted ? discoveryGroup(sorted) : undefined;
  }

  /** The remote groups' entries in aggregated discovery. */
  aggregatedGroups(localGroups: ReadonlySet<string>): APIGroupDiscovery[] {
    return this.#remoteGroups(localGroups)
      .map((l) => aggregatedGroup(l, (s) => this.#fetched.get(s.metadata.name ?? '')))
      .filter((g) => g !== undefined);
  }

  #remoteGroups(localGroups: ReadonlySet<string>): APIService[][] {
    const remote = [...this.#remoteByGV().values()].filter((s) => !localGroups.has(s.spec.group ?? ''));
    return sortedByGroupAndVersion(remote);
  }

  #markStale(s: APIService): void {
    const name = s.metadata.name ?? '';
    const f = this.#fetched.get(name);
    if (f && !f.stale) {
      this.#fetched.set(name, { list: f.list, stale: true });
      this.#generation++;
    }
  }

  /** The version's APIResourceList through the verified transport, as the aggregator's own user. */
  async #fetchDiscovery(s: APIService): Promise<void> {
    const ref = s.spec.service!;
    const name = s.metadata.name ?? '';
    try {
      const ep = await resolveServiceEndpoint(
        this.#lookup,
        ref.namespace ?? '',
        ref.name ?? '',
        ref.port ?? 443,
        this.#routing,
      );
      const text = await new Promise<string>((resolve, reject) => {
        const req = httpsRequest(
          {
            host: ep.host,
            port: ep.port,
            path: `/apis/${s.spec.group}/${s.spec.version}`,
            method: 'GET',
            agent: this.#transport.agentFor(s),
            servername: serviceServerName(s),
            headers: {
              accept: 'application/json',
              ...authProxyHeaders(AGGREGATOR_IDENTITY),
            },
            timeout: DISCOVERY_TIMEOUT_MS,
          },
          (res) => {
            if (res.statusCode !== 200) {
              res.resume();
              reject(new Error(`status ${res.statusCode}`));
              return;
            }
            readLimitedBody(res, MAX_DISCOVERY_BYTES).then(resolve, reject);
          },
        );
        req.on('timeout', () => req.destroy(new Error('timed out')));
        req.on('error', reject);
        req.end();
      });
      const list = parseResourceList(text);
      if (!list) throw new Error('not an APIResourceList');
      const before = this.#fetched.get(name);
      if (!before || before.stale || JSON.stringify(before.list) !== JSON.stringify(list)) {
        this.#fetched.set(name, { list, stale: false });
        this.#generation++;
      }
    } catch (e) {
      this.#log.debug({ apiservice: name, err: (e as Error).message }, 'could not fetch discovery');
      this.#markStale(s);
    }
  }
}
