// The FlowSchemas' Dangling condition, as kube-apiserver's APF config controller keeps it from the
// dispatcher's own informers
// (apf_controller.go presyncFlowSchemaStatus). False/Found while the PriorityLevelConfiguration the
// schema names exists, True/NotFound otherwise. Informers on both kinds feed a keyed queue of schema
// names (a level's arrival or removal queues the schemas naming it); a schema's condition is written
// through /status, field manager api-priority-and-fairness-config-consumer-v1, only when status,
// reason or message would change, with lastTransitionTime the time of that write.
import {
  type FlowSchema,
  type FlowSchemaCondition,
  metaTime,
  type PriorityLevelConfiguration,
} from '@mkube/shared/api';
import { isNotFound } from '@mkube/shared/apierrors';
import type { Logger } from '@mkube/shared/log';
import { runWorkers, WorkQueue } from '@mkube/shared/workqueue';
import type { Informer } from '../informers/index.js';
import type { GenericRegistry } from '../registry/generic.js';
import type { Registries } from '../registry/index.js';
import { apiserverContext, type StrategyContext } from '../registry/strategy.js';

export const CONSUMER_FIELD_MANAGER = 'api-priority-and-fairness-config-consumer-v1';
const GROUP = 'flowcontrol.apiserver.k8s.io';
const DANGLING = 'Dangling';

type Verdict = Required<Pick<FlowSchemaCondition, 'status' | 'reason' | 'message'>>;

/** The Dangling condition a schema naming `plName` should carry. */
export function danglingVerdict(plName: string, exists: boolean): Verdict {
  return exists
    ? {
        status: 'False',
        reason: 'Found',
        message: `This FlowSchema references the PriorityLevelConfiguration object named ${JSON.stringify(plName)} and it exists`,
      }
    : {
        status: 'True',
        reason: 'NotFound',
        message: `This FlowSchema references the PriorityLevelConfiguration object named ${JSON.stringify(plName)} but there is no such object`,
      };
}

const sameVerdict = (c: FlowSchemaCondition | undefined, v: Verdict) =>
  !!c && c.status === v.status && c.reason === v.reason && c.message === v.message;

/** The two caches the controller reads: the dispatcher's, so the store is watched once for both. */
export interface FlowControlInformers {
  readonly schemas: Informer<FlowSchema>;
  readonly levels: Informer<PriorityLevelConfiguration>;
}

export class DanglingConditionController {
  readonly #schemas: Informer<FlowSchema>;
  readonly #levels: Informer<PriorityLevelConfiguration>;
  readonly #registry: GenericRegistry;
  readonly #queue = new WorkQueue('flowschema_dangling');
  #workers: Promise<void> | undefined;

  constructor(
    registries: Registries,
    informers: FlowControlInformers,
    private readonly log: Logger,
  ) {
    this.#registry = registries.get(GROUP, 'flowschemas')!;
    this.#schemas = informers.schemas;
    this.#levels = informers.levels;
    const schema = (fs: FlowSchema) => this.#queue.add(fs.metadata.name!);
    this.#schemas.addHandlers({ onAdd: schema, onUpdate: schema });
    // Only a level's existence matters: its arrival and removal.
    const level = (pl: PriorityLevelConfiguration) => this.#enqueueNaming(pl.metadata.name!);
    this.#levels.addHandlers({ onAdd: level, onDelete: level });
  }

  #enqueueNaming(plName: string): void {
    for (const fs of this.#schemas.list()) {
      if (fs.spec?.priorityLevelConfiguration?.name === plName) this.#queue.add(fs.metadata.name!);
    }
  }

  /** Starts the workers: call it once both informers have synced (a level not yet listed is not missing). */
  start(): void {
    this.#workers = runWorkers(this.#queue, 1, (name) => this.sync(name), this.log);
  }

  /** Stops the workers, waiting for a write in flight; the informers are their owner's to stop. */
  async stop(): Promise<void> {
    this.#queue.shutDown();
    await this.#workers;
  }

  /** One schema: its condition worked out from the caches and written when it changed. */
  async sync(name: string): Promise<void> {
    const fs = this.#schemas.get('', name);
    if (!fs) return;
    const verdictFor = (o: FlowSchema): Verdict => {
      const plName = o.spec?.priorityLevelConfiguration?.name ?? '';
      return danglingVerdict(plName, !!this.#levels.get('', plName));
    };
    const current = (o: FlowSchema) => o.status?.conditions?.find((c) => c.type === DANGLING);
    if (sameVerdict(current(fs), verdictFor(fs))) return;
    try {
      await this.#registry.guaranteedUpdate(
        '',
        name,
        'status',
        consumerContext(),
        { dryRun: false },
        undefined,
        (cur) => {
          const o = cur as FlowSchema;
          // Judged again on the stored object: an unchanged result writes nothing.
          const v = verdictFor(o);
          if (sameVerdict(current(o), v)) return o;
          const condition: FlowSchemaCondition = {
            type: DANGLING,
            status: v.status,
            lastTransitionTime: metaTime(new Date()),
            reason: v.reason,
            message: v.message,
          };
          const conditions = [...(o.status?.conditions ?? [])];
          const i = conditions.findIndex((c) => c.type === DANGLING);
          if (i >= 0) conditions[i] = condition;
          else conditions.push(condition);
          o.status = { ...o.status, conditions };
          this.log.debug({ flowSchema: name, status: v.status, reason: v.reason }, 'writing the Dangling condition');
          return o;
        },
      );
    } catch (e) {
      // Deleted meanwhile: its delete event is the last word.
      if (!isNotFound(e)) throw e;
    }
  }
}

function consumerContext(): StrategyContext {
  return { ...apiserverContext(), fieldManager: CONSUMER_FIELD_MANAGER };
}
