// What every controller here is: a work queue fed by informer handlers and drained by workers
// calling a sync function; it runs while this process leads and stops with the signal.
import type { Logger } from '@mkube/shared/log';
import { runWorkers, type SyncHandler, WorkQueue } from '@mkube/shared/workqueue';

export interface Controller {
  /** kube-controller-manager's name for it, e.g. `certificatesigningrequest-signing-controller`. */
  readonly name: string;
  /** Runs until `signal` aborts; informers are started and synced by the caller. */
  run(signal: AbortSignal): Promise<void>;
}

export interface ControllerContext {
  readonly log: Logger;
}

/** Runs `workers` workers over `queue` until `signal` aborts, then shuts the queue down. */
export async function runQueue(
  queue: WorkQueue,
  workers: number,
  sync: SyncHandler,
  log: Logger,
  signal: AbortSignal,
): Promise<void> {
  const stop = () => queue.shutDown();
  if (signal.aborted) stop();
  else signal.addEventListener('abort', stop, { once: true });
  await runWorkers(queue, workers, sync, log);
}

export { WorkQueue };
