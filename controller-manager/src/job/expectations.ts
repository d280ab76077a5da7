// controller.ControllerExpectations and the job controller's uidTrackingExpectations: what this
// controller has asked of the apiserver and not yet seen through its informer, so a sync does not
// act twice on a stale cache. An expectation older than five minutes counts as met.
const EXPECTATIONS_TTL_MS = 5 * 60_000;

interface Expectation {
  add: number;
  del: number;
  at: number;
}

export class ControllerExpectations {
  readonly #m = new Map<string, Expectation>();

  constructor(readonly now: () => number = Date.now) {}

  satisfied(key: string): boolean {
    const e = this.#m.get(key);
    if (!e) return true;
    return (e.add <= 0 && e.del <= 0) || this.now() - e.at > EXPECTATIONS_TTL_MS;
  }

  expectCreations(key: string, n: number): void {
    this.#m.set(key, { add: n, del: 0, at: this.now() });
  }

  expectDeletions(key: string, n: number): void {
    this.#m.set(key, { add: 0, del: n, at: this.now() });
  }

  creationObserved(key: string): void {
    const e = this.#m.get(key);
    if (e) e.add--;
  }

  deletionObserved(key: string): void {
    const e = this.#m.get(key);
    if (e) e.del--;
  }

  delete(key: string): void {
    this.#m.delete(key);
  }
}

/** Pods (by uid) whose tracking finalizer this controller removed and has not yet seen go. */
export class UidTrackingExpectations {
  readonly #m = new Map<string, Set<string>>();

  expected(key: string): ReadonlySet<string> {
    return this.#m.get(key) ?? new Set();
  }

  expectRemoved(key: string, uids: readonly string[]): void {
    const s = this.#m.get(key) ?? new Set<string>();
    for (const u of uids) s.add(u);
    this.#m.set(key, s);
  }

  removalObserved(key: string, uid: string): void {
    const s = this.#m.get(key);
    if (!s) return;
    s.delete(uid);
    if (s.size === 0) this.#m.delete(key);
  }

  delete(key: string): void {
    this.#m.delete(key);
  }
}
