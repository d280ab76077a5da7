#!/usr/bin/env node
// The mkube command runs the JavaScript scripts/build.mjs transpiled from the TypeScript sources
// (ensure-deps builds it for npm start, npm test and the benchmarks; the image builds it) when it
// was built from the sources as they are now, and straight from source through tsx otherwise, or
// with MKUBE_FROM_SOURCE=1. Compiled, a daemon carries no TypeScript loader thread (~35 MB of RSS)
// and starts faster; from source, an edit needs no build step to take effect.
import { buildIsFresh } from '../../scripts/build-state.mjs';

async function fromDist() {
  if (process.env.MKUBE_FROM_SOURCE === '1' || !buildIsFresh()) return undefined;
  try {
    return (await import('../dist/main.js')).main;
  } catch (e) {
    // A build swapping dist/ in at this very moment: the sources are as good.
    if (e?.code === 'ERR_MODULE_NOT_FOUND') return undefined;
    throw e;
  }
}

let main = await fromDist();
if (!main) {
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import('../src/main.ts'));
}
process.exitCode = await main(process.argv.slice(2));
