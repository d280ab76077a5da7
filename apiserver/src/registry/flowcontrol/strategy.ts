// flowcontrol.apiserver.k8s.io/v1 FlowSchema and PriorityLevelConfiguration
// (pkg/registry/flowcontrol/{flowschema,prioritylevelconfiguration}/strategy.go): v1 defaults, an
// empty status and generation 1 on create, a new generation on every spec change, the status kept
// from the stored object; /status writes only the status (the APF config controller's Dangling
// condition) and checks its condition types.
import type { FlowSchema, PriorityLevelConfiguration } from '@mkube/shared/api';
import type { RESTStrategy, SubresourceStrategy } from '../strategy.js';
import { defaultFlowSchema, defaultPriorityLevel, flowSchemaSpecsEqual, priorityLevelSpecsEqual } from './defaults.js';
import { validatePriorityLevel } from './prioritylevel.js';
import { validateConditionTypes, validateFlowSchema } from './validation.js';

export const flowSchemaStrategy: RESTStrategy<FlowSchema> = {
  prepareForCreate(fs) {
    defaultFlowSchema(fs);
    fs.status = {};
  },
  prepareForUpdate(fs, old) {
    defaultFlowSchema(fs);
    fs.status = old.status ?? {};
  },
  validate: (fs) => validateFlowSchema(fs),
  validateUpdate: (fs) => validateFlowSchema(fs),
  bumpsGeneration: (fs, old) => !flowSchemaSpecsEqual(fs.spec, old.spec),
};

export const flowSchemaStatusStrategy: SubresourceStrategy<FlowSchema> = {
  prepareForUpdate(fs, old) {
    fs.spec = old.spec;
    fs.status ??= {};
  },
  validateUpdate: (fs) => validateConditionTypes(fs.status?.conditions, 'status'),
};

export const priorityLevelStrategy: RESTStrategy<PriorityLevelConfiguration> = {
  prepareForCreate(pl) {
    defaultPriorityLevel(pl);
    pl.status = {};
  },
  prepareForUpdate(pl, old) {
    defaultPriorityLevel(pl);
    pl.status = old.status ?? {};
  },
  validate: (pl) => validatePriorityLevel(pl),
  validateUpdate: (pl) => validatePriorityLevel(pl),
  bumpsGeneration: (pl, old) => !priorityLevelSpecsEqual(pl.spec, old.spec),
};

export const priorityLevelStatusStrategy: SubresourceStrategy<PriorityLevelConfiguration> = {
  prepareForUpdate(pl, old) {
    pl.spec = old.spec;
    pl.status ??= {};
  },
  validateUpdate: (pl) => validateConditionTypes(pl.status?.conditions, 'status'),
};
