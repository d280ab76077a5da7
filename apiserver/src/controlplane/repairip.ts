// A minimal version of kube-apiserver's IPAddress repair loop (pkg/registry/core/service/ipallocator/
// controller/repairip.go, the start-service-ip-repair-controllers hook): every Service cluster IP in the
// range has its IPAddress (a store written before IPAddresses were the record, or an IPAddress deleted
// by hand, gets one back), and an allocator-made IPAddress whose Service no longer holds it is deleted
// once older than a grace period (a create that failed halfway, in a process that then died). Runs at
// start (the hook waits for the first pass that succeeds) and every 3 minutes. Not done, as upstream
// does: events on the Services, addresses outside every ServiceCIDR, and the other ServiceCIDRs' ranges.
import { IP_ALLOCATOR_CONTROLLER, type IPAddress, LABEL_IP_ADDRESS_MANAGED_BY, type Service } from '@mkube/shared/api';
import type { Logger } from '@mkube/shared/log';
import type { ServiceAllocators } from '../registry/core/service/allocator.js';
import { heldBy, type ServiceRef } from '../registry/core/service/ipaddress.js';
import { EVERYTHING } from '../registry/filter.js';
import type { GenericRegistry } from '../registry/generic.js';

const INTERVAL_MS = 3 * 60_000;
const FIRST_RETRY_MS = 1000;
/** An orphan younger than this may belong to a Service whose create is still under way. */
export const ORPHAN_GRACE_MS = 60_000;

export interface RepairIPOptions {
  readonly services: GenericRegistry;
  readonly ipAddresses: GenericRegistry;
  readonly allocators: ServiceAllocators;
  readonly log: Logger;
  readonly now?: () => number;
}

/** The cluster IPs a Service holds (none when headless or ExternalName). */
function clusterIPs(svc: Service): string[] {
  if (svc.spec?.type === 'ExternalName') return [];
  const ips = svc.spec?.clusterIPs?.length ? svc.spec.clusterIPs : svc.spec?.clusterIP ? [svc.spec.clusterIP] : [];
  return ips.filter((ip) => ip && ip !== 'None');
}

export class RepairIPController {
  #timer?: NodeJS.Timeout;
  #stopped = false;

  constructor(private readonly o: RepairIPOptions) {}

  async start(): Promise<void> {
    for (;;) {
      try {
        await this.runOnce();
        break;
      } catch (e) {
        if (this.#stopped) return;
        this.o.log.warn({ err: (e as Error).message }, 'unable to repair Service IP addresses');
        await new Promise((r) => setTimeout(r, FIRST_RETRY_MS));
      }
    }
    if (this.#stopped) return;
    this.#timer = setInterval(() => {
      this.runOnce().catch((e: unknown) =>
        this.o.log.warn({ err: (e as Error).message }, 'unable to repair Service IP addresses'),
      );
    }, INTERVAL_MS);
    this.#timer.unref();
  }

  stop(): void {
    this.#stopped = true;
    clearInterval(this.#timer);
  }

  async runOnce(): Promise<void> {
    const { services, ipAddresses, allocators, log } = this.o;
    // IPAddresses first: a Service created after this list is in the next one, never taken for gone.
    const ips = new Map(
      ((await ipAddresses.list({ namespace: '', filter: EVERYTHING })).items as IPAddress[]).map((a) => [
        a.metadata.name ?? '',
        a,
      ]),
    );
    const svcs = (await services.list({ namespace: '', filter: EVERYTHING })).items as Service[];
    const holders = new Map<string, ServiceRef>();
    for (const svc of svcs) {
      const ref = { namespace: svc.metadata.namespace ?? '', name: svc.metadata.name ?? '' };
      for (const ip of clusterIPs(svc)) {
        holders.set(ip, ref);
        if (!allocators.ipInRange(ip)) continue;
        const existing = ips.get(ip);
        if (existing) {
          if (!heldBy(existing, ref))
            log.warn(
              { service: `${ref.namespace}/${ref.name}`, ip },
              'Cluster IP is already allocated to another object',
            );
          continue;
        }
        if (await allocators.recordIp(ip, ref))
          log.info({ service: `${ref.namespace}/${ref.name}`, ip }, 'recorded the IPAddress of a Service cluster IP');
      }
    }
    const now = this.o.now?.() ?? Date.now();
    for (const [name, ip] of ips) {
      if (ip.metadata.labels?.[LABEL_IP_ADDRESS_MANAGED_BY] !== IP_ALLOCATOR_CONTROLLER) continue;
      // Held by a Service (its own or, reported above, another's): kept.
      if (holders.has(name)) continue;
      const age = now - Date.parse(ip.metadata.creationTimestamp ?? '');
      if (!(age > ORPHAN_GRACE_MS)) continue;
      log.info({ ip: name, parentRef: ip.spec?.parentRef }, 'deleting an IPAddress no Service holds');
      await allocators.releaseIp(name);
    }
  }
}
