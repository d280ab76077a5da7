// Wires the controller-manager: one client to the apiserver, shared informers, the enabled
// controllers; under leader election they are built and run only while this process holds the
// Lease, and everything stops when it is lost (kube-controller-manager exits then, so do we).
import { randomUUID } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { hostname } from 'node:os';
import type {
  CertificateSigningRequest,
  ClusterRole,
  ClusterTrustBundle,
  ConfigMap,
  ControllerRevision,
  CronJob,
  DaemonSet,
  Deployment,
  HorizontalPodAutoscaler,
  IPAddress,
  Job,
  Lease,
  Namespace,
  Node,
  PersistentVolume,
  PersistentVolumeClaim,
  Pod,
  PodCertificateRequest,
  PodDisruptionBudget,
  ReplicaSet,
  ReplicationController,
  ResourceQuota,
  Secret,
  ServiceAccount,
  ServiceCIDR,
  StatefulSet,
  StorageClass,
} from '@mkube/shared/api';
import { NAMESPACE_NODE_LEASE } from '@mkube/shared/api';
import { createClient, type KubeClient } from '@mkube/shared/client';
import { ApiEventRecorder } from '@mkube/shared/events';
import { clientOptionsFrom } from '@mkube/shared/kubeconfig';
import type { Logger } from '@mkube/shared/log';
import { errorSummary } from '@mkube/shared/workqueue';
import { BootstrapSigner, CLUSTER_INFO } from './bootstrap/signer.js';
import { TokenCleaner } from './bootstrap/tokencleaner.js';
import { TOKEN_SECRETS } from './bootstrap/tokens.js';
import { approvingHandler } from './certificates/approver.js';
import { CsrCleaner } from './certificates/cleaner.js';
import { CertificateController } from './certificates/controller.js';
import { ParsedCsrCache } from './certificates/parsecache.js';
import { PCR_CLEANER, PCRS, PcrCleaner, type PcrCleanerTiming } from './certificates/pcrcleaner.js';
import { servingApprovingHandler } from './certificates/servingapprover.js';
import { signingHandler } from './certificates/signer.js';
import { signingCAContents, withSigningCAs } from './certificates/signingca.js';
import {
  type ControllerClientBuilder,
  DynamicControllerClientBuilder,
  SimpleControllerClientBuilder,
} from './clientbuilder/index.js';
import { ClusterRoleAggregationController } from './clusterroleaggregation/index.js';
import {
  ClusterTrustBundlePublisher,
  CONTROLLER_NAME as CTB_PUBLISHER,
  discoverClusterTrustBundles,
  KUBE_APISERVER_SERVING_SIGNER,
} from './clustertrustbundlepublisher/index.js';
import type { Controller } from './controller.js';
import { CRONJOB_CONTROLLER, CronJobController } from './cronjob/index.js';
import { DAEMONSET_CONTROLLER, DAEMONSET_CONTROLLER_SA, DaemonSetsController } from './daemon/index.js';
import { DEPLOYMENT_CONTROLLER, DeploymentController } from './deployment/index.js';
import { storeGetter, workloadFinders } from './disruption/finders.js';
import { DisruptionController, type DisruptionTimeouts, PDB_REF } from './disruption/index.js';
import {
  discoverDeletableResources,
  GarbageCollector,
  GC_CONTROLLER,
  GC_RESYNC_PERIOD_MS,
} from './garbagecollector/index.js';
import { InformerFactory, RESOURCES } from './informers/index.js';
import { JOB_CONTROLLER, JobController, type JobTiming } from './job/index.js';
import { LeaderElector } from './leaderelection/index.js';
import { NamespaceController } from './namespace/index.js';
import { NodeLifecycleController } from './nodelifecycle/index.js';
import type { ControllerManagerConfig } from './options/config.js';
import { gatedOff } from './options/controllers.js';
import {
  HorizontalController,
  HPA_CONTROLLER,
  HPA_CONTROLLER_SA,
  HPA_EVENT_SOURCE,
  HPAS,
  RestMetricsClient,
  ScaleTargets,
} from './podautoscaler/index.js';
import { PodGCController } from './podgc/index.js';
import { REPLICA_SET, REPLICATION_CONTROLLER, ReplicaSetController, type ReplicatedKind } from './replicaset/index.js';
import {
  RESOURCE_QUOTA_CONTROLLER,
  RESOURCE_QUOTA_CONTROLLER_SA,
  RESOURCE_QUOTAS,
  ResourceQuotaController,
} from './resourcequota/index.js';
import { ROOT_CA_CONFIGMAP, RootCACertPublisher } from './rootcacertpublisher/index.js';
import type { SecureServer } from './server/app.js';
import { LEADER_HEALTH_TIMEOUT_MS, serveSecurely } from './server/serve.js';
import { ServiceAccountsController } from './serviceaccount/index.js';
import { LEGACY_TOKEN_CLEANER, LegacyServiceAccountTokenCleaner } from './serviceaccount/legacycleaner.js';
import { TOKENS_CONTROLLER, TokensController } from './serviceaccount/tokens.js';
import { TOKEN_SECRET_SELECTOR } from './serviceaccount/tokensecret.js';
import {
  IP_ADDRESSES,
  SERVICE_CIDR_CONTROLLER,
  SERVICE_CIDR_SA,
  SERVICE_CIDRS,
  ServiceCIDRController,
  type ServiceCIDRTiming,
} from './servicecidrs/index.js';
import { STATEFULSET_CONTROLLER, STATEFULSET_CONTROLLER_SA, StatefulSetController } from './statefulset/index.js';
import { TaintEvictionController } from './tainteviction/index.js';
import { TTL_AFTER_FINISHED_CONTROLLER, TTLAfterFinishedController } from './ttlafterfinished/index.js';
import {
  EPHEMERAL_VOLUME_CONTROLLER,
  EPHEMERAL_VOLUME_EVENT_SOURCE,
  EPHEMERAL_VOLUME_SA,
  EphemeralController,
} from './volume/ephemeral/index.js';
import { HostPathPlugin } from './volume/hostpath.js';
import {
  PersistentVolumeController,
  PV_BINDER_CONTROLLER,
  PV_BINDER_EVENT_SOURCE,
  PV_BINDER_SA,
} from './volume/persistentvolume/index.js';
import { PVC_PROTECTION_CONTROLLER, PVC_PROTECTION_SA, PVCProtectionController } from './volume/pvcprotection.js';
import { PV_PROTECTION_CONTROLLER, PV_PROTECTION_SA, PVProtectionController } from './volume/pvprotection.js';
import { PVCS, PVS, STORAGE_CLASSES } from './volume/resources.js';

export const USER_AGENT = 'kube-controller-manager/v1.33.0 (mkube)';

/**
 * Workers per CSR controller. Upstream runs 5 behind a 20 QPS client limit; a worker here mostly
 * waits on the apiserver (a SubjectAccessReview, an approval, a status write), so more of them
 * keep a burst of joining nodes moving. Measured with npm run bench:csr.
 */
export const CSR_WORKERS = 32;

/** The ServiceAccounts upstream's controllers ask their clients for (ClientBuilder.ClientOrDie). */
const CERTIFICATE_CONTROLLER_SA = 'certificate-controller';
const PCR_CLEANER_SA = 'podcertificaterequestcleaner';
const CTB_PUBLISHER_SA = 'kube-apiserver-serving-clustertrustbundle-publisher';

export interface RunningControllerManager {
  readonly client: KubeClient;
  readonly identity: string;
  /** The secure port, once listening (undefined with --secure-port=0). */
  readonly secureServing?: { readonly address: string; readonly port: number };
  isLeader(): boolean;
  /**
   * Resolves 'lost' if leadership was lost, 'failed' if the controllers could not be started (the
   * process should exit 1 after either), 'stopped' after stop().
   */
  readonly done: Promise<Outcome>;
  stop(): Promise<void>;
}

export type Outcome = 'stopped' | 'lost' | 'failed';

export interface StartOptions {
  readonly log: Logger;
  readonly identity?: string;
  /** Overrides the csrcleaner's one-hour period (tests). */
  readonly cleanerIntervalMs?: number;
  /** Overrides the PodCertificateRequest cleaner's 15-minute threshold and 5-minute period (tests). */
  readonly pcrCleaner?: PcrCleanerTiming;
  /** Overrides the pod GC's 20 s period and 40 s quarantine (tests). */
  readonly podGC?: { readonly periodMs?: number; readonly quarantineMs?: number };
  /** Overrides the legacy token cleaner's daily sync (tests). */
  readonly legacyTokenCleanerSyncMs?: number;
  /** Overrides the disruption controller's two-minute timeouts (tests). */
  readonly disruption?: DisruptionTimeouts;
  /** The job controller's batch period, pod failure back-off and clock (tests). */
  readonly job?: JobTiming;
  /** The cronjob and ttl-after-finished controllers' clock (tests move it instead of waiting). */
  readonly batchNow?: () => number;
  /** The service-cidr-controller's deletion grace period and clock (tests). */
  readonly serviceCIDR?: ServiceCIDRTiming;
}

async function buildControllers(
  config: ControllerManagerConfig,
  client: KubeClient,
  clients: ControllerClientBuilder,
  factory: InformerFactory,
  log: Logger,
  opts: StartOptions,
): Promise<{ controllers: Controller[]; recorders: ApiEventRecorder[] }> {
  const gated = new Set<string>();
  for (const c of gatedOff(config.enabled, config.featureGates)) {
    log.info(
      { controller: c.name, requiredFeatureGates: c.requiredFeatureGates },
      'Controller is disabled by a feature gate',
    );
    gated.add(c.name);
  }
  const on = (n: string) => config.enabled.has(n) && !gated.has(n);
  const host = hostname();
  const recorders: ApiEventRecorder[] = [];
  const recorder = (component: string, via: KubeClient) => {
    const r = new ApiEventRecorder(via, component, host, log.child({ component }));
    recorders.push(r);
    return r;
  };
  const csrs = () => factory.informerFor<CertificateSigningRequest>(RESOURCES.csrs);
  const nodes = () => factory.informerFor<Node>(RESOURCES.nodes);
  const tokenSecrets = () =>
    factory.informerFor<Secret>(
      { ...RESOURCES.secrets, namespace: TOKEN_SECRETS.namespace },
      {
        fieldSelector: TOKEN_SECRETS.fieldSelector,
      },
    );
  const controllers: Controller[] = [];
  const csrCache = new ParsedCsrCache();

  // First, as upstream starts it before any other controller.
  if (on(TOKENS_CONTROLLER)) {
    const l = log.child({ controller: TOKENS_CONTROLLER });
    if (!config.serviceAccountPrivateKey) {
      l.info('Controller is disabled because there is no private key');
    } else {
      controllers.push(
        new TokensController(
          client,
          factory.informerFor<ServiceAccount>(RESOURCES.serviceaccounts),
          factory.informerFor<Secret>(RESOURCES.secrets, { fieldSelector: TOKEN_SECRET_SELECTOR }),
          {
            privateKey: config.serviceAccountPrivateKey,
            rootCA: config.rootCA,
            workers: config.concurrentServiceAccountTokenSyncs,
          },
          l,
        ),
      );
    }
  }

  if (on(LEGACY_TOKEN_CLEANER)) {
    controllers.push(
      new LegacyServiceAccountTokenCleaner(
        await clients.client('legacy-service-account-token-cleaner'),
        factory.informerFor<ServiceAccount>(RESOURCES.serviceaccounts),
        factory.informerFor<Secret>(RESOURCES.secrets, { fieldSelector: TOKEN_SECRET_SELECTOR }),
        factory.informerFor<Pod>(RESOURCES.pods),
        config.legacyTokenCleanUpPeriodMs,
        log.child({ controller: LEGACY_TOKEN_CLEANER }),
        opts.legacyTokenCleanerSyncMs,
      ),
    );
  }

  if (on('certificatesigningrequest-approving-controller')) {
    const name = 'certificatesigningrequest-approving-controller';
    const l = log.child({ controller: name });
    const c = await clients.client(CERTIFICATE_CONTROLLER_SA);
    controllers.push(
      new CertificateController(name, csrs(), approvingHandler(c, recorder(name, c), l, csrCache), l, CSR_WORKERS),
    );
  }
  if (on('kubelet-serving-approver-controller')) {
    const name = 'kubelet-serving-approver-controller';
    const l = log.child({ controller: name });
    const c = await clients.client(CERTIFICATE_CONTROLLER_SA);
    const handler = servingApprovingHandler(
      c,
      nodes().store,
      { allowedCidrs: config.servingCsrAllowedCidrs, maxExpirationSeconds: config.servingCsrMaxExpirationSeconds },
      recorder(name, c),
      l,
      csrCache,
    );
    controllers.push(new CertificateController(name, csrs(), handler, l, CSR_WORKERS));
  }
  if (on('certificatesigningrequest-signing-controller')) {
    const name = 'certificatesigningrequest-signing-controller';
    const l = log.child({ controller: name });
    if (config.authorities.size === 0) {
      l.info('skipping CSR signer controller because no csr cert/key was specified');
    } else {
      const authorities = new Map(config.authorities);
      const c = await clients.client(CERTIFICATE_CONTROLLER_SA);
      const handler = signingHandler(
        c,
        { authorities, signingDurationMs: config.signingDurationMs },
        recorder(name, c),
        l,
        csrCache,
      );
      controllers.push(
        withSigningCAs(
          new CertificateController(name, csrs(), handler, l, CSR_WORKERS),
          signingCAContents(config.signingFiles, authorities, l),
        ),
      );
    }
  }
  if (on('certificatesigningrequest-cleaner-controller')) {
    const l = log.child({ controller: 'certificatesigningrequest-cleaner-controller' });
    controllers.push(
      new CsrCleaner(await clients.client(CERTIFICATE_CONTROLLER_SA), csrs().store, l, opts.cleanerIntervalMs),
    );
  }
  if (on(PCR_CLEANER)) {
    // Not awaited: an apiserver that does not serve the API (its runtime config off) leaves this
    // informer failing to list, as upstream's does, without holding every other controller back.
    const pcrs = factory.informerFor<PodCertificateRequest>(PCRS, {}, { awaited: false });
    controllers.push(
      new PcrCleaner(
        await clients.client(PCR_CLEANER_SA),
        pcrs,
        log.child({ controller: PCR_CLEANER }),
        opts.pcrCleaner,
      ),
    );
  }
  if (on('bootstrap-signer-controller')) {
    const cm = factory.informerFor<ConfigMap>(
      { ...RESOURCES.configmaps, namespace: CLUSTER_INFO.namespace },
      { fieldSelector: `metadata.name=${CLUSTER_INFO.name}` },
    );
    controllers.push(
      new BootstrapSigner(
        await clients.client('bootstrap-signer'),
        cm,
        tokenSecrets(),
        log.child({ controller: 'bootstrap-signer-controller' }),
      ),
    );
  }
  if (on('token-cleaner-controller')) {
    controllers.push(
      new TokenCleaner(
        await clients.client('token-cleaner'),
        tokenSecrets(),
        log.child({ controller: 'token-cleaner-controller' }),
      ),
    );
  }
  if (on('root-ca-certificate-publisher-controller')) {
    if (!config.rootCA) {
      log.info('skipping root-ca-certificate-publisher-controller: no --root-ca-file and no CA in the kubeconfig');
    } else {
      const ns = factory.informerFor<Namespace>(RESOURCES.namespaces);
      const cms = factory.informerFor<ConfigMap>(RESOURCES.configmaps, {
        fieldSelector: `metadata.name=${ROOT_CA_CONFIGMAP}`,
      });
      controllers.push(
        new RootCACertPublisher(
          await clients.client('root-ca-cert-publisher'),
          ns,
          cms,
          config.rootCA,
          log.child({ controller: 'root-ca-certificate-publisher-controller' }),
        ),
      );
    }
  }
  if (on(CTB_PUBLISHER)) {
    const l = log.child({ controller: CTB_PUBLISHER });
    if (!config.rootCA) {
      l.info(`skipping ${CTB_PUBLISHER}: no --root-ca-file and no CA in the kubeconfig`);
    } else {
      const c = await clients.client(CTB_PUBLISHER_SA);
      const ref = await discoverClusterTrustBundles(c);
      if (!ref) {
        l.info(`no known scheme version was found for clustertrustbundles, cannot start ${CTB_PUBLISHER}`);
      } else {
        const bundles = factory.informerFor<ClusterTrustBundle>(ref, {
          fieldSelector: `spec.signerName=${KUBE_APISERVER_SERVING_SIGNER}`,
        });
        controllers.push(
          new ClusterTrustBundlePublisher(c, ref, bundles, KUBE_APISERVER_SERVING_SIGNER, config.rootCA, l),
        );
      }
    }
  }
  if (on('serviceaccount-controller')) {
    controllers.push(
      new ServiceAccountsController(
        await clients.client('service-account-controller'),
        factory.informerFor<Namespace>(RESOURCES.namespaces),
        factory.informerFor<ServiceAccount>(RESOURCES.serviceaccounts),
        log.child({ controller: 'serviceaccount-controller' }),
      ),
    );
  }
  if (on('clusterrole-aggregation-controller')) {
    controllers.push(
      new ClusterRoleAggregationController(
        await clients.client('clusterrole-aggregation-controller'),
        factory.informerFor<ClusterRole>(RESOURCES.clusterroles),
        log.child({ controller: 'clusterrole-aggregation-controller' }),
      ),
    );
  }
  if (on('node-lifecycle-controller')) {
    const leases = factory.informerFor<Lease>({ ...RESOURCES.leases, namespace: NAMESPACE_NODE_LEASE });
    const c = await clients.client('node-controller');
    controllers.push(
      new NodeLifecycleController(
        c,
        nodes(),
        leases,
        config.nodeMonitorGracePeriodMs,
        log.child({ controller: 'node-lifecycle-controller' }),
        recorder('node-controller', c),
        factory.informerFor<Pod>(RESOURCES.pods),
        {
          evictionRate: config.nodeEvictionRate,
          secondaryEvictionRate: config.secondaryNodeEvictionRate,
          unhealthyZoneThreshold: config.unhealthyZoneThreshold,
          largeClusterSizeThreshold: config.largeClusterSizeThreshold,
          monitorPeriodMs: config.nodeMonitorPeriodMs,
        },
      ),
    );
  }
  if (on('taint-eviction-controller')) {
    const c = await clients.client('taint-eviction-controller');
    controllers.push(
      new TaintEvictionController(
        c,
        nodes(),
        factory.informerFor<Pod>(RESOURCES.pods),
        log.child({ controller: 'taint-eviction-controller' }),
        recorder('taint-eviction-controller', c),
      ),
    );
  }
  if (on('pod-garbage-collector-controller')) {
    controllers.push(
      new PodGCController(
        await clients.client('pod-garbage-collector'),
        factory.informerFor<Pod>(RESOURCES.pods),
        nodes(),
        { terminatedPodThreshold: config.terminatedPodGCThreshold, ...opts.podGC },
        log.child({ controller: 'pod-garbage-collector-controller' }),
      ),
    );
  }
  if (on('disruption-controller')) {
    const c = await clients.client('disruption-controller');
    controllers.push(
      new DisruptionController(
        c,
        factory.informerFor<PodDisruptionBudget>(PDB_REF),
        factory.informerFor<Pod>(RESOURCES.pods),
        log.child({ controller: 'disruption-controller' }),
        recorder('disruption-controller', c),
        opts.disruption,
        workloadFinders(
          storeGetter(factory.informerFor<ReplicaSet>(RESOURCES.replicasets)),
          storeGetter(factory.informerFor<Deployment>(RESOURCES.deployments)),
          storeGetter(factory.informerFor<StatefulSet>(RESOURCES.statefulsets)),
          storeGetter(factory.informerFor<ReplicationController>(RESOURCES.replicationcontrollers)),
        ),
      ),
    );
  }
  // The replicaset controller, and the same over ReplicationControllers (upstream's replication manager).
  const replicaSetController = async <T extends ReplicaSet | ReplicationController>(
    kind: ReplicatedKind<T>,
    workers: number,
  ) => {
    if (!on(kind.controllerName)) return;
    const c = await clients.client(kind.serviceAccount);
    controllers.push(
      new ReplicaSetController(
        kind,
        c,
        factory.informerFor<T>(kind.resource),
        factory.informerFor<Pod>(RESOURCES.pods),
        log.child({ controller: kind.controllerName }),
        recorder(kind.eventSource, c),
        workers,
      ),
    );
  };
  await replicaSetController(REPLICA_SET, config.concurrentReplicaSetSyncs);
  await replicaSetController(REPLICATION_CONTROLLER, config.concurrentRCSyncs);
  if (on(DEPLOYMENT_CONTROLLER)) {
    const c = await clients.client('deployment-controller');
    controllers.push(
      new DeploymentController(
        c,
        factory.informerFor<Deployment>(RESOURCES.deployments),
        factory.informerFor<ReplicaSet>(RESOURCES.replicasets),
        factory.informerFor<Pod>(RESOURCES.pods),
        log.child({ controller: DEPLOYMENT_CONTROLLER }),
        recorder(DEPLOYMENT_CONTROLLER, c),
        config.concurrentDeploymentSyncs,
      ),
    );
  }
  if (on(DAEMONSET_CONTROLLER)) {
    const c = await clients.client(DAEMONSET_CONTROLLER_SA);
    controllers.push(
      new DaemonSetsController(
        c,
        factory.informerFor<DaemonSet>(RESOURCES.daemonsets),
        factory.informerFor<ControllerRevision>(RESOURCES.controllerrevisions),
        factory.informerFor<Pod>(RESOURCES.pods),
        nodes(),
        log.child({ controller: DAEMONSET_CONTROLLER }),
        recorder(DAEMONSET_CONTROLLER, c),
        config.concurrentDaemonSetSyncs,
      ),
    );
  }
  if (on(STATEFULSET_CONTROLLER)) {
    const c = await clients.client(STATEFULSET_CONTROLLER_SA);
    controllers.push(
      new StatefulSetController(
        c,
        factory.informerFor<StatefulSet>(RESOURCES.statefulsets),
        factory.informerFor<Pod>(RESOURCES.pods),
        factory.informerFor<ControllerRevision>(RESOURCES.controllerrevisions),
        factory.informerFor<PersistentVolumeClaim>(PVCS),
        log.child({ controller: STATEFULSET_CONTROLLER }),
        recorder(STATEFULSET_CONTROLLER, c),
        config.concurrentStatefulSetSyncs,
      ),
    );
  }
  if (on(PV_BINDER_CONTROLLER)) {
    const c = await clients.client(PV_BINDER_SA);
    controllers.push(
      new PersistentVolumeController(
        c,
        {
          volumes: factory.informerFor<PersistentVolume>(PVS),
          claims: factory.informerFor<PersistentVolumeClaim>(PVCS),
          classes: factory.informerFor<StorageClass>(STORAGE_CLASSES),
          pods: factory.informerFor<Pod>(RESOURCES.pods),
          nodes: nodes(),
        },
        new HostPathPlugin(config.pvBinder.enableHostPathProvisioning),
        recorder(PV_BINDER_EVENT_SOURCE, c),
        log.child({ controller: PV_BINDER_CONTROLLER }),
        {
          resyncPeriodMs: config.pvBinder.syncPeriodMs,
          enableDynamicProvisioning: config.pvBinder.enableDynamicProvisioning,
        },
      ),
    );
  }
  if (on(PVC_PROTECTION_CONTROLLER)) {
    controllers.push(
      new PVCProtectionController(
        await clients.client(PVC_PROTECTION_SA),
        factory.informerFor<PersistentVolumeClaim>(PVCS),
        factory.informerFor<Pod>(RESOURCES.pods),
        log.child({ controller: PVC_PROTECTION_CONTROLLER }),
      ),
    );
  }
  if (on(PV_PROTECTION_CONTROLLER)) {
    controllers.push(
      new PVProtectionController(
        await clients.client(PV_PROTECTION_SA),
        factory.informerFor<PersistentVolume>(PVS),
        log.child({ controller: PV_PROTECTION_CONTROLLER }),
      ),
    );
  }
  if (on(EPHEMERAL_VOLUME_CONTROLLER)) {
    const c = await clients.client(EPHEMERAL_VOLUME_SA);
    controllers.push(
      new EphemeralController(
        c,
        factory.informerFor<Pod>(RESOURCES.pods),
        factory.informerFor<PersistentVolumeClaim>(PVCS),
        recorder(EPHEMERAL_VOLUME_EVENT_SOURCE, c),
        log.child({ controller: EPHEMERAL_VOLUME_CONTROLLER }),
        config.concurrentEphemeralVolumeSyncs,
      ),
    );
  }
  if (on('namespace-controller')) {
    controllers.push(
      new NamespaceController(
        await clients.client('namespace-controller'),
        factory.informerFor<Namespace>(RESOURCES.namespaces),
        log.child({ controller: 'namespace-controller' }),
      ),
    );
  }
  if (on(JOB_CONTROLLER)) {
    const c = await clients.client('job-controller');
    controllers.push(
      new JobController(
        c,
        factory.informerFor<Job>(RESOURCES.jobs),
        factory.informerFor<Pod>(RESOURCES.pods),
        recorder(JOB_CONTROLLER, c),
        log.child({ controller: JOB_CONTROLLER }),
        config.concurrentJobSyncs,
        opts.job,
      ),
    );
  }
  if (on(CRONJOB_CONTROLLER)) {
    const c = await clients.client('cronjob-controller');
    controllers.push(
      new CronJobController(
        c,
        factory.informerFor<CronJob>(RESOURCES.cronjobs),
        factory.informerFor<Job>(RESOURCES.jobs),
        recorder(CRONJOB_CONTROLLER, c),
        log.child({ controller: CRONJOB_CONTROLLER }),
        config.concurrentCronJobSyncs,
        opts.batchNow,
      ),
    );
  }
  if (on(TTL_AFTER_FINISHED_CONTROLLER)) {
    controllers.push(
      new TTLAfterFinishedController(
        await clients.client('ttl-after-finished-controller'),
        factory.informerFor<Job>(RESOURCES.jobs),
        log.child({ controller: TTL_AFTER_FINISHED_CONTROLLER }),
        config.concurrentTTLAfterFinishedSyncs,
        opts.batchNow,
      ),
    );
  }
  if (on(SERVICE_CIDR_CONTROLLER)) {
    controllers.push(
      new ServiceCIDRController(
        await clients.client(SERVICE_CIDR_SA),
        factory.informerFor<ServiceCIDR>(SERVICE_CIDRS),
        factory.informerFor<IPAddress>(IP_ADDRESSES),
        log.child({ controller: SERVICE_CIDR_CONTROLLER }),
        opts.serviceCIDR,
      ),
    );
  }
  if (on(RESOURCE_QUOTA_CONTROLLER)) {
    controllers.push(
      new ResourceQuotaController(
        await clients.client(RESOURCE_QUOTA_CONTROLLER_SA),
        factory.informerFor<ResourceQuota>(RESOURCE_QUOTAS),
        factory,
        log.child({ controller: RESOURCE_QUOTA_CONTROLLER }),
        { workers: config.concurrentResourceQuotaSyncs, resyncPeriodMs: config.resourceQuotaSyncPeriodMs },
      ),
    );
  }
  if (on(HPA_CONTROLLER)) {
    const c = await clients.client(HPA_CONTROLLER_SA);
    const scales = new ScaleTargets(c);
    controllers.push(
      new HorizontalController(
        c,
        // Not awaited: an apiserver without autoscaling/v2 must not hold the other controllers back.
        factory.informerFor<HorizontalPodAutoscaler>(HPAS, {}, { awaited: false }),
        factory.informerFor<Pod>(RESOURCES.pods),
        new RestMetricsClient(c, (group, kind) => scales.resourceFor(group, kind)),
        scales,
        recorder(HPA_EVENT_SOURCE, c),
        log.child({ controller: HPA_CONTROLLER }),
        config.hpa,
      ),
    );
  }
  if (on(GC_CONTROLLER)) {
    const l = log.child({ controller: GC_CONTROLLER });
    const c = await clients.client('generic-garbage-collector');
    const { resources } = await discoverDeletableResources(c, l);
    controllers.push(
      new GarbageCollector(c, factory, resources, l, config.concurrentGcSyncs, recorder(GC_CONTROLLER, c), {
        discover: () => discoverDeletableResources(c, l),
        periodMs: GC_RESYNC_PERIOD_MS,
      }),
    );
  }
  return { controllers, recorders };
}

/**
 * Builds informers and controllers, starts them, and runs them until `signal` aborts; 'failed' if
 * they could not be built (a discovery request failed), with nothing started.
 */
async function runControllers(
  config: ControllerManagerConfig,
  client: KubeClient,
  log: Logger,
  opts: StartOptions,
  signal: AbortSignal,
): Promise<'failed' | undefined> {
  // Every informer, queue and sleep listens on this one signal.
  setMaxListeners(0, signal);
  const factory = new InformerFactory(client, log);
  const clients = controllerClientBuilder(config, client, log);
  let built: Awaited<ReturnType<typeof buildControllers>>;
  try {
    built = await buildControllers(config, client, clients, factory, log, opts);
  } catch (err) {
    log.error({ err: errorSummary(err) }, 'error starting controllers');
    await clients.close();
    return 'failed';
  }
  const { controllers, recorders } = built;
  factory.start(signal);
  if (!(await factory.waitForCacheSync(signal))) return;
  log.info({ controllers: controllers.map((c) => c.name) }, 'caches synced; starting controllers');
  await Promise.all(controllers.map((c) => c.run(signal)));
  await factory.stopped();
  await Promise.all(recorders.map((r) => r.flush()));
  await clients.close();
  return undefined;
}

/** The clients the controllers get: the root one, or one per ServiceAccount (--use-service-account-credentials). */
function controllerClientBuilder(
  config: ControllerManagerConfig,
  root: KubeClient,
  log: Logger,
): ControllerClientBuilder {
  return config.useServiceAccountCredentials
    ? new DynamicControllerClientBuilder(root, { credentials: config.credentials, userAgent: USER_AGENT }, log)
    : new SimpleControllerClientBuilder(root);
}

export async function startControllerManager(
  config: ControllerManagerConfig,
  opts: StartOptions,
): Promise<RunningControllerManager> {
  const log = opts.log;
  const client = createClient({ ...clientOptionsFrom(config.credentials), userAgent: USER_AGENT, logger: log });

  if (config.useServiceAccountCredentials && !config.serviceAccountPrivateKey)
    // Upstream's warning: another controller-manager may be making the tokens for us.
    log.warn('--use-service-account-credentials was specified without providing a --service-account-private-key-file');
  const identity = opts.identity ?? `${hostname()}_${randomUUID()}`;
  const stopper = new AbortController();
  setMaxListeners(0, stopper.signal);
  let elector: LeaderElector | undefined;
  let running: Promise<'failed' | undefined> = Promise.resolve(undefined);
  let done: Promise<Outcome>;
  const le = config.leaderElection;
  const isLeader = () => (elector ? elector.isLeader() : true);
  // Serving comes first, as upstream's: health answers while the lease is awaited, and a port in
  // use fails the start before this process could ever lead.
  let secure: SecureServer | undefined;
  if (config.secureServing) {
    try {
      secure = await serveSecurely(config, config.secureServing, {
        log,
        isLeader,
        leaderHealthy: () =>
          !elector?.isLeader() ||
          Date.now() - elector.renewedAt <= (le?.leaseDurationMs ?? 0) + LEADER_HEALTH_TIMEOUT_MS,
      });
    } catch (e) {
      await client.close({ graceMs: 0 });
      throw e;
    }
  }
  if (le) {
    elector = new LeaderElector(
      client,
      { ...le, identity, releaseOnCancel: true },
      {
        onStartedLeading: (signal) => {
          // As kube-controller-manager exits when a controller cannot start, leading ends here too.
          running = runControllers(config, client, log, opts, signal).then((r) => {
            if (r === 'failed') stopper.abort();
            return r;
          });
        },
        onStoppedLeading: () => log.info({ identity }, 'stopped leading'),
      },
      log,
    );
    done = elector.run(stopper.signal).then(async (outcome) => ((await running) === 'failed' ? 'failed' : outcome));
  } else {
    running = runControllers(config, client, log, opts, stopper.signal);
    done = running.then((r) => r ?? 'stopped');
  }
  return {
    client,
    identity,
    ...(secure ? { secureServing: { address: secure.address, port: secure.port } } : {}),
    isLeader,
    done,
    async stop() {
      stopper.abort();
      await done;
      await secure?.close();
      await client.close({ graceMs: 1000 });
    },
  };
}
