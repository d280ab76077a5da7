// service-cidr-controller (k8s pkg/controller/servicecidrs): every ServiceCIDR carries
// networking.k8s.io/service-cidr-finalizer and is marked Ready; once deleted, the finalizer stays
// while an allocator-made IPAddress would be left in no range (then Ready=False, Terminating), unless
// another ServiceCIDR covers the whole range, and goes a grace period after the deletion (so no
// apiserver still allocating from the range can leave an address behind). Keys are ServiceCIDR names;
// a ServiceCIDR's changes re-check the ranges it overlaps, an IPAddress's the ranges that hold it.
import {
  IP_ALLOCATOR_CONTROLLER,
  type IPAddress,
  LABEL_IP_ADDRESS_MANAGED_BY,
  metaTime,
  SERVICE_CIDR_CONDITION_READY,
  SERVICE_CIDR_FINALIZER,
  SERVICE_CIDR_REASON_TERMINATING,
  type ServiceCIDR,
} from '@mkube/shared/api';
import { isNotFound } from '@mkube/shared/apierrors';
import { type KubeClient, PatchType, type ResourceRef } from '@mkube/shared/client';
import type { Logger } from '@mkube/shared/log';
import { type Controller, runQueue, WorkQueue } from '../controller.js';
import type { SharedInformer } from '../informers/index.js';
import { rangeContains, rangeHoldsIp, ranges } from './ranges.js';

export const SERVICE_CIDR_CONTROLLER = 'service-cidr-controller';
export const SERVICE_CIDR_SA = 'service-cidrs-controller';
export const SERVICE_CIDRS = {
  group: 'networking.k8s.io',
  version: 'v1',
  resource: 'servicecidrs',
} as const satisfies ResourceRef;
export const IP_ADDRESSES = {
  group: 'networking.k8s.io',
  version: 'v1',
  resource: 'ipaddresses',
} as const satisfies ResourceRef;

/** Upstream's deletionGracePeriod. */
export const DELETION_GRACE_MS = 10_000;
const WORKERS = 5;
const READY_MESSAGE = 'Kubernetes Service CIDR is ready';
const TERMINATING_MESSAGE =
  'There are still IPAddresses referencing the ServiceCIDR, please remove them or create a new ServiceCIDR';

export interface ServiceCIDRTiming {
  readonly deletionGraceMs?: number;
  readonly now?: () => number;
}

const managed = (ip: IPAddress) => ip.metadata.labels?.[LABEL_IP_ADDRESS_MANAGED_BY] === IP_ALLOCATOR_CONTROLLER;

export class ServiceCIDRController implements Controller {
  readonly name = SERVICE_CIDR_CONTROLLER;
  readonly queue = new WorkQueue('service-cidrs');
  readonly #graceMs: number;
  readonly #now: () => number;

  constructor(
    readonly client: KubeClient,
    readonly cidrs: SharedInformer<ServiceCIDR>,
    readonly ips: SharedInformer<IPAddress>,
    readonly log: Logger,
    timing: ServiceCIDRTiming = {},
  ) {
    this.#graceMs = timing.deletionGraceMs ?? DELETION_GRACE_MS;
    this.#now = timing.now ?? Date.now;
    cidrs.addEventHandler({
      onAdd: (sc) => {
        this.#enqueue(sc);
        for (const other of this.#overlapping(sc)) this.queue.add(other);
      },
      onUpdate: (_old, sc) => this.#enqueue(sc),
      // Its range gone, the ones it overlapped may now be the last to hold some address.
      onDelete: (sc) => {
        for (const other of this.#overlapping(sc)) this.queue.add(other);
      },
    });
    const onIp = (ip: IPAddress) => {
      if (managed(ip)) for (const name of this.#holding(ip.metadata.name ?? '')) this.queue.add(name);
    };
    ips.addEventHandler({ onAdd: onIp, onDelete: onIp });
  }

  run(signal: AbortSignal): Promise<void> {
    return runQueue(this.queue, WORKERS, (k) => this.sync(k), this.log, signal);
  }

  #enqueue(sc: ServiceCIDR): void {
    this.queue.add(sc.metadata.name ?? '');
  }

  /** Names of the ServiceCIDRs with a range that contains, or is contained in, one of `sc`'s. */
  #overlapping(sc: ServiceCIDR): string[] {
    const mine = ranges(sc);
    return this.cidrs.store
      .list()
      .filter((o) => ranges(o).some((r) => mine.some((m) => rangeContains(r, m) || rangeContains(m, r))))
      .map((o) => o.metadata.name ?? '');
  }

  /** Names of the ServiceCIDRs holding the address (servicecidr.ContainsAddress). */
  #holding(ip: string): string[] {
    return this.cidrs.store
      .list()
      .filter((o) => ranges(o).some((r) => rangeHoldsIp(r, ip)))
      .map((o) => o.metadata.name ?? '');
  }

  async sync(name: string): Promise<void> {
    const sc = this.cidrs.store.get(name);
    if (!sc) return;
    if (sc.metadata.deletionTimestamp) {
      if (!this.#canDelete(sc)) {
        await this.#setReady(sc, 'False', SERVICE_CIDR_REASON_TERMINATING, TERMINATING_MESSAGE);
        return;
      }
      // Allocators may not have seen the deletion yet: wait out the grace period first.
      const left = this.#graceMs - (this.#now() - Date.parse(sc.metadata.deletionTimestamp));
      if (left > 0) {
        this.queue.addAfter(name, left);
        return;
      }
      await this.#setFinalizer(sc, false);
      return;
    }
    await this.#setFinalizer(sc, true);
    await this.#setReady(sc, 'True', '', READY_MESSAGE);
  }

  /** canDeleteCIDR: another ServiceCIDR covers every range, or no allocator-made address is only here. */
  #canDelete(sc: ServiceCIDR): boolean {
    const name = sc.metadata.name ?? '';
    const others = this.cidrs.store.list().filter((o) => o.metadata.name !== name);
    const mine = ranges(sc);
    if (mine.every((r) => others.some((o) => ranges(o).some((p) => rangeContains(p, r))))) {
      this.log.info({ serviceCIDR: name }, 'Deleting ServiceCIDR contained in other ServiceCIDR');
      return true;
    }
    for (const ip of this.ips.store.list()) {
      const addr = ip.metadata.name ?? '';
      if (!managed(ip) || !mine.some((r) => rangeHoldsIp(r, addr))) continue;
      if (!others.some((o) => ranges(o).some((r) => rangeHoldsIp(r, addr)))) {
        this.log.info({ serviceCIDR: name, ipAddress: addr }, 'Deleting ServiceCIDR blocked by IP address');
        return false;
      }
    }
    return true;
  }

  /** Adds or removes the finalizer by strategic merge patch, when it is not already so. */
  async #setFinalizer(sc: ServiceCIDR, present: boolean): Promise<void> {
    const name = sc.metadata.name ?? '';
    if ((sc.metadata.finalizers ?? []).includes(SERVICE_CIDR_FINALIZER) === present) return;
    const metadata = present
      ? { finalizers: [SERVICE_CIDR_FINALIZER] }
      : { '$deleteFromPrimitiveList/finalizers': [SERVICE_CIDR_FINALIZER] };
    try {
      await this.client.resource<ServiceCIDR>(SERVICE_CIDRS).patch(name, PatchType.StrategicMerge, { metadata });
    } catch (e) {
      if (!isNotFound(e)) throw e;
      return;
    }
    this.log.info({ serviceCIDR: name }, present ? 'Added protection finalizer' : 'Removed protection finalizer');
  }

  /** The Ready condition through /status, written only when it says something else. */
  async #setReady(sc: ServiceCIDR, status: 'True' | 'False', reason: string, message: string): Promise<void> {
    const cur = sc.status?.conditions?.find((c) => c.type === SERVICE_CIDR_CONDITION_READY);
    if (cur?.status === status && cur.reason === reason && cur.message === message) return;
    const condition = { type: SERVICE_CIDR_CONDITION_READY, status, reason, message, lastTransitionTime: metaTime() };
    try {
      await this.client.resource<ServiceCIDR>(SERVICE_CIDRS).patch(
        sc.metadata.name ?? '',
        PatchType.StrategicMerge,
        { status: { conditions: [condition] } },
        {
          subresource: 'status',
        },
      );
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  }
}
