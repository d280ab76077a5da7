// serviceaccount-token-controller (k8s pkg/controller/serviceaccount/tokens_controller.go): a Secret
// of type kubernetes.io/service-account-token whose ServiceAccount exists gets a legacy token for it,
// the cluster CA and its namespace; one whose account is gone (or is another account of that name)
// is deleted, and so are an account's token Secrets when the account is deleted. It creates no
// Secrets itself, as upstream since 1.24.
import type { KeyObject } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Secret, ServiceAccount } from '@mkube/shared/api';
import { isConflict, isNotFound } from '@mkube/shared/apierrors';
import type { KubeClient } from '@mkube/shared/client';
import type { Logger } from '@mkube/shared/log';
import { SERVICE_ACCOUNT_TOKEN_TYPE, signLegacyToken } from '@mkube/shared/serviceaccount';
import { errorSummary } from '@mkube/shared/workqueue';
import { type Controller, runQueue, WorkQueue } from '../controller.js';
import { RESOURCES, type SharedInformer } from '../informers/index.js';
import { parseSecretKey, parseServiceAccountKey, type SecretKey, secretKey, serviceAccountKey } from './tokenkeys.js';
import { type Account, anyNeeded, isServiceAccountToken, populated, updatesNeeded } from './tokensecret.js';

export const TOKENS_CONTROLLER = 'serviceaccount-token-controller';
/** Upstream's --concurrent-serviceaccount-token-syncs default. */
export const TOKEN_WORKERS = 5;
/** Upstream's default MaxRetries: a key failing this often is dropped until its object changes again. */
export const MAX_RETRIES = 10;
/** RemoveTokenBackoff: 10 tries, 100 ms apart plus up to 100 ms jitter. */
const REMOVE_REFERENCE_STEPS = 10;
const REMOVE_REFERENCE_DELAY_MS = 100;

/** runWorkers requeues this rate-limited with a debug line only: the cause was logged already. */
class Requeue extends Error {
  override readonly name = 'IgnorableError';
}

/** A sync's result: retry (rate-limited) or not, and an error worth logging. */
interface Outcome {
  readonly retry: boolean;
  readonly err?: unknown;
}
const DONE: Outcome = { retry: false };

export interface TokensOptions {
  /** --service-account-private-key-file */
  readonly privateKey: KeyObject;
  /** Written as ca.crt; empty leaves ca.crt alone. */
  readonly rootCA: string;
  /** Workers per queue (--concurrent-serviceaccount-token-syncs). */
  readonly workers?: number;
}

export class TokensController implements Controller {
  readonly name = TOKENS_CONTROLLER;
  readonly serviceAccountQueue = new WorkQueue('serviceaccount_tokens_service');
  readonly secretQueue = new WorkQueue('serviceaccount_tokens_secret');
  #signal?: AbortSignal;

  constructor(
    readonly client: KubeClient,
    readonly serviceAccounts: SharedInformer<ServiceAccount>,
    readonly secrets: SharedInformer<Secret>,
    readonly opts: TokensOptions,
    readonly log: Logger,
  ) {
    const sa = (o: ServiceAccount) => this.serviceAccountQueue.add(serviceAccountKey(o));
    serviceAccounts.addEventHandler({ onAdd: sa, onUpdate: (_o, n) => sa(n), onDelete: sa });
    const secret = (s: Secret) => {
      if (s.type === SERVICE_ACCOUNT_TOKEN_TYPE) this.secretQueue.add(secretKey(s));
    };
    secrets.addEventHandler({ onAdd: secret, onUpdate: (_o, n) => secret(n), onDelete: secret });
  }

  run(signal: AbortSignal): Promise<void> {
    this.#signal = signal;
    return Promise.all([
      runQueue(
        this.serviceAccountQueue,
        this.opts.workers ?? TOKEN_WORKERS,
        (k) => this.#retryOrForget(this.serviceAccountQueue, k, this.syncServiceAccount(k)),
        this.log,
        signal,
      ),
      runQueue(
        this.secretQueue,
        this.opts.workers ?? TOKEN_WORKERS,
        (k) => this.#retryOrForget(this.secretQueue, k, this.syncSecret(k)),
        this.log,
        signal,
      ),
    ]).then(() => undefined);
  }

  async #retryOrForget(queue: WorkQueue, key: string, sync: Promise<boolean>): Promise<void> {
    if (!(await sync)) return;
    const count = queue.numRequeues(key);
    if (count < MAX_RETRIES) throw new Requeue(`retry ${count + 1}`);
    this.log.debug({ key, count }, 'retried several times');
  }

  /** Only a deleted (or replaced) account needs work: its token Secrets go. True to retry. */
  async syncServiceAccount(key: string): Promise<boolean> {
    const k = parseServiceAccountKey(key);
    if (!k) {
      this.log.error({ key }, 'Parsing service account key');
      return false;
    }
    if (this.#cachedServiceAccount(k.namespace, k.name, k.uid)) return false;
    this.log.debug({ namespace: k.namespace, serviceaccount: k.name }, 'Service account deleted, removing tokens');
    const tokens = this.secrets.store.list().filter((s) => isServiceAccountToken(s, k));
    const results = await Promise.all(
      tokens.map((s) => this.#deleteToken(k.namespace, s.metadata?.name ?? '', s.metadata?.uid ?? '')),
    );
    for (const r of results)
      if (r.err)
        this.log.error(
          { err: errorSummary(r.err), namespace: k.namespace, serviceaccount: k.name },
          'Error deleting serviceaccount tokens',
        );
    return results.some((r) => r.retry);
  }

  /** True to retry. */
  async syncSecret(key: string): Promise<boolean> {
    const k = parseSecretKey(key);
    if (!k) {
      this.log.error({ key }, 'Parsing secret queue key');
      return false;
    }
    const secret = this.secrets.store.get(`${k.namespace}/${k.name}`);
    const ref = { secret: `${k.namespace}/${k.name}`, serviceAccount: `${k.namespace}/${k.saName}` };
    if (!secret || secret.metadata?.uid !== k.uid) {
      // Deleted: an account that still lists it should not.
      if (this.#cachedServiceAccount(k.namespace, k.saName, k.saUID)) {
        await this.#removeSecretReference(k).catch((err) =>
          this.log.error({ err: errorSummary(err), ...ref }, 'Removing secret reference'),
        );
      }
      return false;
    }
    let sa: ServiceAccount | undefined;
    try {
      sa = await this.#serviceAccount(k.namespace, k.saName, k.saUID);
    } catch (err) {
      this.log.error({ err: errorSummary(err), ...ref }, 'Getting service account');
      return true;
    }
    let r: Outcome;
    if (!sa) {
      this.log.debug(ref, 'Service account does not exist, deleting token');
      r = await this.#deleteToken(k.namespace, k.name, k.uid);
      if (r.err) this.log.error({ err: errorSummary(r.err), ...ref }, 'Deleting serviceaccount token');
    } else {
      r = await this.#generateTokenIfNeeded(sa, secret);
      if (r.err) this.log.error({ err: errorSummary(r.err), ...ref }, 'Populating serviceaccount token');
    }
    return r.retry;
  }

  /** The account in the cache, if it is the one with `uid` (any, with no uid). */
  #cachedServiceAccount(ns: string, name: string, uid: string): ServiceAccount | undefined {
    const sa = this.serviceAccounts.store.get(`${ns}/${name}`);
    return sa && (!uid || sa.metadata?.uid === uid) ? sa : undefined;
  }

  /** As #cachedServiceAccount, asking the apiserver on a miss: the Secret may be newer than our cache of accounts. */
  async #serviceAccount(ns: string, name: string, uid: string): Promise<ServiceAccount | undefined> {
    const cached = this.#cachedServiceAccount(ns, name, uid);
    if (cached) return cached;
    try {
      const live = await this.client
        .resource<ServiceAccount>({ ...RESOURCES.serviceaccounts, namespace: ns })
        .get(name);
      return !uid || live.metadata?.uid === uid ? live : undefined;
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  /** Deletes the Secret only if it is still the one with `uid`; gone or replaced meanwhile is done. */
  async #deleteToken(ns: string, name: string, uid: string): Promise<Outcome> {
    try {
      await this.#secretsIn(ns).delete(name, uid ? { preconditions: { uid } } : {});
      return DONE;
    } catch (err) {
      if (isNotFound(err) || isConflict(err)) return DONE;
      return { retry: true, err };
    }
  }

  async #generateTokenIfNeeded(sa: ServiceAccount, secret: Secret): Promise<Outcome> {
    const needs = updatesNeeded(secret, this.opts.rootCA);
    if (!anyNeeded(needs)) return DONE;
    const account: Account = {
      namespace: secret.metadata?.namespace ?? '',
      name: sa.metadata?.name ?? '',
      uid: sa.metadata?.uid ?? '',
    };
    let token: string | undefined;
    if (needs.token) {
      try {
        token = await signLegacyToken(this.opts.privateKey, account, secret.metadata?.name ?? '');
      } catch (err) {
        return { retry: false, err };
      }
    }
    try {
      await this.#secretsIn(account.namespace).update(populated(secret, account, needs, this.opts.rootCA, token));
      return DONE;
    } catch (err) {
      if (isNotFound(err)) return DONE;
      // Our cache is behind: try again from it once the watch catches up.
      if (isConflict(err)) return { retry: true };
      return { retry: true, err };
    }
  }

  /** Drops a deleted Secret from the account's `secrets`, retrying conflicts as upstream's RemoveTokenBackoff. */
  async #removeSecretReference(k: SecretKey): Promise<void> {
    const accounts = this.client.resource<ServiceAccount>({ ...RESOURCES.serviceaccounts, namespace: k.namespace });
    for (let step = 1; ; step++) {
      try {
        const sa = await accounts.get(k.saName);
        if (k.saUID && sa.metadata?.uid !== k.saUID) return;
        if (!sa.secrets?.some((r) => r.name === k.name)) return;
        await accounts.update({ ...sa, secrets: sa.secrets.filter((r) => r.name !== k.name) });
        return;
      } catch (err) {
        if (isNotFound(err)) return;
        if (!isConflict(err) || step >= REMOVE_REFERENCE_STEPS) throw err;
      }
      const jitter = Math.random() * REMOVE_REFERENCE_DELAY_MS;
      await sleep(REMOVE_REFERENCE_DELAY_MS + jitter, undefined, { signal: this.#signal }).catch(() => undefined);
      if (this.#signal?.aborted) return;
    }
  }

  #secretsIn(ns: string) {
    return this.client.resource<Secret>({ ...RESOURCES.secrets, namespace: ns });
  }
}
