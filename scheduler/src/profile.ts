// The default plugin set every profile runs (apis/config/v1 getDefaultPlugins, the parts mkube
// implements), in upstream's order, with upstream's score weights. The volume plugins read the
// scheduler's PV/PVC/StorageClass informers, so they are built per scheduler and passed in.
import { Framework } from './framework/framework.js';
import type { FilterPlugin } from './framework/interface.js';
import { nodeAffinity } from './plugins/nodeaffinity.js';
import { nodeName } from './plugins/nodename.js';
import { nodePorts } from './plugins/nodeports.js';
import { nodeResourcesBalancedAllocation, nodeResourcesFit } from './plugins/noderesources.js';
import { nodeUnschedulable } from './plugins/nodeunschedulable.js';
import { taintToleration } from './plugins/tainttoleration.js';
import type { VolumeBindingPlugin } from './plugins/volumebinding/plugin.js';

/** VolumeRestrictions and VolumeBinding, built on one scheduler's informers. */
export interface VolumePlugins {
  readonly restrictions: FilterPlugin;
  readonly binding: VolumeBindingPlugin;
}

export const DEFAULT_FILTER_PLUGINS: readonly FilterPlugin[] = [
  nodeUnschedulable,
  nodeName,
  taintToleration,
  nodeAffinity,
  nodePorts,
  nodeResourcesFit,
];

/** The filters in upstream's order: the volume plugins follow NodeResourcesFit. */
function filterPlugins(volumes?: VolumePlugins): readonly FilterPlugin[] {
  return volumes ? [...DEFAULT_FILTER_PLUGINS, volumes.restrictions, volumes.binding] : DEFAULT_FILTER_PLUGINS;
}

export function newProfile(schedulerName: string, volumes?: VolumePlugins): Framework {
  return new Framework(
    schedulerName,
    filterPlugins(volumes),
    [taintToleration, nodeAffinity, nodeResourcesFit, nodeResourcesBalancedAllocation],
    volumes ? [volumes.binding] : [],
    volumes ? [volumes.binding] : [],
  );
}

/** filterPluginsByName with the volume plugins, for a scheduler's queue. */
export function filterPluginsByName(volumes?: VolumePlugins): ReadonlyMap<string, FilterPlugin> {
  return new Map(filterPlugins(volumes).map((p) => [p.name, p]));
}

/** Filter plugins by name, for the queue's queueing hints. */
export const FILTER_PLUGINS_BY_NAME: ReadonlyMap<string, FilterPlugin> = new Map(
  DEFAULT_FILTER_PLUGINS.map((p) => [p.name, p]),
);
