// Puts the secure port together: delegated auth with its own clients to the apiserver, the health
// checks (leader election's as upstream's NewLeaderHealthzAdaptor), metrics and configz.
import { createClient, execPluginMetricsText, type KubeClient } from '@mkube/shared/client';
import { Verbosity } from '@mkube/shared/debugflags';
import { formatDuration } from '@mkube/shared/flags';
import { clientOptionsFrom, type ResolvedCredentials } from '@mkube/shared/kubeconfig';
import type { Logger } from '@mkube/shared/log';
import { type ParsedCertificate, parseCertificatesPem } from '@mkube/shared/pki';
import { processProfiler } from '@mkube/shared/pprof';
import { dynamicCABundle, dynamicCertKeyPair } from '@mkube/shared/tls';
import { RUNNING_QUEUES } from '@mkube/shared/workqueue';
import { RUNNING_ZONE_DISRUPTION } from '../nodelifecycle/disruption.js';
import type { ControllerManagerConfig } from '../options/config.js';
import type { SecureServingConfig } from '../options/serving.js';
import { type SecureServer, startSecureServer } from './app.js';
import { delegatingAuthenticator, delegatingAuthorizer } from './auth.js';
import { ConfigMapAuthenticationInfo, type RequestHeaderInfo } from './clientca.js';

/** How long past the lease duration a leader may go unrenewed before /healthz fails (upstream: 20 s). */
export const LEADER_HEALTH_TIMEOUT_MS = 20_000;
const USER_AGENT = 'kube-controller-manager/v1.33.0 (mkube) delegated-auth';

export interface ServeDeps {
  readonly log: Logger;
  readonly isLeader: () => boolean;
  readonly leaderHealthy: () => boolean;
}

function metricsText(isLeader: boolean, leaseName: string | undefined): string {
  const mem = process.memoryUsage().rss;
  const cpu = process.cpuUsage();
  const start = Date.now() / 1000 - process.uptime();
  const lines = [
    '# HELP process_cpu_seconds_total Total user and system CPU time spent in seconds.',
    '# TYPE process_cpu_seconds_total counter',
    `process_cpu_seconds_total ${(cpu.user + cpu.system) / 1e6}`,
    '# HELP process_resident_memory_bytes Resident memory size in bytes.',
    '# TYPE process_resident_memory_bytes gauge',
    `process_resident_memory_bytes ${mem}`,
    '# HELP process_start_time_seconds Start time of the process since unix epoch in seconds.',
    '# TYPE process_start_time_seconds gauge',
    `process_start_time_seconds ${start.toFixed(3)}`,
  ];
  const queues = new Map<string, { depth: number; adds: number; retries: number }>();
  for (const q of RUNNING_QUEUES) {
    const m = queues.get(q.name) ?? { depth: 0, adds: 0, retries: 0 };
    queues.set(q.name, { depth: m.depth + q.length, adds: m.adds + q.adds, retries: m.retries + q.retries });
  }
  const names = [...queues.keys()].sort();
  const family = (
    metric: string,
    type: string,
    help: string,
    value: (m: { depth: number; adds: number; retries: number }) => number,
  ) => {
    lines.push(`# HELP ${metric} ${help}`, `# TYPE ${metric} ${type}`);
    for (const n of names) lines.push(`${metric}{name="${n}"} ${value(queues.get(n)!)}`);
  };
  if (names.length > 0) {
    family('workqueue_adds_total', 'counter', '[ALPHA] Total number of adds handled by workqueue', (m) => m.adds);
    family('workqueue_depth', 'gauge', '[ALPHA] Current depth of workqueue', (m) => m.depth);
    family(
      'workqueue_retries_total',
      'counter',
      '[ALPHA] Total number of retries handled by workqueue',
      (m) => m.retries,
    );
  }
  // One node lifecycle controller runs per process (the leader's).
  const zones = RUNNING_ZONE_DISRUPTION.values().next().value;
  if (zones) lines.push(...zones.metrics());
  if (leaseName) {
    lines.push(
      "# HELP leader_election_master_status [ALPHA] Gauge of if the reporting system is master of the relevant lease, 0 indicates backup, 1 indicates master. 'name' is the string used to identify the lease. Please make sure to group by name.",
      '# TYPE leader_election_master_status gauge',
      `leader_election_master_status{name="${leaseName}"} ${isLeader ? 1 : 0}`,
    );
  }
  // client-go's exec plugin series, as every component registers them.
  return `${lines.join('\n')}\n${execPluginMetricsText()}`;
}

function configz(config: ControllerManagerConfig): unknown {
  const le = config.leaderElection;
  return {
    componentconfig: {
      Generic: {
        Controllers: [...config.enabled].sort(),
        LeaderElection: {
          LeaderElect: Boolean(le),
          ...(le
            ? {
                LeaseDuration: formatDuration(le.leaseDurationMs),
                RenewDeadline: formatDuration(le.renewDeadlineMs),
                RetryPeriod: formatDuration(le.retryPeriodMs),
                ResourceLock: 'leases',
                ResourceName: le.name,
                ResourceNamespace: le.namespace,
              }
            : {}),
        },
      },
      KubeCloudShared: { NodeMonitorPeriod: formatDuration(config.nodeMonitorPeriodMs) },
      CSRSigningController: { ClusterSigningDuration: formatDuration(config.signingDurationMs) },
      NodeLifecycleController: {
        NodeMonitorGracePeriod: formatDuration(config.nodeMonitorGracePeriodMs),
        NodeEvictionRate: config.nodeEvictionRate,
        SecondaryNodeEvictionRate: config.secondaryNodeEvictionRate,
        LargeClusterSizeThreshold: config.largeClusterSizeThreshold,
        UnhealthyZoneThreshold: config.unhealthyZoneThreshold,
      },
    },
  };
}

export async function serveSecurely(
  config: ControllerManagerConfig,
  s: SecureServingConfig,
  d: ServeDeps,
): Promise<SecureServer> {
  const clients: KubeClient[] = [];
  const clientFor = (creds: ResolvedCredentials | undefined): (() => KubeClient) | undefined => {
    if (!creds) return undefined;
    const c = createClient({ ...clientOptionsFrom(creds), userAgent: USER_AGENT, logger: d.log });
    clients.push(c);
    return () => c;
  };
  const log = d.log.child({ component: 'secure-serving' });
  log.info({ certificate: s.certSource }, 'secure serving certificate');
  for (const w of s.tls.warnings) log.warn(w);
  if (!s.authentication) log.warn('no --authentication-kubeconfig: bearer tokens are not checked');
  if (!s.authorization) log.warn('no --authorization-kubeconfig: every path not always allowed is forbidden');
  const authnClient = clientFor(s.authentication?.credentials);
  const stopWatch = new AbortController();
  let clientCA: { readonly roots: readonly ParsedCertificate[] } | undefined;
  let requestHeader: (() => RequestHeaderInfo | undefined) | undefined;
  const dynamicLog = log.child({ component: 'dynamic-certificates' });
  /** A CA bundle file read again when it changes, until the server stops. */
  const watchedBundle = (name: string, flag: string, file: string, pem: string) => {
    const bundle = dynamicCABundle(name, { flag, file }, { pem, certs: parseCertificatesPem(pem) }, dynamicLog);
    bundle.run(stopWatch.signal);
    return {
      get roots(): readonly ParsedCertificate[] {
        return bundle.current.certs;
      },
    };
  };
  const fromConfigMap =
    (s.clientCAFromConfigMap || s.requestHeaderFromConfigMap) && authnClient && s.authenticationInfo
      ? new ConfigMapAuthenticationInfo(
          s.authenticationInfo,
          { clientCA: !!s.clientCAFromConfigMap, requestHeader: !!s.requestHeaderFromConfigMap },
          log,
        )
      : undefined;
  fromConfigMap?.run(authnClient!(), stopWatch.signal);
  if (s.requestHeaderFromConfigMap && fromConfigMap) {
    requestHeader = () => fromConfigMap.requestHeader;
  } else if (s.requestHeader) {
    const rh = s.requestHeader;
    const bundle = watchedBundle('request-header', 'requestheader-client-ca-file', rh.caFile, rh.caPem);
    // One settings object per bundle, so the authenticator's per-bundle state is kept between requests.
    let last: RequestHeaderInfo | undefined;
    requestHeader = () => {
      const roots = bundle.roots;
      if (last?.roots !== roots) last = { ...rh, roots };
      return last;
    };
  }
  if (s.clientCAFromConfigMap && fromConfigMap) {
    clientCA = fromConfigMap;
  } else if (s.clientCAFile && s.clientCAPem) {
    clientCA = watchedBundle('client-ca-bundle', 'client-ca-file', s.clientCAFile, s.clientCAPem);
  }
  const authenticator = delegatingAuthenticator(s, authnClient, clientCA, requestHeader);
  const authorizer = delegatingAuthorizer(s, clientFor(s.authorization?.credentials));
  // The heap sampler runs from the start, as Go's MemProfileRate does, so /heap covers the process.
  const profiler = config.profiling ? processProfiler() : undefined;
  void profiler?.start();
  try {
    const server = await startSecureServer({
      bindAddress: s.bindAddress,
      port: s.port,
      certPem: s.certPem,
      keyPem: s.keyPem,
      tls: s.tls,
      authenticator,
      authorizer,
      checks: config.leaderElection ? [{ name: 'leaderElection', check: d.leaderHealthy }] : [],
      metrics: () => metricsText(d.isLeader(), config.leaderElection?.name),
      configz: () => configz(config),
      ...(profiler ? { profiler, verbosity: new Verbosity(d.log, config.verbosity) } : {}),
      log,
    });
    if (s.certFile && s.keyFile) {
      const pair = dynamicCertKeyPair(
        'serving-cert',
        { flag: 'tls-cert-file', file: s.certFile },
        { flag: 'tls-private-key-file', file: s.keyFile },
        { certPem: s.certPem, keyPem: s.keyPem, certs: [] },
        dynamicLog,
      );
      pair.addListener((next) => server.setCertificate(next));
      pair.run(stopWatch.signal);
    }
    return {
      address: server.address,
      port: server.port,
      setCertificate: (pair) => server.setCertificate(pair),
      async close() {
        stopWatch.abort();
        await server.close();
        await Promise.all(clients.map((c) => c.close({ graceMs: 0 })));
      },
    };
  } catch (e) {
    stopWatch.abort();
    await Promise.all(clients.map((c) => c.close({ graceMs: 0 })));
    throw e;
  }
}
