// A time-weighted running average of one quantity (upstream's fairqueuing Integrator): a priority
// level's seat demand is fed in as it changes, and each borrowing adjustment reads and restarts the
// period. Times are the dispatcher's monotonic milliseconds.

export interface IntegratorResults {
  /** Seconds covered. */
  readonly duration: number;
  /** NaN when the period is empty, as upstream's. */
  readonly average: number;
  /** NaN when the period is empty or rounding makes the variance negative. */
  readonly deviation: number;
  readonly min: number;
  readonly max: number;
}

export class Integrator {
  private x = 0;
  private lastMs: number;
  private min = 0;
  private max = 0;
  private elapsed = 0;
  private integralX = 0;
  private integralXX = 0;

  constructor(nowMs: number) {
    this.lastMs = nowMs;
  }

  get value(): number {
    return this.x;
  }

  set(x: number, nowMs: number): void {
    this.advance(nowMs);
    this.x = x;
    if (x < this.min) this.min = x;
    if (x > this.max) this.max = x;
  }

  /** The period's figures up to `nowMs`; a new period starts there, with the current value as its min and max. */
  reset(nowMs: number): IntegratorResults {
    this.advance(nowMs);
    const duration = this.elapsed;
    let average = Number.NaN;
    let deviation = Number.NaN;
    if (duration > 0) {
      average = this.integralX / duration;
      const variance = this.integralXX / duration - average * average;
      if (variance >= 0) deviation = Math.sqrt(variance);
    }
    const results = { duration, average, deviation, min: this.min, max: this.max };
    this.elapsed = 0;
    this.integralX = 0;
    this.integralXX = 0;
    this.min = this.x;
    this.max = this.x;
    return results;
  }

  private advance(nowMs: number): void {
    const dt = (nowMs - this.lastMs) / 1000;
    if (dt > 0) {
      this.elapsed += dt;
      this.integralX += this.x * dt;
      this.integralXX += this.x * this.x * dt;
      this.lastMs = nowMs;
    }
  }
}
