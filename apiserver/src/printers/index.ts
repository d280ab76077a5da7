// Table printers: what `kubectl get` shows for each resource.
export { humanDuration, timestampSince } from './duration.js';
export { csrCondition } from './other.js';
export { type IncludeObject, printerFor, type TableOptions, toTable, wantsTable } from './table.js';
export type { Printer } from './types.js';
