// ResolveEndpoint (k8s.io/apiserver pkg/util/proxy) over Endpoints, for what the apiserver dials by
// Service: admission webhooks and aggregated APIs. mkube has no Service network (no kube-proxy), so it
// always routes to an endpoint, as kube-apiserver does with --enable-aggregator-routing.
import type { Endpoints, Service } from '@mkube/shared/api';
import { StatusError } from '@mkube/shared/apierrors';
import type { Registries } from '../registry/index.js';

export interface ServiceEndpoint {
  readonly host: string;
  readonly port: number;
}

/** The Service must exist with the port, and a ready address be listed for that port's name. */
export async function resolveServiceEndpoint(
  registries: Registries,
  namespace: string,
  name: string,
  port: number,
): Promise<ServiceEndpoint> {
  const get = async <T>(resource: string, singular: string): Promise<T> => {
    try {
      return (await registries.get('', resource)!.get(namespace, name)) as T;
    } catch (e) {
      if (e instanceof StatusError && e.reason === 'NotFound') throw new Error(`${singular} "${name}" not found`);
      throw e;
    }
  };
  const svc = await get<Service>('services', 'service');
  const type = svc.spec?.type ?? 'ClusterIP';
  if (!['ClusterIP', 'LoadBalancer', 'NodePort'].includes(type)) {
    throw new Error(`unsupported service type ${JSON.stringify(type)}`);
  }
  const svcPort = (svc.spec?.ports ?? []).find((p) => p.port === port);
  if (!svcPort) throw new Error(`no service port ${port} found for service ${JSON.stringify(name)}`);
  const eps = await get<Endpoints>('endpoints', 'endpoints');
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
