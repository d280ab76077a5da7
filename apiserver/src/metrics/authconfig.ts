// The metrics of structured authentication and authorization (upstream's
// authentication/token/oidc/metrics.go and server/options/{authentication,authorization,encryption}config/
// metrics): the JWT authenticators' latency per issuer, their JWKS fetches, and the automatic
// reloads of --authentication-config, --authorization-config and --encryption-provider-config. Issuers and the apiserver's
// identity appear only as "sha256:<hex>" hashes, as upstream labels them.
import { createHash } from 'node:crypto';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** Upstream's getHash: empty for empty, else "sha256:" and the hex digest. */
export function labelHash(data: string): string {
  return data ? `sha256:${createHash('sha256').update(data).digest('hex')}` : '';
}

export type ReloadStatus = 'success' | 'failure';

/** What a configuration watcher reports after each change it read. */
export interface ConfigReloadHooks {
  reloaded(status: ReloadStatus): void;
}

/** What the JWT authenticators report. */
export interface JwtMetricsHooks {
  /** A token of this issuer was checked (upstream records nothing for a token of another issuer). */
  authenticated(issuer: string, result: ReloadStatus, seconds: number): void;
  /** The issuer's JWKS was fetched (`keySet`: the document, on success). */
  keysFetched(issuer: string, result: ReloadStatus, keySet?: string): void;
}

export class AuthConfigMetrics {
  readonly #idHash: string;
  readonly #jwtLatency: Histogram<string>;
  readonly #jwksFetched: Gauge<string>;
  readonly #keySets = new Map<string, string>();
  readonly #issuerHashes = new Map<string, string>();

  /** Hooks of the --authentication-config watcher. */
  readonly authentication: ConfigReloadHooks;
  /** Hooks of the --authorization-config watcher. */
  readonly authorization: ConfigReloadHooks;
  /** Hooks of the --encryption-provider-config watcher (--encryption-provider-config-automatic-reload). */
  readonly encryption: ConfigReloadHooks;
  readonly jwt: JwtMetricsHooks;

  constructor(registry: Registry, apiserverId: string) {
    this.#idHash = labelHash(apiserverId);
    this.#jwtLatency = new Histogram({
      name: 'apiserver_authentication_jwt_authenticator_latency_seconds',
      help: '[ALPHA] Latency of jwt authentication operations in seconds. This is the time spent authenticating a token for cache miss only (i.e. when the token is not found in the cache).',
      labelNames: ['result', 'jwt_issuer_hash'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    });
    this.#jwksFetched = new Gauge({
      name: 'apiserver_authentication_jwt_authenticator_jwks_fetch_last_timestamp_seconds',
      help: '[ALPHA] Timestamp of the last successful or failed JWKS fetch split by result, api server identity and jwt issuer for the JWT authenticator.',
      labelNames: ['result', 'jwt_issuer_hash', 'apiserver_id_hash'],
      registers: [registry],
    });
    const keySets = this.#keySets;
    const idHash = this.#idHash;
    new Gauge({
      name: 'apiserver_authentication_jwt_authenticator_jwks_fetch_last_key_set_info',
      help: '[ALPHA] Information about the last JWKS fetched by the JWT authenticator with hash as label, split by api server identity and jwt issuer.',
      labelNames: ['jwt_issuer_hash', 'apiserver_id_hash', 'hash'],
      registers: [registry],
      collect() {
        this.reset();
        for (const [issuerHash, hash] of keySets)
          this.set({ jwt_issuer_hash: issuerHash, apiserver_id_hash: idHash, hash }, 1);
      },
    });
    this.authentication = this.#reloads(registry, 'authentication');
    this.authorization = this.#reloads(registry, 'authorization');
    this.encryption = this.#reloads(registry, 'encryption', 'ALPHA');
    this.jwt = {
      authenticated: (issuer, result, seconds) =>
        this.#jwtLatency.observe({ result, jwt_issuer_hash: this.#issuerHash(issuer) }, seconds),
      keysFetched: (issuer, result, keySet) => {
        const issuerHash = this.#issuerHash(issuer);
        if (result === 'success' && keySet !== undefined) this.#keySets.set(issuerHash, labelHash(keySet));
        this.#jwksFetched.setToCurrentTime({ result, jwt_issuer_hash: issuerHash, apiserver_id_hash: this.#idHash });
      },
    };
  }

  /** An issuer left the configuration: its JWKS series go, as upstream's DeleteJWKSFetchMetrics. */
  forgetIssuer(issuer: string): void {
    const issuerHash = this.#issuerHash(issuer);
    this.#keySets.delete(issuerHash);
    for (const result of ['success', 'failure'])
      this.#jwksFetched.remove({ result, jwt_issuer_hash: issuerHash, apiserver_id_hash: this.#idHash });
  }

  #issuerHash(issuer: string): string {
    let h = this.#issuerHashes.get(issuer);
    if (h === undefined) {
      h = labelHash(issuer);
      this.#issuerHashes.set(issuer, h);
    }
    return h;
  }

  #reloads(
    registry: Registry,
    what: 'authentication' | 'authorization' | 'encryption',
    stability: 'ALPHA' | 'BETA' = 'BETA',
  ): ConfigReloadHooks {
    const total = new Counter({
      name: `apiserver_${what}_config_controller_automatic_reloads_total`,
      help: `[${stability}] Total number of automatic reloads of ${what} configuration split by status and apiserver identity.`,
      labelNames: ['status', 'apiserver_id_hash'],
      registers: [registry],
    });
    const last = new Gauge({
      name: `apiserver_${what}_config_controller_automatic_reload_last_timestamp_seconds`,
      help: `[${stability}] Timestamp of the last automatic reload of ${what} configuration split by status and apiserver identity.`,
      labelNames: ['status', 'apiserver_id_hash'],
      registers: [registry],
    });
    return {
      reloaded: (status) => {
        total.inc({ status, apiserver_id_hash: this.#idHash });
        last.setToCurrentTime({ status, apiserver_id_hash: this.#idHash });
      },
    };
  }
}
