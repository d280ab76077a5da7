// Credentials fetched while requests run (client-go's exec credential plugins), not fixed when the
// client is made: the client asks before each request and reports a 401 made with what it got.

/** What a provider hands the client for one request: a bearer token, a client certificate, or both. */
export interface ProvidedCredentials {
  readonly token?: string;
  readonly clientCertPem?: string;
  readonly clientKeyPem?: string;
}

export interface CredentialProvider {
  /** The current credentials, fetched (once for all concurrent callers) when none are cached or they expired. */
  get(): Promise<ProvidedCredentials>;
  /** The cached credentials when they are still good, without waiting (most requests); else undefined. */
  peek?(): ProvidedCredentials | undefined;
  /**
   * The apiserver answered 401 to a request sent with `used`: unless they were replaced meanwhile,
   * they are dropped and the next request fetches new ones (client-go's maybeRefreshCreds).
   */
  unauthorized(used: ProvidedCredentials): void;
}

/** What a provider's fetch gives: the credentials, and the epoch ms up to which they are reused. */
export interface FetchedCredentials {
  readonly creds: ProvidedCredentials;
  /** Undefined: reused until a 401 made with them. */
  readonly until?: number;
}

/**
 * The cache every provider here shares (client-go's cached token source and exec authenticator):
 * one fetch for all concurrent callers, its credentials reused up to `until`, dropped at once when
 * the apiserver answers 401 to a request made with them.
 */
export abstract class CachingCredentialProvider implements CredentialProvider {
  #cached: FetchedCredentials | undefined;
  #running: Promise<ProvidedCredentials> | undefined;

  protected constructor(protected readonly now: () => number) {}

  /** Gets fresh credentials (the plugin's run, a TokenRequest…). */
  protected abstract fetch(): Promise<FetchedCredentials>;

  peek(): ProvidedCredentials | undefined {
    const c = this.#cached;
    return c && (c.until === undefined || this.now() <= c.until) ? c.creds : undefined;
  }

  get(): Promise<ProvidedCredentials> {
    const c = this.#cached;
    if (c && (c.until === undefined || this.now() <= c.until)) return Promise.resolve(c.creds);
    this.#running ??= this.fetch()
      .then((f) => {
        this.#cached = f;
        return f.creds;
      })
      .finally(() => {
        this.#running = undefined;
      });
    return this.#running;
  }

  unauthorized(used: ProvidedCredentials): void {
    if (this.#cached?.creds === used) this.#cached = undefined;
  }
}
