// What Kubernetes' workload controllers share (k8s pkg/controller): controller references and
// claiming, expectations, the active-pod predicates and scale-down ranking, pod creation from a
// template, slow-start batches, the template hash and IntOrString scaling.
export * from './activepods.js';
export * from './controllerref.js';
export * from './expectations.js';
export * from './hash.js';
export * from './intstr.js';
export * from './podcontrol.js';
export * from './refmanager.js';
export * from './slowstart.js';
