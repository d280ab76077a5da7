// The default plugin set every profile runs (apis/config/v1 getDefaultPlugins, the parts mkube
// implements), in upstream's order, with upstream's score weights.
import { Framework } from './framework/framework.js';
import type { FilterPlugin } from './framework/interface.js';
import { nodeAffinity } from './plugins/nodeaffinity.js';
import { nodeName } from './plugins/nodename.js';
import { nodePorts } from './plugins/nodeports.js';
import { nodeResourcesBalancedAllocation, nodeResourcesFit } from './plugins/noderesources.js';
import { nodeUnschedulable } from './plugins/nodeunschedulable.js';
import { taintToleration } from './plugins/tainttoleration.js';

export const DEFAULT_FILTER_PLUGINS: readonly FilterPlugin[] = [
  nodeUnschedulable,
  nodeName,
  taintToleration,
  nodeAffinity,
  nodePorts,
  nodeResourcesFit,
];

export function newProfile(schedulerName: string): Framework {
  return new Framework(schedulerName, DEFAULT_FILTER_PLUGINS, [
    taintToleration,
    nodeAffinity,
    nodeResourcesFit,
    nodeResourcesBalancedAllocation,
  ]);
}

/** Filter plugins by name, for the queue's queueing hints. */
export const FILTER_PLUGINS_BY_NAME: ReadonlyMap<string, FilterPlugin> = new Map(
  DEFAULT_FILTER_PLUGINS.map((p) => [p.name, p]),
);
