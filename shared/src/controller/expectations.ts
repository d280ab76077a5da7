// ControllerExpectations (k8s pkg/controller/controller_utils.go), with the UID-tracking deletions
// of UIDTrackingControllerExpectations: after a controller creates or deletes pods it must not act
// on the same owner again until its informer has seen those changes, or it would create twice what
// is missing. A sync waits for the counts to reach zero, or for five minutes (a watch event lost).

/** ExpectationsTimeout. */
export const EXPECTATIONS_TIMEOUT_MS = 5 * 60_000;

interface Expectation {
  add: number;
  del: number;
  readonly at: number;
  /** The keys of the pods expected to go: each lowers `del` once, however often it is seen. */
  readonly deleting: Set<string>;
}

export class ControllerExpectations {
  readonly #items = new Map<string, Expectation>();

  constructor(private readonly now: () => number = Date.now) {}

  /** SatisfiedExpectations: true when nothing is awaited (or never was, or the wait expired). */
  satisfied(key: string): boolean {
    const e = this.#items.get(key);
    if (!e) return true;
    if (e.add <= 0 && e.del <= 0) return true;
    return this.now() - e.at > EXPECTATIONS_TIMEOUT_MS;
  }

  /** ExpectCreations: replaces whatever was awaited for `key`. */
  expectCreations(key: string, adds: number): void {
    this.#items.set(key, { add: adds, del: 0, at: this.now(), deleting: new Set() });
  }

  /** ExpectDeletions with the keys (`namespace/name`) of the pods being deleted. */
  expectDeletions(key: string, podKeys: readonly string[]): void {
    this.#items.set(key, { add: 0, del: podKeys.length, at: this.now(), deleting: new Set(podKeys) });
  }

  creationObserved(key: string): void {
    const e = this.#items.get(key);
    if (e) e.add--;
  }

  /** DeletionObserved: counts only a pod this owner expected to delete, once. */
  deletionObserved(key: string, podKey: string): void {
    const e = this.#items.get(key);
    if (!e?.deleting.delete(podKey)) return;
    e.del--;
  }

  /** LowerExpectations: for creations or deletions that were never attempted or failed. */
  lower(key: string, adds: number, dels: number): void {
    const e = this.#items.get(key);
    if (!e) return;
    e.add -= adds;
    e.del -= dels;
  }

  /** DeleteExpectations: the owner is gone. */
  delete(key: string): void {
    this.#items.delete(key);
  }
}
