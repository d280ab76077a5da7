// csrcleaner (k8s pkg/controller/certificates/cleaner, facts §5): every hour, over the informer's
// CSRs, delete those decided more than an hour ago, pending for a day, or whose certificate has
// expired. Deletes carry the UID read, so a recreated CSR of the same name is never hit.
import type { CertificateSigningRequest } from '@mkube/shared/api';
import { isNotFound } from '@mkube/shared/apierrors';
import { conditionsOf, findCondition } from '@mkube/shared/certificates';
import { type KubeClient, type ReadonlyStore, sleep } from '@mkube/shared/client';
import type { Logger } from '@mkube/shared/log';
import { parseCertificatesPem } from '@mkube/shared/pki';
import { errorSummary } from '@mkube/shared/workqueue';
import type { Controller } from '../controller.js';
import { RESOURCES } from '../informers/index.js';

export const POLLING_INTERVAL_MS = 60 * 60 * 1000;
export const APPROVED_EXPIRATION_MS = 60 * 60 * 1000;
export const DENIED_EXPIRATION_MS = 60 * 60 * 1000;
export const PENDING_EXPIRATION_MS = 24 * 60 * 60 * 1000;

const olderThan = (time: string | undefined, ms: number, now: number): boolean => {
  // A zero or missing timestamp never counts as old.
  if (!time) return false;
  const t = Date.parse(time);
  return Number.isFinite(t) && t + ms < now;
};

/** Why a CSR is due for deletion, or undefined to keep it. */
export function cleanupReason(csr: CertificateSigningRequest, now: number): string | undefined {
  const cert = csr.status?.certificate;
  const approved = findCondition(csr, 'Approved');
  if (approved && cert && olderThan(approved.lastUpdateTime, APPROVED_EXPIRATION_MS, now)) return 'approved and issued';
  const denied = findCondition(csr, 'Denied');
  if (denied && olderThan(denied.lastUpdateTime, DENIED_EXPIRATION_MS, now)) return 'denied';
  const failed = findCondition(csr, 'Failed');
  if (failed && olderThan(failed.lastUpdateTime, DENIED_EXPIRATION_MS, now)) return 'failed';
  if (conditionsOf(csr).length === 0 && olderThan(csr.metadata?.creationTimestamp, PENDING_EXPIRATION_MS, now)) {
    return 'pending';
  }
  if (approved && cert) {
    try {
      const first = parseCertificatesPem(Buffer.from(cert, 'base64'))[0];
      if (first && first.notAfter.getTime() < now) return 'certificate expired';
    } catch {
      // An unparseable certificate is not this controller's business.
    }
  }
  return undefined;
}

export class CsrCleaner implements Controller {
  readonly name = 'certificatesigningrequest-cleaner-controller';

  constructor(
    readonly client: KubeClient,
    readonly store: ReadonlyStore<CertificateSigningRequest>,
    readonly log: Logger,
    readonly intervalMs = POLLING_INTERVAL_MS,
  ) {}

  /** One pass; returns the names deleted. */
  async cleanOnce(now = Date.now()): Promise<string[]> {
    const csrs = this.client.resource<CertificateSigningRequest>(RESOURCES.csrs);
    const deleted: string[] = [];
    for (const csr of this.store.list()) {
      const why = cleanupReason(csr, now);
      if (!why) continue;
      const name = csr.metadata!.name!;
      try {
        await csrs.delete(name, { preconditions: { uid: csr.metadata?.uid } });
        deleted.push(name);
        this.log.info({ csr: name, why }, 'cleaned up csr');
      } catch (err) {
        if (!isNotFound(err)) this.log.warn({ csr: name, err: errorSummary(err) }, 'could not clean up csr');
      }
    }
    return deleted;
  }

  async run(signal: AbortSignal): Promise<void> {
    // wait.Until runs at once, then every interval.
    while (!signal.aborted) {
      await this.cleanOnce();
      await sleep(this.intervalMs, signal);
    }
  }
}
