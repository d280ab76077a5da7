// networking.k8s.io/v1 ServiceCIDR and IPAddress (pkg/registry/networking/servicecidr and ipaddress):
// both cluster-scoped. A ServiceCIDR's /status is written by the apiserver (the default range) and the
// service-cidr-controller; as upstream's strategy, the main resource does not reset status (only
// server-side apply's reset fields would), and /status keeps the spec. An IPAddress is named by its
// address and carries only the reference to the object holding it.
import type { IPAddress, ServiceCIDR } from '@mkube/shared/api';
import { ipAddressNameErrors } from '../../validation/ip.js';
import type { RESTStrategy, SubresourceStrategy } from '../strategy.js';
import {
  validateIPAddress,
  validateIPAddressUpdate,
  validateServiceCIDR,
  validateServiceCIDRUpdate,
} from './servicecidrvalidation.js';

export const serviceCIDRStrategy: RESTStrategy<ServiceCIDR> = {
  prepareForCreate: () => {},
  prepareForUpdate: () => {},
  validate: (sc) => validateServiceCIDR(sc),
  validateUpdate: (sc, old) => validateServiceCIDRUpdate(sc, old),
};

export const serviceCIDRStatusStrategy: SubresourceStrategy<ServiceCIDR> = {
  prepareForUpdate(sc, old) {
    if (old.spec) sc.spec = old.spec;
    else delete sc.spec;
  },
  // ValidateServiceCIDRStatusUpdate checks metadata only, which the registry keeps as it was.
  validateUpdate: () => [],
};

export const ipAddressStrategy: RESTStrategy<IPAddress> = {
  prepareForCreate: () => {},
  prepareForUpdate: () => {},
  validate: (ip) => validateIPAddress(ip),
  validateUpdate: (ip, old) => validateIPAddressUpdate(ip, old),
  // ValidateIPAddressName: no generated names, so a prefix is checked as a whole address.
  nameValidator: () => (name) => ipAddressNameErrors(name),
};
