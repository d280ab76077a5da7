// A profile's `plugins` (KubeSchedulerProfile.Plugins): per extension point, default plugins
// disabled (by name, or all with "*") and plugins enabled, score weights included. mkube runs only
// its own default plugins, so enabling may only bring one of those back (or restate it); upstream's
// other in-tree plugins may be named when disabling, which then changes nothing here.
import { NAMES } from '../plugins/names.js';
import type { PluginSelection } from '../profile.js';

const EXTENSION_POINTS = [
  'preEnqueue',
  'queueSort',
  'preFilter',
  'filter',
  'postFilter',
  'preScore',
  'score',
  'reserve',
  'permit',
  'preBind',
  'bind',
  'postBind',
  'multiPoint',
] as const;
type ExtensionPoint = (typeof EXTENSION_POINTS)[number];

/** Which of mkube's plugins an extension point's list governs. */
const GOVERNS: Partial<Record<ExtensionPoint, 'filter' | 'score'>> = {
  preFilter: 'filter',
  filter: 'filter',
  preScore: 'score',
  score: 'score',
};

const MKUBE_PLUGINS: ReadonlySet<string> = new Set(Object.values(NAMES));
const FILTER_PLUGINS: ReadonlySet<string> = new Set([
  NAMES.NodeUnschedulable,
  NAMES.NodeName,
  NAMES.TaintToleration,
  NAMES.NodeAffinity,
  NAMES.NodePorts,
  NAMES.NodeResourcesFit,
  NAMES.VolumeRestrictions,
  NAMES.VolumeBinding,
  NAMES.PodTopologySpread,
  NAMES.InterPodAffinity,
]);
const SCORE_PLUGINS: ReadonlySet<string> = new Set([
  NAMES.TaintToleration,
  NAMES.NodeAffinity,
  NAMES.NodeResourcesFit,
  NAMES.PodTopologySpread,
  NAMES.InterPodAffinity,
  NAMES.NodeResourcesBalancedAllocation,
]);
/** Upstream's other in-tree plugins: known names, which mkube does not run. */
const UPSTREAM_ONLY: ReadonlySet<string> = new Set([
  'PrioritySort',
  'SchedulingGates',
  'DefaultPreemption',
  'DefaultBinder',
  'ImageLocality',
  'NodeVolumeLimits',
  'VolumeZone',
  'DynamicResources',
  'EBSLimits',
  'GCEPDLimits',
  'AzureDiskLimits',
  'CinderLimits',
  'NodeResourcesLeastAllocated',
]);

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The named entries of an `enabled`/`disabled` list, each checked. */
function entries(v: unknown, at: string): { name: string; weight?: number }[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new Error(`${at}: must be a list`);
  return v.map((e, i) => {
    const here = `${at}[${i}]`;
    if (!isObject(e)) throw new Error(`${here}: must be an object`);
    for (const k of Object.keys(e))
      if (k !== 'name' && k !== 'weight') throw new Error(`strict decoding error: unknown field "${here}.${k}"`);
    if (typeof e.name !== 'string' || !e.name) throw new Error(`${here}.name: Required value`);
    if (e.weight !== undefined && !(Number.isInteger(e.weight) && (e.weight as number) >= 0))
      throw new Error(`${here}.weight: Invalid value: ${JSON.stringify(e.weight)}: must be a non-negative integer`);
    return { name: e.name, ...(typeof e.weight === 'number' ? { weight: e.weight } : {}) };
  });
}

/**
 * `raw` (a profile's plugins) as the plugins that stay off and the weights set; throws with the
 * field's path. Undefined when nothing is configured.
 */
export function parsePluginSelection(raw: unknown, at: string): PluginSelection | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (!isObject(raw)) throw new Error(`${at}: must be an object`);
  const off = { filter: new Set<string>(), score: new Set<string>() };
  const on = { filter: new Set<string>(), score: new Set<string>() };
  const weights: Record<string, number> = {};
  for (const [point, lists] of Object.entries(raw)) {
    const here = `${at}.${point}`;
    if (!(EXTENSION_POINTS as readonly string[]).includes(point))
      throw new Error(`strict decoding error: unknown field "${here}"`);
    if (lists === null) continue;
    if (!isObject(lists)) throw new Error(`${here}: must be an object`);
    for (const k of Object.keys(lists))
      if (k !== 'enabled' && k !== 'disabled') throw new Error(`strict decoding error: unknown field "${here}.${k}"`);
    const kinds = point === 'multiPoint' ? (['filter', 'score'] as const) : GOVERNS[point as ExtensionPoint];
    const governed = kinds === undefined ? [] : typeof kinds === 'string' ? [kinds] : kinds;
    for (const d of entries(lists.disabled, `${here}.disabled`)) {
      if (d.name !== '*' && !MKUBE_PLUGINS.has(d.name) && !UPSTREAM_ONLY.has(d.name))
        throw new Error(`${here}.disabled: plugin ${JSON.stringify(d.name)} does not exist`);
      for (const g of governed) {
        const all = g === 'filter' ? FILTER_PLUGINS : SCORE_PLUGINS;
        for (const n of d.name === '*' ? all : [d.name]) if (all.has(n)) off[g].add(n);
      }
    }
    for (const e of entries(lists.enabled, `${here}.enabled`)) {
      if (!MKUBE_PLUGINS.has(e.name)) {
        throw new Error(
          UPSTREAM_ONLY.has(e.name) || e.name === '*'
            ? `${here}.enabled: ${JSON.stringify(e.name)} not supported: mkube's scheduler runs its default plugins only`
            : `${here}.enabled: plugin ${JSON.stringify(e.name)} does not exist`,
        );
      }
      for (const g of governed) if ((g === 'filter' ? FILTER_PLUGINS : SCORE_PLUGINS).has(e.name)) on[g].add(e.name);
      if (e.weight && governed.includes('score') && SCORE_PLUGINS.has(e.name)) weights[e.name] = e.weight;
    }
  }
  // Enabled wins over disabled (a `"*"` disabled then some enabled again, as upstream merges them).
  for (const g of ['filter', 'score'] as const) for (const n of on[g]) off[g].delete(n);
  return { filterDisabled: off.filter, scoreDisabled: off.score, weights };
}
