// The pod's sandbox step, before any container starts (kuberuntime SyncPod's createPodSandbox): for
// the process runtime only the RuntimeClass check. A refusal is recorded once per distinct message
// as a Warning FailedCreatePodSandBox event, the containers stay waiting in ContainerCreating, and
// the step is tried again with a back-off, as later syncs would, until it passes or the pod stops.
import type { Pod } from '@mkube/shared/api';
import type { KubeClient } from '@mkube/shared/client';
import { FAILED_CREATE_POD_SANDBOX, sandboxRefusal } from './runtimeclass.js';

const RETRY_FIRST_MS = 1_000;
const RETRY_MAX_MS = 30_000;

export class PodSandbox {
  /** Created: without a runtimeClassName there is nothing to check. */
  ready: boolean;
  #busy = false;
  #timer: NodeJS.Timeout | undefined;
  #retryMs = RETRY_FIRST_MS;
  #lastRefusal = '';
  #stopped = false;

  constructor(
    private readonly pod: Pod,
    private readonly api: () => KubeClient | undefined,
    private readonly warn: (reason: string, message: string) => void,
  ) {
    this.ready = !pod.spec?.runtimeClassName;
  }

  /** Creates the sandbox and then calls `onReady`; a call while one attempt or retry is pending is a no-op. */
  create(onReady: () => void): void {
    if (this.ready || this.#busy || this.#timer || this.#stopped) return;
    this.#busy = true;
    void sandboxRefusal(this.api(), this.pod)
      .catch((e: Error) => `Failed to create pod sandbox: ${e.message}`)
      .then((refusal) => {
        this.#busy = false;
        if (this.#stopped) return;
        if (!refusal) {
          this.ready = true;
          onReady();
          return;
        }
        if (refusal !== this.#lastRefusal) {
          this.#lastRefusal = refusal;
          this.warn(FAILED_CREATE_POD_SANDBOX, refusal);
        }
        this.#timer = setTimeout(() => {
          this.#timer = undefined;
          this.create(onReady);
        }, this.#retryMs);
        this.#timer.unref();
        this.#retryMs = Math.min(this.#retryMs * 2, RETRY_MAX_MS);
      });
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
  }
}
