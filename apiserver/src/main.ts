// mkube's kube-apiserver: flags → frozen config → server; runs until SIGTERM/SIGINT, then shuts
// down gracefully and returns the exit code.
import { createLogger, type Logger } from '@mkube/shared/log';
import { type ApiServerConfig, ConfigError, loadApiServerConfig } from './config/index.js';
import { PostStartHookError } from './server/poststarthooks.js';
import { type StartOptions, startApiServer } from './server/server.js';

export { apiCatalogFor, RuntimeConfigError } from './config/apienablement.js';
export { APISERVER_FLAGS, type ApiServerConfig, ConfigError, loadApiServerConfig } from './config/index.js';
export { PostStartHookError } from './server/poststarthooks.js';
export { type RunningApiServer, type StartOptions, startApiServer } from './server/server.js';

/** kube-apiserver's exit code when a post-start hook fails (klog.Fatalf). */
export const FATAL_EXIT_CODE = 255;

export interface RunIO {
  readonly stderr: NodeJS.WritableStream;
  /** Aborting it stops the server as a signal would. */
  readonly signal?: AbortSignal;
  /** Log destination (tests); defaults to stdout. */
  readonly log?: Logger;
  /** More start options (tests: extra post-start hooks). */
  readonly start?: Omit<StartOptions, 'log'>;
}

/** Resolves when SIGTERM or SIGINT arrives or `signal` aborts; the listeners are removed after. */
function untilStopped(signal: AbortSignal | undefined): Promise<string> {
  return new Promise((resolve) => {
    const done = (why: string) => {
      process.off('SIGTERM', onTerm);
      process.off('SIGINT', onInt);
      signal?.removeEventListener('abort', onAbort);
      resolve(why);
    };
    const onTerm = () => done('SIGTERM');
    const onInt = () => done('SIGINT');
    const onAbort = () => done('aborted');
    process.once('SIGTERM', onTerm);
    process.once('SIGINT', onInt);
    if (signal?.aborted) done('aborted');
    else signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Runs the apiserver in the foreground from parsed flag values; returns the process exit code. */
export async function runApiServer(
  flags: Record<string, unknown>,
  given: ReadonlySet<string>,
  io: RunIO,
): Promise<number> {
  let config: ApiServerConfig;
  try {
    config = loadApiServerConfig(flags as Parameters<typeof loadApiServerConfig>[0], given);
  } catch (e) {
    if (e instanceof ConfigError) {
      io.stderr.write(`error: invalid apiserver configuration:\n${e.message}\n`);
      return 1;
    }
    throw e;
  }
  const log = io.log ?? createLogger({ name: 'kube-apiserver', verbosity: config.verbosity });
  // Ended by a signal, by io.signal, or here when the server fails (the listeners go either way).
  const ended = new AbortController();
  const stopped = untilStopped(io.signal ? AbortSignal.any([io.signal, ended.signal]) : ended.signal);
  let server: Awaited<ReturnType<typeof startApiServer>>;
  try {
    server = await startApiServer(config, { ...io.start, log });
  } catch (e) {
    ended.abort();
    io.stderr.write(`error: failed to start the apiserver: ${(e as Error).message}\n`);
    return e instanceof PostStartHookError ? FATAL_EXIT_CODE : 1;
  }
  const outcome = await Promise.race([stopped, server.failed]);
  ended.abort();
  if (outcome instanceof PostStartHookError) {
    // As kube-apiserver's klog.Fatalf: the message, and the process ends (after a graceful stop here).
    io.stderr.write(`error: ${outcome.message}\n`);
    await server.stop();
    log.flush();
    return FATAL_EXIT_CODE;
  }
  log.info({ signal: outcome }, 'shutting down');
  await server.stop();
  log.flush();
  return 0;
}
