// kube-apiserver's identity Lease (APIServerIdentity, on by default): each apiserver holds Lease
// kube-system/apiserver-<hash of hostname> labelled apiserver.kubernetes.io/identity=kube-apiserver,
// renewed every 10 s for 3600 s, so `kubectl get leases -n kube-system -l
// apiserver.kubernetes.io/identity` lists the apiservers that run; and every hour each apiserver
// deletes the identity Leases in kube-system that expired (apiserverleasegc), those of apiservers
// that went away.
import { createHash, randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { type Lease, microTime } from '@mkube/shared/api';
import { isAlreadyExists, isConflict, isNotFound } from '@mkube/shared/apierrors';
import type { Logger } from '@mkube/shared/log';
import { EVERYTHING } from '../registry/filter.js';
import type { Registries } from '../registry/index.js';
import { apiserverContext } from '../registry/strategy.js';

export const IDENTITY_LEASE_LABEL = 'apiserver.kubernetes.io/identity';
export const KUBE_APISERVER = 'kube-apiserver';
const NAMESPACE = 'kube-system';
const HOSTNAME_LABEL = 'kubernetes.io/hostname';

export interface IdentityLeaseTiming {
  /** IdentityLeaseDurationSeconds. */
  readonly durationSeconds: number;
  /** IdentityLeaseRenewIntervalPeriod. */
  readonly renewMs: number;
  /** IdentityLeaseGCPeriod. */
  readonly gcMs: number;
}

const UPSTREAM: IdentityLeaseTiming = { durationSeconds: 3600, renewMs: 10_000, gcMs: 3_600_000 };

/** RFC 4648 base32 without padding, as Go's base32.StdEncoding.WithPadding(NoPadding). */
function base32(bytes: Uint8Array): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let out = '';
  let bits = 0;
  let value = 0;
  for (const b of bytes) {
    value = (value << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += alphabet[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += alphabet[(value << (5 - bits)) & 31];
  return out;
}

/** A uint16-length-prefixed string, as cryptobyte's AddUint16LengthPrefixed. */
const prefixed = (s: string) => {
  const b = Buffer.from(s, 'utf8');
  const len = Buffer.alloc(2);
  len.writeUInt16BE(b.length);
  return Buffer.concat([len, b]);
};

/** The apiserver's identity: apiserver-<base32(sha256(hostname, "kube-apiserver"))[:16 bytes]>, lower-cased. */
export function apiserverIdentity(host: string): string {
  const hash = createHash('sha256')
    .update(Buffer.concat([prefixed(host), prefixed(KUBE_APISERVER)]))
    .digest();
  return `apiserver-${base32(hash.subarray(0, 16)).toLowerCase()}`;
}

export class IdentityLeaseController {
  readonly id: string;
  readonly #holder: string;
  readonly #host: string;
  readonly #timing: IdentityLeaseTiming;
  #renewTimer?: NodeJS.Timeout;
  #gcTimer?: NodeJS.Timeout;

  constructor(
    private readonly registries: Registries,
    private readonly log: Logger,
    opts: { hostname?: string; timing?: Partial<IdentityLeaseTiming> } = {},
  ) {
    this.#host = opts.hostname ?? hostname();
    this.id = apiserverIdentity(this.#host);
    // One holder per process: a restarted apiserver takes its lease over.
    this.#holder = `${this.id}_${randomUUID()}`;
    this.#timing = { ...UPSTREAM, ...opts.timing };
  }

  /**
   * Renews the lease now and every renewMs (upstream's start-kube-apiserver-identity-lease-controller
   * hook); resolves once this apiserver holds it.
   */
  startRenewing(): Promise<void> {
    let held!: () => void;
    const first = new Promise<void>((resolve) => {
      held = resolve;
    });
    const renew = () =>
      void this.renew()
        .then(held)
        .catch((e: unknown) =>
          this.log.warn({ err: (e as Error).message, lease: this.id }, 'failed to renew the apiserver identity lease'),
        );
    renew();
    this.#renewTimer = setInterval(renew, this.#timing.renewMs);
    this.#renewTimer.unref();
    return first;
  }

  /** Collects expired identity leases every gcMs (the start-kube-apiserver-identity-lease-garbage-collector hook). */
  startCollecting(): void {
    const gc = () =>
      void this.collectExpired().catch((e: unknown) =>
        this.log.warn({ err: (e as Error).message }, 'failed to collect expired apiserver identity leases'),
      );
    this.#gcTimer = setInterval(gc, this.#timing.gcMs);
    this.#gcTimer.unref();
  }

  stop(): void {
    clearInterval(this.#renewTimer);
    clearInterval(this.#gcTimer);
  }

  /** Creates the lease, or renews it (taking it over from an earlier process of this apiserver). */
  async renew(): Promise<void> {
    const leases = this.registries.get('coordination.k8s.io', 'leases')!;
    const now = microTime();
    const write = { dryRun: false };
    const labels = { [IDENTITY_LEASE_LABEL]: KUBE_APISERVER, [HOSTNAME_LABEL]: this.#host };
    try {
      await leases.guaranteedUpdate(NAMESPACE, this.id, '', apiserverContext(), write, undefined, (cur) => {
        const l = cur as Lease;
        const mine = l.spec?.holderIdentity === this.#holder;
        return {
          ...l,
          metadata: { ...l.metadata, labels: { ...l.metadata?.labels, ...labels } },
          spec: {
            ...l.spec,
            holderIdentity: this.#holder,
            leaseDurationSeconds: this.#timing.durationSeconds,
            ...(mine ? {} : { acquireTime: now }),
            renewTime: now,
          },
        };
      });
    } catch (e) {
      if (!isNotFound(e)) throw e;
      try {
        await leases.create(
          NAMESPACE,
          {
            apiVersion: 'coordination.k8s.io/v1',
            kind: 'Lease',
            metadata: { name: this.id, labels },
            spec: {
              holderIdentity: this.#holder,
              leaseDurationSeconds: this.#timing.durationSeconds,
              acquireTime: now,
              renewTime: now,
            },
          } as Lease,
          apiserverContext(),
          write,
        );
      } catch (err) {
        if (!isAlreadyExists(err)) throw err;
      }
    }
  }

  /** apiserverleasegc: deletes identity Leases in kube-system whose renewTime + duration has passed. */
  async collectExpired(now = Date.now()): Promise<string[]> {
    const leases = this.registries.get('coordination.k8s.io', 'leases')!;
    const { items } = await leases.list({ namespace: NAMESPACE, filter: EVERYTHING });
    const deleted: string[] = [];
    for (const l of items as Lease[]) {
      if (l.metadata?.labels?.[IDENTITY_LEASE_LABEL] !== KUBE_APISERVER) continue;
      if (!expired(l, now)) continue;
      try {
        await leases.delete(
          NAMESPACE,
          l.metadata.name!,
          { uid: l.metadata.uid, resourceVersion: l.metadata.resourceVersion },
          { dryRun: false },
          apiserverContext(),
        );
        deleted.push(l.metadata.name!);
        this.log.info({ lease: l.metadata.name }, 'deleted an expired apiserver identity lease');
      } catch (e) {
        // Renewed or deleted meanwhile: not expired any more, or already gone.
        if (!isNotFound(e) && !isConflict(e)) throw e;
      }
    }
    return deleted;
  }
}

function expired(l: Lease, now: number): boolean {
  const renewed = Date.parse(l.spec?.renewTime ?? l.spec?.acquireTime ?? '');
  const duration = l.spec?.leaseDurationSeconds;
  if (!Number.isFinite(renewed) || duration === undefined) return false;
  return renewed + duration * 1000 < now;
}
