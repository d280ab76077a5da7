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
  /**
   * The apiserver answered 401 to a request sent with `used`: unless they were replaced meanwhile,
   * they are dropped and the next request fetches new ones (client-go's maybeRefreshCreds).
   */
  unauthorized(used: ProvidedCredentials): void;
}
