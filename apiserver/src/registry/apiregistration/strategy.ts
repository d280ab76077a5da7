// APIService (kube-aggregator pkg/registry/apiservice): status only through /status, cleared on
// create and kept on update, as upstream's strategy does. A local APIService (no service) is
// available at once, with the condition the availability controller gives it; one naming a Service
// gets its condition from the aggregator's availability controller (aggregator/available.ts).
import { type APIService, type APIServiceCondition, type KubeObject, metaTime } from '@mkube/shared/api';
import { jsonEqual } from '../../util/json.js';
import { validateAPIService, validateAPIServiceStatus } from '../../validation/index.js';
import { statusSubresource } from '../core/strategies.js';
import type { RESTStrategy, SubresourceStrategy } from '../strategy.js';

/** The Available condition of a local APIService, as the availability controller writes it. */
export function localAvailable(now: Date): APIServiceCondition {
  return {
    type: 'Available',
    status: 'True',
    lastTransitionTime: metaTime(now),
    reason: 'Local',
    message: 'Local APIServices are always available',
  };
}

const isLocalAvailable = (s: APIService) =>
  s.status?.conditions?.some((c) => c.type === 'Available' && c.status === 'True' && c.reason === 'Local');

export const apiServiceStrategy: RESTStrategy = {
  prepareForCreate(o, ctx) {
    const s = o as APIService;
    s.status = s.spec?.service ? {} : { conditions: [localAvailable(ctx.now)] };
  },
  prepareForUpdate(o, old, ctx) {
    const s = o as APIService;
    s.status = (old as APIService).status;
    if (!s.spec?.service && !isLocalAvailable(s)) s.status = { conditions: [localAvailable(ctx.now)] };
    else if (s.spec?.service && isLocalAvailable(s)) s.status = {};
  },
  validate: (o) => validateAPIService(o as APIService),
  validateUpdate: (o) => validateAPIService(o as APIService),
  bumpsGeneration: (o: KubeObject, old: KubeObject) => !jsonEqual((o as APIService).spec, (old as APIService).spec),
};

export const apiServiceStatusStrategy: SubresourceStrategy = {
  prepareForUpdate: statusSubresource.prepareForUpdate,
  validateUpdate: (o) => validateAPIServiceStatus(o as APIService),
};
