// Services (pkg/registry/core/service): defaults as SetDefaults_Service, status only through
// /status, type-dependent fields dropped and allocated values carried over on update as upstream's
// dropTypeDependentFields and patchAllocatedValues, so `kubectl replace` of a Service without its
// cluster IP keeps the one it has.
import type { Endpoints, Service, ServicePort, ServiceSpec } from '@mkube/shared/api';
import { newInvalid } from '@mkube/shared/apierrors';
import { jsonClone } from '../../../util/json.js';
import {
  validateEndpoints,
  validateEndpointsUpdate,
  validateService,
  validateServiceUpdate,
} from '../../../validation/index.js';
import type { FinishFunc, RESTStrategy, RegistryHooks } from '../../strategy.js';
import { plainStrategy } from '../strategies.js';
import { AllocationError, type ServiceAllocators } from './allocator.js';

const DEFAULT_CLIENT_IP_TIMEOUT = 10800;

export const needsClusterIP = (spec: ServiceSpec | undefined): boolean => spec?.type !== 'ExternalName';
export const needsNodePorts = (spec: ServiceSpec | undefined): boolean =>
  spec?.type === 'NodePort' || (spec?.type === 'LoadBalancer' && spec.allocateLoadBalancerNodePorts !== false);
const needsHealthCheckPort = (spec: ServiceSpec | undefined): boolean =>
  spec?.type === 'LoadBalancer' && spec.externalTrafficPolicy === 'Local';

/** SetDefaults_Service (pkg/apis/core/v1/defaults.go). */
export function defaultService(svc: Service): void {
  svc.spec ??= {};
  const spec = svc.spec;
  spec.sessionAffinity ||= 'None';
  spec.type ||= 'ClusterIP';
  for (const p of spec.ports ?? []) {
    p.protocol ||= 'TCP';
    if (p.targetPort === undefined || p.targetPort === 0 || p.targetPort === '') p.targetPort = p.port;
  }
  if (spec.type === 'NodePort' || spec.type === 'LoadBalancer') spec.externalTrafficPolicy ||= 'Cluster';
  if (spec.type !== 'ExternalName') spec.internalTrafficPolicy ||= 'Cluster';
  if (spec.type === 'LoadBalancer') spec.allocateLoadBalancerNodePorts ??= true;
  if (spec.sessionAffinity === 'ClientIP') {
    spec.sessionAffinityConfig ??= {};
    spec.sessionAffinityConfig.clientIP ??= {};
    spec.sessionAffinityConfig.clientIP.timeoutSeconds ??= DEFAULT_CLIENT_IP_TIMEOUT;
  }
}

const sameList = (a: readonly unknown[] | undefined, b: readonly unknown[] | undefined): boolean =>
  JSON.stringify(a ?? []) === JSON.stringify(b ?? []);
const nodePortsOf = (spec: ServiceSpec | undefined): number[] => (spec?.ports ?? []).map((p) => p.nodePort ?? 0);

/** Clears what the new type no longer uses, when the client left it as it was (dropTypeDependentFields). */
function dropTypeDependentFields(svc: Service, old: Service): void {
  const spec = svc.spec!;
  if (needsClusterIP(old.spec) && !needsClusterIP(spec) && (spec.clusterIP ?? '') === (old.spec?.clusterIP ?? '')) {
    delete spec.clusterIP;
    delete spec.clusterIPs;
    delete spec.ipFamilies;
    delete spec.ipFamilyPolicy;
  }
  if (needsNodePorts(old.spec) && !needsNodePorts(spec) && sameList(nodePortsOf(spec), nodePortsOf(old.spec))) {
    for (const p of spec.ports ?? []) delete p.nodePort;
  }
  if (
    needsHealthCheckPort(old.spec) &&
    !needsHealthCheckPort(spec) &&
    spec.healthCheckNodePort === old.spec?.healthCheckNodePort
  ) {
    delete spec.healthCheckNodePort;
  }
  if (
    spec.type !== 'NodePort' &&
    spec.type !== 'LoadBalancer' &&
    spec.externalTrafficPolicy === old.spec?.externalTrafficPolicy
  ) {
    delete spec.externalTrafficPolicy;
  }
  if (spec.type === 'ExternalName' && spec.internalTrafficPolicy === old.spec?.internalTrafficPolicy) {
    delete spec.internalTrafficPolicy;
  }
  if (spec.type !== 'LoadBalancer' && spec.allocateLoadBalancerNodePorts === old.spec?.allocateLoadBalancerNodePorts) {
    delete spec.allocateLoadBalancerNodePorts;
  }
}

/** Carries allocated values the client did not send over from the stored Service (patchAllocatedValues). */
function patchAllocatedValues(svc: Service, old: Service): void {
  const spec = svc.spec!;
  const was = old.spec ?? {};
  if (needsClusterIP(was) && needsClusterIP(spec)) {
    if (!spec.clusterIP) spec.clusterIP = was.clusterIP;
    if (!spec.clusterIPs?.length && spec.clusterIP === was.clusterIP) spec.clusterIPs = was.clusterIPs;
    if (!spec.ipFamilies?.length) spec.ipFamilies = was.ipFamilies;
    spec.ipFamilyPolicy ||= was.ipFamilyPolicy;
  }
  if (needsNodePorts(was) && needsNodePorts(spec)) {
    const ports = spec.ports ?? [];
    const olds = was.ports ?? [];
    for (const p of ports) {
      if (p.nodePort) continue;
      const match =
        olds.find((o) => o.port === p.port && (o.protocol ?? 'TCP') === p.protocol) ??
        (ports.length === 1 && olds.length === 1 ? olds[0] : undefined);
      if (match?.nodePort) p.nodePort = match.nodePort;
    }
  }
  if (needsHealthCheckPort(was) && needsHealthCheckPort(spec) && !spec.healthCheckNodePort) {
    spec.healthCheckNodePort = was.healthCheckNodePort;
  }
}

export const serviceStrategy: RESTStrategy = {
  prepareForCreate(o) {
    const svc = o as Service;
    defaultService(svc);
    svc.status = { loadBalancer: {} };
  },
  prepareForUpdate(o, old) {
    const svc = o as Service;
    defaultService(svc);
    svc.status = jsonClone((old as Service).status ?? { loadBalancer: {} });
    dropTypeDependentFields(svc, old as Service);
    patchAllocatedValues(svc, old as Service);
  },
  validate: (o) => validateService(o as Service),
  validateUpdate: (o, old) => [
    ...validateService(o as Service),
    ...validateServiceUpdate(o as Service, old as Service),
  ],
};

/** SetDefaults_EndpointPort: a port's protocol is TCP unless given. */
function defaultEndpoints(ep: Endpoints): void {
  for (const ss of ep.subsets ?? []) for (const p of ss.ports ?? []) p.protocol ||= 'TCP';
}

const endpointsRules = plainStrategy(
  (o) => validateEndpoints(o as Endpoints),
  (o, old) => validateEndpointsUpdate(o as Endpoints, old as Endpoints),
);

export const endpointsStrategy: RESTStrategy = {
  ...endpointsRules,
  prepareForCreate: (o) => defaultEndpoints(o as Endpoints),
  prepareForUpdate: (o) => defaultEndpoints(o as Endpoints),
};

/** What a Service holds: its cluster IP (unless headless or ExternalName) and node ports. */
interface Held {
  ip?: string;
  ports: number[];
}

function held(spec: ServiceSpec | undefined): Held {
  const ip = needsClusterIP(spec) && spec?.clusterIP && spec.clusterIP !== 'None' ? spec.clusterIP : undefined;
  const ports = needsNodePorts(spec) ? nodePortsOf(spec).filter((p) => p > 0) : [];
  if (needsHealthCheckPort(spec) && spec?.healthCheckNodePort) ports.push(spec.healthCheckNodePort);
  return { ip, ports };
}

/** Cluster IP and node ports, reserved before the write and returned when it fails or on delete. */
export function serviceHooks(alloc: ServiceAllocators): RegistryHooks {
  const family = alloc.serviceCidr.family === 4 ? 'IPv4' : 'IPv6';

  /** Fills the IP family fields and the cluster IP; what it took is pushed to `taken`. */
  async function allocateIp(svc: Service, dryRun: boolean, taken: Held): Promise<void> {
    const spec = svc.spec!;
    const holder = { namespace: svc.metadata.namespace ?? '', name: svc.metadata.name ?? '' };
    if (spec.ipFamilyPolicy === 'RequireDualStack') {
      throw new AllocationError([
        {
          type: 'Invalid',
          field: 'spec.ipFamilyPolicy',
          badValue: spec.ipFamilyPolicy,
          detail: 'this cluster is not configured for dual-stack services',
        },
      ]);
    }
    const families = spec.ipFamilies ?? [];
    if (families.length && families[0] !== family) {
      throw new AllocationError([
        {
          type: 'Invalid',
          field: 'spec.ipFamilies[0]',
          badValue: families[0],
          detail: 'not configured on this cluster',
        },
      ]);
    }
    spec.ipFamilyPolicy ||= 'SingleStack';
    spec.ipFamilies = [family];
    if (spec.clusterIP === 'None' || spec.clusterIPs?.[0] === 'None') {
      spec.clusterIP = 'None';
      spec.clusterIPs = ['None'];
      return;
    }
    const ip = await alloc.takeIp(spec.clusterIP || spec.clusterIPs?.[0], holder, dryRun);
    if (!dryRun) taken.ip = ip;
    spec.clusterIP = ip;
    spec.clusterIPs = [ip];
  }

  /** Node ports for every port without one; ports the Service already holds are in `keep`. */
  async function allocatePorts(svc: Service, keep: readonly number[], dryRun: boolean, taken: Held): Promise<void> {
    const spec = svc.spec!;
    const holder = { namespace: svc.metadata.namespace ?? '', name: svc.metadata.name ?? '' };
    const mine = new Set(keep);
    const take = async (want: number | undefined, path: string): Promise<number> => {
      // One node port may serve the same port number over two protocols, as upstream allows.
      if (want && mine.has(want)) return want;
      const got = await alloc.takePort(want, holder, path, dryRun);
      if (!dryRun) taken.ports.push(got);
      mine.add(got);
      return got;
    };
    for (const [i, p] of (spec.ports ?? []).entries() as IterableIterator<[number, ServicePort]>) {
      const sibling = (spec.ports ?? []).find((q, j) => j < i && q.port === p.port && q.nodePort);
      p.nodePort = await take(p.nodePort || sibling?.nodePort, `spec.ports[${i}].nodePort`);
    }
    if (needsHealthCheckPort(spec))
      spec.healthCheckNodePort = await take(spec.healthCheckNodePort, 'spec.healthCheckNodePort');
  }

  async function release(h: Held): Promise<void> {
    if (h.ip) await alloc.releaseIp(h.ip);
    for (const p of h.ports) await alloc.releasePort(p);
  }

  async function guarded(svc: Service, fn: (taken: Held) => Promise<void>, onSuccess?: Held): Promise<FinishFunc> {
    const taken: Held = { ports: [] };
    try {
      await fn(taken);
    } catch (e) {
      await release(taken);
      if (e instanceof AllocationError)
        throw newInvalid({ group: '', kind: 'Service' }, svc.metadata.name ?? '', e.errors);
      throw e;
    }
    return async (ok) => {
      if (!ok) await release(taken);
      else if (onSuccess) await release(onSuccess);
    };
  }

  return {
    async beginCreate(o, dryRun) {
      const svc = o as Service;
      return guarded(svc, async (taken) => {
        if (needsClusterIP(svc.spec)) await allocateIp(svc, dryRun, taken);
        if (needsNodePorts(svc.spec) || needsHealthCheckPort(svc.spec)) await allocatePorts(svc, [], dryRun, taken);
      });
    },
    async beginUpdate(o, oldObj, dryRun) {
      const svc = o as Service;
      const old = oldObj as Service;
      const before = held(old.spec);
      const after = () => held(svc.spec);
      const finish = await guarded(svc, async (taken) => {
        if (needsClusterIP(svc.spec) && !needsClusterIP(old.spec)) await allocateIp(svc, dryRun, taken);
        if (needsNodePorts(svc.spec) || needsHealthCheckPort(svc.spec))
          await allocatePorts(svc, before.ports, dryRun, taken);
      });
      return async (ok) => {
        await finish(ok);
        if (!ok || dryRun) return;
        // What the Service held before and no longer uses goes back to the pool.
        const now = after();
        await release({
          ip: before.ip && before.ip !== now.ip ? before.ip : undefined,
          ports: before.ports.filter((p) => !now.ports.includes(p)),
        });
      };
    },
    async afterDelete(o) {
      await release(held((o as Service).spec));
    },
  };
}
