// Feature gates (k8s.io/component-base/featuregate): `--feature-gates=Name=true,Other=false` on every
// daemon, and `featureGates` in the kubelet's config file. Only the gates mkube implements are known;
// any other name is refused as upstream refuses one it does not know, so a typo never passes silently.
import type { FlagSpec } from '../flags/index.js';

export type PreRelease = 'Alpha' | 'Beta' | 'GA';

export interface FeatureSpec {
  readonly default: boolean;
  readonly preRelease: PreRelease;
}

/** The gates mkube implements, with kube 1.33's defaults (pkg/features/kube_features.go). */
export const KNOWN_FEATURES = {
  /** certificates.k8s.io ClusterTrustBundles (served only when --runtime-config enables v1beta1 too). */
  ClusterTrustBundle: { default: false, preRelease: 'Beta' },
  /**
   * The kubelet's POST /checkpoint/{namespace}/{pod}/{container} (nodes/checkpoint); mkube's process
   * runtime answers it as a CRI without checkpointing does.
   */
  ContainerCheckpoint: { default: true, preRelease: 'Beta' },
  /** The kubelet's `clusterTrustBundle` projected volume source. */
  ClusterTrustBundleProjection: { default: false, preRelease: 'Beta' },
  /**
   * certificates.k8s.io/v1beta1 PodCertificateRequests and the kubelet's `podCertificate` projected
   * source (KEP-4317): kube 1.35's beta, off by default, the API version enabled by --runtime-config too.
   */
  PodCertificateRequest: { default: false, preRelease: 'Beta' },
  /**
   * The kubelet's serving certificate from the CSR API (serverTLSBootstrap); off, the kubelet serves a
   * self-signed one whatever its configuration says. The CIS benchmark has it set on the kubelet and the
   * controller-manager, where upstream's gate changes nothing either.
   */
  RotateKubeletServerCertificate: { default: true, preRelease: 'Beta' },
} as const satisfies Record<string, FeatureSpec>;

export type Feature = keyof typeof KNOWN_FEATURES;

export class FeatureGateError extends Error {
  override readonly name = 'FeatureGateError';
}

export const FEATURE_GATES_FLAG: FlagSpec = {
  name: 'feature-gates',
  type: 'stringSlice',
  metavar: 'mapStringBool',
  usage: `A set of key=value pairs that describe feature gates for alpha/experimental features. Options are:\n${Object.entries(
    KNOWN_FEATURES,
  )
    .map(([name, s]) => `${name}=true|false (${s.preRelease.toUpperCase()} - default=${s.default})`)
    .join('\n')}`,
};

export class FeatureGate {
  readonly #enabled: ReadonlyMap<Feature, boolean>;

  constructor(overrides: Readonly<Partial<Record<Feature, boolean>>> = {}) {
    const m = new Map<Feature, boolean>();
    for (const [name, spec] of Object.entries(KNOWN_FEATURES) as [Feature, FeatureSpec][]) {
      m.set(name, overrides[name] ?? spec.default);
    }
    this.#enabled = m;
  }

  enabled(f: Feature): boolean {
    return this.#enabled.get(f) ?? false;
  }

  /** Gates that differ from their defaults, for logs. */
  overridden(): string[] {
    return [...this.#enabled]
      .filter(([name, on]) => KNOWN_FEATURES[name].default !== on)
      .map(([name, on]) => `${name}=${on}`);
  }
}

/** A gate set with every default (tests and callers that take no flags). */
export const DEFAULT_FEATURE_GATE = new FeatureGate();

function isFeature(name: string): name is Feature {
  return Object.hasOwn(KNOWN_FEATURES, name);
}

function parseBool(name: string, raw: string): boolean {
  // strconv.ParseBool's spellings.
  if (/^(1|t|T|TRUE|true|True)$/.test(raw)) return true;
  if (/^(0|f|F|FALSE|false|False)$/.test(raw)) return false;
  throw new FeatureGateError(
    `invalid value of ${name}=${raw}, err: strconv.ParseBool: parsing "${raw}": invalid syntax`,
  );
}

/** `--feature-gates` pairs (already split on commas) → a gate set; unknown names and bad values throw. */
export function parseFeatureGates(pairs: readonly string[]): FeatureGate {
  const overrides: Partial<Record<Feature, boolean>> = {};
  for (const pair of pairs) {
    const s = pair.trim();
    if (!s) continue;
    const eq = s.indexOf('=');
    if (eq < 0) throw new FeatureGateError(`missing bool value for ${s}`);
    const name = s.slice(0, eq).trim();
    if (!isFeature(name)) {
      throw new FeatureGateError(
        `unrecognized feature gate: ${name} (mkube implements ${Object.keys(KNOWN_FEATURES).join(', ')})`,
      );
    }
    overrides[name] = parseBool(name, s.slice(eq + 1).trim());
  }
  return new FeatureGate(overrides);
}

/** The kubelet config file's `featureGates` map. */
export function featureGateFromMap(map: Readonly<Record<string, unknown>>): FeatureGate {
  const pairs: string[] = [];
  for (const [name, v] of Object.entries(map)) {
    if (typeof v !== 'boolean') throw new FeatureGateError(`featureGates.${name}: must be true or false`);
    pairs.push(`${name}=${v}`);
  }
  return parseFeatureGates(pairs);
}
