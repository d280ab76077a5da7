// discovery.k8s.io/v1 (k8s.io/api/discovery/v1/types.go): EndpointSlices.
import type { ObjectReference, Protocol } from './core.js';
import type { KubeObject } from './meta.js';

export type AddressType = 'IPv4' | 'IPv6' | 'FQDN';

/** The label that ties a slice to its Service. */
export const LABEL_SERVICE_NAME = 'kubernetes.io/service-name';
/** Who manages a slice: the endpointslice controller, or the apiserver for default/kubernetes. */
export const LABEL_MANAGED_BY = 'endpointslice.kubernetes.io/managed-by';

export interface EndpointConditions {
  ready?: boolean;
  serving?: boolean;
  terminating?: boolean;
}

export interface Endpoint {
  addresses: string[];
  conditions?: EndpointConditions;
  hostname?: string;
  targetRef?: ObjectReference;
  deprecatedTopology?: Record<string, string>;
  nodeName?: string;
  zone?: string;
  hints?: { forZones?: { name: string }[]; forNodes?: { name: string }[] };
}

export interface EndpointSlicePort {
  name?: string;
  protocol?: Protocol;
  port?: number;
  appProtocol?: string;
}

export interface EndpointSlice extends KubeObject {
  addressType: AddressType;
  endpoints: Endpoint[];
  ports?: EndpointSlicePort[];
}
