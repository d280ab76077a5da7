// PodSecurity admission: levels and labels (api.ts), the Pod Security Standards checks
// (checks.ts), PodSecurityConfiguration (config.ts) and the plugin (admission.ts).
export * from './admission.js';
export * from './api.js';
export * from './checks.js';
export * from './config.js';
