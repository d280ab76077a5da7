// GET /metrics (kube-apiserver's Prometheus endpoint, behind authorization like any non-resource
// URL: system:monitoring may read it): the process metrics, apiserver_request_total /
// apiserver_request_duration_seconds with upstream's labels (k8s.io/apiserver endpoints/metrics),
// and the security path's own: authentication attempts and latency (endpoints/filters/metrics.go),
// the remaining lifetime of client certificates (authentication/request/x509), each authorizer's
// terminal decisions (authorization/metrics), whether signers honour a CSR's expirationSeconds
// (pkg/registry/certificates/certificates/storage/metrics.go), the audit counters (apiserver/pkg/audit
// metrics.go), structured authentication's and authorization's (./authconfig.ts), the KMS v2
// envelope's (./kms.ts) and each resource's stored objects. Names, labels, buckets and values as
// upstream's; ALPHA metrics' help text carries upstream's "[ALPHA] " prefix. prom-client keeps the
// registry and the text format.
import { hostname } from 'node:os';
import type { TokenCacheStats } from '@mkube/shared/auth';
import type { FastifyInstance } from 'fastify';
import { Counter, collectDefaultMetrics, exponentialBuckets, Gauge, Histogram, Registry } from 'prom-client';
import { apiserverIdentity } from '../controlplane/identitylease.js';
import type { RequestInfo } from '../request/requestinfo.js';
import { plainRoute } from '../server/methods.js';
import { AuthConfigMetrics } from './authconfig.js';
import { flowControlMetrics } from './flowcontrol.js';
import { kmsMetrics } from './kms.js';
import { CounterVec, HistogramVec } from './vec.js';

const LABELS = ['verb', 'dry_run', 'group', 'version', 'resource', 'subresource', 'scope', 'component'] as const;
// Upstream's requestLatencies buckets.
const BUCKETS = [0.005, 0.025, 0.05, 0.1, 0.2, 0.4, 0.6, 0.8, 1, 1.25, 1.5, 2, 3, 4, 5, 6, 8, 10, 15, 20, 30, 45, 60];
const LONG_RUNNING = new Set(['WATCH', 'CONNECT']);
// x509.go's clientCertificateExpirationHistogram: 0, 30 min, 1 h, 2 h, 6 h, 12 h, 1 d, 2 d, 4 d, 1 w, 1 mo, 3 mo, 6 mo, 1 y.
const CERT_EXPIRATION_BUCKETS = [
  0, 1800, 3600, 7200, 21600, 43200, 86400, 172800, 345600, 604800, 2592000, 7776000, 15552000, 31104000,
];

/** This apiserver's identity (its identity Lease's name), which the apiserver_id_hash labels hash. */
const APISERVER_ID = apiserverIdentity(hostname());

export type AuthenticationResult = 'success' | 'failure' | 'error';
export type AuthorizationDecisionLabel = 'allowed' | 'denied';

/** compressUsername: a few well-known names as they are, e-mail-like ones as one value, the rest "other". */
function compressUsername(username: string): string {
  if (['admin', 'client', 'kube_proxy', 'kubelet', 'system:serviceaccount:kube-system:default'].includes(username)) {
    return username;
  }
  return username.includes('@') ? 'email_id' : 'other';
}

/** isDurationHonored: within 5 minutes (the backdate) plus 5 % of what was asked. */
function isDurationHonored(wantSeconds: number, gotSeconds: number): boolean {
  return Math.abs(wantSeconds - gotSeconds) < 300 + wantSeconds / 20;
}

export class ApiServerMetrics {
  readonly registry = new Registry();
  /** apiserver_current_inflight_requests, read from the max-in-flight limiter when it runs. */
  inflightRequests(read: () => Readonly<Record<'readOnly' | 'mutating', number>>): void {
    new Gauge({
      name: 'apiserver_current_inflight_requests',
      help: '[STABLE] Maximal number of currently used inflight request limit of this apiserver per request kind in last second.',
      labelNames: ['request_kind'],
      registers: [this.registry],
      collect() {
        const now = read();
        this.set({ request_kind: 'readOnly' }, now.readOnly);
        this.set({ request_kind: 'mutating' }, now.mutating);
      },
    });
  }

  readonly #requests = new CounterVec(
    'apiserver_request_total',
    '[STABLE] Counter of apiserver requests broken out for each verb, dry run value, group, version, resource, scope, component, and HTTP response code.',
    [...LABELS, 'code'],
    this.registry,
  );
  readonly #latency = new HistogramVec(
    'apiserver_request_duration_seconds',
    '[STABLE] Response latency distribution in seconds for each verb, dry run value, group, version, resource, subresource, scope and component.',
    [...LABELS],
    BUCKETS,
    this.registry,
  );

  readonly #authnAttempts = new CounterVec(
    'authentication_attempts',
    '[ALPHA] Counter of authenticated attempts.',
    ['result'],
    this.registry,
  );
  readonly #authnLatency = new HistogramVec(
    'authentication_duration_seconds',
    '[ALPHA] Authentication duration in seconds broken out by result.',
    ['result'],
    exponentialBuckets(0.001, 2, 15),
    this.registry,
  );
  readonly #authnUsers = new CounterVec(
    'authenticated_user_requests',
    '[ALPHA] Counter of authenticated requests broken out by username.',
    ['username'],
    this.registry,
  );
  readonly #certExpiration = new Histogram({
    name: 'apiserver_client_certificate_expiration_seconds',
    help: '[ALPHA] Distribution of the remaining lifetime on the certificate used to authenticate a request.',
    buckets: CERT_EXPIRATION_BUCKETS,
    registers: [this.registry],
  });
  readonly #authzDecisions = new CounterVec(
    'apiserver_authorization_decisions_total',
    '[ALPHA] Total number of terminal decisions made by an authorizer split by authorizer type, name, and decision.',
    ['type', 'name', 'decision'],
    this.registry,
  );
  readonly #csrDurationRequested = new Counter({
    name: 'apiserver_certificates_registry_csr_requested_duration_total',
    help: '[ALPHA] Total number of issued CSRs with a requested duration, sliced by signer (only kubernetes.io signer names are specifically identified)',
    labelNames: ['signerName'],
    registers: [this.registry],
  });
  readonly #csrDurationHonored = new Counter({
    name: 'apiserver_certificates_registry_csr_honored_duration_total',
    help: '[ALPHA] Total number of issued CSRs with a requested duration that was honored, sliced by signer (only kubernetes.io signer names are specifically identified)',
    labelNames: ['signerName'],
    registers: [this.registry],
  });

  readonly #auditEvents = new Counter({
    name: 'apiserver_audit_event_total',
    help: '[ALPHA] Counter of audit events generated and sent to the audit backend.',
    registers: [this.registry],
  });
  readonly #auditErrors = new Counter({
    name: 'apiserver_audit_error_total',
    help: '[ALPHA] Counter of audit events that failed to be audited properly. Plugin identifies the plugin affected by the error.',
    labelNames: ['plugin'],
    registers: [this.registry],
  });
  readonly #auditLevels = new Counter({
    name: 'apiserver_audit_level_total',
    help: '[ALPHA] Counter of policy levels for audit events (1 per request).',
    labelNames: ['level'],
    registers: [this.registry],
  });

  readonly #legacyTokens = new Counter({
    name: 'serviceaccount_legacy_tokens_total',
    help: '[ALPHA] Cumulative legacy service account tokens used',
    registers: [this.registry],
  });
  readonly #legacyAutoTokens = new Counter({
    name: 'serviceaccount_legacy_auto_token_uses_total',
    help: '[ALPHA] Cumulative auto-generated legacy tokens used',
    registers: [this.registry],
  });
  readonly #legacyManualTokens = new Counter({
    name: 'serviceaccount_legacy_manual_token_uses_total',
    help: '[ALPHA] Cumulative manually created legacy tokens used',
    registers: [this.registry],
  });
  readonly #invalidLegacyAutoTokens = new Counter({
    name: 'serviceaccount_invalid_legacy_auto_token_uses_total',
    help: '[ALPHA] Cumulative invalid auto-generated legacy tokens used',
    registers: [this.registry],
  });

  readonly #validBoundTokens = new Counter({
    name: 'serviceaccount_valid_tokens_total',
    help: '[ALPHA] Cumulative valid projected service account tokens used',
    registers: [this.registry],
  });
  readonly #staleBoundTokens = new Counter({
    name: 'serviceaccount_stale_tokens_total',
    help: '[ALPHA] Cumulative stale projected service account tokens used',
    registers: [this.registry],
  });

  // k8s.io/apiserver/pkg/authentication/token/cache's stats.
  readonly #tokenCacheLatency = new Histogram({
    name: 'authentication_token_cache_request_duration_seconds',
    help: '[ALPHA] ',
    labelNames: ['status'],
    registers: [this.registry],
  });
  readonly #tokenCacheRequests = new Counter({
    name: 'authentication_token_cache_request_total',
    help: '[ALPHA] ',
    labelNames: ['status'],
    registers: [this.registry],
  });
  readonly #tokenCacheFetches = new Counter({
    name: 'authentication_token_cache_fetch_total',
    help: '[ALPHA] ',
    labelNames: ['status'],
    registers: [this.registry],
  });
  readonly #tokenCacheActive = new Gauge({
    name: 'authentication_token_cache_active_fetch_count',
    help: '[ALPHA] ',
    labelNames: ['status'],
    registers: [this.registry],
  });

  /** The token cache's hooks (hit/miss per request, its lookups). */
  // Every bearer request passes here: its two series are looked up once.
  readonly #tokenCacheSeries = {
    hit: { requests: this.#tokenCacheRequests.labels('hit'), latency: this.#tokenCacheLatency.labels('hit') },
    miss: { requests: this.#tokenCacheRequests.labels('miss'), latency: this.#tokenCacheLatency.labels('miss') },
  };
  readonly tokenCache: TokenCacheStats = {
    request: (hit, seconds) => {
      const series = hit ? this.#tokenCacheSeries.hit : this.#tokenCacheSeries.miss;
      series.requests.inc();
      // Upstream observes whole milliseconds.
      series.latency.observe(Math.floor(seconds * 1000) / 1000);
    },
    fetching: () => {
      this.#tokenCacheActive.inc({ status: 'in_flight' });
      return (ok) => {
        this.#tokenCacheActive.dec({ status: 'in_flight' });
        this.#tokenCacheFetches.inc({ status: ok ? 'ok' : 'error' });
      };
    },
    blocking: () => {
      this.#tokenCacheActive.inc({ status: 'blocked' });
      return () => this.#tokenCacheActive.dec({ status: 'blocked' });
    },
  };

  /** JWT authenticators and the reloads of --authentication-config / --authorization-config. */
  readonly authConfig = new AuthConfigMetrics(this.registry, APISERVER_ID);
  /** The KMS v2 providers of --encryption-provider-config. */
  readonly kms = kmsMetrics(this.registry, APISERVER_ID);
  /** apiserver_flowcontrol_*: API Priority and Fairness. */
  readonly flowControl = flowControlMetrics(this.registry);

  /** The bound service-account token authenticator's hooks. */
  readonly boundTokens = {
    valid: () => this.#validBoundTokens.inc(),
    stale: () => this.#staleBoundTokens.inc(),
  };

  /** The legacy service-account token authenticator's hooks. */
  readonly legacyTokens = {
    legacyToken: () => this.#legacyTokens.inc(),
    autoGenerated: () => this.#legacyAutoTokens.inc(),
    manual: () => this.#legacyManualTokens.inc(),
    invalidated: () => this.#invalidLegacyAutoTokens.inc(),
  };

  /** The auditor's and the audit webhook's hooks. */
  readonly audit = {
    level: (level: string) => this.#auditLevels.inc({ level }),
    event: () => this.#auditEvents.inc(),
    error: (plugin: string, events: number) => this.#auditErrors.inc({ plugin }, events),
  };

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }

  /**
   * apiserver_storage_objects: each stored resource's object count, read from the store when
   * /metrics is scraped (a count query per resource, as etcd's count_only range); -1 for a resource
   * whose count failed, as upstream.
   */
  trackStorageObjects(resources: () => readonly { resource: string; count: () => Promise<number> }[]): void {
    new Gauge({
      name: 'apiserver_storage_objects',
      help: '[STABLE] Number of stored objects at the time of last check split by kind. In case of a fetching error, the value will be -1.',
      labelNames: ['resource'],
      registers: [this.registry],
      async collect() {
        this.reset();
        await Promise.all(
          resources().map(async (r) => this.set({ resource: r.resource }, await r.count().catch(() => -1))),
        );
      },
    });
  }

  /** recordAuthMetrics: every request's authentication, with the user's compressed name on success. */
  recordAuthentication(result: AuthenticationResult, seconds: number, username?: string): void {
    if (result === 'success' && username !== undefined) {
      const name = compressUsername(username);
      this.#authnUsers.with(name).inc();
    }
    this.#authnAttempts.with(result).inc();
    this.#authnLatency.with(result).observe(seconds);
  }

  /** The time left on a presented client certificate, observed before it is verified (as upstream). */
  observeClientCertificateExpiration(remainingSeconds: number): void {
    this.#certExpiration.observe(remainingSeconds);
  }

  /** A terminal decision of one configured authorizer (no opinion is not recorded). */
  recordAuthorizationDecision(type: string, name: string, decision: AuthorizationDecisionLabel): void {
    this.#authzDecisions.with(type, name, decision).inc();
  }

  /** A certificate just issued through /status for a CSR that asked for expirationSeconds. */
  recordCsrDuration(signerName: string, requestedSeconds: number, issuedSeconds: number | undefined): void {
    const signer = signerName.startsWith('kubernetes.io/') ? signerName : 'other';
    this.#csrDurationRequested.inc({ signerName: signer });
    if (issuedSeconds !== undefined && isDurationHonored(requestedSeconds, issuedSeconds)) {
      this.#csrDurationHonored.inc({ signerName: signer });
    }
  }

  /** One finished request (MonitorRequest); long-running ones count without a latency. */
  observe(info: RequestInfo, method: string, contentType: string, dryRun: boolean, code: number, seconds: number) {
    const verb = cleanVerb(info, method, contentType);
    const r = info.isResourceRequest;
    const group = r ? info.apiGroup : '';
    const version = r ? info.apiVersion : '';
    const resource = r ? info.resource : '';
    const subresource = r ? info.subresource : '';
    const dry = dryRun ? 'All' : '';
    const scope = cleanScope(info);
    this.#requests.with(verb, dry, group, version, resource, subresource, scope, 'apiserver', String(code)).inc();
    if (!LONG_RUNNING.has(verb)) {
      this.#latency.with(verb, dry, group, version, resource, subresource, scope, 'apiserver').observe(seconds);
    }
  }

  register(app: FastifyInstance): void {
    plainRoute(app, '/metrics', async (_request, reply) => {
      reply.header('content-type', this.registry.contentType).send(await this.registry.metrics());
    });
  }
}

/** CleanVerb: the HTTP method upper-cased, with LIST, WATCH and APPLY told apart. */
function cleanVerb(info: RequestInfo, method: string, contentType: string): string {
  if (info.isResourceRequest) {
    if (info.verb === 'list') return 'LIST';
    if (info.verb === 'watch') return 'WATCH';
    if (info.verb === 'patch' && contentType.startsWith('application/apply-patch')) return 'APPLY';
    if (['exec', 'attach', 'portforward', 'proxy'].includes(info.subresource)) return 'CONNECT';
  }
  return method.toUpperCase();
}

/** CleanScope: resource for a named object or a create, namespace, cluster; empty off the API. */
function cleanScope(info: RequestInfo): string {
  if (!info.isResourceRequest) return '';
  if (info.name || info.verb === 'create') return 'resource';
  return info.namespace ? 'namespace' : 'cluster';
}
