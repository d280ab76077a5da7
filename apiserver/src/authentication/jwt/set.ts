// The apiserver's JWT authenticators as one token authenticator (upstream's tokenunion.NewFailOnError
// over them: only the authenticator of the token's issuer answers, so its error is the answer).
// With --authentication-config the file is watched and reloaded when its content changes, as
// kube-apiserver does: a file that does not load or validate keeps the running configuration (and
// is logged); an issuer whose discovery settings did not change keeps its fetched keys.
import { readFileSync } from 'node:fs';
import type { TokenAuthenticator, UserInfo } from '@mkube/shared/auth';
import type { Logger } from '@mkube/shared/log';
import { watchFileContent } from '../../config/filewatch.js';
import type { ConfigReloadHooks, JwtMetricsHooks } from '../../metrics/authconfig.js';
import { JwtAuthenticator } from './authenticator.js';
import { parseAuthenticationConfiguration } from './load.js';
import { RemoteProvider } from './provider.js';
import type { JWTAuthenticator } from './types.js';
import type { CompiledMappings } from './validation.js';

export interface JwtEntry {
  readonly config: JWTAuthenticator;
  readonly compiled: CompiledMappings;
}

export interface JwtAuthenticatorSetOptions {
  readonly entries: readonly JwtEntry[];
  readonly signingAlgs: readonly string[];
  readonly log: Logger;
  /** --authentication-config: watched for changes. */
  readonly file?: string;
  readonly disallowedIssuers?: readonly string[];
  /** How often the file's stat is polled (default 1 s; a change is loaded within a couple of them). */
  readonly pollIntervalMs?: number;
  readonly metrics?: {
    readonly jwt: JwtMetricsHooks;
    readonly reload: ConfigReloadHooks;
    /** An issuer left the configuration: its fetch series go. */
    forgetIssuer(issuer: string): void;
  };
}

const providerKey = (c: JWTAuthenticator) =>
  JSON.stringify([c.issuer.url, c.issuer.discoveryURL ?? '', c.issuer.certificateAuthority ?? '']);

export class JwtAuthenticatorSet implements TokenAuthenticator {
  readonly #opts: JwtAuthenticatorSetOptions;
  readonly #log: Logger;
  #members: JwtAuthenticator[] = [];
  #providers = new Map<string, RemoteProvider>();
  #unwatch: (() => void) | undefined;
  #closed = false;

  constructor(opts: JwtAuthenticatorSetOptions) {
    this.#opts = opts;
    this.#log = opts.log.child({ component: 'jwt-authenticator' });
  }

  /** Issuer URLs now configured (for logs and tests). */
  get issuers(): string[] {
    return this.#members.map((m) => m.issuerURL);
  }

  start(): void {
    this.#apply(this.#opts.entries);
    const file = this.#opts.file;
    if (file) this.#unwatch = watchFileContent(file, () => this.#reload(file), this.#opts.pollIntervalMs);
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#unwatch?.();
    const providers = [...this.#providers.values()];
    const members = this.#members;
    this.#providers.clear();
    this.#members = [];
    await Promise.all([...providers.map((p) => p.close()), ...members.map((m) => m.close())]);
  }

  async authenticateToken(token: string): Promise<UserInfo | null> {
    const metrics = this.#opts.metrics?.jwt;
    for (const m of this.#members) {
      const start = metrics ? performance.now() : 0;
      const seconds = () => (performance.now() - start) / 1000;
      let user: UserInfo | null;
      try {
        user = await m.authenticateToken(token);
      } catch (e) {
        metrics?.authenticated(m.issuerURL, 'failure', seconds());
        throw e;
      }
      // null: the token is another issuer's, which upstream does not time either.
      if (user) {
        metrics?.authenticated(m.issuerURL, 'success', seconds());
        return user;
      }
    }
    return null;
  }

  #reload(file: string): void {
    if (this.#closed) return;
    try {
      const loaded = parseAuthenticationConfiguration(readFileSync(file, 'utf8'), this.#opts.disallowedIssuers ?? []);
      this.#apply(loaded.jwt.map((config, i) => ({ config, compiled: loaded.compiled[i]! })));
      this.#opts.metrics?.reload.reloaded('success');
      this.#log.info({ file, issuers: this.issuers }, 'reloaded the authentication configuration');
    } catch (e) {
      this.#opts.metrics?.reload.reloaded('failure');
      this.#log.error(
        { file, err: (e as Error).message },
        'the authentication configuration did not load; keeping the running one',
      );
    }
  }

  #apply(entries: readonly JwtEntry[]): void {
    const next = new Map<string, RemoteProvider>();
    const members = entries.map((e) => {
      const key = providerKey(e.config);
      let provider = next.get(key) ?? this.#providers.get(key);
      if (!provider) {
        const issuer = e.config.issuer.url;
        provider = new RemoteProvider({
          issuerURL: issuer,
          discoveryURL: e.config.issuer.discoveryURL,
          caPem: e.config.issuer.certificateAuthority,
          onError: (message) => this.#log.error({ issuer, err: message }, 'oidc authenticator'),
          onReady: (jwksURI) => this.#log.info({ issuer, jwksURI }, 'oidc authenticator: initialized'),
          ...(this.#opts.metrics ? { onKeysFetched: this.#opts.metrics.jwt.keysFetched.bind(undefined, issuer) } : {}),
        });
        provider.start();
      }
      next.set(key, provider);
      return new JwtAuthenticator({
        config: e.config,
        compiled: e.compiled,
        signingAlgs: this.#opts.signingAlgs,
        provider,
        onDistributedClaimsError: (issuer, message) =>
          this.#log.error({ issuer, err: message }, 'oidc authenticator: distributed claims issuer'),
      });
    });
    const retired = [...this.#providers].filter(([k]) => !next.has(k)).map(([, p]) => p);
    const retiredMembers = this.#members;
    this.#providers = next;
    this.#members = members;
    for (const p of retired) {
      void p.close();
      // Unless another entry still names the issuer (through another discovery URL or CA).
      if (!entries.some((e) => e.config.issuer.url === p.issuerURL)) this.#opts.metrics?.forgetIssuer(p.issuerURL);
    }
    // Requests already inside a retired authenticator finish on its connections; they are few and short.
    for (const m of retiredMembers) void m.close();
  }
}
