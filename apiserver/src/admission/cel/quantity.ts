// The Kubernetes quantity library (k8s.io/apiserver pkg/cel/library/quantity.go): `quantity("1.5Gi")`,
// `isQuantity()`, comparison and arithmetic, over the shared resource.Quantity.
import type { Environment } from '@marcbachmann/cel-js';
import { QUANTITY, Quantity } from '@mkube/shared/quantity';

const asQuantity = (v: unknown): Quantity => (typeof v === 'bigint' ? new Quantity(v) : (v as Quantity));

export function registerQuantityLibrary(env: Environment): void {
  const Q = 'kubernetes.Quantity';
  env
    .registerType(Q, Quantity)
    .registerFunction(`quantity(string): ${Q}`, (s: string) => Quantity.parse(s))
    .registerFunction('isQuantity(string): bool', (s: string) => QUANTITY.test(s.trim()))
    .registerFunction(`${Q}.sign(): int`, (q: Quantity) => BigInt(q.num > 0n ? 1 : q.num < 0n ? -1 : 0))
    .registerFunction(`${Q}.isInteger(): bool`, (q: Quantity) => q.asInt64() !== undefined)
    .registerFunction(`${Q}.asInteger(): int`, (q: Quantity) => {
      const v = q.asInt64();
      if (v === undefined) throw new Error('cannot convert value to integer');
      return v;
    })
    .registerFunction(`${Q}.asApproximateFloat(): double`, (q: Quantity) => Number(q.num) / Number(q.den))
    .registerFunction(`${Q}.isGreaterThan(${Q}): bool`, (a: Quantity, b: Quantity) => a.compare(b) > 0)
    .registerFunction(`${Q}.isLessThan(${Q}): bool`, (a: Quantity, b: Quantity) => a.compare(b) < 0)
    .registerFunction(`${Q}.compareTo(${Q}): int`, (a: Quantity, b: Quantity) => BigInt(a.compare(b)))
    .registerOperator(`${Q} == ${Q}`, (a: Quantity, b: Quantity) => a.compare(b) === 0);
  for (const arg of [Q, 'int']) {
    env
      .registerFunction(`${Q}.add(${arg}): ${Q}`, (a: Quantity, b: unknown) => a.add(asQuantity(b)))
      .registerFunction(`${Q}.sub(${arg}): ${Q}`, (a: Quantity, b: unknown) => a.add(asQuantity(b).negate()));
  }
}
