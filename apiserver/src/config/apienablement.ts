// --runtime-config (k8s.io/apiserver resourceconfig and kube-apiserver's API enablement options): which
// group versions and resources this apiserver serves. GA versions are on and beta and alpha ones off
// by default, as for every beta API added since 1.24; `api/all|ga|beta|alpha` switch a whole stability
// level, `<group>/<version>` a version and `<group>/<version>/<resource>` one resource, each later kind
// overriding the earlier. A resource behind a feature gate is served only while its gate is on.
import type { FeatureGate } from '@mkube/shared/featuregate';
import { APICatalog, RESOURCES, type ResourceDef } from '../registry/catalog.js';

export class RuntimeConfigError extends Error {
  override readonly name = 'RuntimeConfigError';
}

const MATCHERS: ReadonlyArray<readonly [string, (version: string) => boolean]> = [
  ['api/all', () => true],
  ['api/ga', (v) => /^v\d+$/.test(v)],
  ['api/beta', (v) => /^v\d+beta\d+$/.test(v)],
  ['api/alpha', (v) => /^v\d+alpha\d+$/.test(v)],
];
const LEVEL_KEYS = new Set(MATCHERS.map(([k]) => k));

/** cliflag.ConfigurationMap: `key=value` pairs, a bare key meaning an empty value. */
function configurationMap(pairs: readonly string[]): Map<string, string> {
  const m = new Map<string, string>();
  for (const raw of pairs) {
    const pair = raw.trim();
    if (!pair) continue;
    const eq = pair.indexOf('=');
    const key = (eq < 0 ? pair : pair.slice(0, eq)).trim();
    const value = eq < 0 ? '' : pair.slice(eq + 1).trim();
    // kube-apiserver's compatibility: the core group is `v1` or `api/v1`; `api/legacy` is ignored.
    if (key === 'api/legacy') continue;
    const core = /^(?:api\/)?v1(\/.*)?$/.exec(key);
    if (core) {
      m.set(`/v1${core[1] ?? ''}`, value);
      continue;
    }
    m.set(key, value);
  }
  return m;
}

function parseBool(key: string, value: string): boolean {
  if (value === '') return true;
  if (/^(1|t|T|TRUE|true|True)$/.test(value)) return true;
  if (/^(0|f|F|FALSE|false|False)$/.test(value)) return false;
  throw new RuntimeConfigError(
    `invalid value of ${key}: ${value}, err: strconv.ParseBool: parsing "${value}": invalid syntax`,
  );
}

const gvKey = (group: string, version: string) => `${group}/${version}`;

/**
 * The catalog `--runtime-config` (already split on commas) and the feature gates leave this apiserver
 * serving; every problem is upstream's message.
 */
export function apiCatalogFor(
  runtimeConfig: readonly string[],
  gates: FeatureGate,
  all: readonly ResourceDef[] = RESOURCES,
): APICatalog {
  const overrides = configurationMap(runtimeConfig);
  if (overrides.size === 1 && overrides.get('api/all') === 'false') {
    throw new RuntimeConfigError('invalid key with only api/all=false');
  }
  const knownGroups = new Set(all.map((d) => d.group));
  const knownVersions = new Set(all.map((d) => gvKey(d.group, d.version)));

  // Each group version's default: GA on, beta and alpha off.
  const versionOn = new Map<string, boolean>();
  for (const d of all) versionOn.set(gvKey(d.group, d.version), /^v\d+$/.test(d.version));
  for (const [key, match] of MATCHERS) {
    const value = overrides.get(key);
    if (value === undefined) continue;
    if (value !== 'true' && value !== 'false') throw new RuntimeConfigError(`invalid value ${key}=${value}`);
    for (const d of all) if (match(d.version)) versionOn.set(gvKey(d.group, d.version), value === 'true');
  }

  const unknown: string[] = [];
  const versionPrefs: [string, boolean][] = [];
  const resourcePrefs: [string, boolean][] = [];
  for (const [key, value] of overrides) {
    if (LEVEL_KEYS.has(key)) continue;
    const tokens = key.split('/');
    if (tokens.length !== 2 && tokens.length !== 3) throw new RuntimeConfigError(`runtime-config invalid key ${key}`);
    const [group, version] = tokens as [string, string];
    if (!version) throw new RuntimeConfigError(`runtime-config invalid key ${key}`);
    if (!knownGroups.has(group)) {
      unknown.push(group);
      continue;
    }
    if (!knownVersions.has(gvKey(group, version))) {
      throw new RuntimeConfigError(
        `group version ${group ? `${group}/` : ''}${version} that has not been registered (mkube serves ${[
          ...new Set(all.filter((d) => d.group === group).map((d) => d.version)),
        ].join(', ')} of ${group || 'the core group'})`,
      );
    }
    const on = parseBool(key, value);
    if (tokens.length === 2) versionPrefs.push([gvKey(group, version), on]);
    else {
      const resource = tokens[2]!;
      if (resource.toLowerCase() !== resource) {
        throw new RuntimeConfigError(
          `invalid key ${key}: group/version/resource and resource is always lowercase plural, not "${resource}"`,
        );
      }
      resourcePrefs.push([`${gvKey(group, version)}/${resource}`, on]);
    }
  }
  if (unknown.length) throw new RuntimeConfigError(`unknown api groups ${unknown.join(',')}`);

  for (const [gv, on] of versionPrefs) versionOn.set(gv, on);
  const resourceOn = new Map(resourcePrefs);
  const served = all.filter((d) => {
    const on = resourceOn.get(`${gvKey(d.group, d.version)}/${d.resource}`) ?? versionOn.get(gvKey(d.group, d.version));
    return on === true && (d.featureGate === undefined || gates.enabled(d.featureGate));
  });
  return new APICatalog(served);
}
