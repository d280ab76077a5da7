// The IPAddress object that records a Service's cluster IP, as upstream's IPAddress-based allocator
// (pkg/registry/core/service/ipallocator/ipallocator.go) writes it: named by the address, labelled with
// its family and the allocator as manager, its parentRef the Service.
import { randomUUID } from 'node:crypto';
import {
  IP_ALLOCATOR_CONTROLLER,
  type IPAddress,
  LABEL_IP_ADDRESS_FAMILY,
  LABEL_IP_ADDRESS_MANAGED_BY,
  metaTime,
} from '@mkube/shared/api';
import { resourcePrefix } from '../../keys.js';

/** Where IPAddress objects live in the store (their registry reads the same keys). */
export const IP_ADDRESS_PREFIX = resourcePrefix({ group: 'networking.k8s.io', resource: 'ipaddresses' });

export type IPFamilyName = 'IPv4' | 'IPv6';

/** The Service holding an address. */
export interface ServiceRef {
  readonly namespace: string;
  readonly name: string;
}

export function serviceIPAddress(ip: string, family: IPFamilyName, svc: ServiceRef, now: Date): IPAddress {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'IPAddress',
    metadata: {
      name: ip,
      uid: randomUUID(),
      creationTimestamp: metaTime(now),
      labels: { [LABEL_IP_ADDRESS_FAMILY]: family, [LABEL_IP_ADDRESS_MANAGED_BY]: IP_ALLOCATOR_CONTROLLER },
    },
    spec: { parentRef: { group: '', resource: 'services', namespace: svc.namespace, name: svc.name } },
  };
}

/** Whether the address is recorded for exactly this Service. */
export const heldBy = (ip: IPAddress, svc: ServiceRef): boolean => {
  const ref = ip.spec?.parentRef;
  return (
    (ref?.group ?? '') === '' &&
    ref?.resource === 'services' &&
    ref.namespace === svc.namespace &&
    ref.name === svc.name
  );
};
