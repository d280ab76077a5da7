// API Priority and Fairness in the server: the dispatcher follows the FlowSchemas and
// PriorityLevelConfigurations in the store through two informers, which also feed the schemas'
// Dangling condition (together, upstream's APF config consumer), each resource's object count is
// sampled every minute for the work estimates of lists (upstream's storage object count tracker),
// its gauges are read at scrape time, and /debug/api_priority_and_fairness/dump_* show its state.
import type { FlowSchema, PriorityLevelConfiguration } from '@mkube/shared/api';
import type { Logger } from '@mkube/shared/log';
import type { FastifyInstance } from 'fastify';
import { MANDATORY_FLOW_SCHEMAS, MANDATORY_PRIORITY_LEVELS } from '../flowcontrol/bootstrap.js';
import { DanglingConditionController } from '../flowcontrol/conditions.js';
import { APFController } from '../flowcontrol/controller.js';
import { ObjectCountTracker } from '../flowcontrol/objectcount.js';
import { groupResourceKey } from '../flowcontrol/workestimator.js';
import { Informer } from '../informers/index.js';
import type { FlowControlMetricsHooks } from '../metrics/flowcontrol.js';
import type { Registries } from '../registry/index.js';
import { plainRoute } from './methods.js';

const GROUP = 'flowcontrol.apiserver.k8s.io';
/** upstream's storage layer polls each resource's count at this interval. */
const OBJECT_COUNT_PERIOD_MS = 60_000;

export interface PriorityAndFairness {
  readonly controller: APFController;
  /**
   * The first sample of every resource's object count: taken in the background (until then a list
   * is one seat, as for a resource never sampled); the storage-object-count-tracker-hook waits for it.
   */
  readonly objectCountsSampled: Promise<void>;
  /** Stops the Dangling condition's workers (waiting for a write in flight), then the informers; once. */
  stop(): Promise<void>;
}

export interface PriorityAndFairnessOptions {
  /** --max-requests-inflight + --max-mutating-requests-inflight. */
  readonly serverConcurrencyLimit: number;
  /** How long a request may wait in a queue: a quarter of --request-timeout, as upstream. */
  readonly requestWaitLimitMs: number;
  readonly metrics?: FlowControlMetricsHooks;
  readonly log: Logger;
}

export async function startPriorityAndFairness(
  registries: Registries,
  opts: PriorityAndFairnessOptions,
): Promise<PriorityAndFairness> {
  const objectCounts = new ObjectCountTracker();
  const sampleCounts = async () => {
    for (const r of registries.all()) {
      try {
        objectCounts.set(groupResourceKey(r.gr.group, r.gr.resource), await r.count());
      } catch (e) {
        // The old count stays and goes stale, which makes its lists cost the most, as upstream's.
        opts.log.debug({ err: (e as Error).message, resource: r.gr.resource }, 'object count sample failed');
      }
    }
  };
  const objectCountsSampled = sampleCounts();
  const countTimer = setInterval(() => void sampleCounts(), OBJECT_COUNT_PERIOD_MS);
  countTimer.unref();
  const controller = new APFController({
    serverConcurrencyLimit: opts.serverConcurrencyLimit,
    requestWaitLimitMs: opts.requestWaitLimitMs,
    fallback: { flowSchemas: MANDATORY_FLOW_SCHEMAS, priorityLevels: MANDATORY_PRIORITY_LEVELS },
    objectCount: objectCounts.get,
    ...(opts.metrics ? { metrics: opts.metrics } : {}),
  });
  const schemas = new Informer<FlowSchema>(registries.get(GROUP, 'flowschemas')!, opts.log);
  const levels = new Informer<PriorityLevelConfiguration>(
    registries.get(GROUP, 'prioritylevelconfigurations')!,
    opts.log,
  );
  // A burst of changes (the start-up list, the ensurer's writes) becomes one reconfiguration.
  let scheduled = false;
  const reconfigure = () => {
    if (scheduled) return;
    scheduled = true;
    queueMicrotask(() => {
      scheduled = false;
      controller.update([...schemas.list()], [...levels.list()]);
    });
  };
  const handlers = { onAdd: reconfigure, onUpdate: reconfigure, onDelete: reconfigure };
  schemas.addHandlers(handlers);
  levels.addHandlers(handlers);
  // The config consumer's other half, upstream's too: each schema's Dangling condition, from the same caches.
  const dangling = new DanglingConditionController(registries, { schemas, levels }, opts.log);
  await Promise.all([schemas.start(), levels.start()]);
  controller.update([...schemas.list()], [...levels.list()]);
  dangling.start();
  controller.run();
  opts.metrics?.levels(controller);
  let stopped: Promise<void> | undefined;
  return {
    controller,
    objectCountsSampled,
    stop() {
      controller.stop();
      clearInterval(countTimer);
      stopped ??= dangling.stop().then(() => {
        schemas.stop();
        levels.stop();
      });
      return stopped;
    },
  };
}

/** upstream's configController.Install: unlisted debug handlers, authorized as any non-resource path. */
export function registerPriorityAndFairnessDebug(app: FastifyInstance, controller: APFController): void {
  const text = (body: string) => ({ body, type: 'text/plain; charset=utf-8' });
  const routes: Record<string, (query: Record<string, string>) => ReturnType<typeof text>> = {
    dump_priority_levels: () => text(controller.dumpPriorityLevels()),
    dump_queues: () => text(controller.dumpQueues()),
    dump_requests: (q) => text(controller.dumpRequests(q.includeRequestDetails === '1')),
  };
  for (const [name, render] of Object.entries(routes)) {
    plainRoute(app, `/debug/api_priority_and_fairness/${name}`, async (request, reply) => {
      const { body, type } = render(request.query as Record<string, string>);
      return reply.header('content-type', type).send(body);
    });
  }
}
