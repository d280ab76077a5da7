// mkube's kubelet: flags → checked config → the kubelet; runs until SIGTERM/SIGINT (exit 0). A
// bootstrap that cannot start (no usable kubeconfig and no bootstrap kubeconfig, a discovery whose
// CA pin does not match) exits 1 with the reason.
import { ConfigError, type FlagValues } from '@mkube/shared/flags';
import { createLogger, type Logger } from '@mkube/shared/log';
import { BootstrapError } from './bootstrap/clientconfig.js';
import { DiscoveryError } from './bootstrap/discovery.js';
import { KernelTunablesError } from './cm/kerneltunables.js';
import { startKubelet } from './kubelet.js';
import { loadKubeletConfig } from './options/config.js';

export { BootstrapError } from './bootstrap/clientconfig.js';
export { DiscoveryError, discoverCluster } from './bootstrap/discovery.js';
export { CertificateFileStore } from './certificate/store.js';
export { clientTemplate, type RunningKubelet, servingTemplate, startKubelet } from './kubelet.js';
export { type KubeletConfig, loadKubeletConfig } from './options/config.js';
export { KUBELET_FLAGS } from './options/flags.js';

export interface RunIO {
  readonly stderr: NodeJS.WritableStream;
  readonly signal?: AbortSignal;
  readonly log?: Logger;
}

function untilStopped(signal: AbortSignal | undefined): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = () => {
      process.off('SIGTERM', done);
      process.off('SIGINT', done);
      resolve();
    };
    process.once('SIGTERM', done);
    process.once('SIGINT', done);
    if (signal?.aborted) done();
    else signal?.addEventListener('abort', done, { once: true });
  });
}

export async function runKubelet(flags: FlagValues, given: ReadonlySet<string>, io: RunIO): Promise<number> {
  let config: ReturnType<typeof loadKubeletConfig>;
  try {
    config = loadKubeletConfig(flags, given);
  } catch (e) {
    if (e instanceof ConfigError) {
      io.stderr.write(`error: invalid kubelet configuration:\n${e.message}\n`);
      return 1;
    }
    throw e;
  }
  const log = io.log ?? createLogger({ name: 'kubelet', verbosity: config.verbosity });
  const stopped = untilStopped(io.signal);
  let kubelet: Awaited<ReturnType<typeof startKubelet>>;
  try {
    kubelet = await startKubelet(config, { log: log.child({ node: config.nodeName }) });
  } catch (e) {
    if (e instanceof BootstrapError || e instanceof DiscoveryError || e instanceof KernelTunablesError) {
      log.error({ err: e.message }, 'failed to run kubelet');
      io.stderr.write(`error: failed to run kubelet: ${e.message}\n`);
      log.flush();
      return 1;
    }
    throw e;
  }
  await stopped;
  log.info('shutting down');
  await kubelet.stop();
  log.flush();
  return 0;
}
