// Leader election on a coordination.k8s.io Lease, as client-go's leaderelection package does it:
// try to acquire every retryPeriod (jittered); a lease is free when its holder has not renewed
// within leaseDuration *as observed on our own clock* (no trust in other machines' clocks); the
// leader renews every retryPeriod and gives up if it cannot renew within renewDeadline. Updates
// carry the resourceVersion read, so two candidates can never both win one round.
import { type Lease, microTime } from '@mkube/shared/api';
import { isAlreadyExists, isConflict, isNotFound } from '@mkube/shared/apierrors';
import { type KubeClient, sleep } from '@mkube/shared/client';
import type { Logger } from '@mkube/shared/log';
import { errorSummary } from '@mkube/shared/workqueue';
import { RESOURCES } from '../informers/index.js';

export interface LeaderElectionConfig {
  readonly namespace: string;
  readonly name: string;
  readonly identity: string;
  readonly leaseDurationMs: number;
  readonly renewDeadlineMs: number;
  readonly retryPeriodMs: number;
  /** On graceful stop, hand the lease back so a standby takes over at once. */
  readonly releaseOnCancel?: boolean;
}

export interface LeaderCallbacks {
  /** Runs while leading; its signal aborts when leadership is lost or the elector stops. */
  onStartedLeading(signal: AbortSignal): void;
  onStoppedLeading(): void;
  onNewLeader?(identity: string): void;
}

const JITTER = 1.2;

export class LeaderElector {
  #observed?: Lease;
  #observedAt = 0;
  #leader = '';
  #renewedAt = 0;

  constructor(
    readonly client: KubeClient,
    readonly config: LeaderElectionConfig,
    readonly callbacks: LeaderCallbacks,
    readonly log: Logger,
  ) {
    const c = config;
    if (c.leaseDurationMs <= c.renewDeadlineMs) throw new Error('leaseDuration must be greater than renewDeadline');
    if (c.renewDeadlineMs <= JITTER * c.retryPeriodMs)
      throw new Error('renewDeadline must be greater than retryPeriod*1.2');
  }

  get leader(): string {
    return this.#leader;
  }

  isLeader(): boolean {
    return this.#leader === this.config.identity;
  }

  /** When this process last acquired or renewed the lease (epoch ms; 0 if never). */
  get renewedAt(): number {
    return this.#renewedAt;
  }

  /** Campaigns until `signal` aborts; returns after leadership (if any) is lost or given up. */
  async run(signal: AbortSignal): Promise<'stopped' | 'lost'> {
    const c = this.config;
    this.log.info({ lease: `${c.namespace}/${c.name}`, identity: c.identity }, 'attempting to acquire leader lease');
    while (!signal.aborted) {
      if (await this.#tryAcquireOrRenew()) break;
      await sleep(c.retryPeriodMs * (1 + Math.random() * (JITTER - 1)), signal);
    }
    if (signal.aborted) return 'stopped';
    this.log.info({ lease: `${c.namespace}/${c.name}`, identity: c.identity }, 'successfully acquired lease');
    this.#renewedAt = Date.now();
    const leading = new AbortController();
    const onStop = () => leading.abort();
    signal.addEventListener('abort', onStop, { once: true });
    this.callbacks.onStartedLeading(leading.signal);
    let outcome: 'stopped' | 'lost' = 'stopped';
    let lastRenew = Date.now();
    while (!signal.aborted) {
      await sleep(c.retryPeriodMs, signal);
      if (signal.aborted) break;
      if (await this.#tryAcquireOrRenew()) {
        lastRenew = Date.now();
        this.#renewedAt = lastRenew;
        continue;
      }
      if (Date.now() - lastRenew >= c.renewDeadlineMs || (this.#leader && !this.isLeader())) {
        outcome = 'lost';
        break;
      }
    }
    signal.removeEventListener('abort', onStop);
    leading.abort();
    if (outcome === 'lost') this.log.error({ identity: c.identity }, 'leaderelection lost');
    else if (c.releaseOnCancel) await this.#release();
    this.callbacks.onStoppedLeading();
    return outcome;
  }

  async #tryAcquireOrRenew(): Promise<boolean> {
    const c = this.config;
    const leases = this.client.resource<Lease>({ ...RESOURCES.leases, namespace: c.namespace });
    const now = new Date();
    const spec = {
      holderIdentity: c.identity,
      leaseDurationSeconds: Math.round(c.leaseDurationMs / 1000),
      acquireTime: microTime(now),
      renewTime: microTime(now),
      leaseTransitions: 0,
    };
    let cur: Lease;
    try {
      cur = await leases.get(c.name, { signal: AbortSignal.timeout(c.renewDeadlineMs) });
    } catch (err) {
      if (!isNotFound(err)) {
        this.log.warn({ err: errorSummary(err) }, 'error retrieving resource lock');
        return false;
      }
      try {
        const created = await leases.create({
          apiVersion: 'coordination.k8s.io/v1',
          kind: 'Lease',
          metadata: { name: c.name, namespace: c.namespace },
          spec,
        });
        this.#observe(created);
        return true;
      } catch (e) {
        if (!isAlreadyExists(e)) this.log.warn({ err: errorSummary(e) }, 'error initially creating leader lease');
        return false;
      }
    }
    this.#observe(cur);
    const holder = cur.spec?.holderIdentity ?? '';
    const durationMs = (cur.spec?.leaseDurationSeconds ?? 0) * 1000;
    if (holder !== '' && holder !== c.identity && this.#observedAt + durationMs > Date.now()) return false;
    if (holder === c.identity) {
      spec.acquireTime = cur.spec?.acquireTime ?? spec.acquireTime;
      spec.leaseTransitions = cur.spec?.leaseTransitions ?? 0;
    } else {
      spec.leaseTransitions = (cur.spec?.leaseTransitions ?? 0) + 1;
    }
    try {
      const updated = await leases.update({ ...cur, spec: { ...cur.spec, ...spec } });
      this.#observe(updated);
      return true;
    } catch (err) {
      if (!isConflict(err)) this.log.warn({ err: errorSummary(err) }, 'failed to update lock');
      return false;
    }
  }

  #observe(l: Lease): void {
    const prev = this.#observed;
    if (!prev || prev.metadata?.resourceVersion !== l.metadata?.resourceVersion) {
      this.#observed = l;
      this.#observedAt = Date.now();
    }
    const holder = l.spec?.holderIdentity ?? '';
    if (holder !== this.#leader) {
      this.#leader = holder;
      if (holder) {
        this.log.info({ leader: holder }, 'new leader elected');
        this.callbacks.onNewLeader?.(holder);
      }
    }
  }

  async #release(): Promise<void> {
    const c = this.config;
    const cur = this.#observed;
    if (!cur || cur.spec?.holderIdentity !== c.identity) return;
    const now = microTime(new Date());
    try {
      await this.client.resource<Lease>({ ...RESOURCES.leases, namespace: c.namespace }).update(
        {
          ...cur,
          spec: { ...cur.spec, holderIdentity: '', leaseDurationSeconds: 1, renewTime: now, acquireTime: now },
        },
        {
          signal: AbortSignal.timeout(c.renewDeadlineMs),
        },
      );
      this.log.info({ identity: c.identity }, 'released leader lease');
    } catch (err) {
      this.log.warn({ err: errorSummary(err) }, 'failed to release lock');
    }
  }
}
