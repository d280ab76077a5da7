export * from './errors.js';
export * from './field.js';
export * from './status.js';
