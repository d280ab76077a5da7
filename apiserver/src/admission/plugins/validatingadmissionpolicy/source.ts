// The policies in force (upstream's policySource): policies and bindings come from watch-fed caches,
// never from the store per request. Each policy with at least one binding becomes a hook holding its
// bindings, its compiled expressions (cached per policy generation, so a status write or a binding
// change compiles nothing) and the cache of its paramKind, started on first use and stopped when
// no policy needs it. A binding to a missing policy, or a policy without binding, is no hook.
import type {
  KubeObject,
  Namespace,
  ValidatingAdmissionPolicy,
  ValidatingAdmissionPolicyBinding,
} from '@mkube/shared/api';
import type { Logger } from '@mkube/shared/log';
import type { Labels } from '@mkube/shared/selectors';
import { Informer } from '../../../informers/index.js';
import { findByKind } from '../../../registry/catalog.js';
import type { Registries } from '../../../registry/index.js';
import type { NamespaceLister } from '../../namespacelifecycle.js';
import { type CompiledPolicy, compilePolicy } from './compile.js';
import { type ParsedMatchResources, parseMatchResources } from './matching.js';
import type { ParamSource } from './params.js';

export interface BindingEntry {
  readonly binding: ValidatingAdmissionPolicyBinding;
  /** Undefined when the binding has no matchResources (it then matches whatever the policy does). */
  readonly match?: ParsedMatchResources;
}

export interface PolicyHook {
  readonly policy: ValidatingAdmissionPolicy;
  readonly bindings: readonly BindingEntry[];
  readonly constraints?: ParsedMatchResources;
  readonly compiled: CompiledPolicy;
  readonly paramSource?: ParamSource;
  /** A policy that cannot be applied (its paramKind names no resource): the failure policy decides. */
  readonly configurationError?: string;
}

export interface PolicySourceOptions {
  /** Plain (admission-free) registries. */
  readonly registries: Registries;
  /** The server's namespace cache (a miss is read from the store, as upstream's matcher does). */
  readonly namespaces?: NamespaceLister;
  readonly log: Logger;
}

const byName = (a: KubeObject, b: KubeObject): number =>
  (a.metadata.name ?? '') < (b.metadata.name ?? '') ? -1 : (a.metadata.name ?? '') > (b.metadata.name ?? '') ? 1 : 0;

export class PolicySource {
  readonly policies: Informer<ValidatingAdmissionPolicy>;
  readonly bindings: Informer<ValidatingAdmissionPolicyBinding>;
  readonly log: Logger;
  #hooks?: PolicyHook[];
  readonly #compiled = new Map<string, { key: string; compiled: CompiledPolicy }>();
  readonly #params = new Map<string, ParamSource>();

  constructor(private readonly opts: PolicySourceOptions) {
    const reg = (r: string) => opts.registries.get('admissionregistration.k8s.io', r)!;
    this.log = opts.log.child({ component: 'validating-admission-policy' });
    this.policies = new Informer(reg('validatingadmissionpolicies'), opts.log);
    this.bindings = new Informer(reg('validatingadmissionpolicybindings'), opts.log);
    const dirty = () => {
      this.#hooks = undefined;
    };
    for (const inf of [this.policies, this.bindings] as Informer[]) {
      inf.addHandlers({ onAdd: dirty, onUpdate: dirty, onDelete: dirty });
    }
  }

  async start(): Promise<void> {
    await Promise.all([this.policies.start(), this.bindings.start()]);
  }

  stop(): void {
    this.policies.stop();
    this.bindings.stop();
    for (const p of this.#params.values()) p.informer.stop();
    this.#params.clear();
  }

  hasSynced(): boolean {
    return this.policies.hasSynced() && this.bindings.hasSynced();
  }

  hooks(): readonly PolicyHook[] {
    this.#hooks ??= this.#calculate();
    return this.#hooks;
  }

  /** A namespace: the cache first, the store on a miss; its NotFound when it does not exist. */
  readonly namespace = async (name: string): Promise<Namespace> => {
    const cached = this.opts.namespaces?.hasSynced() ? this.opts.namespaces.get('', name) : undefined;
    return cached ?? ((await this.opts.registries.namespaces.get('', name)) as Namespace);
  };

  readonly namespaceLabels = async (name: string): Promise<Labels> => (await this.namespace(name)).metadata.labels;

  #calculate(): PolicyHook[] {
    const bindingsOf = new Map<string, ValidatingAdmissionPolicyBinding[]>();
    for (const b of this.bindings.list()) {
      const name = b.spec?.policyName ?? '';
      bindingsOf.set(name, [...(bindingsOf.get(name) ?? []), b]);
    }
    const hooks: PolicyHook[] = [];
    const usedParams = new Set<string>();
    const usedPolicies = new Set<string>();
    for (const [name, bindings] of bindingsOf) {
      const policy = this.policies.get('', name);
      if (!policy) continue;
      usedPolicies.add(name);
      const spec = policy.spec ?? {};
      let paramSource: ParamSource | undefined;
      let configurationError: string | undefined;
      if (spec.paramKind) {
        const { apiVersion = '', kind = '' } = spec.paramKind;
        const def = findByKind(apiVersion, kind);
        const registry = def && this.opts.registries.get(def.group, def.resource);
        if (def && registry) {
          usedParams.add(`${def.group}/${def.resource}`);
          paramSource = this.#paramSource(`${def.group}/${def.resource}`, registry);
        } else {
          const slash = apiVersion.indexOf('/');
          const gvk = slash < 0 ? `/${apiVersion}` : apiVersion;
          configurationError = `failed to find resource referenced by paramKind: '${gvk}, Kind=${kind}'`;
        }
      }
      hooks.push({
        policy,
        bindings: [...bindings].sort(byName).map((binding) => ({
          binding,
          ...(binding.spec?.matchResources ? { match: parseMatchResources(binding.spec.matchResources) } : {}),
        })),
        ...(spec.matchConstraints ? { constraints: parseMatchResources(spec.matchConstraints) } : {}),
        compiled: this.#compile(policy),
        ...(paramSource ? { paramSource } : {}),
        ...(configurationError ? { configurationError } : {}),
      });
    }
    for (const name of this.#compiled.keys()) if (!usedPolicies.has(name)) this.#compiled.delete(name);
    for (const [key, p] of this.#params) {
      if (usedParams.has(key)) continue;
      p.informer.stop();
      this.#params.delete(key);
    }
    return hooks.sort((a, b) => byName(a.policy, b.policy));
  }

  #compile(policy: ValidatingAdmissionPolicy): CompiledPolicy {
    const name = policy.metadata.name ?? '';
    const key = `${policy.metadata.uid}/${policy.metadata.generation}`;
    const hit = this.#compiled.get(name);
    if (hit?.key === key) return hit.compiled;
    const compiled = compilePolicy(policy.spec ?? {});
    this.#compiled.set(name, { key, compiled });
    return compiled;
  }

  #paramSource(key: string, registry: NonNullable<ReturnType<Registries['get']>>): ParamSource {
    let src = this.#params.get(key);
    if (!src) {
      const informer = new Informer(registry, this.opts.log);
      const started = informer.start();
      started.catch((err) => this.log.error({ err, resource: key }, 'param informer failed to start'));
      src = { informer, registry, started };
      this.#params.set(key, src);
    }
    return src;
  }
}
