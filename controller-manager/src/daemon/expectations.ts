// ControllerExpectations (k8s pkg/controller/controller_utils.go): the creations and deletions a
// sync asked for and the pod informer has not shown yet. Until they are seen (or five minutes
// pass) the next sync must not act on the stale cache, or it would create the same pods twice.

/** ExpectationsTimeout. */
export const EXPECTATIONS_TIMEOUT_MS = 5 * 60_000;

interface Expected {
  add: number;
  del: number;
  at: number;
}

export class ControllerExpectations {
  readonly #byKey = new Map<string, Expected>();

  constructor(readonly now: () => number = Date.now) {}

  /** SatisfiedExpectations: nothing pending, nothing recorded, or the record expired. */
  satisfied(key: string): boolean {
    const e = this.#byKey.get(key);
    if (!e) return true;
    if (e.add <= 0 && e.del <= 0) return true;
    return this.now() - e.at > EXPECTATIONS_TIMEOUT_MS;
  }

  setExpectations(key: string, add: number, del: number): void {
    this.#byKey.set(key, { add, del, at: this.now() });
  }

  creationObserved(key: string): void {
    const e = this.#byKey.get(key);
    if (e) e.add--;
  }

  deletionObserved(key: string): void {
    const e = this.#byKey.get(key);
    if (e) e.del--;
  }

  delete(key: string): void {
    this.#byKey.delete(key);
  }
}
