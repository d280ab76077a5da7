// nodelifecycle, minimal (k8s pkg/controller/nodelifecycle tryUpdateNodeHealth): a node is alive
// while its kube-node-lease Lease is renewed or its Ready heartbeat moves. Liveness is judged by
// when *this process observed* a renewal (as upstream's probeTimestamp), never by the kubelet's
// clock. A node silent for --node-monitor-grace-period gets Ready (and its other standard
// conditions) Unknown with upstream's reason and message. Each node is rechecked exactly when its
// grace period would run out. Events as upstream's "node-controller": RegisteredNode for each node
// it starts watching, RemovingNode, and NodeNotReady when a Ready node goes Unknown. The pods bound to
// a node that stopped reporting get Ready=False (MarkPodsNotReady), each with a Warning NodeNotReady
// Event, so Services and kubectl stop counting them; the kubelet sets Ready back when it reports again.
// NoExecute taints are added at a rate set per zone by its disruption state (disruption.ts).
import {
  type Lease,
  metaTime,
  NAMESPACE_NODE_LEASE,
  type Node,
  type NodeCondition,
  type ObjectReference,
  type Pod,
  type Taint,
} from '@mkube/shared/api';
import { isNotFound } from '@mkube/shared/apierrors';
import type { KubeClient } from '@mkube/shared/client';
import type { ReferenceEventRecorder } from '@mkube/shared/events';
import type { Logger } from '@mkube/shared/log';
import { type Controller, runQueue, WorkQueue } from '../controller.js';
import { RESOURCES, type SharedInformer } from '../informers/index.js';
import {
  DEFAULT_DISRUPTION,
  type DisruptionChange,
  type DisruptionSettings,
  RUNNING_ZONE_DISRUPTION,
  ZoneDisruption,
  zoneKey,
} from './disruption.js';
import { desiredTaints, TAINT } from './taints.js';

export const STANDARD_CONDITIONS = ['Ready', 'MemoryPressure', 'DiskPressure', 'PIDPressure'] as const;

interface Health {
  probeAt: number;
  /** Its pods were marked not ready during this silence. */
  podsMarked?: boolean;
  renewTime?: string;
  heartbeat?: string;
}

/** The node's conditions once it is declared unreachable; undefined when nothing would change. */
export function unknownConditions(node: Node, now: Date): NodeCondition[] | undefined {
  const conds = structuredClone(node.status?.conditions ?? []);
  let changed = false;
  const ts = metaTime(now);
  for (const type of STANDARD_CONDITIONS) {
    const c = conds.find((x) => x.type === type);
    if (!c) {
      conds.push({
        type,
        status: 'Unknown',
        reason: 'NodeStatusNeverUpdated',
        message: 'Kubelet never posted node status.',
        lastHeartbeatTime: metaTime(new Date(Date.parse(node.metadata?.creationTimestamp ?? '') || now.getTime())),
        lastTransitionTime: ts,
      });
      changed = true;
    } else if (c.status !== 'Unknown') {
      c.status = 'Unknown';
      c.reason = 'NodeStatusUnknown';
      c.message = 'Kubelet stopped posting node status.';
      c.lastTransitionTime = ts;
      changed = true;
    }
  }
  return changed ? conds : undefined;
}

export class NodeLifecycleController implements Controller {
  readonly name = 'node-lifecycle-controller';
  readonly queue = new WorkQueue('node_lifecycle_controller');
  readonly #health = new Map<string, Health>();
  readonly #zones: ZoneDisruption;
  /** Nodes refused a NoExecute token, by zone: asked again when their zone's rate changes. */
  readonly #held = new Map<string, string>();

  constructor(
    readonly client: KubeClient,
    readonly nodes: SharedInformer<Node>,
    readonly leases: SharedInformer<Lease>,
    readonly gracePeriodMs: number,
    readonly log: Logger,
    readonly recorder?: ReferenceEventRecorder,
    /** All pods (MarkPodsNotReady reads them by spec.nodeName); without it, pods are left alone. */
    readonly pods?: SharedInformer<Pod>,
    /** --node-eviction-rate and the zone disruption flags. */
    disruption: DisruptionSettings = DEFAULT_DISRUPTION,
  ) {
    this.#zones = new ZoneDisruption(disruption);
    const onNode = (n: Node) => {
      const name = n.metadata?.name;
      if (!name) return;
      if (!this.#health.has(name))
        this.#nodeEvent(n, 'RegisteredNode', `Node ${name} event: Registered Node ${name} in Controller`);
      const h = this.#observe(name);
      const hb = n.status?.conditions?.find((c) => c.type === 'Ready')?.lastHeartbeatTime;
      if (hb !== h.heartbeat) {
        h.heartbeat = hb;
        h.probeAt = Date.now();
        h.podsMarked = false;
      }
      this.queue.add(name);
      this.#applyDisruption(this.#zones.observe(name, n));
    };
    nodes.addEventHandler({
      onAdd: onNode,
      onUpdate: (_o, n) => onNode(n),
      onDelete: (n) => {
        const name = n.metadata?.name;
        if (!name || !this.#health.delete(name)) return;
        this.#held.delete(name);
        this.#applyDisruption(this.#zones.observe(name, undefined));
        this.#nodeEvent(n, 'RemovingNode', `Node ${name} event: Removing Node ${name} from Controller`);
      },
    });
    const onLease = (l: Lease) => {
      const name = l.metadata?.name;
      if (!name || l.metadata?.namespace !== NAMESPACE_NODE_LEASE) return;
      const h = this.#observe(name);
      const renew = l.spec?.renewTime;
      if (renew && renew !== h.renewTime) {
        h.renewTime = renew;
        h.probeAt = Date.now();
        h.podsMarked = false;
        this.queue.add(name);
      }
    };
    leases.addEventHandler({ onAdd: onLease, onUpdate: (_o, l) => onLease(l) });
  }

  /** RecordNodeEvent: in "default", about the Node by its name and uid. */
  #nodeEvent(n: Node, reason: string, message: string): void {
    const ref: ObjectReference = { kind: 'Node', name: n.metadata?.name, uid: n.metadata?.uid };
    this.recorder?.eventFor(ref, 'Normal', reason, message);
  }

  /** Acts on a change of the zones' states: taints to take off, nodes to look at again. */
  #applyDisruption(change: DisruptionChange): void {
    switch (change.kind) {
      case 'none':
        return;
      case 'enterMasterDisruption':
        this.log.info('Controller detected that all Nodes are not-Ready. Entering master disruption mode');
        // Their NoExecute taints come off (desiredTaints is told no NoExecute while in this mode).
        for (const name of this.#health.keys()) this.queue.add(name);
        return;
      case 'exitMasterDisruption': {
        this.log.info('Controller detected that some Nodes are Ready. Exiting master disruption mode');
        // Every node gets a full grace period again: a silence seen from a cut-off control plane
        // says little about the nodes.
        const now = Date.now();
        for (const [name, h] of this.#health) {
          h.probeAt = now;
          this.queue.add(name);
        }
        return;
      }
      case 'zones': {
        for (const zone of change.zones)
          this.log.info(
            { zone, newState: this.#zones.state(zone) },
            'Controller detected that zone is now in new state',
          );
        // Nodes held back by the old rate ask again under the new one.
        const changed = new Set(change.zones);
        for (const [name, zone] of this.#held) if (changed.has(zone)) this.queue.add(name);
      }
    }
  }

  #observe(name: string): Health {
    let h = this.#health.get(name);
    if (!h) {
      // First sight (including right after this process starts): a full grace period from now.
      h = { probeAt: Date.now() };
      this.#health.set(name, h);
    }
    return h;
  }

  async run(signal: AbortSignal): Promise<void> {
    RUNNING_ZONE_DISRUPTION.add(this.#zones);
    try {
      await runQueue(this.queue, 2, (name) => this.sync(name), this.log, signal);
    } finally {
      RUNNING_ZONE_DISRUPTION.delete(this.#zones);
    }
  }

  async sync(name: string): Promise<void> {
    const node = this.nodes.store.get(name);
    const h = this.#health.get(name);
    if (!node || !h) return;
    const silentFor = Date.now() - h.probeAt;
    let current = node;
    if (silentFor < this.gracePeriodMs) {
      this.queue.addAfter(name, this.gracePeriodMs - silentFor + 1);
    } else {
      const conditions = unknownConditions(node, new Date());
      if (conditions) {
        try {
          current = await this.client
            .resource<Node>(RESOURCES.nodes)
            .updateSubresource(name, 'status', { ...node, status: { ...node.status, conditions } });
          this.log.info({ node: name, silentForMs: silentFor }, 'node stopped posting status; marked Ready=Unknown');
          // RecordNodeStatusChange, once: only when Ready was True.
          if (node.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True')
            this.#nodeEvent(node, 'NodeNotReady', `Node ${name} status is now: NodeNotReady`);
          // The zones count the node as it now is before its taints are decided (upstream's
          // handleDisruption runs before its tainting worker): the last node of a cluster going
          // silent enters master disruption mode rather than being tainted first.
          this.#applyDisruption(this.#zones.observe(name, current));
        } catch (err) {
          if (isNotFound(err)) return;
          throw err;
        }
      }
      // Also after a failed attempt or a restart of this process: until every pod is marked.
      if (!h.podsMarked && this.pods) {
        await this.#markPodsNotReady(name);
        h.podsMarked = true;
      }
    }
    await this.#reconcileTaints(current);
  }

  /**
   * A token for one more NoExecute taint in the node's zone, as upstream's RateLimitedTimedQueue per
   * zone (burst 1): a thousand nodes registering NotReady at once are not all tainted (and their pods'
   * evictions all started) in the same second. Without a token the node is looked at again when one
   * will be there, or when its zone's state changes.
   */
  #takeEvictionToken(node: Node): boolean {
    const name = node.metadata!.name!;
    const zone = zoneKey(node);
    const wait = this.#zones.takeToken(name, zone);
    if (wait === 0) {
      this.#held.delete(name);
      return true;
    }
    this.#held.set(name, zone);
    if (Number.isFinite(wait)) this.queue.addAfter(name, wait + 1);
    return false;
  }

  /** NoSchedule taints from the conditions, NoExecute from Ready; a conflict is retried by the queue. */
  async #reconcileTaints(node: Node): Promise<void> {
    const taints = desiredTaints(node, new Date(), () => this.#takeEvictionToken(node), !this.#zones.masterDisruption);
    if (!taints) return;
    const name = node.metadata!.name!;
    try {
      await this.client.resource<Node>(RESOURCES.nodes).update({ ...node, spec: { ...node.spec, taints } });
    } catch (err) {
      if (isNotFound(err)) return;
      throw err;
    }
    // An eviction, as upstream counts them: a node that had no NoExecute taint of ours now has one.
    const evicting = (ts: readonly Taint[]) =>
      ts.some((t) => t.effect === 'NoExecute' && (t.key === TAINT.notReady || t.key === TAINT.unreachable));
    if (evicting(taints) && !evicting(node.spec?.taints ?? [])) this.#zones.evicted(zoneKey(node));
    this.log.debug({ node: name, taints: taints.map((t) => `${t.key}:${t.effect}`) }, 'updated the node taints');
  }

  /** MarkPodsNotReady: Ready=False on each pod bound to the node that is not already so. */
  async #markPodsNotReady(nodeName: string): Promise<void> {
    const now = metaTime(new Date());
    let failed: unknown;
    for (const pod of this.pods!.store.list()) {
      if (pod.spec?.nodeName !== nodeName) continue;
      const conditions = pod.status?.conditions ?? [];
      const ready = conditions.find((c) => c.type === 'Ready');
      if (!ready || ready.status === 'False') continue;
      const next: Pod = {
        ...pod,
        status: {
          ...pod.status,
          conditions: conditions.map((c) => (c === ready ? { ...c, status: 'False', lastTransitionTime: now } : c)),
        },
      };
      const { namespace, name, uid } = pod.metadata ?? {};
      try {
        await this.client.resource<Pod>({ ...RESOURCES.pods, namespace }).updateSubresource(name!, 'status', next);
      } catch (err) {
        // Gone already: nothing left to mark.
        if (isNotFound(err)) continue;
        this.log.info({ pod: `${namespace}/${name}`, err: (err as Error).message }, 'failed to update status for pod');
        failed ??= err;
        continue;
      }
      this.log.info({ pod: `${namespace}/${name}`, node: nodeName }, 'updating ready status of pod to false');
      // After the update, so that the pod still exists.
      this.recorder?.eventFor(
        { kind: 'Pod', apiVersion: 'v1', namespace, name, uid },
        'Warning',
        'NodeNotReady',
        'Node is not ready',
      );
    }
    if (failed) throw failed;
  }
}
