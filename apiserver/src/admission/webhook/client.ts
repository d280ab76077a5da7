import { Agent, request } from 'node:https';
import { isIP } from 'node:net';
import { unbracketHost } from '@mkube/shared/net';
import { KUBERNETES_VERSION } from '../../discovery/version.js';
import { readLimitedBody } from '../../util/body.js';
import { goDialError } from '../../util/dialerror.js';
import type { WebhookCredentials } from './credentials.js';

/** The largest answer read from a webhook; a longer one fails the call. */
export const MAX_RESPONSE_BYTES = 3 * 1024 * 1024;
const MAX_AGENTS = 32;

export interface WebhookTarget {
  /** `https://host[:port]/path` (a service's is `https://<name>.<namespace>.svc:<port><path>`). */
  readonly url: string;
  /** The caBundle's PEM; the system roots when absent. */
  readonly caPem?: string;
  /** Where to connect instead of the URL's host (a service's endpoint); TLS still expects the URL's host. */
  readonly dial?: () => Promise<{ host: string; port: number }>;
  /** What the apiserver authenticates with (the plugin's kubeConfigFile); none when absent. */
  readonly credentials?: WebhookCredentials;
}

/** The call failed before a usable answer (upstream's ErrCallingWebhook reason). */
export class WebhookCallError extends Error {
  override readonly name = 'WebhookCallError';
}

function goStatusText(code: number, body: string): string {
  switch (code) {
    case 400:
      return 'the server rejected our request for an unknown reason';
    case 401:
      return 'Unauthorized';
    case 403:
      return 'Forbidden';
    case 404:
      return 'the server could not find the requested resource';
    case 405:
      return 'the server does not allow this method on the requested resource';
    case 429:
      return 'the server has received too many requests and has asked us to try again later';
    case 503:
      return 'the server is currently unable to handle the request';
    case 504:
      return 'the server was unable to return a response in the time allotted, but may still be processing the request';
    default:
      if (code >= 500) {
        const shown = body.length > 256 ? `${body.slice(0, 256)}...` : body;
        return `an error on the server (${JSON.stringify(shown)}) has prevented the request from succeeding`;
      }
      return `the server responded with the status code ${code} but did not return more information`;
  }
}

/** HTTPS agents by CA bundle and client certificate: connections are kept alive between calls to the same webhook. */
export class AdmissionWebhookClient {
  readonly #agents = new Map<string, Agent>();

  #agent(caPem: string | undefined, creds: WebhookCredentials | undefined): Agent {
    const cert = creds?.clientCertPem;
    const key = `${caPem ?? ''}\0${cert ?? ''}\0${creds?.clientKeyPem ?? ''}`;
    let agent = this.#agents.get(key);
    if (agent) {
      // Most recently used last, so the oldest is the one dropped.
      this.#agents.delete(key);
      this.#agents.set(key, agent);
      return agent;
    }
    agent = new Agent({
      keepAlive: true,
      timeout: 60_000,
      ...(caPem ? { ca: caPem } : {}),
      ...(cert ? { cert, key: creds?.clientKeyPem } : {}),
    });
    this.#agents.set(key, agent);
    if (this.#agents.size > MAX_AGENTS) {
      const [oldest, a] = this.#agents.entries().next().value as [string, Agent];
      this.#agents.delete(oldest);
      a.destroy();
    }
    return agent;
  }

  /** POSTs `body` (JSON) with `?timeout=<n>s`; resolves the decoded answer or rejects with a WebhookCallError. */
  async post(target: WebhookTarget, body: unknown, timeoutSeconds: number): Promise<unknown> {
    const url = new URL(target.url);
    url.search = `timeout=${timeoutSeconds}s`;
    // As Go prints the request URL: the configured one as written (an explicit :443 stays), plus the timeout.
    const shown = `Post ${JSON.stringify(`${target.url}?timeout=${timeoutSeconds}s`)}`;
    const deadline = Date.now() + timeoutSeconds * 1000;
    let host = unbracketHost(url.hostname);
    let port = Number(url.port || 443);
    if (target.dial) {
      try {
        ({ host, port } = await target.dial());
      } catch (e) {
        throw new WebhookCallError(`${shown}: ${(e as Error).message}`);
      }
    }
    const payload = Buffer.from(JSON.stringify(body));
    const creds = target.credentials;
    const auth: Record<string, string> = {};
    if (creds?.token !== undefined) auth.authorization = `Bearer ${creds.token}`;
    else if (creds?.username !== undefined) {
      auth.authorization = `Basic ${Buffer.from(`${creds.username}:${creds.password ?? ''}`).toString('base64')}`;
    }
    let agent: Agent;
    try {
      agent = this.#agent(target.caPem, creds);
    } catch (e) {
      // A certificate or key that does not load (the kubeconfig's), as client-go fails building its transport.
      throw new WebhookCallError(`${shown}: ${(e as Error).message}`);
    }
    const addr = isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`;
    const servername = unbracketHost(url.hostname);
    return new Promise((resolve, reject) => {
      let done = false;
      const finish = (err: Error | undefined, value?: unknown) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        if (err) {
          req.destroy();
          reject(err);
        } else resolve(value);
      };
      const req = request(
        {
          method: 'POST',
          host,
          port,
          path: `${url.pathname}${url.search}`,
          servername: isIP(servername) ? undefined : servername,
          headers: {
            host: url.host,
            'content-type': 'application/json',
            accept: 'application/json, */*',
            'content-length': payload.length,
            'user-agent': `kube-apiserver-admission/${KUBERNETES_VERSION.gitVersion} mkube`,
            ...auth,
          },
          // TLS verifies `servername` when set: the URL's name even when dialling a service's endpoint.
          agent,
        },
        (res) => {
          readLimitedBody(res, MAX_RESPONSE_BYTES).then(
            (text) => {
              const code = res.statusCode ?? 0;
              if (code < 200 || code > 206) {
                finish(new WebhookCallError(statusMessage(code, text)));
                return;
              }
              try {
                finish(undefined, JSON.parse(text));
              } catch (e) {
                finish(new WebhookCallError(`couldn't get version/kind; json parse error: ${(e as Error).message}`));
              }
            },
            (e: Error) => finish(new WebhookCallError(`${shown}: ${e.message}`)),
          );
        },
      );
      const timer = setTimeout(
        () => finish(new WebhookCallError(`${shown}: context deadline exceeded`)),
        Math.max(0, deadline - Date.now()),
      );
      req.on('socket', (s) => s.unref());
      req.on('error', (e: NodeJS.ErrnoException) =>
        finish(new WebhookCallError(`${shown}: ${goDialError(e, addr, host)}`)),
      );
      req.end(payload);
    });
  }

  close(): void {
    for (const a of this.#agents.values()) a.destroy();
    this.#agents.clear();
  }
}

/** A non-2xx answer: a Status body's message when there is one (client-go), else the generic text. */
function statusMessage(code: number, text: string): string {
  try {
    const s = JSON.parse(text) as { kind?: string; message?: string };
    if (s && s.kind === 'Status' && typeof s.message === 'string' && s.message) return s.message;
  } catch {
    // not a Status
  }
  return goStatusText(code, text);
}
