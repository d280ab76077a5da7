// legacy-serviceaccount-token-cleaner-controller (k8s pkg/controller/serviceaccount
// legacy_serviceaccount_token_cleaner.go): once a day, an auto-generated Secret-based token (its
// account lists the Secret) that no pod mounts and nobody used for
// --legacy-service-account-token-clean-up-period (a year) is labelled
// `kubernetes.io/legacy-token-invalid-since: <today>` (the apiserver then refuses it), and deleted
// once it has been invalid for another period. Nothing happens until the apiserver has tracked token
// use (kube-system/kube-apiserver-legacy-service-account-token-tracking) for a whole period, since an
// absent last-used label only means "unused" from then on.
import { type ConfigMap, type Pod, podReferences, type Secret, type ServiceAccount } from '@mkube/shared/api';
import { isConflict, isNotFound } from '@mkube/shared/apierrors';
import { type KubeClient, sleep } from '@mkube/shared/client';
import type { Logger } from '@mkube/shared/log';
import {
  isUtcDay,
  LEGACY_TOKEN_INVALID_SINCE_LABEL,
  LEGACY_TOKEN_LAST_USED_LABEL,
  LEGACY_TOKEN_TRACKING,
  SERVICE_ACCOUNT_NAME_ANNOTATION,
  SERVICE_ACCOUNT_TOKEN_TYPE,
  SERVICE_ACCOUNT_UID_ANNOTATION,
  utcDay,
} from '@mkube/shared/serviceaccount';
import type { Controller } from '../controller.js';
import { RESOURCES, type SharedInformer } from '../informers/index.js';

export const LEGACY_TOKEN_CLEANER = 'legacy-serviceaccount-token-cleaner-controller';
/** DefaultCleanerSyncInterval. */
export const CLEANER_SYNC_INTERVAL_MS = 24 * 3600_000;
const DAY_MS = 24 * 3600_000;

export class LegacyServiceAccountTokenCleaner implements Controller {
  readonly name = LEGACY_TOKEN_CLEANER;

  constructor(
    readonly client: KubeClient,
    readonly serviceAccounts: SharedInformer<ServiceAccount>,
    /** Token Secrets (type kubernetes.io/service-account-token). */
    readonly secrets: SharedInformer<Secret>,
    readonly pods: SharedInformer<Pod>,
    readonly cleanUpPeriodMs: number,
    readonly log: Logger,
    readonly syncIntervalMs = CLEANER_SYNC_INTERVAL_MS,
    readonly now: () => Date = () => new Date(),
  ) {}

  async run(signal: AbortSignal): Promise<void> {
    do {
      await this.evaluate().catch((e: unknown) =>
        this.log.error({ err: (e as Error).message }, 'evaluating legacy service account tokens failed'),
      );
    } while (await sleep(this.syncIntervalMs, signal));
  }

  /** latestPossibleTrackedSinceTime: 00:00 UTC the day after tracking started. */
  async #trackedSince(): Promise<Date> {
    const cm = await this.client
      .resource<ConfigMap>({ ...RESOURCES.configmaps, namespace: LEGACY_TOKEN_TRACKING.namespace })
      .get(LEGACY_TOKEN_TRACKING.name);
    const since = cm.data?.[LEGACY_TOKEN_TRACKING.sinceKey];
    if (since === undefined) throw new Error('configMap does not have since label');
    if (!isUtcDay(since)) throw new Error(`error parsing trackedSince time: ${JSON.stringify(since)}`);
    return new Date(Date.parse(`${since}T00:00:00Z`) + DAY_MS);
  }

  async evaluate(): Promise<void> {
    const now = this.now();
    let trackedSince: Date;
    try {
      trackedSince = await this.#trackedSince();
    } catch (e) {
      this.log.error({ err: (e as Error).message }, 'Getting lastest possible tracked_since time');
      return;
    }
    // Not tracked long enough to know which tokens went unused.
    if (now.getTime() < trackedSince.getTime() + this.cleanUpPeriodMs) return;
    const preserveCreatedOnOrAfter = now.getTime() - this.cleanUpPeriodMs;
    const preserveUsedOnOrAfter = utcDay(new Date(preserveCreatedOnOrAfter));
    const mounted = new Map<string, Set<string>>();
    const mountedIn = (namespace: string) => {
      let names = mounted.get(namespace);
      if (!names) {
        names = new Set(
          this.pods.store
            .list()
            .filter((p) => p.metadata?.namespace === namespace)
            .flatMap((p) => podReferences(p).flatMap(([kind, name]) => (kind === 'secrets' ? [name] : []))),
        );
        mounted.set(namespace, names);
      }
      return names;
    };
    for (const secret of this.secrets.store.list()) {
      const md = secret.metadata;
      if (secret.type !== SERVICE_ACCOUNT_TOKEN_TYPE || md.deletionTimestamp) continue;
      if (!(Date.parse(md.creationTimestamp ?? '') < preserveCreatedOnOrAfter)) continue;
      const at = `${md.namespace}/${md.name}`;
      // No label: unused since tracking began.
      const lastUsed = md.labels?.[LEGACY_TOKEN_LAST_USED_LABEL];
      if (lastUsed !== undefined) {
        if (!isUtcDay(lastUsed)) {
          this.log.error({ secret: at, lastUsed }, 'Parsing lastUsed time');
          continue;
        }
        if (lastUsed >= preserveUsedOnOrAfter) continue;
      }
      const sa = this.#serviceAccount(secret);
      // Only a token its account lists is known to be auto-generated.
      if (!sa?.secrets?.some((r) => r.name === md.name)) continue;
      if (mountedIn(md.namespace ?? '').has(md.name ?? '')) continue;
      const invalidSince = md.labels?.[LEGACY_TOKEN_INVALID_SINCE_LABEL];
      if (!isUtcDay(invalidSince)) {
        const today = utcDay(now);
        this.log.info({ invalidSince: today, secret: at }, 'Mark the auto-generated service account token as invalid');
        await this.client
          .resource<Secret>({ ...RESOURCES.secrets, namespace: md.namespace })
          .patch(md.name!, 'application/merge-patch+json', {
            metadata: { uid: md.uid, labels: { [LEGACY_TOKEN_INVALID_SINCE_LABEL]: today } },
          })
          .catch((e: unknown) =>
            this.log.error(
              { secret: at, err: (e as Error).message },
              'Failed to label legacy service account token secret with invalid since date',
            ),
          );
        continue;
      }
      if (invalidSince >= preserveUsedOnOrAfter) continue;
      this.log.info(
        { secret: at, creationTime: md.creationTimestamp, lastUsed, invalidSince },
        'Delete auto-generated service account token',
      );
      try {
        await this.client
          .resource<Secret>({ ...RESOURCES.secrets, namespace: md.namespace })
          .delete(md.name!, { preconditions: { resourceVersion: md.resourceVersion! } });
      } catch (e) {
        if (!isConflict(e) && !isNotFound(e))
          this.log.error(
            { secret: at, serviceaccount: sa.metadata?.name, err: (e as Error).message },
            'Deleting legacy service account token',
          );
      }
    }
  }

  /** The Secret's account, if it exists with the uid the Secret names (when it names one). */
  #serviceAccount(secret: Secret): ServiceAccount | undefined {
    const a = secret.metadata.annotations ?? {};
    const name = a[SERVICE_ACCOUNT_NAME_ANNOTATION];
    if (!name) return undefined;
    const sa = this.serviceAccounts.store.get(`${secret.metadata.namespace}/${name}`);
    const uid = a[SERVICE_ACCOUNT_UID_ANNOTATION];
    return sa && (!uid || uid === sa.metadata?.uid) ? sa : undefined;
  }
}
