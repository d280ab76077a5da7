// The job controller's uidTrackingExpectations (job/tracking_utils.go): the pods whose tracking
// finalizer this controller removed and has not yet seen updated or gone, so a sync does not count
// them a second time from a stale cache. (The pod creations and deletions it waits for are the
// shared ControllerExpectations.)

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
