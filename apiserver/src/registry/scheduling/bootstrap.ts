// The post-start hook scheduling/bootstrap-system-priority-classes (pkg/registry/scheduling/rest):
// creates each system PriorityClass that is missing, never touching one that exists. Many critical
// components name these classes, so a server that cannot write them within 30 s gives up (the hook
// fails, the apiserver exits), as upstream's wait.Poll(1s, 30s).
import { setTimeout as delay } from 'node:timers/promises';
import { isAlreadyExists, isNotFound, StatusError } from '@mkube/shared/apierrors';
import type { Logger } from '@mkube/shared/log';
import type { GenericRegistry } from '../generic.js';
import { apiserverContext } from '../strategy.js';
import { systemPriorityClasses } from './system.js';

export const BOOTSTRAP_PRIORITY_CLASSES_HOOK = 'scheduling/bootstrap-system-priority-classes';

/** One pass: true when every system class exists; false to try again (the store is not ready). */
async function ensureOnce(reg: GenericRegistry, log: Logger): Promise<boolean> {
  for (const pc of systemPriorityClasses()) {
    const name = pc.metadata.name!;
    try {
      await reg.get('', name);
      continue;
    } catch (e) {
      if (!isNotFound(e)) {
        log.warn({ err: (e as Error).message }, `unable to get PriorityClass ${name}. Retrying...`);
        throw e;
      }
    }
    try {
      await reg.create('', pc, apiserverContext(), { dryRun: false });
      log.info(`created PriorityClass ${name} with value ${pc.value}`);
    } catch (e) {
      if (isAlreadyExists(e)) continue;
      if (e instanceof StatusError && e.reason === 'ServiceUnavailable') return false;
      throw e;
    }
  }
  log.info('all system priority classes are created successfully or already exist.');
  return true;
}

export async function bootstrapSystemPriorityClasses(
  reg: GenericRegistry,
  log: Logger,
  signal: AbortSignal,
  timing: { intervalMs: number; timeoutMs: number } = { intervalMs: 1000, timeoutMs: 30_000 },
): Promise<void> {
  const deadline = Date.now() + timing.timeoutMs;
  const failed = (why: string) => new Error(`unable to add default system priority classes: ${why}`);
  for (;;) {
    let done: boolean;
    try {
      done = await ensureOnce(reg, log);
    } catch (e) {
      // wait.Poll ends at the condition's first error.
      throw failed((e as Error).message);
    }
    if (done || signal.aborted) return;
    if (Date.now() >= deadline) throw failed('timed out waiting for the condition');
    try {
      await delay(timing.intervalMs, undefined, { signal });
    } catch {
      return; // the server stops
    }
  }
}
