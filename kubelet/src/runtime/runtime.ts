// The process runtime's pod manager: the desired pods come from two sources — static manifests in
// --pod-manifest-path (mirrored to the API, as the kubelet does) and API pods bound to this node
// (a watch on spec.nodeName) — and each gets a PodWorker. Status goes back through pods/status
// (a mirror pod's for a static pod), written soon after each change, one write per pod at a time.

import { createHash } from 'node:crypto';
import { promises as fsp, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MIRROR_POD_ANNOTATION, type Pod } from '@mkube/shared/api';
import { isAlreadyExists, isConflict, isNotFound } from '@mkube/shared/apierrors';
import { type KubeClient, ListWatcher, sleep } from '@mkube/shared/client';
import type { Logger } from '@mkube/shared/log';
import { parse as parseYaml } from 'yaml';
import type { ClusterTrustBundleManager } from '../clustertrustbundle/manager.js';
import { liveNode } from '../nodestatus/livenode.js';
import type { PodCertificateManager } from '../podcertificate/manager.js';
import type { ProbeMetrics } from '../server/probemetrics.js';
import { type PodEventSink, PodWorker, podKey, procStartTime, signalGroup } from './pod.js';

const PODS = { group: '', version: 'v1', resource: 'pods' } as const;
const CONFIG_HASH = 'kubernetes.io/config.hash';
const CONFIG_SOURCE = 'kubernetes.io/config.source';

export interface RuntimeOptions {
  readonly nodeName: string;
  readonly rootDir: string;
  readonly hostIP: string;
  readonly podManifestPath?: string;
  readonly log: Logger;
  /** The kubelet's EventRecorder: Created, Started, Killing, BackOff… for each pod. */
  readonly events?: PodEventSink;
  /** ClusterTrustBundles for API pods' projected volumes (absent: the gate is off). */
  readonly trustBundles?: ClusterTrustBundleManager;
  /** Pod certificates for API pods' projected volumes (absent: the gate is off); told of pods coming and going. */
  readonly podCertificates?: PodCertificateManager;
  /** --sync-frequency: how often a running pod's API-sourced volumes are read again. */
  readonly syncFrequencyMs?: number;
  /** Where probe runs are counted (/metrics/probes). */
  readonly probeMetrics?: ProbeMetrics;
}

/** Reads the static pod manifests: each becomes `<name>-<node>` with a uid derived from its content. */
export async function readStaticPods(dir: string, nodeName: string, log: Logger): Promise<Pod[]> {
  let names: string[];
  try {
    names = (await fsp.readdir(dir)).filter((n) => /\.(ya?ml|json)$/.test(n) && !n.startsWith('.')).sort();
  } catch {
    return [];
  }
  const pods: Pod[] = [];
  for (const n of names) {
    const file = join(dir, n);
    try {
      const text = await fsp.readFile(file, 'utf8');
      const pod = parseYaml(text) as Pod;
      if (pod?.kind !== 'Pod' || !pod.metadata?.name || !Array.isArray(pod.spec?.containers))
        throw new Error('not a Pod with metadata.name and spec.containers');
      const uid = createHash('md5').update(nodeName).update(text).digest('hex');
      pods.push({
        ...pod,
        metadata: {
          ...pod.metadata,
          name: `${pod.metadata.name}-${nodeName}`,
          namespace: pod.metadata.namespace ?? 'default',
          uid,
          annotations: { ...pod.metadata.annotations, [CONFIG_HASH]: uid, [CONFIG_SOURCE]: 'file' },
        },
        spec: { ...pod.spec!, nodeName },
      });
    } catch (e) {
      log.warn({ file, err: (e as Error).message }, 'skipping an unreadable static pod manifest');
    }
  }
  return pods;
}

function isStaticPod(p: Pod): boolean {
  return p.metadata?.annotations?.[CONFIG_SOURCE] === 'file';
}

export class ProcessRuntime {
  readonly #workers = new Map<string, PodWorker>();
  readonly #byKey = new Map<string, PodWorker>();
  #apiPods: Pod[] = [];
  #staticPods: Pod[] = [];
  readonly #dirty = new Set<string>();
  readonly #mirrored = new Set<string>();
  /** Pods being deleted, by uid, until the API no longer has them. */
  readonly #terminating = new Map<string, Promise<void>>();
  #flushing: Promise<void> | undefined;
  #client: (() => KubeClient) | undefined;
  #nodeGoneLogged = false;
  readonly #stop = new AbortController();

  constructor(private readonly o: RuntimeOptions) {}

  /** Kills containers a previous kubelet process left running (their pid files survive a kill -9). */
  cleanupOrphans(): void {
    const podsDir = join(this.o.rootDir, 'pods');
    let pods: string[];
    try {
      pods = readdirSync(podsDir);
    } catch {
      return;
    }
    for (const p of pods) {
      let containers: string[];
      try {
        containers = readdirSync(join(podsDir, p));
      } catch {
        continue;
      }
      for (const c of containers) {
        try {
          const [pid, start] = readFileSync(join(podsDir, p, c, 'pid'), 'utf8')
            .trim()
            .split(' ');
          const n = Number(pid);
          if (n > 1 && start && procStartTime(n) === start) {
            signalGroup(n, 'SIGKILL');
            this.o.log.info({ pod: p, container: c, pid: n }, 'stopped a container left by an earlier kubelet');
          }
        } catch {
          // no pid file
        }
      }
    }
  }

  pods(): Pod[] {
    return [...this.#workers.values()].map((w) => ({ ...w.pod, status: w.status() }));
  }

  find(namespace: string, name: string): PodWorker | undefined {
    return this.#byKey.get(podKey(namespace, name));
  }

  /** An API pod (not a static one) this kubelet runs, by UID: the pod certificate manager's pod manager. */
  apiPod(uid: string): Pod | undefined {
    const w = this.#workers.get(uid);
    return w && !isStaticPod(w.pod) ? w.pod : undefined;
  }

  apiPods(): Pod[] {
    return [...this.#workers.values()].map((w) => w.pod).filter((p) => !isStaticPod(p));
  }

  /** Sets the pod's volumes up again now (its pod certificate changed). */
  resyncVolumes(uid: string): void {
    this.#workers.get(uid)?.resyncVolumes();
  }

  /** Starts static pods now (they need no API) and watches the API once a client is available. */
  async start(): Promise<void> {
    if (this.o.podManifestPath) {
      const scan = async () => {
        this.#staticPods = await readStaticPods(this.o.podManifestPath!, this.o.nodeName, this.o.log);
        this.#sync();
      };
      await scan();
      const t = setInterval(() => void scan(), 20_000);
      t.unref();
      this.#stop.signal.addEventListener('abort', () => clearInterval(t), { once: true });
    }
  }

  /** Connects to the API: API pods bound to this node, mirror pods, status writes. */
  connect(client: () => KubeClient): void {
    this.#client = client;
    const lw = new ListWatcher<Pod>({
      source: {
        list: (opts) => client().resource<Pod>(PODS).list(opts),
        watch: (opts) => client().resource<Pod>(PODS).watch(opts),
      },
      name: 'pods',
      fieldSelector: `spec.nodeName=${this.o.nodeName}`,
      handlers: {
        onResync: (objs) => {
          this.#apiPods = objs.filter((p) => !p.metadata?.annotations?.[MIRROR_POD_ANNOTATION]);
          this.#sync();
          for (const p of objs) this.#reconcileStatus(p);
        },
        onAdd: (p) => {
          this.#resyncFrom(lw);
          this.#reconcileStatus(p);
        },
        onUpdate: (_old, p) => {
          this.#resyncFrom(lw);
          this.#reconcileStatus(p);
        },
        onDelete: () => this.#resyncFrom(lw),
      },
      logger: this.o.log,
    });
    void lw.run(this.#stop.signal);
    for (const w of this.#workers.values()) this.#markDirty(w);
  }

  #resyncFrom(lw: ListWatcher<Pod>): void {
    this.#apiPods = lw.store.list().filter((p) => !p.metadata?.annotations?.[MIRROR_POD_ANNOTATION]);
    this.#sync();
  }

  /**
   * The status manager's needsReconcile, for the pod a watch event brought: when its Ready in the API
   * is not what this kubelet knows (the node controller marks a silent node's pods not ready), its
   * status is written again.
   */
  #reconcileStatus(p: Pod): void {
    const readyOf = (conditions: readonly { type: string; status: string }[] | undefined) =>
      conditions?.find((c) => c.type === 'Ready')?.status;
    const uid = p.metadata?.annotations?.[MIRROR_POD_ANNOTATION] ?? p.metadata?.uid;
    const w = uid ? this.#workers.get(uid) : undefined;
    if (!w || this.#dirty.has(uid!)) return;
    // Someone deleted the mirror pod of a static pod: the status write replaces it.
    if (p.metadata?.annotations?.[MIRROR_POD_ANNOTATION] && p.metadata.deletionTimestamp) {
      this.#markDirty(w);
      return;
    }
    const known = readyOf(w.status().conditions);
    if (known !== undefined && readyOf(p.status?.conditions) !== known) this.#markDirty(w);
  }

  #sync(): void {
    if (this.#stop.signal.aborted) return;
    const want = new Map<string, Pod>();
    for (const p of [...this.#staticPods, ...this.#apiPods]) if (p.metadata?.uid) want.set(p.metadata.uid, p);
    // Pods being deleted (deletionTimestamp): stopped within their grace period, then deleted for good.
    for (const [uid, p] of want) {
      if (!p.metadata?.deletionTimestamp) continue;
      want.delete(uid);
      if (!this.#terminating.has(uid)) this.#terminating.set(uid, this.#terminate(p, this.#workers.get(uid)));
    }
    for (const [uid, w] of this.#workers) {
      if (want.has(uid) || this.#terminating.has(uid)) continue;
      this.#workers.delete(uid);
      if (this.#byKey.get(podKey(w.namespace, w.name)) === w) this.#byKey.delete(podKey(w.namespace, w.name));
      this.o.podCertificates?.forgetPod(w.pod);
      this.o.log.info({ pod: podKey(w.namespace, w.name) }, 'stopping pod');
      void w.stop().then(() => this.#deleteMirror(w));
    }
    for (const [uid, p] of want) {
      const running = this.#workers.get(uid);
      if (running) {
        if (p.spec?.ephemeralContainers?.length) running.addEphemeralContainers(p);
        continue;
      }
      // Static pods may not use API objects (upstream refuses them at validation); API pods read
      // theirs with the node's credentials.
      const isStatic = isStaticPod(p);
      const api = isStatic ? () => undefined : () => this.#client?.();
      const w = new PodWorker(
        p,
        this.o.rootDir,
        this.o.hostIP,
        this.o.log,
        () => this.#markDirty(w),
        api,
        this.o.events,
        {
          ...(isStatic || !this.o.trustBundles ? {} : { trustBundles: this.o.trustBundles }),
          ...(isStatic || !this.o.podCertificates ? {} : { podCertificates: this.o.podCertificates }),
          ...(this.o.syncFrequencyMs ? { syncFrequencyMs: this.o.syncFrequencyMs } : {}),
          ...(this.o.probeMetrics ? { probeMetrics: this.o.probeMetrics } : {}),
        },
      );
      this.#workers.set(uid, w);
      this.#byKey.set(podKey(w.namespace, w.name), w);
      this.o.log.info(
        { pod: podKey(w.namespace, w.name), source: p.metadata?.annotations?.[CONFIG_SOURCE] ?? 'api' },
        'starting pod',
      );
      if (!isStatic) this.o.podCertificates?.trackPod(p);
      w.start();
      if (p.spec?.ephemeralContainers?.length) w.addEphemeralContainers(p);
    }
  }

  /**
   * The kubelet's side of graceful deletion: the containers get SIGTERM and, after the deletion's
   * grace period, SIGKILL; the final status is written; then the pod is deleted with no grace left and
   * its UID as precondition (the status manager's canBeDeleted), so a new pod of the same name is
   * never deleted by mistake. Retried while the kubelet runs.
   */
  async #terminate(p: Pod, w: PodWorker | undefined): Promise<void> {
    const uid = p.metadata!.uid!;
    const key = podKey(p.metadata?.namespace ?? '', p.metadata?.name ?? '');
    try {
      if (w) {
        const graceSeconds = p.metadata?.deletionGracePeriodSeconds ?? p.spec?.terminationGracePeriodSeconds ?? 30;
        this.o.log.info({ pod: key, gracePeriodSeconds: graceSeconds }, 'killing pod for its deletion');
        await w.terminate(graceSeconds * 1000);
      }
      for (let attempt = 0; !this.#stop.signal.aborted; attempt++) {
        const client = this.#client?.();
        try {
          if (!client) throw new Error('no API client yet');
          if (w) await this.#writeStatus(w);
          await client
            .resource<Pod>({ ...PODS, namespace: p.metadata?.namespace ?? '' })
            .delete(p.metadata!.name!, { gracePeriodSeconds: 0, preconditions: { uid }, signal: this.#stop.signal });
          this.o.log.info({ pod: key }, 'pod deleted');
          break;
        } catch (e) {
          // Gone already, or another pod now has the name: nothing of this one is left to delete.
          if (isNotFound(e) || isConflict(e)) break;
          if (this.#stop.signal.aborted) return;
          this.o.log.warn({ pod: key, err: (e as Error).message }, 'could not delete the terminated pod; retrying');
          await sleep(Math.min(10_000, 500 * 2 ** attempt), this.#stop.signal);
        }
      }
    } finally {
      if (w && this.#workers.get(uid) === w) {
        this.#workers.delete(uid);
        if (this.#byKey.get(podKey(w.namespace, w.name)) === w) this.#byKey.delete(podKey(w.namespace, w.name));
        this.o.podCertificates?.forgetPod(w.pod);
      }
      this.#terminating.delete(uid);
    }
  }

  #markDirty(w: PodWorker): void {
    this.#dirty.add(w.pod.metadata!.uid!);
    if (!this.#flushing && this.#client) this.#flushing = this.#flushSoon();
  }

  async #flushSoon(): Promise<void> {
    await new Promise((r) => setTimeout(r, 100));
    while (this.#dirty.size > 0 && !this.#stop.signal.aborted) {
      const uids = [...this.#dirty];
      this.#dirty.clear();
      await Promise.all(
        uids.map(async (uid) => {
          const w = this.#workers.get(uid);
          if (!w) return;
          try {
            await this.#writeStatus(w);
          } catch (e) {
            if (this.#stop.signal.aborted) return;
            this.o.log.warn(
              { pod: podKey(w.namespace, w.name), err: (e as Error).message },
              'pod status update failed',
            );
            setTimeout(() => this.#markDirty(w), 2000).unref();
          }
        }),
      );
    }
    this.#flushing = undefined;
  }

  async #writeStatus(w: PodWorker): Promise<void> {
    const client = this.#client?.();
    if (!client) return;
    const pods = client.resource<Pod>({ ...PODS, namespace: w.namespace });
    const isStatic = w.pod.metadata?.annotations?.[CONFIG_SOURCE] === 'file';
    for (let attempt = 0; attempt < 3; attempt++) {
      // A node may read only pods bound to it: a static pod's mirror is created before it is read.
      if (isStatic && !this.#mirrored.has(w.pod.metadata!.uid!)) {
        // As the kubelet's syncPod: no mirror pod for a Node that is gone or going (its mirror pods
        // would only be collected again); the static pod runs on, reported nowhere.
        const node = await liveNode(client, this.o.nodeName, this.#stop.signal);
        if (!node) {
          if (!this.#nodeGoneLogged) {
            this.#nodeGoneLogged = true;
            this.o.log.info(
              { node: this.o.nodeName },
              'No need to create a mirror pod, since node has been removed from the cluster',
            );
          }
          return;
        }
        this.#nodeGoneLogged = false;
        try {
          await pods.create(this.#mirrorOf(w, node.metadata!.uid!), { signal: this.#stop.signal });
        } catch (e) {
          if (!isAlreadyExists(e)) throw e;
        }
        this.#mirrored.add(w.pod.metadata!.uid!);
      }
      let cur: Pod;
      try {
        cur = await pods.get(w.name, { signal: this.#stop.signal });
      } catch (e) {
        if (!isNotFound(e) || !isStatic) throw e;
        this.#mirrored.delete(w.pod.metadata!.uid!);
        continue;
      }
      if (
        isStatic &&
        (cur.metadata?.annotations?.[MIRROR_POD_ANNOTATION] !== w.pod.metadata?.uid || cur.metadata?.deletionTimestamp)
      ) {
        // A mirror pod of an older manifest, or one being deleted (the static pod runs on): replace it.
        // A mirror has no containers of its own to stop, so it goes with no grace (DeleteMirrorPod).
        await pods
          .delete(w.name, {
            gracePeriodSeconds: 0,
            preconditions: { uid: cur.metadata?.uid },
            signal: this.#stop.signal,
          })
          .catch(() => {});
        this.#mirrored.delete(w.pod.metadata!.uid!);
        continue;
      }
      try {
        await pods.updateSubresource(w.name, 'status', { ...cur, status: w.status() }, { signal: this.#stop.signal });
        return;
      } catch (e) {
        if (!isConflict(e)) throw e;
      }
    }
  }

  #mirrorOf(w: PodWorker, nodeUid: string): Pod {
    const m = w.pod.metadata!;
    return {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: m.name,
        namespace: m.namespace,
        ...(m.labels ? { labels: m.labels } : {}),
        annotations: { ...m.annotations, [MIRROR_POD_ANNOTATION]: m.uid! },
        ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: this.o.nodeName, uid: nodeUid, controller: true }],
      },
      spec: w.pod.spec!,
    };
  }

  async #deleteMirror(w: PodWorker): Promise<void> {
    if (w.pod.metadata?.annotations?.[CONFIG_SOURCE] !== 'file' || !this.#client) return;
    await this.#client()
      .resource<Pod>({ ...PODS, namespace: w.namespace })
      .delete(w.name, { gracePeriodSeconds: 0 })
      .catch(() => {});
  }

  async stop(): Promise<void> {
    this.#stop.abort();
    await Promise.all([...this.#workers.values()].map((w) => w.stop(5000)));
    await this.#flushing;
  }
}
