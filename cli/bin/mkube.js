#!/usr/bin/env node
// The mkube command runs straight from TypeScript source through tsx: one code path for
// development, tests and deployments, and no stale build output to reason about.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/main.ts');
process.exitCode = await main(process.argv.slice(2));
