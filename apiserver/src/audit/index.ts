// Auditing (k8s.io/apiserver pkg/audit): policy, events, the log backend and the request filter.
export { type AuditBackend, LogBackend, type LogBackendOptions } from './backend.js';
export {
  Auditor,
  type AuditRequest,
  isLongRunning,
  noteSwitchingProtocols,
  RequestAudit,
  trackRequest,
} from './filter.js';
export { loadPolicy, PolicyRuleEvaluator } from './policy.js';
export * from './types.js';
