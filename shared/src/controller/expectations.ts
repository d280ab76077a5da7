// ControllerExpectations and UIDTrackingControllerExpectations (k8s pkg/controller/controller_utils.go):
// after a controller creates or deletes pods it must not act on the same owner again until its
// informer has seen those changes, or it would create twice what is missing. A sync waits for the
// counts to reach zero, or for five minutes (a watch event lost).

/** ExpectationsTimeout. */
export const EXPECTATIONS_TIMEOUT_MS = 5 * 60_000;

interface Expectation {
  add: number;
  del: number;
  readonly at: number;
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

  /** SetExpectations: replaces whatever was awaited for `key`. */
  setExpectations(key: string, adds: number, dels: number): void {
    this.#items.set(key, { add: adds, del: dels, at: this.now() });
  }

  expectCreations(key: string, adds: number): void {
    this.setExpectations(key, adds, 0);
  }

  expectDeletions(key: string, dels: number): void {
    this.setExpectations(key, 0, dels);
  }

  creationObserved(key: string): void {
    this.lower(key, 1, 0);
  }

  deletionObserved(key: string): void {
    this.lower(key, 0, 1);
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

/**
 * UIDTrackingControllerExpectations: deletions are expected by pod key, and each pod lowers the
 * count once however often its deletion is seen (an update with a deletionTimestamp, then the
 * delete itself).
 */
export class UIDTrackingControllerExpectations {
  readonly #counts: ControllerExpectations;
  readonly #deleting = new Map<string, Set<string>>();

  constructor(now: () => number = Date.now) {
    this.#counts = new ControllerExpectations(now);
  }

  satisfied(key: string): boolean {
    return this.#counts.satisfied(key);
  }

  /** Replaces whatever was awaited for `key`, pod keys included. */
  expectCreations(key: string, adds: number): void {
    this.#deleting.delete(key);
    this.#counts.expectCreations(key, adds);
  }

  /** ExpectDeletions with the keys (`namespace/name`) of the pods being deleted. */
  expectDeletions(key: string, podKeys: readonly string[]): void {
    this.#deleting.set(key, new Set(podKeys));
    this.#counts.expectDeletions(key, podKeys.length);
  }

  creationObserved(key: string): void {
    this.#counts.creationObserved(key);
  }

  /** DeletionObserved: counts only a pod this owner expected to delete, once. */
  deletionObserved(key: string, podKey: string): void {
    if (!this.#deleting.get(key)?.delete(podKey)) return;
    this.#counts.deletionObserved(key);
  }

  lower(key: string, adds: number, dels: number): void {
    this.#counts.lower(key, adds, dels);
  }

  delete(key: string): void {
    this.#deleting.delete(key);
    this.#counts.delete(key);
  }
}
