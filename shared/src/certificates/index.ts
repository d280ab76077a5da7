// CertificateSigningRequest logic every daemon shares: conditions and the built-in signers' rules.
export * from './conditions.js';
export * from './signers.js';
