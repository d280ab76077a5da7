// Zone disruption, as the node lifecycle controller's handleDisruption: nodes are grouped by zone
// (region and zone labels) and each zone is Normal, PartialDisruption (more than two and at least
// --unhealthy-zone-threshold of its nodes not Ready) or FullDisruption (none Ready). The state sets
// the rate at which the zone's nodes get a NoExecute taint: --node-eviction-rate when Normal or fully
// disrupted, in a partial disruption --secondary-node-eviction-rate for a zone of more than
// --large-cluster-size-threshold nodes and none for a smaller one. When every zone is fully disrupted
// the trouble is more likely the control plane's network than the nodes: "master disruption mode"
// takes the NoExecute taints off every node and adds none until a node is Ready again.
// Upstream judges every node once per --node-monitor-period and decides the zones' states before it
// taints any of them, so nodes cut off together are counted together. mkube notices each node the
// moment its grace period runs out; to count the same way, a node newly not Ready waits for the next
// monitor-period tick before it may take a token, by when its zone's state includes everyone who
// went down with it.
import type { Node } from '@mkube/shared/api';
import { labelValue } from '@mkube/shared/metrics';

export type ZoneState = 'Initial' | 'Normal' | 'PartialDisruption' | 'FullDisruption';

export const LABEL = {
  zone: 'topology.kubernetes.io/zone',
  region: 'topology.kubernetes.io/region',
  betaZone: 'failure-domain.beta.kubernetes.io/zone',
  betaRegion: 'failure-domain.beta.kubernetes.io/region',
  /** Nodes with this label are left out of the zones' counts. */
  excludeDisruption: 'node.kubernetes.io/exclude-disruption',
} as const;

/** GetZoneKey: "region:\0:zone", the beta labels first; "" without either. */
export function zoneKey(node: Node): string {
  const l = node.metadata?.labels ?? {};
  const zone = l[LABEL.betaZone] ?? l[LABEL.zone] ?? '';
  const region = l[LABEL.betaRegion] ?? l[LABEL.region] ?? '';
  return region === '' && zone === '' ? '' : `${region}:\0:${zone}`;
}

export interface DisruptionSettings {
  /** --node-eviction-rate */
  readonly evictionRate: number;
  /** --secondary-node-eviction-rate */
  readonly secondaryEvictionRate: number;
  /** --unhealthy-zone-threshold */
  readonly unhealthyZoneThreshold: number;
  /** --large-cluster-size-threshold */
  readonly largeClusterSizeThreshold: number;
  /** --node-monitor-period */
  readonly monitorPeriodMs: number;
}

export const DEFAULT_DISRUPTION: DisruptionSettings = {
  evictionRate: 0.1,
  secondaryEvictionRate: 0.01,
  unhealthyZoneThreshold: 0.55,
  largeClusterSizeThreshold: 50,
  monitorPeriodMs: 5000,
};

/** ComputeZoneState from a zone's counts. */
export function computeZoneState(ready: number, notReady: number, threshold: number): ZoneState {
  if (ready === 0 && notReady > 0) return 'FullDisruption';
  if (notReady > 2 && notReady / (notReady + ready) >= threshold) return 'PartialDisruption';
  return 'Normal';
}

/** The zone states of the running node lifecycle controllers, for the secure port's /metrics. */
export const RUNNING_ZONE_DISRUPTION = new Set<ZoneDisruption>();

/** What a change of the counts did, for the controller to act on. */
export type DisruptionChange =
  | { kind: 'none' }
  | { kind: 'enterMasterDisruption' }
  | { kind: 'exitMasterDisruption' }
  /** These zones' rates changed. */
  | { kind: 'zones'; zones: string[] };

interface Tracked {
  zone: string;
  ready: boolean;
  /** When it was first counted not Ready in this spell. */
  notReadySince?: number;
}

/**
 * Zone counts kept up to date node by node (each change costs O(zones), not a pass over every
 * node), their states, each zone's NoExecute rate and its token bucket (burst 1).
 */
export class ZoneDisruption {
  readonly #nodes = new Map<string, Tracked>();
  readonly #counts = new Map<string, { ready: number; notReady: number }>();
  readonly #states = new Map<string, ZoneState>();
  readonly #nextToken = new Map<string, number>();
  /** NoExecute taints added per zone (node_collector_evictions_total), from the zone's first sight. */
  readonly #evictions = new Map<string, number>();
  #masterDisruption = false;

  constructor(readonly settings: DisruptionSettings = DEFAULT_DISRUPTION) {}

  get masterDisruption(): boolean {
    return this.#masterDisruption;
  }

  state(zone: string): ZoneState | undefined {
    return this.#states.get(zone);
  }

  /** Counts the node as it is now (undefined: deleted); returns what changed. */
  observe(name: string, node: Node | undefined, now = Date.now()): DisruptionChange {
    const excluded = node?.metadata?.labels?.[LABEL.excludeDisruption] !== undefined;
    const next: Tracked | undefined =
      node && !excluded
        ? {
            zone: zoneKey(node),
            ready: node.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True',
          }
        : undefined;
    const prev = this.#nodes.get(name);
    if (prev?.zone === next?.zone && prev?.ready === next?.ready) return { kind: 'none' };
    if (next && !next.ready) next.notReadySince = prev && !prev.ready ? prev.notReadySince : now;
    if (prev) this.#count(prev, -1);
    if (next) {
      this.#count(next, 1);
      this.#nodes.set(name, next);
    } else this.#nodes.delete(name);
    return this.#handle();
  }

  #count(t: Tracked, d: number): void {
    const c = this.#counts.get(t.zone) ?? { ready: 0, notReady: 0 };
    if (t.ready) c.ready += d;
    else c.notReady += d;
    if (c.ready + c.notReady === 0) this.#counts.delete(t.zone);
    else this.#counts.set(t.zone, c);
  }

  /** handleDisruption over the current counts. */
  #handle(): DisruptionChange {
    const threshold = this.settings.unhealthyZoneThreshold;
    const next = new Map<string, ZoneState>();
    for (const [zone, c] of this.#counts) next.set(zone, computeZoneState(c.ready, c.notReady, threshold));
    const allAre = [...next.values()].every((s) => s === 'FullDisruption');
    for (const zone of next.keys()) {
      if (!this.#states.has(zone)) this.#states.set(zone, 'Initial');
      if (!this.#evictions.has(zone)) this.#evictions.set(zone, 0);
    }
    for (const zone of this.#states.keys()) if (!next.has(zone)) this.#states.delete(zone);
    const allWas = [...this.#states.values()].every((s) => s === 'FullDisruption');
    if (allAre && allWas) return { kind: 'none' };
    if (allAre) {
      for (const zone of this.#states.keys()) this.#states.set(zone, 'FullDisruption');
      this.#masterDisruption = true;
      return { kind: 'enterMasterDisruption' };
    }
    if (allWas) {
      for (const [zone, s] of next) this.#setState(zone, s);
      this.#masterDisruption = false;
      return { kind: 'exitMasterDisruption' };
    }
    // Not every zone is down: whatever was before (a zone seen for the first time), no master mode.
    this.#masterDisruption = false;
    const changed: string[] = [];
    for (const [zone, s] of next) {
      if (this.#states.get(zone) === s) continue;
      this.#setState(zone, s);
      changed.push(zone);
    }
    return changed.length ? { kind: 'zones', zones: changed } : { kind: 'none' };
  }

  #setState(zone: string, s: ZoneState): void {
    this.#states.set(zone, s);
    // SwapLimiter: a new bucket at the new rate.
    this.#nextToken.delete(zone);
  }

  /** Nodes per second that may get a NoExecute taint in `zone` now (setLimiterInZone). */
  rate(zone: string): number {
    if (this.#masterDisruption) return 0;
    const s = this.settings;
    switch (this.#states.get(zone)) {
      case 'PartialDisruption': {
        const size = this.#counts.get(zone);
        return size && size.ready + size.notReady > s.largeClusterSizeThreshold ? s.secondaryEvictionRate : 0;
      }
      default:
        return s.evictionRate;
    }
  }

  /** A NoExecute taint was added to a node of `zone`. */
  evicted(zone: string): void {
    this.#evictions.set(zone, (this.#evictions.get(zone) ?? 0) + 1);
  }

  /**
   * upstream's node_collector series in the Prometheus text format: each zone's size, not-Ready
   * count and health (a zone gone from the cluster reads 0, 0 and 100), and the NoExecute taints
   * added in it. The zone label is the zone key, NUL byte included, as upstream's.
   */
  metrics(): string[] {
    const zones = [...this.#evictions.keys()].sort();
    if (zones.length === 0) return [];
    const out: string[] = [];
    const family = (name: string, type: string, help: string, value: (zone: string) => number) => {
      out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
      for (const z of zones) out.push(`${name}{zone="${labelValue(z)}"} ${value(z)}`);
    };
    const size = (z: string) => {
      const c = this.#counts.get(z);
      return c ? c.ready + c.notReady : 0;
    };
    const unhealthy = (z: string) => this.#counts.get(z)?.notReady ?? 0;
    family(
      'node_collector_evictions_total',
      'counter',
      '[STABLE] Number of Node evictions that happened since current instance of NodeController started.',
      (z) => this.#evictions.get(z) ?? 0,
    );
    family(
      'node_collector_unhealthy_nodes_in_zone',
      'gauge',
      '[ALPHA] Gauge measuring number of not Ready Nodes per zones.',
      unhealthy,
    );
    family(
      'node_collector_zone_health',
      'gauge',
      '[ALPHA] Gauge measuring percentage of healthy nodes per zone.',
      (z) => (size(z) === 0 ? 100 : (100 * (size(z) - unhealthy(z))) / size(z)),
    );
    family('node_collector_zone_size', 'gauge', '[ALPHA] Gauge measuring number of registered Nodes per zones.', size);
    return out;
  }

  /**
   * A token for one more NoExecute taint for the node in `zone`: 0 when taken, else the milliseconds
   * until one will be there; Infinity while the zone's rate is 0 (a change of state says when to
   * ask again). A node not Ready since the last monitor-period tick waits for the next one.
   */
  takeToken(name: string, zone: string, now = Date.now()): number {
    const period = this.settings.monitorPeriodMs;
    const since = this.#nodes.get(name)?.notReadySince;
    if (since !== undefined && period > 0) {
      const tick = Math.floor(now / period) * period;
      if (since >= tick) return tick + period - now;
    }
    const rate = this.rate(zone);
    if (rate <= 0) return Number.POSITIVE_INFINITY;
    const next = this.#nextToken.get(zone) ?? 0;
    if (now >= next) {
      this.#nextToken.set(zone, now + 1000 / rate);
      return 0;
    }
    return next - now;
  }
}
