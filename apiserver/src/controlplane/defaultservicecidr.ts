// kube-apiserver's kubernetes-service-cidr-controller (pkg/controlplane/controller/defaultservicecidr):
// the ServiceCIDR `kubernetes` mirrors --service-cluster-ip-range. Created when missing (a deleted one
// comes back, as Service default/kubernetes does), never rewritten when it differs (that is reported
// once: the flags or the object are wrong, which the operator decides), and marked Ready=True when it
// matches and has no Ready condition yet. Checked every 10 s; the first pass gates the post-start hook.
import { DEFAULT_SERVICE_CIDR_NAME, metaTime, SERVICE_CIDR_CONDITION_READY, type ServiceCIDR } from '@mkube/shared/api';
import { isAlreadyExists, isNotFound } from '@mkube/shared/apierrors';
import type { Logger } from '@mkube/shared/log';
import type { GenericRegistry } from '../registry/generic.js';
import { apiserverContext } from '../registry/strategy.js';

const INTERVAL_MS = 10_000;
const FIRST_RETRY_MS = 100;
const write = { dryRun: false };

export class DefaultServiceCIDRController {
  #timer?: NodeJS.Timeout;
  #stopped = false;
  #reportedMismatch = false;
  #reportedNotReady = false;

  constructor(
    private readonly serviceCIDRs: GenericRegistry,
    /** --service-cluster-ip-range, in order (the first family is the default one). */
    private readonly cidrs: readonly string[],
    private readonly log: Logger,
  ) {}

  /** Resolves after the first pass that succeeds (retried every 100 ms), then keeps checking every 10 s. */
  async start(): Promise<void> {
    for (;;) {
      try {
        await this.sync();
        break;
      } catch (e) {
        if (this.#stopped) return;
        this.log.info({ err: (e as Error).message }, 'error initializing the default ServiceCIDR');
        await new Promise((r) => setTimeout(r, FIRST_RETRY_MS));
      }
    }
    if (this.#stopped) return;
    this.#timer = setInterval(() => {
      this.sync().catch((e: unknown) =>
        this.log.info({ err: (e as Error).message }, 'error trying to sync the default ServiceCIDR'),
      );
    }, INTERVAL_MS);
    this.#timer.unref();
  }

  stop(): void {
    this.#stopped = true;
    clearInterval(this.#timer);
  }

  async sync(): Promise<void> {
    let sc: ServiceCIDR | undefined;
    try {
      sc = (await this.serviceCIDRs.get('', DEFAULT_SERVICE_CIDR_NAME)) as ServiceCIDR;
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
    if (!sc) {
      this.log.info({ cidrs: this.cidrs }, 'Creating default ServiceCIDR');
      const created: ServiceCIDR = {
        apiVersion: 'networking.k8s.io/v1',
        kind: 'ServiceCIDR',
        metadata: { name: DEFAULT_SERVICE_CIDR_NAME },
        spec: { cidrs: [...this.cidrs] },
      };
      try {
        sc = (await this.serviceCIDRs.create('', created, apiserverContext(), write)) as ServiceCIDR;
      } catch (e) {
        if (!isAlreadyExists(e)) throw e;
        sc = (await this.serviceCIDRs.get('', DEFAULT_SERVICE_CIDR_NAME)) as ServiceCIDR;
      }
    }
    await this.syncStatus(sc);
  }

  private async syncStatus(sc: ServiceCIDR): Promise<void> {
    // A ServiceCIDR being deleted is the controller-manager's to finish.
    if (sc.metadata.deletionTimestamp) return;
    const same = JSON.stringify(sc.spec?.cidrs ?? []) === JSON.stringify(this.cidrs);
    if (!same) {
      if (!this.#reportedMismatch) {
        this.log.info(
          { configured: this.cidrs, serviceCIDR: sc.spec?.cidrs ?? [] },
          'Inconsistent ServiceCIDR status: configure the flags to match the current ServiceCIDR or delete it',
        );
        this.#reportedMismatch = true;
      }
      return;
    }
    const ready = sc.status?.conditions?.find((c) => c.type === SERVICE_CIDR_CONDITION_READY);
    if (ready?.status === 'True') return;
    if (ready?.status === 'False') {
      // Set by someone else: not overwritten (that would hot-loop against them).
      if (!this.#reportedNotReady) {
        this.log.info(
          { reason: ready.reason, message: ready.message },
          "Default ServiceCIDR condition Ready is False, but the configuration matches: check the cluster's network configuration",
        );
        this.#reportedNotReady = true;
      }
      return;
    }
    this.log.info('Setting default ServiceCIDR condition Ready to True');
    await this.serviceCIDRs.guaranteedUpdate(
      '',
      DEFAULT_SERVICE_CIDR_NAME,
      'status',
      { ...apiserverContext(), fieldManager: 'kubernetes-service-cidr-controller' },
      write,
      undefined,
      (cur) => {
        const s = cur as ServiceCIDR;
        const others = (s.status?.conditions ?? []).filter((c) => c.type !== SERVICE_CIDR_CONDITION_READY);
        s.status = {
          ...s.status,
          conditions: [
            ...others,
            {
              type: SERVICE_CIDR_CONDITION_READY,
              status: 'True',
              lastTransitionTime: metaTime(),
              reason: '',
              message: 'Kubernetes default Service CIDR is ready',
            },
          ],
        };
        return s;
      },
    );
  }
}
