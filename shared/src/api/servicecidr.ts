// networking.k8s.io/v1 ServiceCIDR and IPAddress (k8s.io/api/networking/v1/types.go, MultiCIDRServiceAllocator,
// GA in 1.33): the ranges Service cluster IPs come from, and one object per address handed out, named by
// the address, that says which object holds it.

import type { Condition, KubeObject } from './meta.js';

export interface ServiceCIDRSpec {
  /** One or two CIDRs, one per IP family; fixed once set (but a single family may gain the other). */
  cidrs?: string[];
}

export interface ServiceCIDRStatus {
  /** `Ready`, set by the apiserver for the default range and by the service-cidr-controller. */
  conditions?: Condition[];
}

export interface ServiceCIDR extends KubeObject {
  spec?: ServiceCIDRSpec;
  status?: ServiceCIDRStatus;
}

/** The object an IPAddress belongs to: a Service is `{group: "", resource: "services", namespace, name}`. */
export interface ParentReference {
  group?: string;
  resource?: string;
  namespace?: string;
  name?: string;
}

export interface IPAddressSpec {
  parentRef?: ParentReference;
}

/** Named by its address in canonical form (`10.96.0.1`, `2001:db8::1`). */
export interface IPAddress extends KubeObject {
  spec?: IPAddressSpec;
}

/** The ServiceCIDR the apiserver keeps from --service-cluster-ip-range. */
export const DEFAULT_SERVICE_CIDR_NAME = 'kubernetes';
/** Kept on every ServiceCIDR until no address in it would be left without a range. */
export const SERVICE_CIDR_FINALIZER = 'networking.k8s.io/service-cidr-finalizer';
export const SERVICE_CIDR_CONDITION_READY = 'Ready';
export const SERVICE_CIDR_REASON_TERMINATING = 'Terminating';

/** Labels the apiserver's allocator puts on the IPAddresses it makes. */
export const LABEL_IP_ADDRESS_FAMILY = 'ipaddress.kubernetes.io/ip-family';
export const LABEL_IP_ADDRESS_MANAGED_BY = 'ipaddress.kubernetes.io/managed-by';
/** The managed-by value of the apiserver's cluster IP allocator. */
export const IP_ALLOCATOR_CONTROLLER = 'ipallocator.k8s.io';
