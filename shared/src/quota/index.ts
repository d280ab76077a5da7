// Resource quota accounting shared by the ResourceQuota admission plugin and the resourcequota
// controller: what each object costs against a quota's hard limits, and under which scopes.
export * from './evaluator.js';
export * from './generic.js';
export * from './persistentvolumeclaims.js';
export * from './pods.js';
export * from './quantity.js';
export * from './registry.js';
export * from './resources.js';
export * from './scopes.js';
export * from './services.js';
export * from './usage.js';
