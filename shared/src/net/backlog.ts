// The listen backlog Go's net package gives every listener (maxListenerBacklog): the kernel's
// net.core.somaxconn, not Node's fixed 511. kube-apiserver, the kubelet and kube-controller-manager
// listen with it; at 511 a burst of new connections (5,000 kubelets starting at once) overflowed the
// accept queue and each dropped handshake waited out TCP's SYN retransmission backoff.
import { readFileSync } from 'node:fs';

/** Go's fallback when somaxconn cannot be read (syscall.SOMAXCONN) is 128; Node's default is 511. */
const FALLBACK = 511;
/** The kernel kept the backlog in a uint16 before Linux 4.1, so Go caps it there. */
const MAX = 65_535;

const SOMAXCONN = '/proc/sys/net/core/somaxconn';
let cached: number | undefined;

/** net.core.somaxconn (capped at 65,535), read once; 511 where /proc does not say. */
export function listenBacklog(procFile = SOMAXCONN): number {
  if (procFile === SOMAXCONN && cached !== undefined) return cached;
  let n = FALLBACK;
  try {
    const v = Number.parseInt(readFileSync(procFile, 'utf8').trim(), 10);
    if (Number.isSafeInteger(v) && v > 0) n = Math.min(v, MAX);
  } catch {
    // Not Linux, or /proc not mounted: Node's default.
  }
  if (procFile === SOMAXCONN) cached = n;
  return n;
}
