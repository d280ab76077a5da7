// One profile's plugins run in upstream's order (frameworkImpl): PreFilter, Filter per node (the
// first rejection wins, stamped with the plugin's name), PreScore, Score with normalisation and
// weights. Plugins that answer Skip at PreFilter/PreScore are left out for the rest of the cycle.
// After a node is chosen: Reserve (Unreserve in reverse on any later failure), then PreBind.
import type { Pod } from '../api/index.js';
import type { CycleState, FilterPlugin, PreBindPlugin, ReservePlugin, ScorePlugin } from './interface.js';
import type { NodeInfo, PodInfo } from './nodeinfo.js';
import { SchedulingError, type Status, status } from './status.js';

export interface PreFilterOutcome {
  /** The nodes worth filtering; undefined: all. */
  readonly nodeNames?: ReadonlySet<string>;
  /** A rejection (or error) that fails the pod on every node. */
  readonly status?: Status;
  /** Filter plugins that said Skip. */
  readonly skip: ReadonlySet<string>;
  /** Plugins whose answer narrowed the nodes, or the one that rejected. */
  readonly plugins: ReadonlySet<string>;
}

export class Framework {
  constructor(
    /** The profile's schedulerName. */
    readonly profileName: string,
    readonly filterPlugins: readonly FilterPlugin[],
    readonly scorePlugins: readonly ScorePlugin[],
    readonly reservePlugins: readonly ReservePlugin[] = [],
    readonly preBindPlugins: readonly PreBindPlugin[] = [],
  ) {}

  runPreFilter(state: CycleState, pod: Pod, nodes: readonly NodeInfo[] = []): PreFilterOutcome {
    const skip = new Set<string>();
    const narrowing = new Set<string>();
    let names: Set<string> | undefined;
    for (const pl of this.filterPlugins) {
      if (!pl.preFilter) continue;
      const r = pl.preFilter(state, pod, nodes);
      if (r && 'code' in r) {
        if (r.code === 'Skip') {
          skip.add(pl.name);
          continue;
        }
        if (r.code !== 'Success') {
          return { status: { ...r, plugin: pl.name }, skip, plugins: new Set([pl.name]) };
        }
        continue;
      }
      if (!r?.nodeNames) continue;
      narrowing.add(pl.name);
      const mine = r.nodeNames;
      names = names ? new Set([...names].filter((n) => mine.has(n))) : new Set(mine);
      if (names.size === 0) {
        const list = [...narrowing];
        const msg =
          list.length === 1
            ? `node(s) didn't satisfy plugin ${list[0]}`
            : `node(s) didn't satisfy plugin(s) [${list.join(' ')}] simultaneously`;
        return { status: status('Unschedulable', msg), skip, plugins: narrowing };
      }
    }
    return { ...(names ? { nodeNames: names } : {}), skip, plugins: narrowing };
  }

  /**
   * RunPreFilterExtensionRemovePod for each victim, on a copy of `state`: what preemption's dry run
   * filters `node` (already without the victims) with.
   */
  stateWithout(
    state: CycleState,
    pod: Pod,
    victims: readonly PodInfo[],
    node: NodeInfo,
    skip: ReadonlySet<string>,
  ): CycleState {
    const copy: CycleState = new Map(state);
    for (const pl of this.filterPlugins) {
      if (!pl.removePod || skip.has(pl.name)) continue;
      for (const v of victims) pl.removePod(copy, pod, v, node);
    }
    return copy;
  }

  /** The first plugin's rejection, or undefined when the node passes every filter. */
  runFilter(state: CycleState, pod: Pod, node: NodeInfo, skip: ReadonlySet<string>): Status | undefined {
    for (const pl of this.filterPlugins) {
      if (skip.has(pl.name)) continue;
      const s = pl.filter(state, pod, node);
      if (s && s.code !== 'Success') return { ...s, plugin: pl.name };
    }
    return undefined;
  }

  /** Total weighted scores per feasible node, in `nodes`' order; `all` is the whole snapshot. */
  runScore(state: CycleState, pod: Pod, nodes: readonly NodeInfo[], all: readonly NodeInfo[] = nodes): number[] {
    const totals = new Array<number>(nodes.length).fill(0);
    for (const pl of this.scorePlugins) {
      const pre = pl.preScore?.(state, pod, nodes, all);
      if (pre?.code === 'Skip') continue;
      if (pre && pre.code !== 'Success')
        throw new SchedulingError(`running PreScore plugin ${pl.name}: ${pre.reasons.join(', ')}`);
      const scores = nodes.map((n) => pl.score(state, pod, n));
      pl.normalize?.(scores, state, nodes);
      for (let i = 0; i < nodes.length; i++) totals[i]! += scores[i]! * pl.weight;
    }
    return totals;
  }

  /** The first Reserve failure, stamped with its plugin; the caller then runs Unreserve. */
  runReserve(state: CycleState, pod: Pod, nodeName: string): Status | undefined {
    for (const pl of this.reservePlugins) {
      const s = pl.reserve(state, pod, nodeName);
      if (s && s.code !== 'Success') return { ...s, plugin: pl.name };
    }
    return undefined;
  }

  /** Every Reserve plugin's Unreserve, last first, as upstream unwinds them. */
  runUnreserve(state: CycleState, pod: Pod, nodeName: string): void {
    for (let i = this.reservePlugins.length - 1; i >= 0; i--) this.reservePlugins[i]!.unreserve(state, pod, nodeName);
  }

  /** Whether some PreBind plugin has work (and may wait) for this pod on this node. */
  preBindNeeded(state: CycleState, pod: Pod, nodeName: string): boolean {
    return this.preBindPlugins.some((pl) => pl.preBindPreFlight(state, pod, nodeName)?.code !== 'Skip');
  }

  /** The first PreBind failure, stamped with its plugin. */
  async runPreBind(state: CycleState, pod: Pod, nodeName: string, signal: AbortSignal): Promise<Status | undefined> {
    for (const pl of this.preBindPlugins) {
      const s = await pl.preBind(state, pod, nodeName, signal);
      if (s && s.code !== 'Success') return { ...s, plugin: pl.name };
    }
    return undefined;
  }
}
