// Label and field selectors with apimachinery's syntax, semantics and error texts, plus the
// util/validation string checks they (and object validation) rely on.
export * from './fields.js';
export * from './labels.js';
export type { ScannedItem, Token } from './lexer.js';
export * from './nodeselector.js';
export * from './validation.js';
