// mkube's metrics-server: flags → checked config → informers, scrape loop and the secure port; runs
// until SIGTERM/SIGINT (exit 0).
import { ConfigError, type FlagValues } from '@mkube/shared/flags';
import { createLogger, type Logger } from '@mkube/shared/log';
import { untilStopped } from '@mkube/shared/signals';
import { loadMetricsServerConfig } from './options/config.js';
import { startMetricsServer } from './server.js';

export { loadMetricsServerConfig, type MetricsServerConfig } from './options/config.js';
export { METRICS_SERVER_FLAGS } from './options/flags.js';
export { type RunningMetricsServer, startMetricsServer } from './server.js';

export interface RunIO {
  readonly stderr: NodeJS.WritableStream;
  readonly signal?: AbortSignal;
  readonly log?: Logger;
}

export async function runMetricsServer(flags: FlagValues, io: RunIO): Promise<number> {
  let config: Awaited<ReturnType<typeof loadMetricsServerConfig>>;
  try {
    config = await loadMetricsServerConfig(flags);
  } catch (e) {
    if (e instanceof ConfigError) {
      io.stderr.write(`error: invalid metrics-server configuration:\n${e.message}\n`);
      return 1;
    }
    throw e;
  }
  const log = io.log ?? createLogger({ name: 'metrics-server', verbosity: config.verbosity });
  const stopped = untilStopped(io.signal);
  const server = await startMetricsServer(config, { log });
  await stopped;
  log.info('shutting down');
  await server.stop();
  log.flush();
  return 0;
}
