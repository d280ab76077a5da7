// mkube's kube-controller-manager: flags → checked config → controllers; runs until SIGTERM/SIGINT
// (exit 0) or until leadership is lost (exit 1, as upstream).
import { ConfigError, type FlagValues } from '@mkube/shared/flags';
import { createLogger, type Logger } from '@mkube/shared/log';
import { untilStopped } from '@mkube/shared/signals';
import { startControllerManager } from './controllermanager.js';
import { loadControllerManagerConfig } from './options/config.js';

export { type RunningControllerManager, type StartOptions, startControllerManager } from './controllermanager.js';
export { type ControllerManagerConfig, loadControllerManagerConfig } from './options/config.js';
export { CONTROLLERS, enabledControllers } from './options/controllers.js';
export { CONTROLLER_MANAGER_FLAGS } from './options/flags.js';

export interface RunIO {
  readonly stderr: NodeJS.WritableStream;
  readonly signal?: AbortSignal;
  readonly log?: Logger;
}

export async function runControllerManager(flags: FlagValues, given: ReadonlySet<string>, io: RunIO): Promise<number> {
  let config: Awaited<ReturnType<typeof loadControllerManagerConfig>>;
  try {
    config = await loadControllerManagerConfig(flags, given);
  } catch (e) {
    if (e instanceof ConfigError) {
      io.stderr.write(`error: invalid controller-manager configuration:\n${e.message}\n`);
      return 1;
    }
    throw e;
  }
  const log = io.log ?? createLogger({ name: 'kube-controller-manager', verbosity: config.verbosity });
  const stopped = untilStopped(io.signal);
  const cm = await startControllerManager(config, { log });
  const outcome = await Promise.race([stopped.then(() => 'signal' as const), cm.done]);
  stopped.cancel();
  if (outcome === 'lost' || outcome === 'failed') {
    await cm.stop();
    log.flush();
    return 1;
  }
  log.info('shutting down');
  await cm.stop();
  log.flush();
  return 0;
}
