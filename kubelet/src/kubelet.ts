// The kubelet, assembled: TLS bootstrap and client-certificate rotation, the 10250 listener (up
// at once, refusing TLS until it has a serving certificate), Node registration, the node lease,
// the status loop, the serving certificate (issued by the kubelet-serving signer, or from files,
// or self-signed as upstream), and the process runtime.

import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { SIGNER } from '@mkube/shared/api';
import { aggregateMessages } from '@mkube/shared/apierrors';
import { writeFileAtomic } from '@mkube/shared/atomicfile';
import { alwaysAllowAuthorizer, webhookAuthorizer, webhookTokenAuthenticator } from '@mkube/shared/auth';
import { createClient, type KubeClient } from '@mkube/shared/client';
import { Verbosity } from '@mkube/shared/debugflags';
import { ApiEventRecorder } from '@mkube/shared/events';
import { formatDuration } from '@mkube/shared/flags';
import { clientOptionsFrom } from '@mkube/shared/kubeconfig';
import type { Logger } from '@mkube/shared/log';
import { CertificateAuthority, encodePrivateKeyPem, generateKeyPair, parseCertificatesPem } from '@mkube/shared/pki';
import { dynamicCABundle, dynamicCertKeyPair } from '@mkube/shared/tls';
import type { FastifyInstance } from 'fastify';
import { type ClientConfig, loadClientConfig } from './bootstrap/clientconfig.js';
import type { CertificateRequest } from './certificate/csr.js';
import { CertificateManager } from './certificate/manager.js';
import { CertificateFileStore, parsePair, type StoredPair } from './certificate/store.js';
import { LazyClusterTrustBundleManager } from './clustertrustbundle/manager.js';
import { KernelTunablesError, kernelTunableProblems } from './cm/kerneltunables.js';
import { initializeCSINode } from './csi/nodeinfomanager.js';
import { NodeLease } from './nodelease/lease.js';
import { runHeartbeat } from './nodestatus/heartbeat.js';
import { KUBELET_VERSION, NodeStatusManager, nodeAddresses } from './nodestatus/node.js';
import type { KubeletConfig } from './options/config.js';
import { IssuingPodCertificateManager, type PassiveClock } from './podcertificate/manager.js';
import { ProcessRuntime } from './runtime/runtime.js';
import { buildKubeletApp } from './server/app.js';
import { kubeletAuthenticator } from './server/auth.js';
import { KubeletListener } from './server/listener.js';
import { KubeletCertificateMetrics } from './server/metrics.js';
import { ProbeMetrics } from './server/probemetrics.js';

export interface RunningKubelet {
  readonly port: number;
  /** Resolves once the node is registered with a client certificate and 10250 serves TLS. */
  readonly ready: Promise<void>;
  stop(): Promise<void>;
}

const USER_AGENT = `kubelet/${KUBELET_VERSION} (${process.platform}/${process.arch}) mkube`;

/** The serving-certificate template from the node's addresses (facts §8): no template without an IP. */
export function servingTemplate(nodeName: string, ips: readonly string[]): CertificateRequest | undefined {
  const addrs = nodeAddresses(nodeName, ips);
  const dns = new Set<string>();
  const ip = new Set<string>();
  for (const a of addrs) {
    if (!a.address) continue;
    if (a.type === 'InternalIP' || a.type === 'ExternalIP') ip.add(a.address);
    else if (a.type === 'Hostname' && /^[\d.:a-f]+$/i.test(a.address) && a.address.includes('.')) ip.add(a.address);
    else dns.add(a.address);
  }
  if (ip.size === 0) return undefined;
  return {
    subject: { commonName: `system:node:${nodeName}`, organizations: ['system:nodes'] },
    sans: { dnsNames: [...dns].sort(), ipAddresses: [...ip].sort() },
    signerName: SIGNER.kubeletServing,
    usages: ['digital signature', 'server auth'],
  };
}

export function clientTemplate(nodeName: string): CertificateRequest {
  return {
    subject: { commonName: `system:node:${nodeName}`, organizations: ['system:nodes'] },
    signerName: SIGNER.kubeAPIServerClientKubelet,
    usages: ['digital signature', 'client auth'],
  };
}

/** Upstream's fallback without serverTLSBootstrap or files: a self-signed CA and a cert under <cert-dir>. */
async function selfSignedServing(cfg: KubeletConfig): Promise<{ certPem: string; keyPem: string }> {
  const crt = join(cfg.certDir, 'kubelet.crt');
  const keyFile = join(cfg.certDir, 'kubelet.key');
  try {
    const text = `${await fsp.readFile(crt, 'utf8')}\n${await fsp.readFile(keyFile, 'utf8')}`;
    const p = parsePair(text, crt, new Date());
    return { certPem: p.certPem, keyPem: p.keyPem };
  } catch {
    // none yet, or unusable: make one
  }
  const stamp = Math.floor(Date.now() / 1000);
  const { ca, certPem: caPem } = await CertificateAuthority.createSelfSigned({
    commonName: `${cfg.nodeName}-ca@${stamp}`,
    validityMs: 365 * 86_400_000,
  });
  const key = await generateKeyPair('ecdsa-p256');
  const t = servingTemplate(cfg.nodeName, cfg.nodeIPs);
  const issued = await ca.issue({
    subject: { commonName: `${cfg.nodeName}@${stamp}` },
    publicKey: key.publicKey,
    usages: ['digital signature', 'key encipherment', 'server auth'],
    ttlMs: 365 * 86_400_000,
    dnsNames: t?.sans?.dnsNames ?? [cfg.nodeName],
    ipAddresses: t?.sans?.ipAddresses ?? [],
  });
  const certPem = `${issued.pem}${caPem}`;
  const keyPem = encodePrivateKeyPem(key);
  await writeFileAtomic(crt, certPem, { mode: 0o644 });
  await writeFileAtomic(keyFile, keyPem, { mode: 0o600 });
  return { certPem, keyPem };
}

export interface KubeletDeps {
  readonly log: Logger;
  /** The pod certificate manager's clock (upstream's kubeDeps pass clock.RealClock; tests move one on). */
  readonly clock?: PassiveClock;
}

export async function startKubelet(cfg: KubeletConfig, opts: KubeletDeps): Promise<RunningKubelet> {
  const log = opts.log;
  // The container manager's kernel check comes before anything is started, as upstream's setupNode.
  const tunables = kernelTunableProblems();
  if (tunables.length > 0) {
    if (cfg.protectKernelDefaults) throw new KernelTunablesError(aggregateMessages(tunables));
    for (const t of tunables) log.debug(`${t} (left as it is: mkube does not change kernel settings)`);
  }
  const stop = new AbortController();
  const startTime = new Date();
  let client: KubeClient | undefined;
  let bootstrapClient: KubeClient | undefined;
  let clientReadyResolve!: () => void;
  const clientReady = new Promise<void>((r) => {
    clientReadyResolve = r;
  });
  const mainClient = (): KubeClient => {
    if (!client) throw new Error('the kubelet has no client certificate yet');
    return client;
  };
  // Events, as client-go's recorder sends them: queued until the kubelet has its own client certificate.
  const recorder = new ApiEventRecorder(
    () => client,
    'kubelet',
    cfg.nodeName,
    log.child({ component: 'events' }),
    cfg.eventRateLimit,
  );
  void clientReady.then(() => recorder.resume());
  // As upstream's nodeRef, the Node's Events carry its name as their uid (kubectl describe node looks for both).
  const nodeRef = { kind: 'Node', name: cfg.nodeName, uid: cfg.nodeName };
  recorder.eventFor(nodeRef, 'Normal', 'Starting', 'Starting kubelet.');

  // As upstream, only with the gate on (else a pod's podCertificate source fails: "unimplemented");
  // it watches requests once the node is registered.
  const podCertificates: IssuingPodCertificateManager | undefined = cfg.featureGates.enabled('PodCertificateRequest')
    ? new IssuingPodCertificateManager({
        client: () => client,
        nodeName: cfg.nodeName,
        pods: { podByUID: (uid) => runtime.apiPod(uid), pods: () => runtime.apiPods() },
        events: recorder,
        log: log.child({ component: 'podcertificate' }),
        signal: stop.signal,
        ...(opts.clock ? { clock: opts.clock } : {}),
        onCredentialChange: (uid) => runtime.resyncVolumes(uid),
      })
    : undefined;
  const probeMetrics = new ProbeMetrics();
  const runtime: ProcessRuntime = new ProcessRuntime({
    nodeName: cfg.nodeName,
    probeMetrics,
    rootDir: cfg.rootDir,
    hostIP: cfg.nodeIPs[0]!,
    ...(cfg.podManifestPath ? { podManifestPath: cfg.podManifestPath } : {}),
    log: log.child({ component: 'runtime' }),
    events: recorder,
    syncFrequencyMs: cfg.syncFrequencyMs,
    // As upstream, only with the gate on; a pod's bundle source fails to mount otherwise.
    ...(cfg.featureGates.enabled('ClusterTrustBundleProjection')
      ? {
          trustBundles: new LazyClusterTrustBundleManager(
            () => client,
            log.child({ component: 'clustertrustbundle' }),
            stop.signal,
          ),
        }
      : {}),
    ...(podCertificates ? { podCertificates } : {}),
  });
  const gates = cfg.featureGates.overridden();
  if (gates.length) log.info({ featureGates: gates }, 'feature gates');
  runtime.cleanupOrphans();

  if (cfg.configFile?.strictError)
    log.warn(
      { config: cfg.configFile.path, err: cfg.configFile.strictError },
      'Using lenient decoding as strict decoding failed',
    );
  if (cfg.configFile?.ignoredFields.length)
    log.info(
      { config: cfg.configFile.path, fields: cfg.configFile.ignoredFields },
      'KubeletConfiguration fields mkube does not implement are ignored',
    );
  for (const w of cfg.tls.warnings) log.warn(w);
  // 10250 first: its bound port goes into the Node's status, and it refuses TLS until certified.
  const listener = new KubeletListener(cfg.clientCAPem, log.child({ component: 'server' }), cfg.tls);
  let clientPair: StoredPair | null = null;
  let servingNotAfter: Date | undefined;
  const certificateMetrics = new KubeletCertificateMetrics();
  // --client-ca-file, read again when it changes (upstream's DynamicFileCAContent "client-ca-bundle").
  const clientCA =
    cfg.clientCAFile && cfg.clientCAPem
      ? dynamicCABundle(
          'client-ca-bundle',
          { flag: 'client-ca-file', file: cfg.clientCAFile },
          { pem: cfg.clientCAPem, certs: parseCertificatesPem(cfg.clientCAPem) },
          log.child({ component: 'dynamic-certificates' }),
        )
      : undefined;
  clientCA?.addListener((ca) => listener.setClientCA(ca.pem));
  clientCA?.run(stop.signal);
  const authenticator = kubeletAuthenticator({
    ...(clientCA ? { clientCA: () => clientCA.current.certs } : {}),
    ...(cfg.webhookAuthentication
      ? { webhook: webhookTokenAuthenticator(mainClient, cfg.authenticationCacheTtlMs) }
      : {}),
    anonymous: cfg.anonymousAuth,
  });
  const authorizer =
    cfg.authorizationMode === 'AlwaysAllow'
      ? alwaysAllowAuthorizer
      : webhookAuthorizer(mainClient, cfg.authorizedTtlMs, cfg.unauthorizedTtlMs);
  const app: FastifyInstance = await buildKubeletApp({
    nodeName: cfg.nodeName,
    listener,
    authenticator,
    authorizer,
    runtime,
    rootDir: cfg.rootDir,
    startTime,
    probeMetrics,
    debugging: cfg.debugging,
    verbosity: new Verbosity(log, cfg.verbosity),
    containerCheckpoint: cfg.featureGates.enabled('ContainerCheckpoint'),
    streamingConnectionIdleTimeoutMs: cfg.streamingConnectionIdleTimeoutMs,
    configz: () => ({
      enableServer: true,
      address: cfg.address,
      port: cfg.port,
      rotateCertificates: cfg.rotateCertificates,
      serverTLSBootstrap: cfg.rotateServerCertificates,
      ...(cfg.tls.cipherSuites.length > 0 ? { tlsCipherSuites: cfg.tls.cipherSuites } : {}),
      // omitempty, as upstream: absent when left to the default.
      ...(cfg.tls.minVersionName ? { tlsMinVersion: cfg.tls.minVersionName } : {}),
      authentication: {
        x509: { clientCAFile: cfg.clientCAFile ?? '' },
        webhook: { enabled: cfg.webhookAuthentication, cacheTTL: formatDuration(cfg.authenticationCacheTtlMs) },
        anonymous: { enabled: cfg.anonymousAuth },
      },
      authorization: {
        mode: cfg.authorizationMode,
        webhook: {
          cacheAuthorizedTTL: formatDuration(cfg.authorizedTtlMs),
          cacheUnauthorizedTTL: formatDuration(cfg.unauthorizedTtlMs),
        },
      },
      staticPodPath: cfg.podManifestPath ?? '',
      nodeLeaseDurationSeconds: cfg.nodeLeaseDurationSeconds,
      readOnlyPort: 0,
      streamingConnectionIdleTimeout: formatDuration(cfg.streamingConnectionIdleTimeoutMs),
      eventRecordQPS: cfg.eventRateLimit.qps,
      eventBurst: cfg.eventRateLimit.burst,
      protectKernelDefaults: cfg.protectKernelDefaults,
      enableDebuggingHandlers: cfg.debugging.enabled,
      enableSystemLogHandler: cfg.debugging.systemLog,
      enableProfilingHandler: cfg.debugging.profiling,
      enableDebugFlagsHandler: cfg.debugging.debugFlags,
    }),
    metrics: {
      clientCertNotAfter: () => clientPair?.leaf.notAfter,
      servingCertNotAfter: () => servingNotAfter,
      certificates: certificateMetrics,
      ...(podCertificates ? { podCertificateStates: () => podCertificates.metricReport() } : {}),
      runningPods: () => runtime.pods().filter((p) => p.status?.phase === 'Running').length,
      runningContainers: () =>
        runtime
          .pods()
          .reduce((n, p) => n + (p.status?.containerStatuses ?? []).filter((c) => c.state?.running).length, 0),
    },
    log,
  });
  const port = await listener.listen(cfg.port, cfg.address);
  log.info(
    { address: cfg.address, port },
    'kubelet server listening (TLS refused until a serving certificate is installed)',
  );
  await runtime.start();

  // Client credentials: the existing kubeconfig, or TLS bootstrap.
  let cc: ClientConfig;
  try {
    cc = await loadClientConfig(cfg, log);
  } catch (e) {
    await listener.close();
    await runtime.stop();
    throw e;
  }
  const tls = {
    server: cc.server,
    // Every apiserver the kubeconfig names: the rotating client fails over between them.
    ...(cc.servers ? { servers: cc.servers } : {}),
    ...(cc.caPem ? { caPem: cc.caPem } : {}),
    insecureSkipTlsVerify: cc.insecureSkipTlsVerify,
    ...(cc.tlsServerName ? { tlsServerName: cc.tlsServerName } : {}),
    userAgent: USER_AGENT,
    logger: log,
  };
  if (cc.bootstrap)
    bootstrapClient = createClient({ ...clientOptionsFrom(cc.bootstrap), userAgent: USER_AGENT, logger: log });
  if (cc.fixed) {
    client = createClient({ ...clientOptionsFrom(cc.fixed), userAgent: USER_AGENT, logger: log });
    clientReadyResolve();
  }
  const clientStore = new CertificateFileStore(cfg.certDir, 'kubelet-client', log);
  const clientManager = cc.rotating
    ? new CertificateManager({
        name: 'client',
        store: clientStore,
        template: () => clientTemplate(cfg.nodeName),
        client: () => client ?? bootstrapClient ?? mainClient(),
        rotate: cfg.rotateCertificates,
        log,
        metrics: certificateMetrics.client,
        onCertificate: (pair) => {
          clientPair = pair;
          if (!client) {
            client = createClient({ ...tls, clientCertPem: pair.certPem, clientKeyPem: pair.keyPem });
            log.info({ expiration: pair.leaf.notAfter.toISOString() }, 'client certificate installed');
            clientReadyResolve();
          } else {
            // New connections use the new certificate; streams on old ones end within the drain.
            client.rotateCredentials(
              { clientCertPem: pair.certPem, clientKeyPem: pair.keyPem },
              { drainTimeoutMs: 60_000 },
            );
            log.info({ expiration: pair.leaf.notAfter.toISOString() }, 'client certificate rotated');
          }
        },
      })
    : undefined;
  await clientManager?.start();

  // Serving certificate.
  let servingManager: CertificateManager | undefined;
  let registered = false;
  // serverTLSBootstrap counts only with RotateKubeletServerCertificate on (upstream's NewMainKubelet).
  if (cfg.rotateServerCertificates && cfg.featureGates.enabled('RotateKubeletServerCertificate')) {
    servingManager = new CertificateManager({
      name: 'serving',
      store: new CertificateFileStore(cfg.certDir, 'kubelet-server', log),
      // Only once the Node exists: the approver checks the SANs against its addresses.
      template: () => (registered ? servingTemplate(cfg.nodeName, cfg.nodeIPs) : undefined),
      client: mainClient,
      rotate: true,
      log,
      metrics: certificateMetrics.serving,
      onCertificate: (pair) => {
        listener.setCertificate({ certPem: pair.certPem, keyPem: pair.keyPem });
        servingNotAfter = pair.leaf.notAfter;
        log.info({ expiration: pair.leaf.notAfter.toISOString(), port }, 'serving certificate installed; serving TLS');
      },
    });
  } else {
    let pair: { certPem: string; keyPem: string };
    if (cfg.tlsCertFile && cfg.tlsPrivateKeyFile) {
      const text = `${await fsp.readFile(cfg.tlsCertFile, 'utf8')}\n${await fsp.readFile(cfg.tlsPrivateKeyFile, 'utf8')}`;
      const p = parsePair(text, cfg.tlsCertFile, new Date());
      pair = { certPem: p.certPem, keyPem: p.keyPem };
      servingNotAfter = p.leaf.notAfter;
      // Read again when they change, as upstream's kubelet (ReloadKubeletServerCertificateFile).
      const files = dynamicCertKeyPair(
        'kubelet-server',
        { flag: 'tls-cert-file', file: cfg.tlsCertFile },
        { flag: 'tls-private-key-file', file: cfg.tlsPrivateKeyFile },
        { ...pair, certs: [] },
        log.child({ component: 'dynamic-certificates' }),
      );
      files.addListener((next) => {
        listener.setCertificate({ certPem: next.certPem, keyPem: next.keyPem });
        servingNotAfter = next.certs[0]?.notAfter;
      });
      files.run(stop.signal);
    } else {
      pair = await selfSignedServing(cfg);
    }
    listener.setCertificate(pair);
  }

  const nodeStatus = new NodeStatusManager(mainClient, {
    nodeName: cfg.nodeName,
    nodeIPs: cfg.nodeIPs,
    labels: cfg.nodeLabels,
    port: () => port,
    ready: () =>
      listener.hasCertificate
        ? { ok: true, message: 'kubelet is posting ready status' }
        : { ok: false, message: 'kubelet serving certificate is not yet issued' },
    reportIntervalMs: cfg.nodeStatusReportFrequencyMs,
    log,
    recordEvent: (event) => recorder.eventFor(nodeRef, 'Normal', event, `Node ${cfg.nodeName} status is now: ${event}`),
  });
  const lease = new NodeLease(mainClient, cfg.nodeName, cfg.nodeLeaseDurationSeconds);

  let readyResolve!: () => void;
  const ready = new Promise<void>((r) => {
    readyResolve = r;
  });
  const loops: Promise<unknown>[] = [];
  loops.push(
    (async () => {
      await Promise.race([clientReady, new Promise((r) => stop.signal.addEventListener('abort', r, { once: true }))]);
      if (stop.signal.aborted) return;
      await runHeartbeat({
        nodeName: cfg.nodeName,
        nodeStatus,
        lease,
        leaseEveryMs: (cfg.nodeLeaseDurationSeconds * 1000) / 4,
        statusEveryMs: cfg.nodeStatusUpdateFrequencyMs,
        ready: () => listener.hasCertificate,
        log,
        signal: stop.signal,
        onRegistered: async () => {
          registered = true;
          runtime.connect(mainClient);
          // Not awaited: pods run whether or not the CSINode is published yet.
          loops.push(
            initializeCSINode({
              client: mainClient,
              nodeName: cfg.nodeName,
              log: log.child({ component: 'csi' }),
              signal: stop.signal,
            }),
          );
          podCertificates?.start();
          if (servingManager) {
            await servingManager.start();
            servingManager.kick();
          }
        },
        onReady: readyResolve,
      });
    })(),
  );

  return {
    port,
    ready,
    async stop() {
      stop.abort();
      await Promise.allSettled(loops);
      await clientManager?.stop();
      await servingManager?.stop();
      await runtime.stop();
      // The containers' Killing Events, if the apiserver takes them promptly.
      await Promise.race([recorder.flush(), new Promise((r) => setTimeout(r, 1000).unref())]);
      await app.close().catch(() => {});
      await listener.close();
      await client?.close();
      await bootstrapClient?.close();
    },
  };
}
