// Wires kube-scheduler: one client, informers for unassigned pods (of our profiles), assigned pods
// and nodes feeding the queue and the cache, PVCs, PVs and StorageClasses feeding the volume
// plugins, the secure port, and — while this process holds the kube-scheduler Lease — the
// scheduling loop. Losing the lease ends the process (exit 1), as upstream.
import { randomUUID } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { hostname } from 'node:os';
import { InformerFactory, RESOURCES } from '@mkube/controller-manager/informers';
import { LeaderElector } from '@mkube/controller-manager/leaderelection';
import { LEADER_HEALTH_TIMEOUT_MS, type SecureServer, serveDelegated } from '@mkube/controller-manager/server';
import type {
  Namespace,
  Node,
  PersistentVolume,
  PersistentVolumeClaim,
  ReplicaSet,
  ReplicationController,
  Service,
  StatefulSet,
  StorageClass,
} from '@mkube/shared/api';
import { createClient, type KubeClient } from '@mkube/shared/client';
import { ApiEventRecorder } from '@mkube/shared/events';
import { formatDuration } from '@mkube/shared/flags';
import { clientOptionsFrom } from '@mkube/shared/kubeconfig';
import type { Logger } from '@mkube/shared/log';
import { errorSummary } from '@mkube/shared/workqueue';
import type { Pod } from './api/index.js';
import { apiCalls, Throttle } from './apicalls.js';
import { SchedulerCache } from './cache/cache.js';
import {
  assignedPodHandlers,
  nodeHandlers,
  pvcHandlers,
  pvHandlers,
  storageClassHandlers,
  unassignedPodHandlers,
} from './eventhandlers.js';
import { SchedulerMetrics } from './metrics/index.js';
import type { SchedulerConfig } from './options/config.js';
import { newInterPodAffinity } from './plugins/interpodaffinity/plugin.js';
import type { SpreadSources } from './plugins/podtopologyspread/defaultselector.js';
import { newPodTopologySpread } from './plugins/podtopologyspread/plugin.js';
import { DEFAULT_BIND_TIMEOUT_SECONDS } from './plugins/volumebinding/args.js';
import { AssumeCache } from './plugins/volumebinding/assumecache.js';
import { VolumeBinder, type VolumeSources } from './plugins/volumebinding/binder.js';
import { newVolumeBinding } from './plugins/volumebinding/plugin.js';
import {
  PERSISTENT_VOLUME_CLAIMS,
  PERSISTENT_VOLUMES,
  STORAGE_CLASSES,
  volumeWrites,
} from './plugins/volumebinding/writes.js';
import { newVolumeRestrictions } from './plugins/volumerestrictions.js';
import { filterPluginsByName, newProfile, type ProfileParts, type VolumePlugins } from './profile.js';
import { type PendingCounts, SchedulingQueue } from './queue/queue.js';
import { runSchedulingLoop, type SchedulerParts } from './scheduleone.js';

export const USER_AGENT = 'kube-scheduler/v1.33.0 (mkube)';

/** The informers' field selectors (scheduler.go's unscheduled and assigned pod informers). */
export const UNASSIGNED_PODS = 'spec.nodeName=,status.phase!=Succeeded,status.phase!=Failed';
export const ASSIGNED_PODS = 'spec.nodeName!=,status.phase!=Succeeded,status.phase!=Failed';

const SERVICES = { group: '', version: 'v1', resource: 'services' } as const;
/** Not awaited: a server that does not serve them yet must not hold scheduling back. */
const REPLICATION_CONTROLLERS = { group: '', version: 'v1', resource: 'replicationcontrollers' } as const;

/** cleanupAssumedPeriod. */
const CLEANUP_ASSUMED_MS = 1000;

export type Outcome = 'stopped' | 'lost' | 'failed';

export interface RunningScheduler {
  readonly client: KubeClient;
  readonly identity: string;
  readonly secureServing?: { readonly address: string; readonly port: number };
  isLeader(): boolean;
  /** What waits in each queue now (scheduler_pending_pods). */
  pending(): PendingCounts;
  readonly metrics: SchedulerMetrics;
  /** 'lost' if leadership was lost (the process should exit 1), 'stopped' after stop(). */
  readonly done: Promise<Outcome>;
  stop(): Promise<void>;
}

export interface StartOptions {
  readonly log: Logger;
  readonly identity?: string;
  /** Tie-breaking among equally scored nodes (tests). */
  readonly random?: () => number;
}

function configz(config: SchedulerConfig): unknown {
  const le = config.leaderElection;
  return {
    componentconfig: {
      apiVersion: 'kubescheduler.config.k8s.io/v1',
      kind: 'KubeSchedulerConfiguration',
      leaderElection: {
        leaderElect: Boolean(le),
        ...(le
          ? {
              leaseDuration: formatDuration(le.leaseDurationMs),
              renewDeadline: formatDuration(le.renewDeadlineMs),
              retryPeriod: formatDuration(le.retryPeriodMs),
              resourceLock: 'leases',
              resourceName: le.name,
              resourceNamespace: le.namespace,
            }
          : {}),
      },
      clientConnection: { kubeconfig: config.kubeconfigFile, qps: config.qps, burst: config.burst },
      enableProfiling: config.profiling,
      podInitialBackoffSeconds: config.podInitialBackoffMs / 1000,
      podMaxBackoffSeconds: config.podMaxBackoffMs / 1000,
      ...(config.percentageOfNodesToScore !== undefined
        ? { percentageOfNodesToScore: config.percentageOfNodesToScore }
        : {}),
      profiles: config.profiles.map((schedulerName) => ({
        schedulerName,
        pluginConfig: [
          {
            name: 'VolumeBinding',
            args: {
              bindTimeoutSeconds:
                config.volumeBindingArgs?.[schedulerName]?.bindTimeoutSeconds ?? DEFAULT_BIND_TIMEOUT_SECONDS,
            },
          },
        ],
      })),
    },
  };
}

export async function startScheduler(config: SchedulerConfig, opts: StartOptions): Promise<RunningScheduler> {
  const log = opts.log;
  const client = createClient({ ...clientOptionsFrom(config.credentials), userAgent: USER_AGENT, logger: log });
  const identity = opts.identity ?? `${hostname()}_${randomUUID()}`;
  const stopper = new AbortController();
  setMaxListeners(0, stopper.signal);
  const le = config.leaderElection;
  let elector: LeaderElector | undefined;
  const isLeader = () => (elector ? elector.isLeader() : true);

  const factory = new InformerFactory(client, log);
  const unassigned = factory.informerFor<Pod>(RESOURCES.pods, { fieldSelector: UNASSIGNED_PODS });
  const assigned = factory.informerFor<Pod>(RESOURCES.pods, { fieldSelector: ASSIGNED_PODS });
  const nodes = factory.informerFor<Node>(RESOURCES.nodes);
  const classes = factory.informerFor<StorageClass>(STORAGE_CLASSES);
  const pvcs = new AssumeCache<PersistentVolumeClaim>('PersistentVolumeClaim');
  const pvs = new AssumeCache<PersistentVolume>('PersistentVolume');
  const throttle = new Throttle(config.qps, config.burst);
  const sources: VolumeSources = {
    pvcs,
    pvs,
    storageClass: (name) => classes.store.get(name),
    node: (name) => nodes.store.get(name),
    podExists: (key) => unassigned.store.get(key) !== undefined || assigned.store.get(key) !== undefined,
  };
  const writes = volumeWrites(client, throttle);
  const volumePlugins = (profile: string): VolumePlugins => ({
    restrictions: newVolumeRestrictions((key) => pvcs.getApi(key)),
    binding: newVolumeBinding(
      new VolumeBinder(sources, writes, {
        bindTimeoutMs: (config.volumeBindingArgs?.[profile]?.bindTimeoutSeconds ?? DEFAULT_BIND_TIMEOUT_SECONDS) * 1000,
      }),
    ),
  });

  // InterPodAffinity's namespaceSelector and PodTopologySpread's default selector read these.
  const namespaces = factory.informerFor<Namespace>(RESOURCES.namespaces);
  const services = factory.informerFor<Service>(SERVICES);
  const replicaSets = factory.informerFor<ReplicaSet>(RESOURCES.replicasets);
  const statefulSets = factory.informerFor<StatefulSet>(RESOURCES.statefulsets);
  const rcs = factory.informerFor<ReplicationController>(REPLICATION_CONTROLLERS, {}, { awaited: false });
  const spreadSources: SpreadSources = {
    services: (ns) => services.store.list().filter((s) => s.metadata?.namespace === ns),
    replicationController: (ns, name) => rcs.store.get(`${ns}/${name}`),
    replicaSet: (ns, name) => replicaSets.store.get(`${ns}/${name}`),
    statefulSet: (ns, name) => statefulSets.store.get(`${ns}/${name}`),
  };
  const profileParts = (profile: string): ProfileParts => ({
    volumes: volumePlugins(profile),
    interPodAffinity: newInterPodAffinity(namespaces.store),
    podTopologySpread: newPodTopologySpread(spreadSources),
    ...(config.pluginSelections?.[profile] ? { plugins: config.pluginSelections[profile] } : {}),
  });

  const cache = new SchedulerCache();
  const queue = new SchedulingQueue({
    podInitialBackoffMs: config.podInitialBackoffMs,
    podMaxBackoffMs: config.podMaxBackoffMs,
    podMaxInUnschedulablePodsDurationMs: config.podMaxInUnschedulablePodsDurationMs,
    // Hints are the same for every profile's instance.
    plugins: filterPluginsByName(profileParts(config.profiles[0] ?? '')),
  });
  const metrics = new SchedulerMetrics();
  const recorders = new Map(
    config.profiles.map((name) => [name, new ApiEventRecorder(client, name, '', log.child({ component: name }))]),
  );
  const api = apiCalls(client, throttle);
  const profiles = new Set(config.profiles);
  const targets = {
    queue,
    cache,
    responsible: (p: Pod) => profiles.has(p.spec?.schedulerName ?? ''),
  };

  // Serving first, as upstream's: health answers while the lease is awaited.
  let secure: SecureServer | undefined;
  if (config.secureServing) {
    try {
      secure = await serveDelegated(config.secureServing, {
        log,
        userAgent: `${USER_AGENT} delegated-auth`,
        checks: le
          ? [
              {
                name: 'leaderElection',
                check: () =>
                  !elector?.isLeader() ||
                  Date.now() - elector.renewedAt <= le.leaseDurationMs + LEADER_HEALTH_TIMEOUT_MS,
              },
            ]
          : [],
        metrics: () => metrics.text(queue.counts(), { ...(le ? { lease: le.name } : {}), isLeader: isLeader() }),
        configz: () => configz(config),
        profiling: config.profiling,
        verbosity: config.verbosity,
      });
    } catch (e) {
      await client.close({ graceMs: 0 });
      throw e;
    }
  }

  unassigned.addEventHandler(unassignedPodHandlers(targets));
  assigned.addEventHandler(assignedPodHandlers(targets));
  nodes.addEventHandler(nodeHandlers(targets));
  factory
    .informerFor<PersistentVolumeClaim>(PERSISTENT_VOLUME_CLAIMS)
    .addEventHandler(pvcHandlers({ queue, pvcs, pvs }));
  factory.informerFor<PersistentVolume>(PERSISTENT_VOLUMES).addEventHandler(pvHandlers({ queue, pvcs, pvs }));
  classes.addEventHandler(storageClassHandlers({ queue }));
  factory.start(stopper.signal);

  const parts: SchedulerParts = {
    cache,
    queue,
    frameworks: new Map(config.profiles.map((n) => [n, newProfile(n, profileParts(n))])),
    recorders,
    api,
    metrics,
    log,
    bindings: new Set(),
    ...(opts.random ? { random: opts.random } : {}),
  };

  let failed = false;
  /** sched.Run: once the caches are in, schedule until `signal` aborts. */
  const run = async (signal: AbortSignal): Promise<void> => {
    if (!(await factory.waitForCacheSync(signal))) return;
    log.info({ profiles: config.profiles }, 'caches synced; scheduling');
    queue.run(signal);
    const cleanup = setInterval(() => cache.cleanupAssumed(), CLEANUP_ASSUMED_MS);
    try {
      await runSchedulingLoop(parts, signal);
    } catch (err) {
      log.error({ err: errorSummary(err) }, 'scheduling loop failed');
      failed = true;
      stopper.abort();
    } finally {
      clearInterval(cleanup);
    }
  };

  let running: Promise<void> = Promise.resolve();
  let done: Promise<Outcome>;
  if (le) {
    elector = new LeaderElector(
      client,
      { ...le, identity, releaseOnCancel: true },
      {
        onStartedLeading: (signal) => {
          running = run(signal);
        },
        onStoppedLeading: () => log.info({ identity }, 'stopped leading'),
      },
      log,
    );
    done = elector.run(stopper.signal).then(async (outcome) => {
      await running;
      return failed ? 'failed' : outcome;
    });
  } else {
    running = run(stopper.signal);
    done = running.then(() => (failed ? 'failed' : 'stopped'));
  }
  return {
    client,
    identity,
    ...(secure ? { secureServing: { address: secure.address, port: secure.port } } : {}),
    isLeader,
    pending: () => queue.counts(),
    metrics,
    done,
    async stop() {
      stopper.abort();
      queue.close();
      await done;
      await running;
      await factory.stopped();
      await Promise.all([...recorders.values()].map((r) => r.flush()));
      await secure?.close();
      await client.close({ graceMs: 1000 });
    },
  };
}
