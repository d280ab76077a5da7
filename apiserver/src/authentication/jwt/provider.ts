// An OpenID provider's discovery document and signing keys, as go-oidc's Provider and RemoteKeySet
// behave under kube-apiserver: discovery is retried every 10 s until it succeeds (a provider that
// runs on the cluster itself may come up later), the document's issuer must equal the configured
// URL, and the JWKS is fetched again when no cached key verifies a token (one fetch at a time:
// concurrent misses share it, as go-oidc's RemoteKeySet).
import { type CryptoKey, importJWK, type JWK } from 'jose';
import type { Agent } from 'undici';
import { boundedGet, issuerAgent } from './http.js';

const WELL_KNOWN = '/.well-known/openid-configuration';
const DISCOVERY_RETRY_MS = 10_000;

export interface ProviderOptions {
  readonly issuerURL: string;
  readonly discoveryURL?: string;
  /** PEM roots; absent: Node's bundled roots. */
  readonly caPem?: string;
  /** Called with each failure to reach the provider (never with token data). */
  readonly onError?: (message: string) => void;
  readonly onReady?: (jwksURI: string) => void;
  /** After each JWKS fetch (the document, on success), for the fetch metrics. */
  readonly onKeysFetched?: (result: 'success' | 'failure', keySet?: string) => void;
}

interface CachedKey {
  readonly jwk: JWK;
  readonly imported: Map<string, CryptoKey | null>;
}

export class RemoteProvider {
  readonly #opts: ProviderOptions;
  readonly #agent: Agent;
  #jwksURI: string | undefined;
  #keys: CachedKey[] = [];
  #inflight: Promise<void> | undefined;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;
  #firstAttempt: Promise<void> = Promise.resolve();

  constructor(opts: ProviderOptions) {
    this.#opts = opts;
    this.#agent = issuerAgent(opts.caPem);
  }

  /** Starts discovery in the background (PollImmediateUntil). */
  start(): void {
    this.#firstAttempt = this.#attempt();
  }

  /** Settles when the first discovery attempt has succeeded or failed (later ones retry in the background). */
  firstAttempt(): Promise<void> {
    return this.#firstAttempt;
  }

  #attempt(): Promise<void> {
    const attempt = async () => {
      this.#timer = undefined;
      if (this.#closed) return;
      try {
        await this.#discover();
        this.#opts.onReady?.(this.#jwksURI!);
      } catch (e) {
        this.#opts.onError?.(`initializing plugin: ${(e as Error).message}`);
        if (!this.#closed) this.#timer = setTimeout(attempt, DISCOVERY_RETRY_MS).unref();
      }
    };
    return attempt();
  }

  get issuerURL(): string {
    return this.#opts.issuerURL;
  }

  get initialized(): boolean {
    return this.#jwksURI !== undefined;
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
    await this.#agent.close().catch(() => undefined);
  }

  /** The cached keys that may have signed a token with this kid (all of them when it names none). */
  candidateKeys(kid: string | undefined, alg: string): Promise<CryptoKey[]> {
    return this.#importMatching(kid, alg);
  }

  /** Fetches the JWKS again (one request for all concurrent callers). */
  refresh(): Promise<void> {
    this.#inflight ??= this.#fetchKeys().finally(() => {
      this.#inflight = undefined;
    });
    return this.#inflight;
  }

  async #importMatching(kid: string | undefined, alg: string): Promise<CryptoKey[]> {
    const out: CryptoKey[] = [];
    for (const k of this.#keys) {
      if (kid !== undefined && k.jwk.kid !== kid) continue;
      if (k.jwk.use !== undefined && k.jwk.use !== 'sig') continue;
      if (k.jwk.alg !== undefined && k.jwk.alg !== alg) continue;
      let key = k.imported.get(alg);
      if (key === undefined) {
        // A key of another type than the algorithm's cannot verify it: remember that, quietly.
        key = await importJWK(k.jwk, alg).then(
          (x) => x as CryptoKey,
          () => null,
        );
        k.imported.set(alg, key);
      }
      if (key) out.push(key);
    }
    return out;
  }

  async #discover(): Promise<void> {
    const base = this.#opts.issuerURL.replace(/\/+$/, '');
    const url = this.#opts.discoveryURL ?? `${base}${WELL_KNOWN}`;
    const doc = (await this.#getJSON(url)) as { issuer?: unknown; jwks_uri?: unknown };
    if (doc.issuer !== this.#opts.issuerURL) {
      throw new Error(
        `oidc: issuer did not match the issuer returned by provider, expected ${JSON.stringify(this.#opts.issuerURL)} got ${JSON.stringify(doc.issuer)}`,
      );
    }
    if (typeof doc.jwks_uri !== 'string' || !doc.jwks_uri) throw new Error('oidc: discovery document has no jwks_uri');
    this.#jwksURI = doc.jwks_uri;
    // Through refresh(): a token checked while this first fetch runs waits for it instead of
    // sending a second one.
    await this.refresh().catch((e) => this.#opts.onError?.((e as Error).message));
  }

  async #fetchKeys(): Promise<void> {
    if (!this.#jwksURI) return;
    let text: string;
    let set: { keys?: unknown };
    try {
      const got = await this.#getJSONText(this.#jwksURI);
      text = got.text;
      set = got.json as { keys?: unknown };
      if (!Array.isArray(set.keys)) throw new Error(`oidc: get keys failed: ${this.#jwksURI}: no "keys" array`);
    } catch (e) {
      this.#opts.onKeysFetched?.('failure');
      throw e;
    }
    this.#opts.onKeysFetched?.('success', text);
    const old = new Map(this.#keys.map((k) => [JSON.stringify(k.jwk), k]));
    this.#keys = set.keys
      .filter((k): k is JWK => !!k && typeof k === 'object' && typeof (k as JWK).kty === 'string')
      .map((jwk) => old.get(JSON.stringify(jwk)) ?? { jwk, imported: new Map() });
  }

  async #getJSON(url: string): Promise<unknown> {
    return (await this.#getJSONText(url)).json;
  }

  async #getJSONText(url: string): Promise<{ text: string; json: unknown }> {
    const { statusCode, text } = await boundedGet(this.#agent, url, { accept: 'application/json' });
    if (statusCode !== 200) throw new Error(`${statusCode}: ${text.slice(0, 200)}`);
    try {
      return { text, json: JSON.parse(text) };
    } catch (e) {
      throw new Error(`oidc: failed to decode provider discovery object: ${(e as Error).message}`);
    }
  }
}
