// One profile's plugins run in upstream's order (frameworkImpl): PreFilter, Filter per node (the
// first rejection wins, stamped with the plugin's name), PreScore, Score with normalisation and
// weights. Plugins that answer Skip at PreFilter/PreScore are left out for the rest of the cycle.
import type { Pod } from '../api/index.js';
import type { CycleState, FilterPlugin, ScorePlugin } from './interface.js';
import type { NodeInfo } from './nodeinfo.js';
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
  ) {}

  runPreFilter(state: CycleState, pod: Pod): PreFilterOutcome {
    const skip = new Set<string>();
    const narrowing = new Set<string>();
    let names: Set<string> | undefined;
    for (const pl of this.filterPlugins) {
      if (!pl.preFilter) continue;
      const r = pl.preFilter(state, pod);
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

  /** The first plugin's rejection, or undefined when the node passes every filter. */
  runFilter(state: CycleState, pod: Pod, node: NodeInfo, skip: ReadonlySet<string>): Status | undefined {
    for (const pl of this.filterPlugins) {
      if (skip.has(pl.name)) continue;
      const s = pl.filter(state, pod, node);
      if (s && s.code !== 'Success') return { ...s, plugin: pl.name };
    }
    return undefined;
  }

  /** Total weighted scores per node, in `nodes`' order. */
  runScore(state: CycleState, pod: Pod, nodes: readonly NodeInfo[]): number[] {
    const totals = new Array<number>(nodes.length).fill(0);
    for (const pl of this.scorePlugins) {
      const pre = pl.preScore?.(state, pod, nodes);
      if (pre?.code === 'Skip') continue;
      if (pre && pre.code !== 'Success')
        throw new SchedulingError(`running PreScore plugin ${pl.name}: ${pre.reasons.join(', ')}`);
      const scores = nodes.map((n) => pl.score(state, pod, n));
      pl.normalize?.(scores);
      for (let i = 0; i < nodes.length; i++) totals[i]! += scores[i]! * pl.weight;
    }
    return totals;
  }
}
