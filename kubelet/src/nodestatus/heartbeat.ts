// The kubelet's node loop once it has a client: register the Node (retrying while the apiserver is
// away), then keep the heartbeat — the Lease every quarter of its duration, the Node read every
// status period and its status written when it differs (Ready flips when the serving certificate
// arrives; someone else wrote Unknown) and once per report interval.
import { sleep } from '@mkube/shared/client';
import type { Logger } from '@mkube/shared/log';
import type { NodeLease } from '../nodelease/lease.js';
import type { NodeStatusManager } from './node.js';

export interface HeartbeatOptions {
  readonly nodeName: string;
  readonly nodeStatus: NodeStatusManager;
  readonly lease: NodeLease;
  readonly leaseEveryMs: number;
  readonly statusEveryMs: number;
  /** The Ready the status should carry now. */
  readonly ready: () => boolean;
  readonly log: Logger;
  readonly signal: AbortSignal;
  /** After registration (the Node exists: a serving certificate may be asked for). */
  readonly onRegistered?: () => void | Promise<void>;
  /** When Ready=True has been written. */
  readonly onReady?: () => void;
}

export async function runHeartbeat(o: HeartbeatOptions): Promise<void> {
  const { signal, log } = o;
  let delay = 500;
  while (!signal.aborted) {
    try {
      await o.nodeStatus.register(signal);
      break;
    } catch (e) {
      if (signal.aborted) return;
      log.warn({ err: (e as Error).message, retryInMs: delay }, 'unable to register node with the API server');
      await sleep(delay, signal);
      delay = Math.min(delay * 2, 7000);
    }
  }
  if (signal.aborted) return;
  await o.onRegistered?.();
  let nextLease = 0;
  // register() has just written the status: the next read is a period away.
  let nextStatus = Date.now() + o.statusEveryMs;
  let wasReady = false;
  // Failures back off, as upstream's backoffEnsureLease (doubling to 7 s) and its node status retries
  // (at most one status period apart): a kubelet whose Node was deleted keeps trying, but quietly.
  let leaseRetryMs = 100;
  let statusRetryMs = 500;
  while (!signal.aborted) {
    const now = Date.now();
    if (now >= nextLease) {
      try {
        await o.lease.renew(signal);
        nextLease = now + o.leaseEveryMs;
        leaseRetryMs = 100;
      } catch (e) {
        leaseRetryMs = Math.min(leaseRetryMs * 2, 7000);
        if (!signal.aborted)
          log.warn({ err: (e as Error).message, retryInMs: leaseRetryMs }, 'failed to renew the node lease');
        nextLease = now + leaseRetryMs;
      }
    }
    const readyNow = o.ready();
    if (now >= nextStatus || readyNow !== wasReady) {
      try {
        await o.nodeStatus.sync(signal, readyNow !== wasReady);
        if (readyNow && !wasReady) {
          log.info({ node: o.nodeName }, 'node is Ready');
          o.onReady?.();
        }
        wasReady = readyNow;
        nextStatus = now + o.statusEveryMs;
        statusRetryMs = 500;
      } catch (e) {
        statusRetryMs = Math.min(statusRetryMs * 2, Math.max(1000, o.statusEveryMs));
        if (!signal.aborted)
          log.warn({ err: (e as Error).message, retryInMs: statusRetryMs }, 'failed to update node status');
        nextStatus = now + statusRetryMs;
      }
    }
    // Until Ready, look often (the serving certificate may arrive any moment); then sleep to the next deadline.
    const until = Math.min(nextLease, nextStatus, wasReady ? Number.POSITIVE_INFINITY : Date.now() + 50);
    await sleep(Math.max(20, until - Date.now()), signal);
  }
}
