// The default plugin set every profile runs (apis/config/v1 getDefaultPlugins, the parts mkube
// implements), in upstream's order, with upstream's score weights, less what the profile's
// `plugins` disable. The volume plugins, InterPodAffinity and PodTopologySpread read the
// scheduler's informers, so they are built per scheduler and passed in.
import { Framework } from './framework/framework.js';
import type { FilterPlugin, ScorePlugin } from './framework/interface.js';
import { newInterPodAffinity } from './plugins/interpodaffinity/plugin.js';
import { nodeAffinity } from './plugins/nodeaffinity.js';
import { nodeName } from './plugins/nodename.js';
import { nodePorts } from './plugins/nodeports.js';
import { nodeResourcesBalancedAllocation, nodeResourcesFit } from './plugins/noderesources.js';
import { nodeUnschedulable } from './plugins/nodeunschedulable.js';
import { newPodTopologySpread } from './plugins/podtopologyspread/plugin.js';
import { taintToleration } from './plugins/tainttoleration.js';
import type { VolumeBindingPlugin } from './plugins/volumebinding/plugin.js';

/** VolumeRestrictions and VolumeBinding, built on one scheduler's informers. */
export interface VolumePlugins {
  readonly restrictions: FilterPlugin;
  readonly binding: VolumeBindingPlugin;
}

/** What a scheduler builds its profiles from; absent parts are left out or built on empty listers. */
export interface ProfileParts {
  readonly volumes?: VolumePlugins;
  readonly interPodAffinity?: FilterPlugin & ScorePlugin;
  readonly podTopologySpread?: FilterPlugin & ScorePlugin;
  /** The profile's `plugins` from the component config. */
  readonly plugins?: PluginSelection;
}

/** A profile's plugins as its configuration leaves them: which run, and score weights set. */
export interface PluginSelection {
  readonly filterDisabled: ReadonlySet<string>;
  readonly scoreDisabled: ReadonlySet<string>;
  readonly weights: Readonly<Record<string, number>>;
}

export const DEFAULT_FILTER_PLUGINS: readonly FilterPlugin[] = [
  nodeUnschedulable,
  nodeName,
  taintToleration,
  nodeAffinity,
  nodePorts,
  nodeResourcesFit,
];

/** The filters in upstream's order: the volume plugins follow NodeResourcesFit, then spreading and affinity. */
function filterPlugins(parts: ProfileParts): FilterPlugin[] {
  return [
    ...DEFAULT_FILTER_PLUGINS,
    ...(parts.volumes ? [parts.volumes.restrictions, parts.volumes.binding] : []),
    parts.podTopologySpread ?? newPodTopologySpread(),
    parts.interPodAffinity ?? newInterPodAffinity(),
  ];
}

function scorePlugins(parts: ProfileParts): ScorePlugin[] {
  return [
    taintToleration,
    nodeAffinity,
    nodeResourcesFit,
    parts.podTopologySpread ?? newPodTopologySpread(),
    parts.interPodAffinity ?? newInterPodAffinity(),
    nodeResourcesBalancedAllocation,
  ];
}

/** A score plugin with the weight its profile gives it. */
function weighted(pl: ScorePlugin, weight: number | undefined): ScorePlugin {
  if (weight === undefined || weight === pl.weight) return pl;
  return Object.assign(Object.create(pl) as ScorePlugin, { weight });
}

export function newProfile(schedulerName: string, parts: ProfileParts = {}): Framework {
  const sel = parts.plugins;
  const binding = parts.volumes && !sel?.filterDisabled.has(parts.volumes.binding.name) ? [parts.volumes.binding] : [];
  return new Framework(
    schedulerName,
    filterPlugins(parts).filter((p) => !sel?.filterDisabled.has(p.name)),
    scorePlugins(parts)
      .filter((p) => !sel?.scoreDisabled.has(p.name))
      .map((p) => weighted(p, sel?.weights[p.name])),
    binding,
    binding,
  );
}

/** The filter plugins by name, for a scheduler's queue (their queueing hints). */
export function filterPluginsByName(parts: ProfileParts = {}): ReadonlyMap<string, FilterPlugin> {
  return new Map(filterPlugins(parts).map((p) => [p.name, p]));
}

/** Filter plugins by name, for the queue's queueing hints. */
export const FILTER_PLUGINS_BY_NAME: ReadonlyMap<string, FilterPlugin> = filterPluginsByName();
