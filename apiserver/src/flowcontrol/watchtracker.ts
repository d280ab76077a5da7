// The watches open per resource, namespace and name (upstream's flowcontrol WatchTracker): a write's
// work estimate counts those it will notify: watches of the whole resource, of its namespace, and of
// the one object.
import type { RequestInfo } from '../request/requestinfo.js';

export class WatchTracker {
  private readonly counts = new Map<string, number>();

  /** A watch was admitted; call the result once it ends. */
  register(info: RequestInfo): () => void {
    const key = watchKey(info.apiGroup, info.resource, info.namespace, info.name);
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
    let done = false;
    return () => {
      if (done) return;
      done = true;
      const n = (this.counts.get(key) ?? 1) - 1;
      if (n > 0) this.counts.set(key, n);
      else this.counts.delete(key);
    };
  }

  /** Watches interested in what this (write) request changes. */
  interestedCount(info: RequestInfo): number {
    if (this.counts.size === 0) return 0;
    let n = this.counts.get(watchKey(info.apiGroup, info.resource, '', '')) ?? 0;
    if (info.namespace) n += this.counts.get(watchKey(info.apiGroup, info.resource, info.namespace, '')) ?? 0;
    if (info.name) n += this.counts.get(watchKey(info.apiGroup, info.resource, info.namespace, info.name)) ?? 0;
    return n;
  }
}

function watchKey(group: string, resource: string, namespace: string, name: string): string {
  return `${group}\u0000${resource}\u0000${namespace}\u0000${name}`;
}
