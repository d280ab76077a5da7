// Object-meta, name and per-type validation with Kubernetes' field paths and messages. Each
// validator is pure and returns FieldError[]; the registry turns a non-empty list into
// newInvalid(kind, name, errs) (HTTP 422).

export * from './admissionregistration.js';
export * from './apiregistration.js';
export * from './configdata.js';
export * from './coordination.js';
export * from './core.js';
export * from './discovery.js';
export * from './names.js';
export * from './objectmeta.js';
export { validatePrivilegedDisallowed } from './security.js';
export * from './service.js';
