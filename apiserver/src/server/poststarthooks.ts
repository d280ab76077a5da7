// Post-start hooks, after k8s.io/apiserver pkg/server/hooks.go: named functions run once the server
// listens, each with a health check `poststarthook/<name>` that fails with "not finished" until its
// function has returned. The checks are in /healthz, /livez and /readyz in the order the hooks were
// added. A hook that throws is fatal, as upstream's (klog.Fatalf `PostStartHook %q failed: %v`):
// `failed` resolves with it and whoever runs the server stops it and exits 255. A hook that throws
// because the server is stopping is not a failure.
import { setTimeout as delay } from 'node:timers/promises';
import type { Logger } from '@mkube/shared/log';
import type { HealthCheck } from '../discovery/health.js';

export interface PostStartHookContext {
  /** Aborted when the server stops (upstream's hook context is cancelled then). */
  readonly signal: AbortSignal;
}

export type PostStartHook = (ctx: PostStartHookContext) => Promise<void> | void;

const NOT_FINISHED = 'not finished';

/** A post-start hook's error: the server must stop (kube-apiserver exits). */
export class PostStartHookError extends Error {
  constructor(
    readonly hook: string,
    cause: Error,
  ) {
    super(`PostStartHook "${hook}" failed: ${cause.message}`, { cause });
    this.name = 'PostStartHookError';
  }
}

/**
 * The hook of a task upstream runs as a controller that retries (its hook only starts it): tried
 * until it succeeds, `retryMs` apart, so that a passing store error is not fatal. Ends when the
 * server stops.
 */
export function retryingHook(task: () => Promise<void>, log: Logger, what: string, retryMs = 1000): PostStartHook {
  return async ({ signal }) => {
    for (;;) {
      try {
        await task();
        return;
      } catch (e) {
        if (signal.aborted) return;
        log.warn({ err: (e as Error).message }, `${what}: retrying`);
      }
      try {
        await delay(retryMs, undefined, { signal });
      } catch {
        return; // the server stops
      }
    }
  };
}

interface Entry {
  readonly name: string;
  readonly hook: PostStartHook;
  done: boolean;
}

export class PostStartHooks {
  readonly #entries: Entry[] = [];
  #ran = false;
  #fail!: (e: PostStartHookError) => void;
  /** Resolves with the first hook that throws while the server runs; never otherwise. */
  readonly failed = new Promise<PostStartHookError>((resolve) => {
    this.#fail = resolve;
  });

  constructor(private readonly log: Logger) {}

  /** Adds a hook; a name is taken once, and none may be added after they ran. */
  add(name: string, hook: PostStartHook): void {
    if (!name) throw new Error('missing name');
    if (this.#ran) throw new Error(`unable to add "${name}" because PostStartHooks have already been called`);
    if (this.#entries.some((e) => e.name === name))
      throw new Error(`unable to add "${name}" because it was already registered`);
    this.#entries.push({ name, hook, done: false });
  }

  /** The hooks' checks, in the order they were added. */
  checks(): HealthCheck[] {
    return this.#entries.map((e) => ({
      name: `poststarthook/${e.name}`,
      check: () => (e.done ? undefined : NOT_FINISHED),
    }));
  }

  /** The hooks whose function has not returned (yet, or ever: one that threw). */
  pending(): string[] {
    return this.#entries.filter((e) => !e.done).map((e) => e.name);
  }

  /**
   * Runs every hook at once (upstream starts each in its own goroutine); resolves when each has
   * returned or thrown, or when `signal` aborts, whichever is first. Runs them once.
   */
  async run(signal: AbortSignal): Promise<void> {
    if (this.#ran) return;
    this.#ran = true;
    const ctx: PostStartHookContext = { signal };
    const all = Promise.all(
      this.#entries.map(async (e) => {
        try {
          await e.hook(ctx);
          e.done = true;
        } catch (err) {
          if (signal.aborted) return;
          const cause = err instanceof Error ? err : new Error(String(err));
          this.log.error({ hook: e.name, err: cause.message }, 'PostStartHook failed');
          this.#fail(new PostStartHookError(e.name, cause));
        }
      }),
    );
    if (signal.aborted) return;
    let onAbort: (() => void) | undefined;
    const aborted = new Promise<void>((resolve) => {
      onAbort = resolve;
      signal.addEventListener('abort', onAbort, { once: true });
    });
    await Promise.race([all, aborted]);
    signal.removeEventListener('abort', onAbort!);
  }
}
