// Assembles the apiserver from its frozen config: store, registries, authn/authz, the handler
// chain, routes; and shuts it down in order (not ready → drain → end watches → close store).

import { setMaxListeners } from 'node:events';
import type {
  APIService,
  Eviction,
  Namespace,
  Node,
  Pod,
  ResourceQuota,
  Secret,
  ServiceAccount,
  TokenRequest,
  ValidatingAdmissionPolicy,
} from '@mkube/shared/api';
import {
  type Authenticator,
  anonymousAuthenticator,
  bearerTokenAuthenticator,
  bootstrapTokenAuthenticator,
  cachedTokenAuthenticator,
  isRequestHeader,
  requestHeaderAuthenticator,
  type TokenAuthenticator,
  tokenFileAuthenticator,
  type UserInfo,
  unionAuthenticator,
  unionTokenAuthenticator,
  withAuthenticatedGroup,
  x509Authenticator,
} from '@mkube/shared/auth';
import { Verbosity } from '@mkube/shared/debugflags';
import type { Logger } from '@mkube/shared/log';
import { listenBacklog } from '@mkube/shared/net';
import { processProfiler } from '@mkube/shared/pprof';
import { LEGACY_TOKEN_LAST_USED_LABEL } from '@mkube/shared/serviceaccount';
import type { FastifyInstance } from 'fastify';
import { quotaAccessor } from '../admission/plugins/resourcequota/index.js';
import { PolicySource } from '../admission/plugins/validatingadmissionpolicy/index.js';
import { buildAdmission } from '../admission/registry.js';
import { WebhookAdmission } from '../admission/webhook/index.js';
import { isAvailable } from '../aggregator/apiservices.js';
import { Aggregator } from '../aggregator/index.js';
import { Auditor, LogBackend, PolicyRuleEvaluator } from '../audit/index.js';
import { unionBackend, WebhookBackend } from '../audit/webhook.js';
import { buildAuthorizer, entriesForModes } from '../auth/authorization.js';
import { reconcileBootstrapPolicy } from '../auth/bootstrappolicy/index.js';
import { tokenWebhookAuthenticator } from '../auth/webhook/index.js';
import { JwtAuthenticatorSet } from '../authentication/jwt/set.js';
import type { ApiServerConfig } from '../config/config.js';
import { DefaultServiceCIDRController } from '../controlplane/defaultservicecidr.js';
import { IdentityLeaseController, type IdentityLeaseTiming } from '../controlplane/identitylease.js';
import { KubernetesServiceController } from '../controlplane/kubernetesservice.js';
import { LegacyTokenTrackingController } from '../controlplane/legacytokentracking.js';
import { RepairIPController } from '../controlplane/repairip.js';
import {
  delayedHealthCheck,
  type HealthCheck,
  registerDiscoveryRoutes,
  registerHealthRoutes,
} from '../discovery/index.js';
import { createResourceHandler, createWatchSocketHandler } from '../endpoints/index.js';
import { APFConfigurationEnsurer } from '../flowcontrol/ensurer.js';
import { Informer } from '../informers/index.js';
import { createKubeletProxy, KubeletClient } from '../kubelet/index.js';
import { ApiServerMetrics } from '../metrics/index.js';
import { registerOpenAPIRoutes } from '../openapi/index.js';
import { localAPIServices, registerLocalAPIServices } from '../registry/apiregistration/autoregister.js';
import { scaleSubresources } from '../registry/apps/scale.js';
import { publishAuthenticationInfo } from '../registry/authenticationinfo.js';
import { ensureSystemNamespaces } from '../registry/bootstrap.js';
import { podBinder } from '../registry/core/binding.js';
import { componentStatuses } from '../registry/core/componentstatus.js';
import { checkEviction, evictPod } from '../registry/core/eviction.js';
import { limitRangeLister } from '../registry/core/limitrangelister.js';
import { EVERYTHING } from '../registry/filter.js';
import { Registries } from '../registry/index.js';
import { resourcePrefix } from '../registry/keys.js';
import { clusterLister } from '../registry/lister.js';
import { BOOTSTRAP_PRIORITY_CLASSES_HOOK, bootstrapSystemPriorityClasses } from '../registry/scheduling/bootstrap.js';
import { priorityClassLister } from '../registry/scheduling/lister.js';
import { apiserverContext } from '../registry/strategy.js';
import { createReviewHandler } from '../review/index.js';
import {
  type IssuerDiscoveryDocuments,
  registerIssuerDiscoveryRoutes,
  renderIssuerDiscovery,
} from '../serviceaccount/discovery.js';
import { legacyServiceAccountTokenAuthenticator } from '../serviceaccount/legacy.js';
import {
  type BoundTokenMetrics,
  issueToken,
  type Lookups,
  serviceAccountTokenAuthenticator,
  type TokenRequestScope,
} from '../serviceaccount/token.js';
import { newCompactor, type Store, TTLExpirer } from '../storage/index.js';
import type { KmsV2Timing } from '../storage/value/kms/provider.js';
import { raceTimeout } from '../util/deadline.js';
import { buildApp } from './app.js';
import { type ServingCertificates, servingCertificates } from './certificates.js';
import { authorize } from './chain.js';
import { dynamicClientPair } from './clientpair.js';
import { type GateFactory, maxInFlightGate, priorityAndFairnessGate } from './flowgate.js';
import { MaxInFlightLimiter } from './maxinflight.js';
import { type PostStartHook, type PostStartHookError, PostStartHooks, retryingHook } from './poststarthooks.js';
import {
  type PriorityAndFairness,
  registerPriorityAndFairnessDebug,
  startPriorityAndFairness,
} from './priorityandfairness.js';
import { registerProfiling } from './profiling.js';
import { registerResourceRoutes } from './resources.js';
import { openStorage } from './storage.js';

export interface StartOptions {
  readonly log: Logger;
  /** Longest wait for in-flight requests before connections are cut (default 20 s). */
  readonly drainTimeoutMs?: number;
  /** Where `componentstatuses` probes the controller-manager and the scheduler (default 10257, 10259). */
  readonly componentPorts?: { readonly controllerManager: number; readonly scheduler: number };
  /** The KMS v2 providers' Status polling and write-state lifetime (tests; upstream's by default). */
  readonly kmsTiming?: Partial<KmsV2Timing>;
  /** The identity lease's duration, renewal and collection periods (tests; upstream's by default). */
  readonly identityLeaseTiming?: Partial<IdentityLeaseTiming>;
  /**
   * How long a token that authenticated is believed without a new lookup (kube-apiserver's
   * TokenSuccessCacheTTL, 10 s, which no flag changes). Tests of revocation set 0, as upstream's do.
   */
  readonly tokenSuccessCacheTtlMs?: number;
  /** How long startApiServer waits for the post-start hooks before it returns anyway (default 30 s). */
  readonly postStartHooksWaitMs?: number;
  /** Hooks added after kube-apiserver's own (an embedder's, as AddPostStartHook; tests). */
  readonly postStartHooks?: readonly { readonly name: string; readonly hook: PostStartHook }[];
}

export interface RunningApiServer {
  /** The port actually bound (useful with --secure-port=0). */
  readonly port: number;
  readonly address: string;
  readonly store: Store;
  /** Aborted when shutdown begins draining: watches end. */
  readonly shutdownSignal: AbortSignal;
  /**
   * Resolves with a post-start hook's error if one throws after start (kube-apiserver exits then:
   * whoever runs this server stops it); never otherwise. One that throws before startApiServer has
   * returned makes it reject instead, the server stopped.
   */
  readonly failed: Promise<PostStartHookError>;
  /** Graceful stop; resolves when the listener, connections and store are closed. Idempotent. */
  stop(): Promise<void>;
}

/** Caches the token authenticators read, so no authentication reads the store. */
interface AuthCaches {
  readonly secrets?: Informer<Secret>;
  readonly serviceAccounts?: Informer<ServiceAccount>;
  readonly pods?: Informer<Pod>;
  /**
   * A live read, not an informer: only node-bound tokens and pod-bound TokenRequests need a Node,
   * and a cache of every Node would cost memory at thousands of nodes.
   */
  readonly node?: (name: string) => Promise<Node | undefined>;
}

function lookupsOf(caches: AuthCaches): Lookups {
  return {
    serviceAccount: (ns, name) => caches.serviceAccounts?.get(ns, name),
    pod: (ns, name) => caches.pods?.get(ns, name),
    secret: (ns, name) => caches.secrets?.get(ns, name),
    node: async (name) => caches.node?.(name),
  };
}

function tokenAuthenticators(
  config: ApiServerConfig,
  caches: AuthCaches,
  jwt: TokenAuthenticator | undefined,
  webhook?: TokenAuthenticator,
  legacy?: TokenAuthenticator,
  boundTokenMetrics?: BoundTokenMetrics,
): TokenAuthenticator[] {
  const tokens: TokenAuthenticator[] = [];
  if (config.staticTokens) tokens.push(tokenFileAuthenticator(config.staticTokens));
  // Secret-based tokens first: a cheap look at the issuer tells them from bound ones.
  if (legacy) tokens.push(legacy);
  if (config.serviceAccount)
    tokens.push(serviceAccountTokenAuthenticator(config.serviceAccount, lookupsOf(caches), boundTokenMetrics));
  const secrets = caches.secrets;
  if (config.enableBootstrapTokenAuth && secrets) {
    tokens.push(bootstrapTokenAuthenticator({ getSecret: (ns, name) => secrets.get(ns, name) }));
  }
  // Upstream's order: token file, service accounts, bootstrap tokens, then the JWT (OIDC) issuers.
  if (jwt) tokens.push(jwt);
  // Last, the remote token webhook (--authentication-token-webhook-config-file).
  if (webhook) tokens.push(webhook);
  return tokens;
}

function buildAuthenticator(
  config: ApiServerConfig,
  caches: AuthCaches,
  jwt: TokenAuthenticator | undefined,
  webhook: TokenAuthenticator | undefined,
  metrics: ApiServerMetrics,
  certs: ServingCertificates,
  legacy?: TokenAuthenticator,
  tokenSuccessCacheTtlMs?: number,
): Authenticator {
  const credentials: Authenticator[] = [];
  // Kubernetes' order: the front proxy first, then client certificates, then bearer tokens.
  const rh = config.requestHeader;
  if (rh) credentials.push(requestHeaderAuthenticator({ ...rh, roots: () => certs.requestHeaderRoots() }));
  if (config.clientCA) {
    const observeRemaining = (seconds: number) => metrics.observeClientCertificateExpiration(seconds);
    credentials.push(x509Authenticator({ roots: () => certs.clientCARoots(), observeRemaining }));
  }
  // kube-apiserver caches the union's successes for 10 s (TokenSuccessCacheTTL).
  const tokens = unionTokenAuthenticator(
    tokenAuthenticators(config, caches, jwt, webhook, legacy, metrics.boundTokens),
  );
  credentials.push(
    bearerTokenAuthenticator([
      cachedTokenAuthenticator(tokens, {
        stats: metrics.tokenCache,
        ...(tokenSuccessCacheTtlMs === undefined ? {} : { successTtlMs: tokenSuccessCacheTtlMs }),
      }),
    ]),
  );
  const authenticated = withAuthenticatedGroup(unionAuthenticator(credentials));
  // A bad credential is a 401 even when anonymous requests are allowed (unionauth.NewFailOnError).
  return config.anonymousAuth
    ? unionAuthenticator([authenticated, anonymousOn(config.anonymousPaths)], { failOnError: true })
    : authenticated;
}

/**
 * ServiceAccountIssuerDiscovery for the first --service-account-issuer; the jwks_uri defaults to this
 * apiserver's advertise address and bound port (known once listening, hence rendered on first use).
 */
function registerServiceAccountIssuerDiscovery(f: FastifyInstance, config: ApiServerConfig, log: Logger): void {
  const sa = config.serviceAccount!;
  const opts = { issuer: sa.issuers[0]!, jwksURI: sa.jwksURI, publicKeys: sa.publicKeys };
  const probe = renderIssuerDiscovery(opts, 'localhost');
  if ('error' in probe) {
    log.warn({ err: probe.error }, 'ServiceAccountIssuerDiscovery endpoints are not enabled');
    return;
  }
  let docs: IssuerDiscoveryDocuments | undefined;
  registerIssuerDiscoveryRoutes(f, () => {
    if (!docs) {
      const addr = f.server.address();
      const port = typeof addr === 'object' && addr ? addr.port : config.serving.port;
      const host = config.services.advertiseAddress;
      const rendered = renderIssuerDiscovery(opts, `${host.includes(':') ? `[${host}]` : host}:${port}`);
      if ('error' in rendered) throw new Error(rendered.error);
      docs = rendered;
    }
    return docs;
  });
}

/** Anonymous requests, limited to the configured paths when there are any (anonymous.conditions). */
function anonymousOn(paths: readonly string[]): Authenticator {
  if (paths.length === 0) return anonymousAuthenticator;
  const allowed = new Set(paths);
  return {
    authenticate: (req) =>
      allowed.has(req.path.split('?')[0]!) ? anonymousAuthenticator.authenticate(req) : Promise.resolve(null),
  };
}

export async function startApiServer(config: ApiServerConfig, opts: StartOptions): Promise<RunningApiServer> {
  const log = opts.log;
  const metrics = new ApiServerMetrics();
  const { store, kmsProviders } = await openStorage(config, log, {
    ...(opts.kmsTiming ? { kmsTiming: opts.kmsTiming } : {}),
    encryptionReloads: metrics.authConfig.encryption,
    kmsMetrics: metrics.kms,
  });
  const shutdown = new AbortController();
  // Every open watch listens on it (and removes its listener when it ends): not a leak.
  setMaxListeners(0, shutdown.signal);
  let shuttingDown = false;
  let stopAuthz: () => void = () => {};
  let stoppedBy: unknown;
  try {
    const serviceOpts = {
      serviceCidr: config.services.cidr,
      nodePortRange: config.services.nodePortRange,
      gates: config.featureGates,
      allowPrivileged: config.allowPrivileged,
    };
    const registries = new Registries(store, serviceOpts);
    // Done before listening, unlike upstream's hooks: the admission and RBAC caches list them at
    // their start. Their post-start hooks (below) wait for these.
    const systemNamespaces = ensureSystemNamespaces(registries);
    await systemNamespaces;
    const bootstrapRoles = config.authorizationModes.includes('RBAC')
      ? reconcileBootstrapPolicy(registries, log, config.featureGates)
      : undefined;
    await bootstrapRoles;
    const certs = servingCertificates(config.serving, config.clientCA, config.requestHeader?.ca, log);
    const authenticationInfo = (): Promise<void> =>
      publishAuthenticationInfo(registries, {
        ...(certs.clientCA ? { clientCAPem: certs.clientCA.current.pem } : {}),
        ...(config.requestHeader
          ? {
              requestHeader: {
                ...config.requestHeader,
                ca: { ...config.requestHeader.ca, ...certs.requestHeaderCA!.current },
              },
            }
          : {}),
      });
    const authz = buildAuthorizer(
      config.authorization?.entries ?? entriesForModes(config.authorizationModes),
      registries,
      log,
      {
        legacyWebhook: config.authorizationWebhook,
        file: config.authorization?.file,
        recordDecision: (type, name, decision) => metrics.recordAuthorizationDecision(type, name, decision),
        reloads: metrics.authConfig.authorization,
        gates: config.featureGates,
      },
    );
    const tokenWebhook = config.tokenWebhook
      ? tokenWebhookAuthenticator(config.tokenWebhook, log.child({ component: 'token-webhook' }))
      : undefined;
    const sa = !!config.serviceAccount;
    const caches: AuthCaches = {
      secrets:
        config.enableBootstrapTokenAuth || sa ? new Informer<Secret>(registries.get('', 'secrets')!, log) : undefined,
      serviceAccounts: sa ? new Informer<ServiceAccount>(registries.get('', 'serviceaccounts')!, log) : undefined,
      pods: sa ? new Informer<Pod>(registries.get('', 'pods')!, log) : undefined,
      node: async (name) => {
        try {
          return (await registries.get('', 'nodes')!.get('', name)) as Node;
        } catch {
          return undefined;
        }
      },
    };
    const legacyTokens = config.serviceAccount
      ? legacyServiceAccountTokenAuthenticator(
          config.serviceAccount.publicKeys,
          {
            serviceAccount: (ns, name) => caches.serviceAccounts?.get(ns, name),
            secret: (ns, name) => caches.secrets?.get(ns, name),
            markUsed: async (secret, day) => {
              const ns = secret.metadata.namespace ?? '';
              const name = secret.metadata.name ?? '';
              await registries
                .get('', 'secrets')!
                .guaranteedUpdate(ns, name, '', apiserverContext(), { dryRun: false }, undefined, (cur) => {
                  // The same Secret, not one recreated under its name meanwhile.
                  if (cur.metadata.uid !== secret.metadata.uid) throw new Error('the secret was replaced');
                  const labels = { ...cur.metadata.labels, [LEGACY_TOKEN_LAST_USED_LABEL]: day };
                  return { ...cur, metadata: { ...cur.metadata, labels } };
                });
            },
          },
          log.child({ component: 'legacy-serviceaccount-tokens' }),
          undefined,
          metrics.legacyTokens,
          config.serviceAccount.lookup,
        )
      : undefined;
    const namespaces = new Informer<Namespace>(registries.namespaces, log);
    // ResourceQuota admission asks on every namespaced create whether the namespace has a quota.
    const quotaRegistry = registries.get('', 'resourcequotas');
    const quotas = quotaRegistry ? new Informer<ResourceQuota>(quotaRegistry, log) : undefined;
    const informers = [
      namespaces,
      ...[caches.secrets, caches.serviceAccounts, caches.pods, quotas].filter((i) => i !== undefined),
    ];
    // The admission webhooks' configurations and the admission policies, kept by watches like the namespaces.
    const webhooks = new WebhookAdmission({
      registries,
      namespaces,
      log,
      kubeconfigs: config.admission.plugins.webhookKubeconfigs,
      routing: config.proxyClient.enableAggregatorRouting,
    });
    const policies = new PolicySource({ registries, namespaces, log });
    const informersStarted = Promise.all([
      authz.start(),
      webhooks.start(),
      policies.start(),
      ...informers.map((i) => i.start()),
    ]);
    await informersStarted;
    const authn = config.authentication;
    const jwt = authn
      ? new JwtAuthenticatorSet({
          entries: authn.jwt,
          signingAlgs: authn.signingAlgs,
          file: authn.file,
          disallowedIssuers: config.serviceAccount?.issuers ?? [],
          log,
          metrics: {
            jwt: metrics.authConfig.jwt,
            reload: metrics.authConfig.authentication,
            forgetIssuer: (issuer) => metrics.authConfig.forgetIssuer(issuer),
          },
        })
      : undefined;
    jwt?.start();
    stopAuthz = () => {
      void jwt?.close();
      authz.stop();
      tokenWebhook?.close();
      for (const i of informers) i.stop();
      webhooks.stop();
      policies.stop();
    };
    const audit = config.audit;
    const auditWebhook = audit?.webhook
      ? new WebhookBackend({
          ...audit.webhook,
          log: log.child({ component: 'audit-webhook' }),
          onDropped: (n) => metrics.audit.error('webhook', n),
        })
      : undefined;
    const auditor = audit
      ? new Auditor(
          new PolicyRuleEvaluator(audit.policy),
          unionBackend([
            ...(audit.logPath
              ? [
                  new LogBackend({
                    path: audit.logPath,
                    maxSizeMB: audit.maxSizeMB,
                    maxBackups: audit.maxBackups,
                    maxAgeDays: audit.maxAgeDays,
                  }),
                ]
              : []),
            ...(auditWebhook ? [auditWebhook] : []),
          ]),
          metrics.audit,
        )
      : undefined;
    if (audit) {
      log.info(
        { policy: audit.policyFile, path: audit.logPath, webhook: audit.webhook?.client.server },
        'auditing requests',
      );
    }
    const verbosity = new Verbosity(log, config.verbosity);
    let concurrencyGate: GateFactory | undefined;
    let priorityAndFairness: PriorityAndFairness | undefined;
    let priorityAndFairnessStarted: Promise<PriorityAndFairness> | undefined;
    if (config.enablePriorityAndFairness) {
      priorityAndFairnessStarted = startPriorityAndFairness(registries, {
        serverConcurrencyLimit: config.maxRequestsInflight + config.maxMutatingRequestsInflight,
        requestWaitLimitMs: (config.requestTimeoutMs || 60_000) / 4,
        metrics: metrics.flowControl,
        log: log.child({ component: 'priority-and-fairness' }),
      });
      priorityAndFairness = await priorityAndFairnessStarted;
      concurrencyGate = priorityAndFairnessGate(priorityAndFairness.controller, metrics.flowControl);
      const stopBefore = stopAuthz;
      stopAuthz = () => {
        stopBefore();
        void priorityAndFairness?.stop();
      };
    } else if (config.maxRequestsInflight > 0 || config.maxMutatingRequestsInflight > 0) {
      const maxInFlight = new MaxInFlightLimiter(config.maxRequestsInflight, config.maxMutatingRequestsInflight);
      metrics.inflightRequests(() => maxInFlight.inflight);
      concurrencyGate = maxInFlightGate(maxInFlight);
    }
    const app = await buildApp({
      verbosity,
      goawayChance: config.goawayChance,
      ...(concurrencyGate ? { concurrencyGate } : {}),
      auditor,
      requestTimeoutMs: config.requestTimeoutMs,
      corsAllowedOrigins: config.corsAllowedOrigins,
      ...(config.hsts ? { hsts: config.hsts } : {}),
      serving: config.serving,
      clientCAPem: certs.clientCAPem(),
      isRequestHeader: config.requestHeader
        ? (name: string) => isRequestHeader(name, config.requestHeader!)
        : undefined,
      authenticator: buildAuthenticator(
        config,
        caches,
        jwt,
        tokenWebhook,
        metrics,
        certs,
        legacyTokens,
        opts.tokenSuccessCacheTtlMs,
      ),
      authorizer: authz.authorizer,
      metrics,
      log,
    });
    const f = app.fastify;
    certs.onChange(() => {
      app.updateTLS(certs.serving.current, certs.clientCAPem());
      authenticationInfo().catch((e: unknown) =>
        log.error({ err: (e as Error).message }, 'could not publish the reloaded client CAs'),
      );
    });
    certs.run(shutdown.signal);
    const ping: HealthCheck = { name: 'ping', check: () => undefined };
    const logCheck: HealthCheck = { name: 'log', check: () => undefined };
    // Named etcd as in kube-apiserver (probes may exclude it by name); it checks the embedded store.
    const storage: HealthCheck = {
      name: 'etcd',
      check: async () => {
        try {
          await store.get('/registry/health');
          return undefined;
        } catch (e) {
          return (e as Error).message;
        }
      },
    };
    const shutdownCheck: HealthCheck = {
      name: 'shutdown',
      check: () => (shuttingDown ? 'process is shutting down' : undefined),
    };
    // kube-apiserver's kms-providers check: each KMS v2 plugin's Status (healthz ok, v2, a key_id).
    // With reloading on, the providers are those of the configuration running at the time (and
    // the check is there even while none is configured, as upstream's).
    const kms: HealthCheck[] =
      config.encryptionProviderConfigAutomaticReload || kmsProviders().length > 0
        ? [
            {
              name: 'kms-providers',
              check: async () => {
                const problems = (await Promise.all(kmsProviders().map((p) => p.health()))).filter(Boolean);
                return problems.length === 0 ? undefined : problems.join('; ');
              },
            },
          ]
        : [];
    // upstream's etcd-readiness (readyz only): the same read of the store, bounded by
    // --etcd-readycheck-timeout's default, 2 s.
    const storageReadiness: HealthCheck = {
      name: 'etcd-readiness',
      check: () =>
        raceTimeout(Promise.resolve(storage.check()), 2_000, 'error getting data from etcd: context deadline exceeded'),
    };
    // The aggregation layer: remote APIServices proxied with --proxy-client-cert-file's identity.
    const proxyClientPair = dynamicClientPair(
      'aggregator-proxy-client',
      { cert: 'proxy-client-cert-file', key: 'proxy-client-key-file' },
      config.proxyClient,
      log,
    );
    const aggregator = new Aggregator({
      registries,
      ...(proxyClientPair ? { proxyClientPair: () => proxyClientPair.current } : {}),
      routing: config.proxyClient.enableAggregatorRouting,
      log,
    });
    const aggregatorStarted = aggregator.start();
    await aggregatorStarted;
    const stopInformers = stopAuthz;
    stopAuthz = () => {
      stopInformers();
      aggregator.stop();
    };
    // readyz's informer-sync: the caches requests are authenticated, authorized and admitted from.
    const caching: [string, { hasSynced(): boolean }][] = [
      ['authorization', authz],
      ['admission webhook configurations', webhooks],
      ['admission policies', policies],
      ['apiregistration', aggregator],
      ...informers.map((i): [string, Informer] => [
        i.registry.def.group ? `${i.registry.def.resource}.${i.registry.def.group}` : i.registry.def.resource,
        i,
      ]),
    ];
    const informerSync: HealthCheck = {
      name: 'informer-sync',
      check: () => {
        const notSynced = caching.filter(([, c]) => !c.hasSynced()).map(([name]) => name);
        return notSynced.length ? `${notSynced.length} informers not started yet: [${notSynced.join(' ')}]` : undefined;
      },
    };

    // Post-start hooks, in the order kube-apiserver adds them (so /readyz?verbose lists them), for
    // what this apiserver does at start; each hook's function ends when its work is done.
    const hooks = new PostStartHooks(log);
    if (config.encryptionProviderConfigFile && config.encryptionProviderConfigAutomaticReload) {
      // openStorage started watching the file before anything was served.
      hooks.add('start-encryption-provider-config-automatic-reload', () => undefined);
    }
    hooks.add('generic-apiserver-start-informers', async () => {
      await informersStarted;
    });
    if (priorityAndFairnessStarted) {
      // The dispatcher has its FlowSchemas and levels from the store (until then, the mandatory ones).
      const started = priorityAndFairnessStarted;
      hooks.add('priority-and-fairness-config-consumer', async () => {
        await started;
      });
      // The resources' object counts for the work estimates of lists: the first sample, then one a minute.
      hooks.add('storage-object-count-tracker-hook', async () => {
        await (await started).objectCountsSampled;
      });
    }
    hooks.add('start-system-namespaces-controller', () => systemNamespaces);
    hooks.add(
      'start-cluster-authentication-info-controller',
      retryingHook(authenticationInfo, log, 'unable to publish kube-system/extension-apiserver-authentication'),
    );
    const identityLease = new IdentityLeaseController(registries, log, {
      ...(opts.identityLeaseTiming ? { timing: opts.identityLeaseTiming } : {}),
    });
    hooks.add('start-kube-apiserver-identity-lease-controller', () => identityLease.startRenewing());
    hooks.add('start-kube-apiserver-identity-lease-garbage-collector', () => identityLease.startCollecting());
    const legacyTokenTracking = new LegacyTokenTrackingController(registries, log);
    hooks.add('start-legacy-token-tracking-controller', () => legacyTokenTracking.start());
    // Every Service cluster IP has its IPAddress, and none outlives its Service (MultiCIDRServiceAllocator).
    const ipAddresses = config.apiCatalog.find('networking.k8s.io', 'v1', 'ipaddresses')
      ? registries.get('networking.k8s.io', 'ipaddresses')
      : undefined;
    const repairIP = ipAddresses
      ? new RepairIPController({
          services: registries.get('', 'services')!,
          ipAddresses,
          allocators: registries.serviceAllocators,
          log,
        })
      : undefined;
    if (repairIP) hooks.add('start-service-ip-repair-controllers', () => repairIP.start());
    if (bootstrapRoles) {
      const reconciled = bootstrapRoles;
      hooks.add('rbac/bootstrap-roles', () => reconciled);
    }
    // Only while the API is served, as upstream adds the hook with the scheduling storage.
    const priorityClasses = config.apiCatalog.find('scheduling.k8s.io', 'v1', 'priorityclasses')
      ? registries.get('scheduling.k8s.io', 'priorityclasses')
      : undefined;
    if (priorityClasses) {
      hooks.add(BOOTSTRAP_PRIORITY_CLASSES_HOOK, ({ signal }) =>
        bootstrapSystemPriorityClasses(priorityClasses, log, signal),
      );
    }
    // The built-in FlowSchemas and PriorityLevelConfigurations are kept whenever the group is served;
    // the hook ends with the first pass that succeeds, passes going on every second until one does,
    // for 5 minutes at most (upstream's bound; the ensurer keeps trying after, the check stays failed).
    const apfServed = !!config.apiCatalog.find('flowcontrol.apiserver.k8s.io', 'v1', 'flowschemas');
    const apfEnsurer = apfServed ? new APFConfigurationEnsurer(registries, log) : undefined;
    if (apfEnsurer) {
      hooks.add('priority-and-fairness-config-producer', async ({ signal }) => {
        await apfEnsurer.start();
        if (apfEnsurer.succeeded || signal.aborted) return;
        const outcome = await raceTimeout(apfEnsurer.whenSucceeded(), 5 * 60_000, 'timeout' as const, true);
        if (outcome === 'timeout') throw new Error('unable to initialize APF bootstrap configuration');
      });
    }
    // Built once the port is known (the Service's targetPort is the bound one).
    let kubernetesService: KubernetesServiceController | undefined;
    let boundPort = config.serving.port;
    hooks.add('bootstrap-controller', () => {
      kubernetesService = new KubernetesServiceController({
        registries,
        advertiseAddress: config.services.advertiseAddress,
        reconcileEndpoints: config.services.reconcileEndpoints,
        securePort: boundPort,
        log,
      });
      return kubernetesService.start();
    });
    // The ServiceCIDR `kubernetes` from --service-cluster-ip-range, while networking.k8s.io/v1 serves it.
    const serviceCIDRs = config.apiCatalog.find('networking.k8s.io', 'v1', 'servicecidrs')
      ? registries.get('networking.k8s.io', 'servicecidrs')
      : undefined;
    const defaultServiceCIDR = serviceCIDRs
      ? new DefaultServiceCIDRController(serviceCIDRs, [config.services.cidr], log)
      : undefined;
    if (defaultServiceCIDR) hooks.add('start-kubernetes-service-cidr-controller', () => defaultServiceCIDR.start());
    if (proxyClientPair) {
      hooks.add('aggregator-reload-proxy-client-cert', ({ signal }) => proxyClientPair.run(signal));
    }
    // The aggregator's caches, its availability controller and its routing by APIService all start
    // with aggregator.start(), before listening.
    hooks.add('start-kube-aggregator-informers', async () => {
      await aggregatorStarted;
    });
    hooks.add('apiservice-status-remote-available-controller', async () => {
      await aggregatorStarted;
    });
    hooks.add('apiservice-registration-controller', async () => {
      await aggregatorStarted;
    });
    hooks.add(
      'kube-apiserver-autoregistration',
      retryingHook(
        () => registerLocalAPIServices(registries, config.apiCatalog),
        log,
        'unable to register APIServices',
      ),
    );
    for (const h of opts.postStartHooks ?? []) hooks.add(h.name, h.hook);
    // upstream's makeAPIServiceAvailableHealthCheck: ok once each local APIService has been seen
    // Available at least once.
    const pendingAPIServices = new Set(localAPIServices(config.apiCatalog).map((a) => a.metadata.name!));
    const seenAvailable = (s: APIService) => {
      if (isAvailable(s)) pendingAPIServices.delete(s.metadata.name ?? '');
    };
    aggregator.apiServices.addHandlers({ onAdd: seenAvailable, onUpdate: seenAvailable });
    const autoregisterCompletion: HealthCheck = {
      name: 'autoregister-completion',
      check: () =>
        pendingAPIServices.size ? `missing APIService: [${[...pendingAPIServices].sort().join(' ')}]` : undefined,
    };
    const hookChecks = hooks.checks();
    // The boot sequence's checks (the hooks', autoregister-completion) pass /livez during
    // --livez-grace-period, counted from here as upstream's from when they are added.
    const bootSequence = (c: HealthCheck) => delayedHealthCheck(c, config.livezGracePeriodMs);
    // As kube-apiserver's: kms-providers is not a liveness check, and etcd-readiness, informer-sync
    // and shutdown are readiness checks only.
    registerHealthRoutes(f, {
      healthz: [ping, logCheck, storage, ...kms, ...hookChecks, autoregisterCompletion],
      livez: [ping, logCheck, storage, ...[...hookChecks, autoregisterCompletion].map(bootSequence)],
      readyz: [
        ping,
        logCheck,
        storage,
        storageReadiness,
        ...kms,
        informerSync,
        ...hookChecks,
        autoregisterCompletion,
        shutdownCheck,
      ],
    });
    registerDiscoveryRoutes(f, aggregator, config.apiCatalog);
    registerOpenAPIRoutes(f, config.apiCatalog);
    if (priorityAndFairness) registerPriorityAndFairnessDebug(f, priorityAndFairness.controller);
    metrics.register(f);
    if (config.profiling) registerProfiling(f, processProfiler(), verbosity, shutdown.signal);
    if (config.serviceAccount) registerServiceAccountIssuerDiscovery(f, config, log);
    const review = createReviewHandler({
      tokenAuthenticator: withAuthenticatedGroup(
        bearerTokenAuthenticator(
          tokenAuthenticators(config, caches, jwt, tokenWebhook, legacyTokens, metrics.boundTokens),
        ),
      ),
      authorizer: authz.authorizer,
      ruleResolver: authz.ruleResolver,
    });
    // Requests are served through registries that run admission; the informers above read the store
    // through plain ones (admission needs the authorizer, which needs the informers).
    const admission = buildAdmission(config.admission.enable, config.admission.disable, {
      authorizer: authz.authorizer,
      defaultTolerationSeconds: config.admission.defaultTolerationSeconds,
      ...(config.admission.plugins.eventRateLimit ? { eventRateLimit: config.admission.plugins.eventRateLimit } : {}),
      gates: config.featureGates,
      rbac: authz.rbac,
      webhooks,
      policies,
      getPolicy: async (name) => {
        try {
          return (await registries
            .get('admissionregistration.k8s.io', 'validatingadmissionpolicies')!
            .get('', name)) as ValidatingAdmissionPolicy;
        } catch {
          return undefined;
        }
      },
      getPod: async (ns, name) => {
        try {
          return (await registries.get('', 'pods')!.get(ns, name)) as Pod;
        } catch {
          return undefined;
        }
      },
      getNode: async (name) => {
        try {
          return (await registries.get('', 'nodes')!.get('', name)) as Node;
        } catch {
          return undefined;
        }
      },
      priorityClasses: priorityClassLister(priorityClasses),
      limitRanges: limitRangeLister(registries.get('', 'limitranges')),
      storageClasses: clusterLister(registries.get('storage.k8s.io', 'storageclasses')),
      ingressClasses: clusterLister(registries.get('networking.k8s.io', 'ingressclasses')),
      runtimeClasses: clusterLister(registries.get('node.k8s.io', 'runtimeclasses')),
      resourceQuotas: quotaAccessor(quotaRegistry, store, quotas),
      ...(config.admission.plugins.resourceQuota
        ? { resourceQuotaConfig: config.admission.plugins.resourceQuota }
        : {}),
      getServiceAccount: async (ns, name) => {
        try {
          return await registries.get('', 'serviceaccounts')!.get(ns, name);
        } catch {
          return undefined;
        }
      },
      podSecurity: {
        config: config.admission.plugins.podSecurity,
        // As upstream: the watch-fed namespace cache, and a live read only when it has no such namespace.
        getNamespace: async (name) => {
          const cached = namespaces.hasSynced() ? namespaces.get('', name) : undefined;
          if (cached) return cached;
          try {
            return (await registries.namespaces.get('', name)) as Namespace;
          } catch {
            return undefined;
          }
        },
        listPods: async (ns) =>
          (await registries.get('', 'pods')!.list({ namespace: ns, filter: EVERYTHING })).items as Pod[],
      },
    });
    const servingRegistries = new Registries(store, {
      admission,
      metrics,
      authorizer: authz.authorizer,
      ...serviceOpts,
    });
    metrics.trackStorageObjects(() =>
      servingRegistries.all().map((r) => ({
        // Upstream's label: the resource, with its group when it has one (pods, leases.coordination.k8s.io).
        resource: r.def.group ? `${r.def.resource}.${r.def.group}` : r.def.resource,
        count: async () => (await store.list(resourcePrefix(r.def), { limit: 1 })).count,
      })),
    );
    servingRegistries.namespaceLister = namespaces;
    const saConfig = config.serviceAccount;
    const signing = saConfig?.signingKey
      ? {
          signingKey: saConfig.signingKey,
          issuer: saConfig.issuers[0]!,
          audiences: saConfig.audiences,
          maxExpirationSeconds: saConfig.maxExpirationSeconds,
          extendExpiration: saConfig.extendExpiration,
        }
      : undefined;
    const tokenRequest = signing
      ? async (ns: string, name: string, req: TokenRequest, user: UserInfo, scope: TokenRequestScope) => {
          // serviceaccounts/token create goes through admission (NodeRestriction binds a node's
          // tokens to its own pods), as upstream's TokenRequest storage does.
          const attrs = {
            operation: 'CREATE' as const,
            user,
            group: '',
            version: 'v1',
            resource: 'serviceaccounts',
            subresource: 'token',
            kind: 'TokenRequest',
            namespace: ns,
            name,
            object: req,
            oldObject: undefined,
            dryRun: false,
            ...scope,
          };
          await admission.admit(attrs);
          await admission.validate(attrs);
          return issueToken(signing, lookupsOf(caches), ns, name, req, new Date(), scope);
        }
      : undefined;
    // pods/eviction: admitted as a create of the subresource (NodeRestriction: a node evicts only its
    // own pods), then the pod deleted through the plain registry, as upstream's EvictionREST.
    const evict = async (ns: string, name: string, eviction: Eviction, user: UserInfo, dryRun: boolean) => {
      checkEviction(name, ns, eviction);
      const pods = registries.get('', 'pods')!;
      const pod = (await pods.get(ns, name)) as Pod;
      const attrs = {
        operation: 'CREATE' as const,
        user,
        group: '',
        version: 'v1',
        resource: 'pods',
        subresource: 'eviction',
        kind: 'Eviction',
        namespace: ns,
        name,
        object: eviction,
        oldObject: pod,
        dryRun,
      };
      await admission.admit(attrs);
      await admission.validate(attrs);
      return evictPod(pods, registries.get('policy', 'poddisruptionbudgets')!, pod, eviction, dryRun);
    };
    const handler = createResourceHandler({
      evict,
      // pods/binding and bindings: admitted as a create of the Binding, then one storage-level write
      // of the pod, as upstream's BindingREST.
      bind: podBinder({ store, admission }),
      // <resource>/scale: admitted as an update of the Scale, then the parent written through the
      // plain registry with its own strategy, as upstream's ScaleREST.
      scale: scaleSubresources(registries, admission),
      minRequestTimeoutMs: config.minRequestTimeoutMs,
      store,
      registries: servingRegistries,
      log,
      review,
      tokenRequest,
      componentStatuses: componentStatuses({
        storage: async () => storage.check(),
        ...(opts.componentPorts ? { ports: opts.componentPorts } : {}),
      }),
      authorize: async (info, user) => (await authorize(info, user, { authorizer: authz.authorizer, log })).error,
    });
    if (!config.kubelet.caPem) {
      log.warn(
        'No kubelet certificate authority (--kubelet-certificate-authority): kubelet serving certificates will not be verified',
      );
    }
    const kubeletClientPair = dynamicClientPair(
      'kubelet-client',
      { cert: 'kubelet-client-certificate', key: 'kubelet-client-key' },
      config.kubelet,
      log,
    );
    kubeletClientPair?.run(shutdown.signal);
    const kubelet = createKubeletProxy({
      config: config.kubelet,
      client: new KubeletClient(config.kubelet, kubeletClientPair ? () => kubeletClientPair.current : undefined),
      registries: servingRegistries,
      log: log.child({ component: 'kubelet-client' }),
      admission,
    });
    registerResourceRoutes(
      f,
      handler,
      shutdown.signal,
      createWatchSocketHandler({
        store,
        registries: servingRegistries,
        log,
        minRequestTimeoutMs: config.minRequestTimeoutMs,
      }),
      kubelet,
      aggregator,
      config.apiCatalog,
    );

    // History is kept one interval back, then compacted: watches older than that get 410.
    const compactor =
      config.compactionIntervalMs > 0
        ? newCompactor(store, {
            intervalMs: config.compactionIntervalMs,
            keepRevisions: 0,
            onCompact: (r) =>
              'error' in r ? log.warn({ err: r.error }, 'compaction failed') : log.debug(r, 'compacted'),
          })
        : undefined;
    compactor?.start(shutdown.signal);
    // Events live --event-ttl past their last write, as kube-apiserver's etcd leases make them.
    const eventTTL =
      config.eventTTLMs > 0
        ? new TTLExpirer(store, {
            prefix: resourcePrefix({ group: '', resource: 'events' }),
            ttlMs: config.eventTTLMs,
            onError: (err) => log.warn({ err }, 'event expiry: retrying'),
          })
        : undefined;
    eventTTL?.start(shutdown.signal);

    await f.listen({ port: config.serving.port, host: config.serving.bindAddress, backlog: listenBacklog() });
    const addr = f.server.address();
    const port = typeof addr === 'object' && addr ? addr.port : config.serving.port;
    log.info({ address: config.serving.bindAddress, port }, 'serving securely');
    const gates = config.featureGates.overridden();
    if (gates.length) log.info({ featureGates: gates }, 'feature gates');
    const offByDefault = config.apiCatalog.groupVersions().filter((gv) => !/^v\d+$/.test(gv.version));
    if (offByDefault.length)
      log.info({ groupVersions: offByDefault.map((gv) => `${gv.group}/${gv.version}`) }, 'serving non-GA APIs');
    boundPort = port;
    let stopping: Promise<void> | undefined;
    const stop = () => {
      stopping ??= (async () => {
        shuttingDown = true;
        legacyTokenTracking.stop();
        repairIP?.stop();
        defaultServiceCIDR?.stop();
        identityLease.stop();
        apfEnsurer?.stop();
        await priorityAndFairness?.stop();
        await kubernetesService?.stop();
        if (config.shutdownDelayMs > 0) {
          log.info({ delayMs: config.shutdownDelayMs }, 'shutdown delay: still serving, /readyz failing');
          await new Promise((r) => setTimeout(r, config.shutdownDelayMs));
        }
        shutdown.abort();
        const closing = f.close();
        app.goAwayAll();
        const drain = opts.drainTimeoutMs ?? 20_000;
        const closed = await raceTimeout(
          closing.then(() => 'closed' as const),
          drain,
          'timeout' as const,
        );
        if (closed === 'timeout') {
          log.warn({ drainMs: drain }, 'in-flight requests did not finish: closing connections');
          app.destroyConnections();
          await f.close().catch(() => undefined);
        }
        compactor?.stop();
        eventTTL?.stop();
        stopAuthz();
        await store.close();
        auditor?.close();
        // Buffered webhook events go out before the process ends (bounded).
        await auditWebhook?.drained();
        log.info('apiserver stopped');
      })();
      return stopping;
    };
    // Returning once the hooks have run, so whoever started this server finds /readyz ok; but not
    // waiting on for one whose task keeps failing (its controller retries): /readyz says which. A
    // hook that throws meanwhile stops the server.
    const ran = await raceTimeout(
      Promise.race([hooks.run(shutdown.signal).then(() => true as const), hooks.failed]),
      opts.postStartHooksWaitMs ?? 30_000,
      false as const,
    );
    if (ran !== true && ran !== false) {
      await stop();
      throw ran;
    }
    if (!ran) log.warn({ hooks: hooks.pending() }, 'post-start hooks not finished; serving, not ready');
    return {
      port,
      address: config.serving.bindAddress,
      store,
      shutdownSignal: shutdown.signal,
      failed: hooks.failed,
      stop,
    };
  } catch (e) {
    // A failed post-start hook's error comes after stop(), which closed everything.
    if (e !== stoppedBy) {
      stopAuthz();
      await store.close().catch(() => undefined);
    }
    throw e;
  }
}
