// A resource.Quantity as quota arithmetic needs it: the exact value and the format it was written in,
// so that sums print as upstream's do (`64Mi` + `64Mi` is `128Mi`, `100m` + `200m` is `300m`) and
// the admission messages and status.used carry the same text a kube-apiserver would write.
import { formatQuantity, Quantity, type QuantityFormat, quantityFormat } from '../quantity/index.js';

export class QuotaQuantity {
  constructor(
    readonly value: Quantity,
    readonly format: QuantityFormat = 'DecimalSI',
  ) {}

  /** resource.MustParse: the format follows the suffix. Throws on a malformed quantity. */
  static parse(s: string): QuotaQuantity {
    const t = String(s).trim();
    return new QuotaQuantity(Quantity.parse(t), quantityFormat(t));
  }

  /** resource.NewQuantity(n, DecimalSI). */
  static count(n: number | bigint): QuotaQuantity {
    return new QuotaQuantity(new Quantity(BigInt(n)), 'DecimalSI');
  }

  static readonly ZERO = new QuotaQuantity(new Quantity(0n), 'DecimalSI');

  sign(): number {
    return this.value.num > 0n ? 1 : this.value.num < 0n ? -1 : 0;
  }

  isZero(): boolean {
    return this.value.num === 0n;
  }

  compare(o: QuotaQuantity): number {
    return this.value.compare(o.value);
  }

  /** Quantity.Add: the receiver's format, unless it is zero (then the addend's). */
  add(o: QuotaQuantity): QuotaQuantity {
    return new QuotaQuantity(this.value.add(o.value), this.isZero() ? o.format : this.format);
  }

  sub(o: QuotaQuantity): QuotaQuantity {
    return new QuotaQuantity(this.value.add(o.value.negate()), this.isZero() ? o.format : this.format);
  }

  /** Quantity.String(): the canonical form (CanonicalizeBytes). */
  toString(): string {
    return formatQuantity(this.value, this.format);
  }
}
