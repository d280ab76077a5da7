// ResolveEndpoint and ResolveCluster (k8s.io/apiserver pkg/util/proxy), for what the apiserver dials
// by Service: admission webhooks and aggregated APIs. mkube has no Service network (no kube-proxy), so a
// ClusterIP, NodePort or LoadBalancer Service is always routed to an endpoint, as kube-apiserver does
// with --enable-aggregator-routing. Without that flag, as upstream's ResolveCluster, an ExternalName
// Service is dialled at its external name — the one way to reach a server on loopback, which an
// Endpoints object may not name.
import type { Endpoints, Service } from '@mkube/shared/api';
import { StatusError } from '@mkube/shared/apierrors';
import type { Registries } from '../registry/index.js';

export interface ServiceEndpoint {
  readonly host: string;
  readonly port: number;
}

/** Where the Service and its Endpoints are read: the store, or a watch-fed cache (the aggregator's). */
export interface ServiceLookup {
  service(namespace: string, name: string): Promise<Service | undefined> | Service | undefined;
  endpoints(namespace: string, name: string): Promise<Endpoints | undefined> | Endpoints | undefined;
}

/** Reads from the store (a NotFound is undefined). */
export function registryLookup(registries: Registries): ServiceLookup {
  const get = async <T>(resource: string, namespace: string, name: string): Promise<T | undefined> => {
    try {
      return (await registries.get('', resource)!.get(namespace, name)) as T;
    } catch (e) {
      if (e instanceof StatusError && e.reason === 'NotFound') return undefined;
      throw e;
    }
  };
  return {
    service: (ns, name) => get<Service>('services', ns, name),
    endpoints: (ns, name) => get<Endpoints>('endpoints', ns, name),
  };
}

/**
 * The Service must exist with the port, and a ready address be listed for that port's name; or,
 * without `routing`, be an ExternalName Service (dialled at its name and the port asked for).
 */
export async function resolveServiceEndpoint(
  lookup: ServiceLookup,
  namespace: string,
  name: string,
  port: number,
  routing = true,
): Promise<ServiceEndpoint> {
  const svc = await lookup.service(namespace, name);
  if (!svc) throw new Error(`service "${name}" not found`);
  const type = svc.spec?.type ?? 'ClusterIP';
  if (!routing && type === 'ExternalName') {
    // A trailing dot marks a fully qualified name; the dialler wants the bare host.
    return { host: (svc.spec?.externalName ?? '').replace(/\.$/, ''), port };
  }
  if (!['ClusterIP', 'LoadBalancer', 'NodePort'].includes(type)) {
    throw new Error(`unsupported service type ${JSON.stringify(type)}`);
  }
  const svcPort = (svc.spec?.ports ?? []).find((p) => p.port === port);
  if (!svcPort) throw new Error(`no service port ${port} found for service ${JSON.stringify(name)}`);
  const eps = await lookup.endpoints(namespace, name);
  if (!eps) throw new Error(`endpoints "${name}" not found`);
  const subsets = eps.subsets ?? [];
  if (subsets.length === 0) throw new Error(`no endpoints available for service ${JSON.stringify(name)}`);
  const start = Math.floor(Math.random() * subsets.length);
  for (let i = 0; i < subsets.length; i++) {
    const ss = subsets[(start + i) % subsets.length]!;
    const addresses = ss.addresses ?? [];
    if (addresses.length === 0) continue;
    const p = (ss.ports ?? []).find((x) => (x.name ?? '') === (svcPort.name ?? ''));
    if (p) return { host: addresses[Math.floor(Math.random() * addresses.length)]!.ip, port: p.port };
  }
  throw new Error(`no endpoints available for service ${JSON.stringify(name)}`);
}
