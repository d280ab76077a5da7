// A binary heap of keyed items with update and delete by key (the scheduler's internal heap.Heap):
// activeQ orders by priority, backoffQ by when each pod's backoff ends.

export class KeyedHeap<T> {
  readonly #items: { key: string; value: T }[] = [];
  readonly #index = new Map<string, number>();

  constructor(readonly less: (a: T, b: T) => boolean) {}

  get size(): number {
    return this.#items.length;
  }

  has(key: string): boolean {
    return this.#index.has(key);
  }

  get(key: string): T | undefined {
    const i = this.#index.get(key);
    return i === undefined ? undefined : this.#items[i]!.value;
  }

  /** Adds, or replaces the item under `key` and restores the order. */
  set(key: string, value: T): void {
    const i = this.#index.get(key);
    if (i !== undefined) {
      this.#items[i]!.value = value;
      this.#fix(i);
      return;
    }
    this.#items.push({ key, value });
    this.#index.set(key, this.#items.length - 1);
    this.#up(this.#items.length - 1);
  }

  peek(): T | undefined {
    return this.#items[0]?.value;
  }

  pop(): T | undefined {
    const top = this.#items[0];
    if (!top) return undefined;
    this.delete(top.key);
    return top.value;
  }

  delete(key: string): T | undefined {
    const i = this.#index.get(key);
    if (i === undefined) return undefined;
    const item = this.#items[i]!;
    const last = this.#items.pop()!;
    this.#index.delete(key);
    if (i < this.#items.length) {
      this.#items[i] = last;
      this.#index.set(last.key, i);
      this.#fix(i);
    }
    return item.value;
  }

  values(): T[] {
    return this.#items.map((x) => x.value);
  }

  #fix(i: number): void {
    if (!this.#up(i)) this.#down(i);
  }

  #swap(i: number, j: number): void {
    const a = this.#items[i]!;
    const b = this.#items[j]!;
    this.#items[i] = b;
    this.#items[j] = a;
    this.#index.set(b.key, i);
    this.#index.set(a.key, j);
  }

  #up(i: number): boolean {
    let moved = false;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(this.#items[i]!.value, this.#items[parent]!.value)) break;
      this.#swap(i, parent);
      i = parent;
      moved = true;
    }
    return moved;
  }

  #down(i: number): void {
    const n = this.#items.length;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let smallest = i;
      if (l < n && this.less(this.#items[l]!.value, this.#items[smallest]!.value)) smallest = l;
      if (r < n && this.less(this.#items[r]!.value, this.#items[smallest]!.value)) smallest = r;
      if (smallest === i) return;
      this.#swap(i, smallest);
      i = smallest;
    }
  }
}
