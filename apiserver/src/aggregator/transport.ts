// How the aggregator reaches an APIService's server (kube-aggregator's proxy transport): TLS to an
// endpoint of the Service, expecting the name `<service>.<namespace>.svc` in the serving certificate,
// trusting only the APIService's caBundle (unless insecureSkipTLSVerify), and presenting
// --proxy-client-cert-file. Connections are kept per APIService and dropped when any of that changes.
import { Agent } from 'node:https';
import type { APIService } from '@mkube/shared/api';
import type { CertKeyPair } from '@mkube/shared/tls';

export const serviceServerName = (s: APIService): string =>
  `${s.spec.service?.name ?? ''}.${s.spec.service?.namespace ?? ''}.svc`;

export class ProxyTransport {
  readonly #agents = new Map<string, { key: string; agent: Agent }>();

  constructor(private readonly pair: () => CertKeyPair | undefined) {}

  /** The current client pair (the discovery check presents it too). */
  clientPair(): CertKeyPair | undefined {
    return this.pair();
  }

  /** Verified connections to `s`'s server; a changed caBundle, flag or client pair gets a new agent. */
  agentFor(s: APIService): Agent {
    const name = s.metadata.name ?? '';
    const pair = this.pair();
    const insecure = s.spec.insecureSkipTLSVerify === true;
    const ca = s.spec.caBundle ? Buffer.from(s.spec.caBundle, 'base64').toString('utf8') : undefined;
    const key = `${insecure}\0${ca ?? ''}\0${pair?.certPem ?? ''}\0${pair?.keyPem ?? ''}`;
    const have = this.#agents.get(name);
    if (have?.key === key) return have.agent;
    have?.agent.destroy();
    const agent = new Agent({
      keepAlive: true,
      timeout: 60_000,
      rejectUnauthorized: !insecure,
      ...(ca ? { ca } : {}),
      ...(pair ? { cert: pair.certPem, key: pair.keyPem } : {}),
    });
    this.#agents.set(name, { key, agent });
    return agent;
  }

  /** The APIService is gone: its connections go too. */
  forget(name: string): void {
    this.#agents.get(name)?.agent.destroy();
    this.#agents.delete(name);
  }

  close(): void {
    for (const { agent } of this.#agents.values()) agent.destroy();
    this.#agents.clear();
  }
}
