// The APF configuration producer (kube-apiserver's priority-and-fairness-config-producer post-start
// hook, pkg/registry/flowcontrol/ensurer): at start, retried every second until it succeeds, then
// once a minute, it
//   - creates every built-in object that is missing (suggested ones too: deleting one brings it back);
//   - restores a mandatory object's spec when it differs (the exempt level's `spec.exempt` is the
//     operator's), and marks it apf.kubernetes.io/autoupdate-spec "true";
//   - updates a suggested object's spec only while its autoupdate annotation says true; absent (or not
//     a boolean), it decides from generation 1 (the spec never changed) and writes that decision;
//   - deletes objects annotated autoupdate "true" that are no longer built in.
// Writes go through the registries as the apiserver, field manager
// api-priority-and-fairness-config-producer-v1; a concurrent create or update is left for the next pass.
import {
  APF_AUTOUPDATE_ANNOTATION,
  type FlowSchema,
  type KubeObject,
  type PriorityLevelConfiguration,
} from '@mkube/shared/api';
import { isAlreadyExists, isConflict, isNotFound } from '@mkube/shared/apierrors';
import type { Logger } from '@mkube/shared/log';
import { EVERYTHING } from '../registry/filter.js';
import {
  defaultFlowSchema,
  defaultPriorityLevel,
  flowSchemaSpecsEqual,
  priorityLevelSpecsEqual,
} from '../registry/flowcontrol/defaults.js';
import type { GenericRegistry } from '../registry/generic.js';
import type { Registries } from '../registry/index.js';
import { apiserverContext, type StrategyContext } from '../registry/strategy.js';
import { jsonClone } from '../util/json.js';
import {
  MANDATORY_FLOW_SCHEMAS,
  MANDATORY_PRIORITY_LEVELS,
  SUGGESTED_FLOW_SCHEMAS,
  SUGGESTED_PRIORITY_LEVELS,
} from './bootstrap.js';

export const PRODUCER_FIELD_MANAGER = 'api-priority-and-fairness-config-producer-v1';
const GROUP = 'flowcontrol.apiserver.k8s.io';

export interface EnsurerTiming {
  /** Between passes once one has succeeded (upstream: a minute). */
  readonly intervalMs: number;
  /** Between passes until the first succeeds (upstream: a second). */
  readonly retryMs: number;
}

const UPSTREAM: EnsurerTiming = { intervalMs: 60_000, retryMs: 1_000 };

type Strategy = 'mandatory' | 'suggested';

/** What differs between the two kinds: defaulting and the spec comparison. */
interface KindOps<T extends KubeObject> {
  readonly kind: string;
  readonly registry: GenericRegistry;
  /** Whether `actual`'s spec is the built-in one, as far as the maintenance cares. */
  specEqualish(bootstrap: T, actual: T): boolean;
}

/** strconv.ParseBool. */
export function parseGoBool(v: string | undefined): boolean | undefined {
  if (v === undefined) return undefined;
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(v)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(v)) return false;
  return undefined;
}

/** shouldUpdateSpec: the annotation when it is a boolean, else whether the spec was never changed. */
export function autoUpdatesSpec(o: KubeObject): boolean {
  return parseGoBool(o.metadata.annotations?.[APF_AUTOUPDATE_ANNOTATION]) ?? o.metadata.generation === 1;
}

/**
 * ReviseIfNeeded: the object to write back, or undefined when the stored one is as it should be.
 * Exported for tests; `specEqualish` is the kind's comparison.
 */
export function reviseIfNeeded<T extends KubeObject & { spec?: unknown }>(
  strategy: Strategy,
  current: T,
  bootstrap: T,
  specEqualish: (bootstrap: T, actual: T) => boolean,
): T | undefined {
  const autoUpdate = strategy === 'mandatory' || autoUpdatesSpec(current);
  const annotation = parseGoBool(current.metadata.annotations?.[APF_AUTOUPDATE_ANNOTATION]);
  const updateAnnotation = annotation !== autoUpdate;
  const specChanged = autoUpdate && !specEqualish(bootstrap, current);
  if (!updateAnnotation && !specChanged) return undefined;
  const revised = jsonClone(current);
  if (specChanged) revised.spec = jsonClone(bootstrap.spec);
  if (updateAnnotation) {
    revised.metadata.annotations = { ...revised.metadata.annotations, [APF_AUTOUPDATE_ANNOTATION]: String(autoUpdate) };
  }
  return revised;
}

/** plcSpecEqualish: the defaulted built-in spec, with the stored exempt level's own `exempt` values. */
export function priorityLevelSpecEqualish(bootstrap: PriorityLevelConfiguration, actual: PriorityLevelConfiguration) {
  const expected = jsonClone(bootstrap) as PriorityLevelConfiguration;
  defaultPriorityLevel(expected);
  if (bootstrap.metadata.name === 'exempt') {
    const have = actual.spec?.exempt;
    if (!have) return false;
    expected.spec!.exempt = {
      ...expected.spec!.exempt,
      nominalConcurrencyShares: have.nominalConcurrencyShares,
      lendablePercent: have.lendablePercent,
    };
  }
  return priorityLevelSpecsEqual(expected.spec, actual.spec);
}

/** fsSpecEqualish: the defaulted built-in spec against the stored one. */
export function flowSchemaSpecEqualish(bootstrap: FlowSchema, actual: FlowSchema): boolean {
  const expected = jsonClone(bootstrap) as FlowSchema;
  defaultFlowSchema(expected);
  return flowSchemaSpecsEqual(expected.spec, actual.spec);
}

export class APFConfigurationEnsurer {
  readonly #levels: KindOps<PriorityLevelConfiguration>;
  readonly #schemas: KindOps<FlowSchema>;
  readonly #timing: EnsurerTiming;
  #timer?: NodeJS.Timeout;
  #succeeded = false;
  #stopped = false;
  #onSuccess?: () => void;
  readonly #firstSuccess = new Promise<void>((resolve) => {
    this.#onSuccess = resolve;
  });

  constructor(
    registries: Registries,
    private readonly log: Logger,
    opts: { timing?: Partial<EnsurerTiming> } = {},
  ) {
    this.#levels = {
      kind: 'PriorityLevelConfiguration',
      registry: registries.get(GROUP, 'prioritylevelconfigurations')!,
      specEqualish: priorityLevelSpecEqualish,
    };
    this.#schemas = {
      kind: 'FlowSchema',
      registry: registries.get(GROUP, 'flowschemas')!,
      specEqualish: flowSchemaSpecEqualish,
    };
    this.#timing = { ...UPSTREAM, ...opts.timing };
  }

  /** True once a pass has gone through without an error. */
  get succeeded(): boolean {
    return this.#succeeded;
  }

  /** Resolves once a pass has gone through without an error. */
  whenSucceeded(): Promise<void> {
    return this.#firstSuccess;
  }

  /**
   * Runs the first pass now and resolves when it ends, whatever its outcome (the server waits for it
   * as upstream's post-start hook phase does); passes go on after it, a second apart until one
   * succeeds, then a minute apart.
   */
  async start(): Promise<void> {
    this.#stopped = false;
    await this.#pass();
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
  }

  async #pass(): Promise<void> {
    try {
      await this.ensure();
      this.#succeeded = true;
      this.#onSuccess?.();
    } catch (err) {
      // A pass cut short by the shutdown (the store closing) is no news.
      if (!this.#stopped)
        this.log.warn({ err: (err as Error).message }, 'APF bootstrap ensurer ran into an error, will retry later');
    }
    if (this.#stopped) return;
    this.#timer = setTimeout(() => void this.#pass(), this.#succeeded ? this.#timing.intervalMs : this.#timing.retryMs);
    this.#timer.unref();
  }

  /** One pass: suggested objects, then mandatory ones, then the unwanted removed. Stops at the first error. */
  async ensure(): Promise<void> {
    const steps = [
      () => this.#ensureAll(this.#levels, SUGGESTED_PRIORITY_LEVELS, 'suggested'),
      () => this.#ensureAll(this.#schemas, SUGGESTED_FLOW_SCHEMAS, 'suggested'),
      () => this.#ensureAll(this.#levels, MANDATORY_PRIORITY_LEVELS, 'mandatory'),
      () => this.#ensureAll(this.#schemas, MANDATORY_FLOW_SCHEMAS, 'mandatory'),
      () => this.#removeUnwanted(this.#schemas, [...MANDATORY_FLOW_SCHEMAS, ...SUGGESTED_FLOW_SCHEMAS]),
      () => this.#removeUnwanted(this.#levels, [...MANDATORY_PRIORITY_LEVELS, ...SUGGESTED_PRIORITY_LEVELS]),
    ];
    for (const step of steps) {
      if (this.#stopped) return;
      await step();
    }
  }

  async #ensureAll<T extends KubeObject & { spec?: unknown }>(
    ops: KindOps<T>,
    boots: readonly T[],
    strategy: Strategy,
  ): Promise<void> {
    for (const b of boots) await this.#ensureOne(ops, b, strategy);
  }

  async #ensureOne<T extends KubeObject & { spec?: unknown }>(
    ops: KindOps<T>,
    bootstrap: T,
    strategy: Strategy,
  ): Promise<void> {
    const name = bootstrap.metadata.name!;
    const log = { kind: ops.kind, type: strategy, object: name };
    let current: T;
    for (;;) {
      try {
        current = (await ops.registry.get('', name)) as T;
        break;
      } catch (e) {
        if (!isNotFound(e)) throw new Error(`failed to retrieve ${ops.kind} ${name}: ${(e as Error).message}`);
      }
      // A missing object is always created again.
      try {
        await ops.registry.create('', jsonClone(bootstrap) as KubeObject, producerContext(), { dryRun: false });
        this.log.debug(log, 'created an APF configuration object');
        return;
      } catch (e) {
        if (!isAlreadyExists(e)) throw new Error(`cannot create ${ops.kind} ${name}: ${(e as Error).message}`);
      }
    }
    const revised = reviseIfNeeded(strategy, current, bootstrap, ops.specEqualish);
    if (!revised) return;
    try {
      await ops.registry.update('', name, revised, '', producerContext(), { dryRun: false });
      this.log.info(log, 'updated an APF configuration object');
    } catch (e) {
      // Someone else wrote it meanwhile: looked at again on the next pass.
      if (isConflict(e)) return;
      throw new Error(`failed to update ${ops.kind} ${name}: ${(e as Error).message}`);
    }
  }

  /** RemoveUnwantedObjects: not built in any more, and annotated autoupdate true. */
  async #removeUnwanted<T extends KubeObject>(ops: KindOps<T>, wanted: readonly T[]): Promise<void> {
    const names = new Set(wanted.map((o) => o.metadata.name));
    const { items } = await ops.registry.list({ namespace: '', filter: EVERYTHING });
    for (const o of items) {
      const name = o.metadata.name!;
      if (names.has(name) || parseGoBool(o.metadata.annotations?.[APF_AUTOUPDATE_ANNOTATION]) !== true) continue;
      try {
        await ops.registry.delete('', name, undefined, { dryRun: false }, producerContext());
        this.log.info({ kind: ops.kind, object: name }, 'deleted an unwanted APF configuration object');
      } catch (e) {
        if (!isNotFound(e)) throw new Error(`failed to delete unwanted ${ops.kind} ${name}: ${(e as Error).message}`);
      }
    }
  }
}

function producerContext(): StrategyContext {
  return { ...apiserverContext(), fieldManager: PRODUCER_FIELD_MANAGER };
}
