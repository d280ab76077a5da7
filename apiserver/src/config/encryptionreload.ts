// --encryption-provider-config-automatic-reload: the EncryptionConfiguration file is watched and,
// when its content changes, loaded again and swapped in, as kube-apiserver's
// DynamicEncryptionConfigContent: a file that does not validate, or whose KMS plugins do not all
// answer healthy, keeps the running configuration (and counts a failure). The KMS providers of a
// replaced configuration keep serving reads already under way for a while, then stop.
import type { Logger } from '@mkube/shared/log';
import type { ConfigReloadHooks } from '../metrics/authconfig.js';
import type { KmsMetricsHooks } from '../metrics/kms.js';
import type { KmsV2Timing } from '../storage/value/kms/provider.js';
import { type EncryptionConfig, loadEncryptionConfig } from './encryption.js';
import { watchFileContent } from './filewatch.js';

export interface EncryptionReloadOptions {
  readonly log: Logger;
  readonly kmsTiming?: Partial<KmsV2Timing>;
  readonly reloads?: ConfigReloadHooks;
  readonly kmsMetrics?: KmsMetricsHooks;
  /** How often the file's stat is polled (default 1 s). */
  readonly pollIntervalMs?: number;
  /** How long a replaced configuration's KMS providers live on (default 30 s). */
  readonly retireAfterMs?: number;
}

export class EncryptionConfigController {
  readonly #file: string;
  readonly #opts: EncryptionReloadOptions;
  #current: EncryptionConfig;
  #unwatch: (() => void) | undefined;
  #stopped = false;
  readonly #retiring = new Set<{ timer: NodeJS.Timeout; config: EncryptionConfig }>();

  constructor(file: string, initial: EncryptionConfig, opts: EncryptionReloadOptions) {
    this.#file = file;
    this.#current = initial;
    this.#opts = opts;
  }

  get current(): EncryptionConfig {
    return this.#current;
  }

  /** Starts the running configuration's KMS providers, and watching the file when asked to. */
  async start(watch: boolean): Promise<void> {
    // The file as loaded is the baseline: a change made while the plugins are first asked counts.
    if (watch) this.#unwatch = watchFileContent(this.#file, () => this.#reload(), this.#opts.pollIntervalMs);
    // As kube-apiserver: a plugin that is down does not stop the start; writes fail until it answers.
    await Promise.all(
      this.#current.kmsProviders.map((p) => p.start(this.#opts.log, this.#opts.kmsTiming, this.#opts.kmsMetrics)),
    );
  }

  stop(): void {
    this.#stopped = true;
    this.#unwatch?.();
    for (const r of this.#retiring) {
      clearTimeout(r.timer);
      for (const p of r.config.kmsProviders) p.stop();
    }
    this.#retiring.clear();
    for (const p of this.#current.kmsProviders) p.stop();
  }

  async #reload(): Promise<void> {
    if (this.#stopped) return;
    const log = this.#opts.log;
    let next: EncryptionConfig;
    try {
      next = loadEncryptionConfig(this.#file);
    } catch (e) {
      this.#opts.reloads?.reloaded('failure');
      log.error(
        { file: this.#file, err: (e as Error).message },
        'the encryption configuration did not load; keeping the running one',
      );
      return;
    }
    // The new configuration's plugins must answer before any write depends on them.
    await Promise.all(next.kmsProviders.map((p) => p.start(log, this.#opts.kmsTiming, this.#opts.kmsMetrics)));
    const problems = (await Promise.all(next.kmsProviders.map((p) => p.health()))).filter(Boolean);
    if (problems.length > 0 || this.#stopped) {
      for (const p of next.kmsProviders) p.stop();
      if (this.#stopped) return;
      this.#opts.reloads?.reloaded('failure');
      log.error(
        { file: this.#file, err: problems.join('; ') },
        'the encryption configuration’s KMS providers are not healthy; keeping the running one',
      );
      return;
    }
    const old = this.#current;
    this.#current = next;
    this.#opts.reloads?.reloaded('success');
    log.info({ file: this.#file, resources: next.resources }, 'reloaded the encryption configuration');
    if (old.kmsProviders.length > 0) {
      const r = {
        config: old,
        timer: setTimeout(() => {
          this.#retiring.delete(r);
          for (const p of old.kmsProviders) p.stop();
        }, this.#opts.retireAfterMs ?? 30_000).unref(),
      };
      this.#retiring.add(r);
    }
  }
}
