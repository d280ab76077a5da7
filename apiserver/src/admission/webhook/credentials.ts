// The credentials the apiserver presents to an admission webhook, from the kubeconfig that the
// plugin's WebhookAdmissionConfiguration names (k8s.io/apiserver pkg/util/webhook
// defaultAuthenticationInfoResolver). Users are looked up by the webhook's host[:port] — a URL's
// host as written, `<service>.<namespace>.svc:<port>` for a service — in upstream's order:
//   1. the exact name, then `*.`-prefixed suffixes (`*.ns.svc:443`, `*.svc:443`);
//   2. with port 443, the same again without the port;
//   3. `*`, then the current context's user;
//   4. else no credentials.

import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import type { Kubeconfig, KubeconfigUser } from '@mkube/shared/kubeconfig';
import { unbracketHost } from '@mkube/shared/net';
import { parseURL } from '../cel/url.js';

export interface WebhookCredentials {
  readonly clientCertPem?: string;
  readonly clientKeyPem?: string;
  readonly token?: string;
  readonly username?: string;
  readonly password?: string;
}

/** The kubeconfig user that upstream's resolver picks for `target` (host[:port]); undefined: anonymous. */
export function webhookUserFor(cfg: Kubeconfig, target: string): string | undefined {
  const names = new Set(cfg.users.map((u) => u.name));
  const lookup = (t: string): string | undefined => {
    if (names.has(t)) return t;
    const steps = t.split('.');
    for (let i = 1; i < steps.length; i++) {
      const nick = `*.${steps.slice(i).join('.')}`;
      if (names.has(nick)) return nick;
    }
    return undefined;
  };
  const found = lookup(target);
  if (found) return found;
  const m = /^(.*):443$/.exec(target);
  if (m) {
    const withoutPort = lookup(unbracketHost(m[1]!));
    if (withoutPort) return withoutPort;
  }
  if (names.has('*')) return '*';
  const ctx = cfg.contexts.find((c) => c.name === cfg['current-context']);
  if (ctx?.context.user && names.has(ctx.context.user)) return ctx.context.user;
  return undefined;
}

/**
 * host[:port] of a webhook URL as Go's url.URL.Host keeps it: the port only when written (`:443`
 * included, which WHATWG URL would drop), without user info.
 */
export function urlHostPort(url: string): string {
  try {
    return parseURL(url).host;
  } catch {
    // Stored webhook URLs were validated; an unparsable one names no user.
    return '';
  }
}

/** Resolves and caches each user's credentials (files read once, relative to the kubeconfig). */
export class WebhookAuthenticationResolver {
  readonly #byUser = new Map<string, Promise<WebhookCredentials>>();

  constructor(private readonly cfg: Kubeconfig | undefined) {}

  /** The credentials for host[:port]; a missing or unreadable file rejects with an Error naming it. */
  async credentialsFor(target: string): Promise<WebhookCredentials> {
    if (!this.cfg) return {};
    const name = webhookUserFor(this.cfg, target);
    if (name === undefined) return {};
    let p = this.#byUser.get(name);
    if (!p) {
      const user = this.cfg.users.find((u) => u.name === name)!.user;
      p = this.#resolve(name, user);
      this.#byUser.set(name, p);
      // A file that could not be read is tried again on the next call.
      p.catch(() => this.#byUser.delete(name));
    }
    return p;
  }

  async #resolve(name: string, user: KubeconfigUser): Promise<WebhookCredentials> {
    const source = this.cfg?.source;
    const base = source ? dirname(source) : process.cwd();
    const read = async (field: string, p: string): Promise<string> => {
      const path = isAbsolute(p) ? p : resolve(base, p);
      try {
        return await readFile(path, 'utf8');
      } catch (e) {
        throw new Error(
          `kubeconfig ${source ?? ''} user ${JSON.stringify(name)}: ${field}: cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
        );
      }
    };
    const data = (v: string) => Buffer.from(v, 'base64').toString('utf8');
    const out: {
      clientCertPem?: string;
      clientKeyPem?: string;
      token?: string;
      username?: string;
      password?: string;
    } = {};
    // restConfigFromKubeconfig: token before tokenFile; a certificate only with its key.
    if (user.token) out.token = user.token;
    else if (user.tokenFile) out.token = (await read('tokenFile', user.tokenFile)).trim();
    if (user['client-certificate'] || user['client-certificate-data']) {
      out.clientCertPem = user['client-certificate-data']
        ? data(user['client-certificate-data'])
        : await read('client-certificate', user['client-certificate']!);
      const key = user['client-key-data']
        ? data(user['client-key-data'])
        : user['client-key']
          ? await read('client-key', user['client-key'])
          : undefined;
      if (!key)
        throw new Error(`kubeconfig ${source ?? ''} user ${JSON.stringify(name)}: client certificate without a key`);
      out.clientKeyPem = key;
    }
    if (user.username || user.password) {
      out.username = user.username ?? '';
      out.password = user.password ?? '';
    }
    // client-go's transport refuses the two together.
    if (out.token !== undefined && out.username !== undefined) {
      throw new Error('username/password or bearer token may be set, but not both');
    }
    return out;
  }
}
