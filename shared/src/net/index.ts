// IP addresses and CIDR ranges as Go's net package reads and writes them, and request bodies read by hand.

export * from './backlog.js';
export * from './body.js';
export * from './cidr.js';
export * from './dialdeadline.js';
export * from './hostport.js';
