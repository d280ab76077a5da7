// Certificate API logic every daemon shares: CSR conditions, the built-in signers' rules, signer names.
export * from './conditions.js';
export * from './signername.js';
export * from './signers.js';
