// kube-apiserver's legacy-token-tracking controller (pkg/controlplane/controller/legacytokentracking):
// the ConfigMap kube-system/kube-apiserver-legacy-service-account-token-tracking says since when this
// cluster labels Secret-based tokens with the day they were used. The controller-manager's legacy
// token cleaner trusts an absent last-used label only once tracking has run a whole clean-up period.
// Created with today's date when missing (a deleted one comes back, starting the count again), and
// the date put back when it is not one; checked every minute.
import type { ConfigMap } from '@mkube/shared/api';
import { isAlreadyExists, isNotFound } from '@mkube/shared/apierrors';
import type { Logger } from '@mkube/shared/log';
import { isUtcDay, LEGACY_TOKEN_TRACKING, utcDay } from '@mkube/shared/serviceaccount';
import type { Registries } from '../registry/index.js';
import { apiserverContext } from '../registry/strategy.js';

const { namespace: NAMESPACE, name: TRACKING_CONFIGMAP, sinceKey: TRACKING_SINCE_KEY } = LEGACY_TOKEN_TRACKING;
const INTERVAL_MS = 60_000;
const today = () => utcDay(new Date());

export class LegacyTokenTrackingController {
  #timer?: NodeJS.Timeout;

  constructor(
    private readonly registries: Registries,
    private readonly log: Logger,
  ) {}

  /** Reconciles now and every minute; resolves once the ConfigMap has been seen to or written. */
  start(): Promise<void> {
    let reconciled!: () => void;
    const first = new Promise<void>((resolve) => {
      reconciled = resolve;
    });
    const tick = () =>
      void this.reconcile()
        .then(reconciled)
        .catch((e: unknown) =>
          this.log.warn({ err: (e as Error).message }, 'unable to reconcile the legacy token tracking ConfigMap'),
        );
    tick();
    this.#timer = setInterval(tick, INTERVAL_MS);
    this.#timer.unref();
    return first;
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  async reconcile(): Promise<void> {
    const cms = this.registries.get('', 'configmaps')!;
    const write = { dryRun: false };
    let cm: ConfigMap | undefined;
    try {
      cm = (await cms.get(NAMESPACE, TRACKING_CONFIGMAP)) as ConfigMap;
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
    if (!cm) {
      try {
        await cms.create(
          NAMESPACE,
          {
            apiVersion: 'v1',
            kind: 'ConfigMap',
            metadata: { name: TRACKING_CONFIGMAP },
            data: { [TRACKING_SINCE_KEY]: today() },
          } as ConfigMap,
          apiserverContext(),
          write,
        );
        this.log.info({ since: today() }, 'started tracking legacy service-account token use');
      } catch (e) {
        if (!isAlreadyExists(e)) throw e;
      }
      return;
    }
    if (isUtcDay(cm.data?.[TRACKING_SINCE_KEY])) return;
    await cms.guaranteedUpdate(NAMESPACE, TRACKING_CONFIGMAP, '', apiserverContext(), write, undefined, (cur) => {
      const c = cur as ConfigMap;
      return { ...c, data: { ...c.data, [TRACKING_SINCE_KEY]: today() } };
    });
  }
}
