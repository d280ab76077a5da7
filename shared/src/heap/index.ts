// The daemons' V8 heap growth. After each full GC V8 lets the heap grow to between 1.1 and 4 times
// what survived before the next one, the more the faster the program allocates: the apiserver
// under a thousand joining kubelets kept ~60 MB alive in 185 MB of heap. A fixed factor of 1.5 bounds that
// waste at a few more full GCs (each marks only what is alive): peak RSS at N = 1,000 went from
// 367–403 MB to 312–314 MB with no measurable CPU cost (BENCHMARKS.md). Like Go's GOGC for
// kube-apiserver, the operator's own setting wins: `node --heap-growing-percent=N mkube.js …` is
// left alone (NODE_OPTIONS does not accept V8's GC flags).
import { setFlagsFromString } from 'node:v8';

export const DAEMON_HEAP_GROWING_PERCENT = 50;

const FLAG = /--heap[-_]growing[-_]percent\b/;

/** Applies the daemons' heap growth policy unless the operator set one; returns the flag applied. */
export function limitHeapGrowth(execArgv: readonly string[] = process.execArgv): string | undefined {
  if (execArgv.some((a) => FLAG.test(a))) return undefined;
  const flag = `--heap-growing-percent=${DAEMON_HEAP_GROWING_PERCENT}`;
  // Read by V8 when it sets the next full GC's limit, so setting it before the heap grows is enough.
  setFlagsFromString(flag);
  return flag;
}
