// EndpointSlices (pkg/registry/discovery/endpointslice): ports default as SetDefaults_EndpointPort
// (name "", protocol TCP); the address type never changes.
import type { EndpointSlice } from '@mkube/shared/api';
import { validateEndpointSlice, validateEndpointSliceUpdate } from '../../validation/index.js';
import type { RESTStrategy } from '../strategy.js';

function defaultEndpointSlice(slice: EndpointSlice): void {
  for (const p of slice.ports ?? []) {
    p.name ??= '';
    p.protocol ||= 'TCP';
  }
}

export const endpointSliceStrategy: RESTStrategy = {
  prepareForCreate: (o) => defaultEndpointSlice(o as EndpointSlice),
  prepareForUpdate: (o) => defaultEndpointSlice(o as EndpointSlice),
  validate: (o) => validateEndpointSlice(o as EndpointSlice),
  validateUpdate: (o, old) => [
    ...validateEndpointSlice(o as EndpointSlice),
    ...validateEndpointSliceUpdate(o as EndpointSlice, old as EndpointSlice),
  ],
};
