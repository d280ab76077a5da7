// metrics-server put together: node and pod informers, the scrape loop every --metric-resolution
// into the two-point storage, and the secure port serving metrics.k8s.io with delegated auth beside
// /healthz, /livez, /readyz and /metrics.
import { type SecureServer, serveDelegated } from '@mkube/controller-manager/server';
import type { Node, Pod } from '@mkube/shared/api';
import { createClient, ListWatcher } from '@mkube/shared/client';
import { clientOptionsFrom } from '@mkube/shared/kubeconfig';
import type { Logger } from '@mkube/shared/log';
import { MetricsApi } from './api/api.js';
import type { MetricsServerConfig } from './options/config.js';
import { KubeletClient } from './scraper/kubelet.js';
import { scrapeNodes } from './scraper/scraper.js';
import { NodeStorage, PodStorage } from './storage/storage.js';

export const USER_AGENT = 'metrics-server/v0.7.2 (mkube)';

export interface RunningMetricsServer {
  readonly secure?: SecureServer;
  /** Resolves after the next scrape is stored (tests and `mkube up` wait on it). */
  nextScrape(): Promise<void>;
  stop(): Promise<void>;
}

export async function startMetricsServer(
  config: MetricsServerConfig,
  opts: { log: Logger },
): Promise<RunningMetricsServer> {
  const log = opts.log;
  const client = createClient({ ...clientOptionsFrom(config.credentials), userAgent: USER_AGENT, logger: log });
  const stop = new AbortController();
  const nodes = new ListWatcher<Node>({
    source: client.resource<Node>({ group: '', version: 'v1', resource: 'nodes' }),
    name: 'nodes',
    ...(config.nodeSelector ? { labelSelector: config.nodeSelector } : {}),
    logger: log,
  });
  const pods = new ListWatcher<Pod>({
    source: client.resource<Pod>({ group: '', version: 'v1', resource: 'pods' }),
    name: 'pods',
    logger: log,
  });
  void nodes.run(stop.signal);
  void pods.run(stop.signal);
  const nodeStorage = new NodeStorage();
  const podStorage = new PodStorage(config.resolutionMs);
  const kubelets = new KubeletClient(config.kubelet);
  const stats = { ticks: 0, lastTick: 0, lastDurationMs: 0, failed: 0, stored: false };
  let waiters: (() => void)[] = [];

  const tick = async () => {
    const started = Date.now();
    const r = await scrapeNodes(nodes.store.list(), kubelets, log);
    nodeStorage.store(r.batch);
    podStorage.store(r.batch);
    stats.ticks++;
    stats.lastTick = started;
    stats.lastDurationMs = r.durationMs;
    stats.failed = r.failed;
    stats.stored ||= r.batch.nodes.size > 0;
    log.debug?.({ nodes: r.batch.nodes.size, pods: r.batch.pods.size, failed: r.failed }, 'scrape finished');
    const w = waiters;
    waiters = [];
    for (const f of w) f();
  };
  // The loop ticks on the resolution from its start, as upstream's manager, not from each scrape's end.
  const loop = (async () => {
    await Promise.all([nodes.waitForSync(stop.signal), pods.waitForSync(stop.signal)]);
    let next = Date.now();
    while (!stop.signal.aborted) {
      await tick().catch((e: unknown) => log.error({ err: (e as Error).message }, 'scrape failed'));
      next += config.resolutionMs;
      const wait = Math.max(0, next - Date.now());
      await new Promise<void>((r) => {
        const t = setTimeout(r, wait);
        stop.signal.addEventListener(
          'abort',
          () => {
            clearTimeout(t);
            r();
          },
          { once: true },
        );
      });
    }
  })();

  let secure: SecureServer | undefined;
  if (config.secureServing) {
    try {
      secure = await serveDelegated(config.secureServing, {
        log,
        userAgent: `${USER_AGENT} delegated-auth`,
        checks: [
          { name: 'metadata-informer-sync', check: () => nodes.hasSynced() && pods.hasSynced() },
          // Ready once a scrape stored a node's point (upstream's metric-storage-ready).
          { name: 'metric-storage-ready', check: () => stats.stored },
          {
            name: 'metric-collection-timely',
            check: () => stats.ticks === 0 || Date.now() - stats.lastTick <= config.resolutionMs * 1.5 + 10_000,
          },
        ],
        metrics: () => metricsText(stats, nodeStorage.size, podStorage.size),
        configz: () => ({ metricResolution: `${config.resolutionMs / 1000}s` }),
        profiling: false,
        verbosity: config.verbosity,
        api: new MetricsApi({ nodes: nodes.store, pods: pods.store, nodeStorage, podStorage }),
      });
    } catch (e) {
      stop.abort();
      await kubelets.close();
      await client.close({ graceMs: 0 });
      throw e;
    }
  }
  return {
    ...(secure ? { secure } : {}),
    nextScrape: () => new Promise<void>((r) => waiters.push(r)),
    async stop() {
      stop.abort();
      await loop;
      await secure?.close();
      await kubelets.close();
      await client.close({ graceMs: 0 });
    },
  };
}

function metricsText(
  s: { ticks: number; lastTick: number; lastDurationMs: number; failed: number },
  nodes: number,
  pods: number,
): string {
  return [
    '# HELP metrics_server_manager_tick_duration_seconds [ALPHA] The total time spent collecting and storing metrics in seconds.',
    '# TYPE metrics_server_manager_tick_duration_seconds gauge',
    `metrics_server_manager_tick_duration_seconds ${s.lastDurationMs / 1000}`,
    '# HELP metrics_server_scraper_last_time_seconds [ALPHA] Last time metrics-server performed a scrape since unix epoch in seconds.',
    '# TYPE metrics_server_scraper_last_time_seconds gauge',
    `metrics_server_scraper_last_time_seconds ${Math.floor(s.lastTick / 1000)}`,
    '# HELP metrics_server_scraper_failures [ALPHA] Nodes that failed the last scrape.',
    '# TYPE metrics_server_scraper_failures gauge',
    `metrics_server_scraper_failures ${s.failed}`,
    '# HELP metrics_server_storage_points [ALPHA] Number of metrics points stored.',
    '# TYPE metrics_server_storage_points gauge',
    `metrics_server_storage_points{type="node"} ${nodes}`,
    `metrics_server_storage_points{type="container"} ${pods}`,
    '',
  ].join('\n');
}
