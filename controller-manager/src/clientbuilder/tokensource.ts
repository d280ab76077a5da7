// A controller's credentials under --use-service-account-credentials, as upstream's
// DynamicControllerClientBuilder gets them: a TokenRequest for the controller's ServiceAccount in
// kube-system, made with the controller-manager's own client, cached until 80 % of its life has
// passed and dropped at once when the apiserver answers 401 with it.
import type { ServiceAccount, TokenRequest } from '@mkube/shared/api';
import { isAlreadyExists, isNotFound } from '@mkube/shared/apierrors';
import { CachingCredentialProvider, type FetchedCredentials, type KubeClient } from '@mkube/shared/client';
import type { Logger } from '@mkube/shared/log';
import { errorSummary } from '@mkube/shared/workqueue';

/** clientbuilder.defaultExpirationSeconds. */
export const TOKEN_EXPIRATION_SECONDS = 3600;
/** clientbuilder.defaultLeewayPercent: the share of a token's life left when it is replaced. */
export const LEEWAY_PERCENT = 20;
/** A token claimed to live less than this is taken to live this long (clock skew). */
const MIN_LIFETIME_MS = 10 * 60_000;
/** wait.Backoff{Duration: 500ms, Factor: 2, Steps: 4}. */
const BACKOFF_MS = [500, 1000, 2000] as const;

const SERVICE_ACCOUNTS = { group: '', version: 'v1', resource: 'serviceaccounts' } as const;
const NAMESPACES = { group: '', version: 'v1', resource: 'namespaces' } as const;

export interface TokenSourceOptions {
  readonly namespace: string;
  readonly serviceAccount: string;
  readonly expirationSeconds?: number;
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
}

/**
 * Gets the ServiceAccount, or makes it (and its namespace, tolerating a refusal: the caller may not
 * be allowed to create namespaces) — getOrCreateServiceAccount.
 */
export async function getOrCreateServiceAccount(
  root: KubeClient,
  namespace: string,
  name: string,
  log: Logger,
): Promise<ServiceAccount> {
  const sas = root.resource<ServiceAccount>({ ...SERVICE_ACCOUNTS, namespace });
  try {
    return await sas.get(name);
  } catch (e) {
    if (!isNotFound(e)) throw e;
  }
  try {
    await root.resource(NAMESPACES).get(namespace);
  } catch (e) {
    if (isNotFound(e)) {
      try {
        await root
          .resource(NAMESPACES)
          .create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } } as never);
      } catch (err) {
        if (!isAlreadyExists(err)) log.info({ namespace, err: errorSummary(err) }, 'create non-exist namespace');
      }
    }
  }
  try {
    return await sas.create({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { namespace, name } });
  } catch (e) {
    // Another controller-manager (or a restart of this one) made it first.
    if (isAlreadyExists(e)) return sas.get(name);
    throw e;
  }
}

export class ServiceAccountTokenSource extends CachingCredentialProvider {
  readonly #root: KubeClient;
  readonly #opts: Required<Omit<TokenSourceOptions, 'now' | 'sleep'>>;
  readonly #sleep: (ms: number) => Promise<void>;
  readonly #log: Logger;

  constructor(root: KubeClient, opts: TokenSourceOptions, log: Logger) {
    super(opts.now ?? Date.now);
    this.#root = root;
    this.#opts = {
      namespace: opts.namespace,
      serviceAccount: opts.serviceAccount,
      expirationSeconds: opts.expirationSeconds ?? TOKEN_EXPIRATION_SECONDS,
    };
    this.#sleep = opts.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms).unref()));
    this.#log = log;
  }

  protected async fetch(): Promise<FetchedCredentials> {
    const { namespace, serviceAccount } = this.#opts;
    for (let attempt = 0; ; attempt++) {
      try {
        const tr = await this.#request();
        const now = this.now();
        const expires = Date.parse(tr.status?.expirationTimestamp ?? '');
        const token = tr.status?.token;
        if (!token || Number.isNaN(expires))
          throw new Error('the TokenRequest came back without a token or expiration');
        const lifetime = Math.max(expires - now, MIN_LIFETIME_MS);
        return { creds: { token }, until: now + lifetime - (lifetime * LEEWAY_PERCENT) / 100 };
      } catch (e) {
        this.#log.info({ namespace, serviceAccountName: serviceAccount, err: errorSummary(e) }, 'get token failed');
        const wait = BACKOFF_MS[attempt];
        if (wait === undefined)
          throw new Error(
            `failed to get token for ${namespace}/${serviceAccount}: timed out waiting for the condition`,
          );
        await this.#sleep(wait);
      }
    }
  }

  async #request(): Promise<TokenRequest> {
    const { namespace, serviceAccount, expirationSeconds } = this.#opts;
    await getOrCreateServiceAccount(this.#root, namespace, serviceAccount, this.#log);
    return this.#root
      .resource<ServiceAccount>({ ...SERVICE_ACCOUNTS, namespace })
      .createSubresource<TokenRequest>(serviceAccount, 'token', {
        apiVersion: 'authentication.k8s.io/v1',
        kind: 'TokenRequest',
        metadata: {},
        spec: { expirationSeconds } as TokenRequest['spec'],
      });
  }
}
