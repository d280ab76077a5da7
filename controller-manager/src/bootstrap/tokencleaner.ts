// tokencleaner (k8s pkg/controller/bootstrap/tokencleaner.go): deletes a bootstrap-token Secret
// when its expiration passes. Each Secret is scheduled for the instant it expires (AddAfter), so
// an expired token is gone within moments, not at the next sweep. Deletes carry the UID read.
import type { Secret } from '@mkube/shared/api';
import { isNotFound } from '@mkube/shared/apierrors';
import { BOOTSTRAP_TOKEN_SECRET_TYPE, expirationOf } from '@mkube/shared/bootstraptoken';
import { type KubeClient, objectKey } from '@mkube/shared/client';
import type { Logger } from '@mkube/shared/log';
import { type Controller, runQueue, WorkQueue } from '../controller.js';
import { RESOURCES, type SharedInformer } from '../informers/index.js';

export class TokenCleaner implements Controller {
  readonly name = 'token-cleaner-controller';
  readonly queue = new WorkQueue('token-cleaner');

  constructor(
    readonly client: KubeClient,
    readonly secrets: SharedInformer<Secret>,
    readonly log: Logger,
  ) {
    const enqueue = (s: Secret) => this.queue.add(objectKey(s));
    secrets.addEventHandler({ onAdd: enqueue, onUpdate: (_o, s) => enqueue(s) });
  }

  run(signal: AbortSignal): Promise<void> {
    return runQueue(this.queue, 1, (key) => this.sync(key), this.log, signal);
  }

  async sync(key: string, now = Date.now()): Promise<void> {
    const s = this.secrets.store.get(key);
    if (!s || s.type !== BOOTSTRAP_TOKEN_SECRET_TYPE || s.metadata?.deletionTimestamp) return;
    const exp = expirationOf(s);
    if (exp === undefined) return;
    // Unparseable counts as expired (it can never authenticate anyway).
    if (Number.isFinite(exp) && exp > now) {
      this.queue.addAfter(key, exp - now + 1);
      return;
    }
    try {
      await this.client
        .resource<Secret>({ ...RESOURCES.secrets, namespace: s.metadata!.namespace })
        .delete(s.metadata!.name!, { preconditions: { uid: s.metadata?.uid } });
      this.log.info({ secret: key }, 'deleted expired bootstrap token');
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
}
