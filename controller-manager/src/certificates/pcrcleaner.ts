// podcertificaterequest-cleaner-controller (k8s pkg/controller/certificates/cleaner/pcrcleaner.go,
// kube-controller-manager 1.35): every 5 minutes, over the informer's PodCertificateRequests, delete
// each one created 15 minutes ago or more, whatever its state — every issuance flow is expected to
// be over by then, and the kubelet makes a new request when it finds its old one gone. Deletes carry
// the UID read, so a recreated request of the same name is never hit; one already gone is fine.
import type { PodCertificateRequest } from '@mkube/shared/api';
import { isNotFound } from '@mkube/shared/apierrors';
import { type KubeClient, type ReadonlyStore, type ResourceRef, sleep } from '@mkube/shared/client';
import type { Logger } from '@mkube/shared/log';
import { errorSummary } from '@mkube/shared/workqueue';
import type { Controller } from '../controller.js';
import type { SharedInformer } from '../informers/index.js';

export const PCR_CLEANER = 'podcertificaterequest-cleaner-controller';
/**
 * The client (and, with service account credentials, the kube-system service account) upstream
 * runs it as; its role is system:controller:podcertificaterequestcleaner.
 */
export const PCR_CLEANER_CLIENT = 'podcertificaterequestcleaner';
export const PCR_THRESHOLD_MS = 15 * 60 * 1000;
export const PCR_POLLING_INTERVAL_MS = 5 * 60 * 1000;

/** The version kube-controller-manager 1.35 reads them through (CertificatesV1beta1). */
export const PCRS = {
  group: 'certificates.k8s.io',
  version: 'v1beta1',
  resource: 'podcertificaterequests',
} as const satisfies ResourceRef;

export interface PcrCleanerTiming {
  /** Age from creationTimestamp at which a request is deleted; upstream's 15 minutes. */
  readonly thresholdMs?: number;
  /** Time between passes; upstream's 5 minutes. */
  readonly intervalMs?: number;
}

/** Whether `pcr` is due: now ≥ creationTimestamp + threshold (a missing timestamp never is). */
export function pcrExpired(pcr: PodCertificateRequest, now: number, thresholdMs: number): boolean {
  const created = Date.parse(pcr.metadata?.creationTimestamp ?? '');
  return Number.isFinite(created) && now >= created + thresholdMs;
}

export class PcrCleaner implements Controller {
  readonly name = PCR_CLEANER;
  readonly thresholdMs: number;
  readonly intervalMs: number;

  constructor(
    readonly client: KubeClient,
    readonly informer: Pick<SharedInformer<PodCertificateRequest>, 'store' | 'lw'>,
    readonly log: Logger,
    timing: PcrCleanerTiming = {},
  ) {
    this.thresholdMs = timing.thresholdMs ?? PCR_THRESHOLD_MS;
    this.intervalMs = timing.intervalMs ?? PCR_POLLING_INTERVAL_MS;
  }

  /** One pass over `store`; returns the `namespace/name` of those deleted. */
  async cleanOnce(
    store: ReadonlyStore<PodCertificateRequest> = this.informer.store,
    now = Date.now(),
  ): Promise<string[]> {
    const deleted: string[] = [];
    for (const pcr of store.list()) {
      if (!pcrExpired(pcr, now, this.thresholdMs)) continue;
      const ns = pcr.metadata?.namespace ?? '';
      const name = pcr.metadata?.name ?? '';
      const key = `${ns}/${name}`;
      try {
        await this.client
          .resource<PodCertificateRequest>({ ...PCRS, namespace: ns })
          .delete(name, { preconditions: { uid: pcr.metadata?.uid } });
        deleted.push(key);
        this.log.info({ pcr: key }, 'cleaned up PodCertificateRequest');
      } catch (err) {
        // Someone else deleted it first: nothing left to do.
        if (isNotFound(err)) continue;
        this.log.error({ pcr: key, err: errorSummary(err) }, 'Error while attempting to clean PodCertificateRequest');
      }
    }
    return deleted;
  }

  async run(signal: AbortSignal): Promise<void> {
    this.log.info('Starting PodCertificateRequest cleaner controller');
    // The informer is not one the controllers' start waits for (an apiserver without the API must
    // not hold the others back): a first pass over an empty cache would wait a whole interval.
    if (await this.informer.lw.waitForSync(signal)) {
      // wait.Until: a pass at once, then one every interval.
      while (!signal.aborted) {
        await this.cleanOnce();
        await sleep(this.intervalMs, signal);
      }
    }
    this.log.info('Shutting down PodCertificateRequest cleaner controller');
  }
}
