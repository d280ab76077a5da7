// The certificate controller all CSR controllers share (k8s pkg/controller/certificates
// certificate_controller.go): CSRs added or updated are queued by name, a worker hands the cached
// CSR to the controller's handler, failures retry with exponential backoff from 200 ms.
import type { CertificateSigningRequest } from '@mkube/shared/api';
import type { Logger } from '@mkube/shared/log';
import { ItemExponentialRateLimiter, WorkQueue } from '@mkube/shared/workqueue';
import { type Controller, runQueue } from '../controller.js';
import type { SharedInformer } from '../informers/index.js';

export type CsrHandler = (csr: CertificateSigningRequest) => Promise<void>;

export class CertificateController implements Controller {
  readonly queue: WorkQueue;

  constructor(
    readonly name: string,
    readonly informer: SharedInformer<CertificateSigningRequest>,
    readonly handler: CsrHandler,
    readonly log: Logger,
    readonly workers = 5,
  ) {
    this.queue = new WorkQueue(name, new ItemExponentialRateLimiter({ baseDelayMs: 200, maxDelayMs: 1_000_000 }));
    const enqueue = (csr: CertificateSigningRequest) => {
      const n = csr.metadata?.name;
      if (n) this.queue.add(n);
    };
    informer.addEventHandler({ onAdd: enqueue, onUpdate: (_old, cur) => enqueue(cur) });
  }

  run(signal: AbortSignal): Promise<void> {
    return runQueue(
      this.queue,
      this.workers,
      async (name) => {
        const csr = this.informer.store.get(name);
        // Deleted since it was queued: nothing to do.
        if (csr) await this.handler(csr);
      },
      this.log,
      signal,
    );
  }
}

/** An error the handler expects to resolve itself (logged quietly, retried with backoff). */
export class IgnorableError extends Error {
  override readonly name = 'IgnorableError';
}
