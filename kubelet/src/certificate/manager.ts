// client-go's certificate manager, as the kubelet runs one for its client and one for its serving
// pair: load the stored pair; if there is none, or it no longer matches the template (subject,
// SANs), request one now; otherwise sleep until a jittered 70–90 % of its lifetime and renew. A new
// key is generated for every attempt and held in memory until the issued pair is stored. Failures
// back off (2 s doubling to 32 s, then every 32 s) — never a hot loop.
import type { KubeClient } from '@mkube/shared/client';
import { Backoff, sleep } from '@mkube/shared/client';
import type { Logger } from '@mkube/shared/log';
import { encodePrivateKeyPem, generateKeyPair, type ParsedCertificate } from '@mkube/shared/pki';
import { type CertificateRequest, createCertificateRequest, waitForCertificate } from './csr.js';
import type { CertificateFileStore, StoredPair } from './store.js';

export interface CertificateManagerOptions {
  /** `client` or `serving`: names the pair in logs. */
  readonly name: string;
  readonly store: CertificateFileStore;
  /** What to ask for; undefined while a request cannot be formed yet (a serving cert before any IP). */
  readonly template: () => CertificateRequest | undefined;
  /** The client to post the CSR with (the bootstrap credentials while there is no client cert). */
  readonly client: () => KubeClient;
  /** Renew as the pair ages; without it only a missing or unusable pair is requested. */
  readonly rotate: boolean;
  readonly log: Logger;
  /** Called with every pair that becomes current (the loaded one first). */
  readonly onCertificate: (pair: StoredPair) => void | Promise<void>;
  readonly random?: () => number;
  readonly waitTimeoutMs?: number;
  /** client-go's CertificateRenewFailure and CertificateRotation (the kubelet's /metrics). */
  readonly metrics?: CertificateManagerMetrics;
}

export interface CertificateManagerMetrics {
  /** A request for a new pair failed (it is retried with backoff). */
  renewFailed(): void;
  /** A new pair replaced one that had lived `seconds` since its notBefore. */
  rotated(seconds: number): void;
}

/** client-go's nextRotationDeadline: notBefore + a uniformly random point in [70 %, 90 %) of the lifetime. */
export function rotationDeadline(cert: ParsedCertificate, random: () => number = Math.random): number {
  const nb = cert.notBefore.getTime();
  const total = cert.notAfter.getTime() - nb;
  return nb + total * (0.7 + 0.2 * random());
}

const sorted = (a: readonly string[] | undefined) => [...(a ?? [])].sort().join(',');

/** Whether a stored certificate still says what the template asks for (else: re-request now). */
export function matchesTemplate(cert: ParsedCertificate, t: CertificateRequest): boolean {
  return (
    cert.subject.commonName === (t.subject.commonName ?? '') &&
    sorted(cert.subject.organizations) === sorted(t.subject.organizations) &&
    sorted(cert.dnsNames) === sorted(t.sans?.dnsNames) &&
    sorted(cert.ipAddresses) === sorted(t.sans?.ipAddresses)
  );
}

export class CertificateManager {
  #current: StoredPair | null = null;
  #wake: (() => void) | undefined;
  #running: Promise<void> | undefined;
  readonly #stop = new AbortController();

  constructor(private readonly o: CertificateManagerOptions) {}

  get current(): StoredPair | null {
    return this.#current;
  }

  /** Loads the stored pair (firing onCertificate when usable) and starts the renewal loop. */
  async start(): Promise<void> {
    const pair = await this.o.store.current();
    const t = this.o.template();
    if (pair && (!t || matchesTemplate(pair.leaf, t))) {
      this.#current = pair;
      await this.o.onCertificate(pair);
    } else if (pair) {
      this.o.log.info({ pair: this.o.name }, 'the stored certificate no longer matches the node; requesting a new one');
    }
    this.#running = this.#loop();
  }

  /** The template may have changed (the node's addresses became known): look again now. */
  kick(): void {
    this.#wake?.();
  }

  async stop(): Promise<void> {
    this.#stop.abort();
    this.#wake?.();
    await this.#running;
  }

  #due(): number | undefined {
    const t = this.o.template();
    if (!t) return undefined;
    const cur = this.#current;
    if (!cur || !matchesTemplate(cur.leaf, t)) return Date.now();
    if (!this.o.rotate) return undefined;
    return rotationDeadline(cur.leaf, this.o.random);
  }

  async #sleepUntil(at: number | undefined): Promise<void> {
    const signal = this.#stop.signal;
    if (signal.aborted) return;
    const ms = at === undefined ? 2 ** 31 - 1 : Math.min(2 ** 31 - 1, at - Date.now());
    if (ms <= 0) return;
    const woken = new AbortController();
    this.#wake = () => woken.abort();
    await sleep(ms, AbortSignal.any([signal, woken.signal]));
    this.#wake = undefined;
  }

  async #loop(): Promise<void> {
    const signal = this.#stop.signal;
    const backoff = new Backoff({ initialMs: 2000, factor: 2, maxMs: 32_000, jitter: 0.1, random: this.o.random });
    while (!signal.aborted) {
      const due = this.#due();
      if (due === undefined || due > Date.now()) {
        if (due !== undefined && this.#current)
          this.o.log.info(
            {
              pair: this.o.name,
              expiration: this.#current.leaf.notAfter.toISOString(),
              rotation: new Date(due).toISOString(),
            },
            'certificate rotation deadline',
          );
        await this.#sleepUntil(due);
        continue;
      }
      try {
        const pair = await this.#request();
        backoff.reset();
        const previous = this.#current;
        this.#current = pair;
        if (previous) this.o.metrics?.rotated((Date.now() - previous.leaf.notBefore.getTime()) / 1000);
        await this.o.onCertificate(pair);
      } catch (e) {
        if (signal.aborted) break;
        this.o.metrics?.renewFailed();
        const delay = backoff.next();
        this.o.log.error(
          { pair: this.o.name, err: (e as Error).message, retryInMs: delay },
          'certificate request failed',
        );
        await sleep(delay, signal);
      }
    }
  }

  async #request(): Promise<StoredPair> {
    const t = this.o.template();
    if (!t) throw new Error('no certificate template yet');
    const key = await generateKeyPair('ecdsa-p256');
    const client = this.o.client();
    const csr = await createCertificateRequest(client, key, t);
    this.o.log.info(
      { pair: this.o.name, csr: csr.metadata?.name, signer: t.signerName },
      'certificate signing request created',
    );
    const certPem = await waitForCertificate(client, csr, {
      signal: this.#stop.signal,
      timeoutMs: this.o.waitTimeoutMs ?? 15 * 60_000,
    });
    const pair = await this.o.store.update(certPem, encodePrivateKeyPem(key), key);
    this.o.log.info(
      { pair: this.o.name, csr: csr.metadata?.name, file: pair.file, expiration: pair.leaf.notAfter.toISOString() },
      'certificate issued and stored',
    );
    return pair;
  }
}
