// The JSON shapes of every API object mkube serves, one file per API group, plus well-known names.

export * from './admissionregistrationv1.js';
export * from './apiregistration.js';
export * from './apps.js';
export * from './authentication.js';
export * from './authorization.js';
export * from './autoscaling.js';
export * from './batch.js';
export * from './certificates.js';
export * from './coordination.js';
export * from './core.js';
export * from './discovery.js';
export * from './discoveryv1.js';
export * from './flowcontrol.js';
export * from './meta.js';
export * from './metrics.js';
export * from './nodeaddress.js';
export * from './podconditions.js';
export * from './podrefs.js';
export * from './policy.js';
export * from './rbac.js';
export * from './scheduling.js';
export * from './taints.js';
export * from './time.js';
export * from './wellknown.js';
