// The client that reads a kubelet's /metrics/resource (metrics-server pkg/scraper/client/resource):
// the node's address by the preferred types, its port from the flag or the node's status, TLS
// verified against --kubelet-certificate-authority (or the kubeconfig's CA), and the kubelet asked as
// metrics-server's own identity — a client certificate, or the kubeconfig's bearer token.
import { type Node, nodeStatusKubeletPort, preferredNodeAddress } from '@mkube/shared/api';
import { Agent, request } from 'undici';
import type { KubeletClientConfig } from '../options/config.js';
import { decodeBatch, type NodeScrape } from './decode.js';

/** The largest /metrics/resource body read (upstream caps it at 10 MiB). */
const MAX_BODY_BYTES = 10 * 1024 * 1024;

export class KubeletClient {
  readonly #agent: Agent;

  constructor(readonly config: KubeletClientConfig) {
    this.#agent = new Agent({
      connect: {
        ...(config.caPem ? { ca: config.caPem } : {}),
        rejectUnauthorized: !config.insecure,
        ...(config.certPem && config.keyPem ? { cert: config.certPem, key: config.keyPem } : {}),
      },
      keepAliveTimeout: 60_000,
    });
  }

  /** host:port of the node's kubelet; throws with upstream's words when no address fits. */
  location(node: Node): { host: string; port: number } {
    const host = preferredNodeAddress(node, this.config.addressTypes);
    if (!host) {
      throw new Error(
        `node ${JSON.stringify(node.metadata.name ?? '')} had no addresses that matched types [${this.config.addressTypes.join(' ')}]`,
      );
    }
    const statusPort = this.config.useNodeStatusPort ? nodeStatusKubeletPort(node) : undefined;
    return { host, port: statusPort ?? this.config.port };
  }

  async scrape(node: Node): Promise<NodeScrape> {
    const { host, port } = this.location(node);
    const hostPort = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
    const url = `https://${hostPort}/metrics/resource`;
    const headers: Record<string, string> = { accept: 'text/plain' };
    if (this.config.token) headers.authorization = `Bearer ${this.config.token}`;
    const res = await request(url, {
      dispatcher: this.#agent,
      headers,
      signal: AbortSignal.timeout(this.config.timeoutMs),
    });
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of res.body) {
      size += (chunk as Buffer).length;
      if (size > MAX_BODY_BYTES) {
        res.body.destroy();
        throw new Error(`GET "${url}": response exceeds ${MAX_BODY_BYTES} bytes`);
      }
      chunks.push(chunk as Buffer);
    }
    if (res.statusCode !== 200) {
      throw new Error(`request failed, status: "${res.statusCode}"`);
    }
    return decodeBatch(Buffer.concat(chunks).toString('utf8'), Date.now());
  }

  close(): Promise<void> {
    return this.#agent.close();
  }
}
