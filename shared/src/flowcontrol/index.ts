// client-go's token bucket (util/flowcontrol): `burst` tokens at first, refilled at `qps` a second. The
// apiserver's EventRateLimit turns requests away with it; a client waits for its turn with `reserve`.

export class TokenBucket {
  #tokens: number;
  #last: number;

  constructor(
    private readonly qps: number,
    private readonly burst: number,
    private readonly now: () => number = Date.now,
  ) {
    this.#tokens = burst;
    this.#last = now();
  }

  #refill(): void {
    const t = this.now();
    this.#tokens = Math.min(this.burst, this.#tokens + ((t - this.#last) / 1000) * this.qps);
    this.#last = t;
  }

  /** Takes a token if there is one (TryAccept). */
  tryAccept(): boolean {
    this.#refill();
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }

  /** Takes a token now, owed if need be: the ms to wait before using it (Reserve, then its Delay). */
  reserve(): number {
    this.#refill();
    this.#tokens -= 1;
    return this.#tokens >= 0 ? 0 : Math.ceil((-this.#tokens / this.qps) * 1000);
  }
}
