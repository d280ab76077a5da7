// mkube's kube-scheduler: flags (or --config) → checked config → informers, queue and the scheduling
// loop under leader election; runs until SIGTERM/SIGINT (exit 0) or until leadership is lost or the
// loop fails (exit 1, as upstream).
import { ConfigError, type FlagValues } from '@mkube/shared/flags';
import { createLogger, type Logger } from '@mkube/shared/log';
import { untilStopped } from '@mkube/shared/signals';
import { loadSchedulerConfig } from './options/config.js';
import { startScheduler } from './scheduler.js';

export { decodeSchedulerConfiguration, type KubeSchedulerConfiguration } from './options/componentconfig.js';
export { loadSchedulerConfig, type SchedulerConfig } from './options/config.js';
export { SCHEDULER_FLAGS } from './options/flags.js';
export {
  ASSIGNED_PODS,
  type Outcome,
  type RunningScheduler,
  type StartOptions,
  startScheduler,
  UNASSIGNED_PODS,
} from './scheduler.js';

export interface RunIO {
  readonly stderr: NodeJS.WritableStream;
  readonly signal?: AbortSignal;
  readonly log?: Logger;
}

export async function runScheduler(flags: FlagValues, given: ReadonlySet<string>, io: RunIO): Promise<number> {
  let config: Awaited<ReturnType<typeof loadSchedulerConfig>>;
  try {
    config = await loadSchedulerConfig(flags, given);
  } catch (e) {
    if (e instanceof ConfigError) {
      io.stderr.write(`error: invalid scheduler configuration:\n${e.message}\n`);
      return 1;
    }
    throw e;
  }
  const log = io.log ?? createLogger({ name: 'kube-scheduler', verbosity: config.verbosity });
  const stopped = untilStopped(io.signal);
  const sched = await startScheduler(config, { log });
  const outcome = await Promise.race([stopped.then(() => 'signal' as const), sched.done]);
  stopped.cancel();
  if (outcome === 'lost' || outcome === 'failed') {
    await sched.stop();
    log.flush();
    return 1;
  }
  log.info('shutting down');
  await sched.stop();
  log.flush();
  return 0;
}
