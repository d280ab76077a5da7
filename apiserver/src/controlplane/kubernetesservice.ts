// Service default/kubernetes and its Endpoints, as kube-apiserver's kubernetesservice controller
// keeps them: the Service holds the first address of the Service CIDR and port 443 → the secure
// port; the Endpoints hold this apiserver's advertise address. Checked every 10 s (upstream's
// EndpointInterval), so a deleted or edited object comes back; on shutdown this apiserver takes its
// address out of the Endpoints, as the lease reconciler does.
import { isIP } from 'node:net';
import {
  type EndpointAddress,
  type EndpointSlice,
  type EndpointSubset,
  type Endpoints,
  LABEL_SERVICE_NAME,
  type Service,
  type ServicePort,
} from '@mkube/shared/api';
import { StatusError } from '@mkube/shared/apierrors';
import type { Logger } from '@mkube/shared/log';
import { specialIpProblem } from '@mkube/shared/net';
import type { Registries } from '../registry/index.js';
import { apiserverContext } from '../registry/strategy.js';

export const KUBERNETES_SERVICE = 'kubernetes';
const NAMESPACE = 'default';
const INTERVAL_MS = 10_000;

export interface KubernetesServiceOptions {
  readonly registries: Registries;
  readonly advertiseAddress: string;
  readonly securePort: number;
  /** false (--endpoint-reconciler-type=none): only the Service is kept. */
  readonly reconcileEndpoints?: boolean;
  readonly log: Logger;
}

const ctx = apiserverContext;
const write = { dryRun: false };

function desiredPorts(securePort: number): ServicePort[] {
  return [{ name: 'https', protocol: 'TCP', port: 443, targetPort: securePort }];
}

const isNotFound = (e: unknown) => e instanceof StatusError && e.reason === 'NotFound';
const isAlreadyExists = (e: unknown) => e instanceof StatusError && e.reason === 'AlreadyExists';

export class KubernetesServiceController {
  private timer?: NodeJS.Timeout;
  private warnedLoopback = false;
  private running?: Promise<void>;

  constructor(private readonly o: KubernetesServiceOptions) {}

  private get services() {
    return this.o.registries.get('', 'services')!;
  }

  private get endpoints() {
    return this.o.registries.get('', 'endpoints')!;
  }

  private get slices() {
    return this.o.registries.get('discovery.k8s.io', 'endpointslices')!;
  }

  /** Reconciles now and every 10 s; resolves once a pass has gone through (the bootstrap-controller hook). */
  start(): Promise<void> {
    let reconciled!: () => void;
    const first = new Promise<void>((resolve) => {
      reconciled = resolve;
    });
    const tick = () => {
      this.running = this.reconcile()
        .then(reconciled)
        .catch((e) => this.o.log.warn({ err: e }, 'unable to reconcile Service default/kubernetes'))
        .finally(() => {
          this.running = undefined;
        });
    };
    tick();
    this.timer = setInterval(tick, INTERVAL_MS);
    this.timer.unref();
    return first;
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
    await this.removeOwnAddress().catch((e) =>
      this.o.log.warn({ err: e }, 'unable to remove this apiserver from Endpoints default/kubernetes'),
    );
  }

  async reconcile(): Promise<void> {
    await this.reconcileService();
    if (this.o.reconcileEndpoints === false) return;
    await this.reconcileEndpoints();
    await this.reconcileEndpointSlice();
  }

  private async reconcileService(): Promise<void> {
    const ports = desiredPorts(this.o.securePort);
    let svc: Service | undefined;
    try {
      svc = (await this.services.get(NAMESPACE, KUBERNETES_SERVICE)) as Service;
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
    if (!svc) {
      const created: Service = {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: KUBERNETES_SERVICE, labels: { component: 'apiserver', provider: 'kubernetes' } },
        spec: {
          type: 'ClusterIP',
          clusterIP: this.o.registries.serviceAllocators.firstIp(),
          ports,
          sessionAffinity: 'None',
          ipFamilyPolicy: 'SingleStack',
        },
      };
      try {
        await this.services.create(NAMESPACE, created, ctx(), write);
        this.o.log.info({ clusterIP: created.spec!.clusterIP }, 'created Service default/kubernetes');
      } catch (e) {
        if (!isAlreadyExists(e)) throw e;
      }
      return;
    }
    // Only the ports and the type are put back, as upstream's reconcile does; the cluster IP stays.
    const samePorts = JSON.stringify(svc.spec?.ports?.map(portKey)) === JSON.stringify(ports.map(portKey));
    if (samePorts && svc.spec?.type === 'ClusterIP') return;
    await this.services.guaranteedUpdate(NAMESPACE, KUBERNETES_SERVICE, '', ctx(), write, undefined, (cur) => {
      const s = cur as Service;
      s.spec = { ...s.spec, type: 'ClusterIP', ports };
      return s;
    });
    this.o.log.info('reconciled the ports of Service default/kubernetes');
  }

  private subset(): EndpointSubset {
    return {
      addresses: [{ ip: this.o.advertiseAddress }],
      ports: [{ name: 'https', port: this.o.securePort, protocol: 'TCP' }],
    };
  }

  private async reconcileEndpoints(): Promise<void> {
    // Endpoints may not hold a loopback address (kube-apiserver fails the same way, every 10 s).
    const special = isIP(this.o.advertiseAddress) ? specialIpProblem(this.o.advertiseAddress) : undefined;
    if (special) {
      if (!this.warnedLoopback) {
        this.o.log.warn(
          { advertiseAddress: this.o.advertiseAddress },
          `not publishing Endpoints default/kubernetes: the advertise address ${special}; set --advertise-address`,
        );
        this.warnedLoopback = true;
      }
      return;
    }
    let ep: Endpoints | undefined;
    try {
      ep = (await this.endpoints.get(NAMESPACE, KUBERNETES_SERVICE)) as Endpoints;
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
    const want = this.subset();
    if (!ep) {
      try {
        await this.endpoints.create(
          NAMESPACE,
          {
            apiVersion: 'v1',
            kind: 'Endpoints',
            metadata: {
              name: KUBERNETES_SERVICE,
              labels: { 'endpointslice.kubernetes.io/skip-mirror': 'true' },
            },
            subsets: [want],
          } as Endpoints,
          ctx(),
          write,
        );
      } catch (e) {
        if (!isAlreadyExists(e)) throw e;
      }
      return;
    }
    if (this.holdsOwnAddress(ep)) return;
    await this.endpoints.guaranteedUpdate(NAMESPACE, KUBERNETES_SERVICE, '', ctx(), write, undefined, (cur) => {
      const e = cur as Endpoints;
      // Other apiservers' addresses stay; this one's is added with the current port.
      const others = (e.subsets?.[0]?.addresses ?? []).filter((a) => a.ip !== this.o.advertiseAddress);
      e.subsets = [
        { addresses: [...others, ...want.addresses!].sort((a, b) => a.ip.localeCompare(b.ip)), ports: want.ports },
      ];
      return e;
    });
  }

  private holdsOwnAddress(ep: Endpoints): boolean {
    const ss = ep.subsets ?? [];
    return (
      ss.length === 1 &&
      (ss[0]!.addresses ?? []).some((a) => a.ip === this.o.advertiseAddress) &&
      JSON.stringify(ss[0]!.ports) === JSON.stringify(this.subset().ports)
    );
  }

  private async removeOwnAddress(): Promise<void> {
    if (this.o.reconcileEndpoints === false || specialIpProblem(this.o.advertiseAddress)) return;
    await this.endpoints
      .guaranteedUpdate(NAMESPACE, KUBERNETES_SERVICE, '', ctx(), write, undefined, (cur) => {
        const e = cur as Endpoints;
        const left = (e.subsets?.[0]?.addresses ?? []).filter((a) => a.ip !== this.o.advertiseAddress);
        e.subsets = left.length ? [{ ...e.subsets![0]!, addresses: left }] : [];
        return e;
      })
      .catch((e) => {
        if (!isNotFound(e)) throw e;
      });
    await this.reconcileEndpointSlice();
  }

  /** The EndpointSlice mirrors the Endpoints, as the apiserver's EndpointsAdapter writes both. */
  private async reconcileEndpointSlice(): Promise<void> {
    let ep: Endpoints;
    try {
      ep = (await this.endpoints.get(NAMESPACE, KUBERNETES_SERVICE)) as Endpoints;
    } catch (e) {
      if (isNotFound(e)) return;
      throw e;
    }
    const want = sliceFromEndpoints(ep);
    let have: EndpointSlice | undefined;
    try {
      have = (await this.slices.get(NAMESPACE, KUBERNETES_SERVICE)) as EndpointSlice;
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
    if (!have) {
      await this.slices.create(NAMESPACE, want, ctx(), write).catch((e) => {
        if (!isAlreadyExists(e)) throw e;
      });
      return;
    }
    const same =
      have.addressType === want.addressType &&
      JSON.stringify([have.endpoints ?? [], have.ports ?? [], have.metadata.labels]) ===
        JSON.stringify([want.endpoints, want.ports, want.metadata.labels]);
    if (same) return;
    if (have.addressType !== want.addressType) {
      // The address type is immutable: the slice is replaced.
      await this.slices.delete(NAMESPACE, KUBERNETES_SERVICE, undefined, write);
      await this.slices.create(NAMESPACE, want, ctx(), write);
      return;
    }
    await this.slices.guaranteedUpdate(NAMESPACE, KUBERNETES_SERVICE, '', ctx(), write, undefined, (cur) => ({
      ...cur,
      metadata: { ...cur.metadata, labels: want.metadata.labels },
      endpoints: want.endpoints,
      ports: want.ports,
    }));
  }
}

/** endpointSliceFromEndpoints (pkg/controlplane/reconcilers/endpointsadapter.go). */
function sliceFromEndpoints(ep: Endpoints): EndpointSlice {
  const subset = ep.subsets?.[0];
  const all = [...(subset?.addresses ?? []), ...(subset?.notReadyAddresses ?? [])];
  const addressType = all.length && all.every((a) => isIP(a.ip) === 6) ? 'IPv6' : 'IPv4';
  const endpoint = (a: EndpointAddress, ready: boolean) => ({
    addresses: [a.ip],
    conditions: { ready },
    ...(a.targetRef ? { targetRef: a.targetRef } : {}),
    ...(a.nodeName ? { nodeName: a.nodeName } : {}),
  });
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {
      name: ep.metadata.name,
      namespace: NAMESPACE,
      labels: { [LABEL_SERVICE_NAME]: ep.metadata.name ?? '' },
    },
    addressType,
    endpoints: [
      ...(subset?.addresses ?? []).map((a) => endpoint(a, true)),
      ...(subset?.notReadyAddresses ?? []).map((a) => endpoint(a, false)),
    ],
    ports: (subset?.ports ?? []).map((p) => ({ name: p.name ?? '', protocol: p.protocol ?? 'TCP', port: p.port })),
  };
}

const portKey = (p: ServicePort) => `${p.name}/${p.protocol ?? 'TCP'}/${p.port}/${p.targetPort}`;
