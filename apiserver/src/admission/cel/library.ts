// The parts of cel-go's strings extension and of Kubernetes' CEL libraries (pkg/cel/library:
// lists.go, regex.go) that cel-js lacks; startsWith, split, join, trim, indexOf, lowerAscii… are
// built in. Functions throw for what cel-go reports as an error value.
import type { Environment } from '@marcbachmann/cel-js';

const codePoints = (s: string): string[] => [...s];

/** strings.Replace: the first n occurrences (all when n < 0); "" matches around every code point. */
function replace(s: string, from: string, to: string, n: bigint): string {
  const pieces = from === '' ? ['', ...codePoints(s), ''] : s.split(from);
  let out = pieces[0]!;
  for (let i = 1; i < pieces.length; i++) out += (n < 0n || BigInt(i) <= n ? to : from) + pieces[i];
  return out;
}

function compile(pattern: string): RegExp {
  try {
    return new RegExp(pattern, 'gu');
  } catch (e) {
    throw new Error(`invalid regular expression: ${(e as Error).message}`);
  }
}

function findAll(s: string, pattern: string, n: bigint): string[] {
  const out: string[] = [];
  if (n === 0n) return out;
  for (const m of s.matchAll(compile(pattern))) {
    out.push(m[0]);
    if (n > 0n && BigInt(out.length) >= n) break;
  }
  return out;
}

const less = (a: unknown, b: unknown): boolean => (a as number) < (b as number);

function assertComparable(l: unknown[]): void {
  const kinds = new Set(l.map((x) => typeof x));
  if (kinds.size > 1 || [...kinds].some((k) => !['bigint', 'number', 'string'].includes(k))) {
    throw new Error('no such overload');
  }
}

function extreme(l: unknown[], pick: (a: unknown, b: unknown) => boolean, name: string): unknown {
  if (l.length === 0) throw new Error(`${name}(): list cannot be empty`);
  assertComparable(l);
  return l.reduce((acc, x) => (pick(x, acc) ? x : acc));
}

const deepEqual = (a: unknown, b: unknown): boolean => {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || !a || !b) return false;
  return (
    JSON.stringify(a, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v)) ===
    JSON.stringify(b, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v))
  );
};

/** The namespace `sets.contains(…)` hangs on (cel-js has no qualified global functions). */
class SetsLibrary {}

const has = (l: unknown[], x: unknown): boolean => l.some((y) => deepEqual(x, y));

export function registerExtraLibrary(env: Environment): void {
  // Kubernetes' sets library (pkg/cel/library/sets.go).
  env
    .registerType('kubernetes.SetsLibrary', SetsLibrary)
    .registerConstant('sets', 'kubernetes.SetsLibrary', new SetsLibrary())
    .registerFunction(
      'kubernetes.SetsLibrary.contains(list, list): bool',
      (_: SetsLibrary, a: unknown[], b: unknown[]) => b.every((x) => has(a, x)),
    )
    .registerFunction(
      'kubernetes.SetsLibrary.equivalent(list, list): bool',
      (_: SetsLibrary, a: unknown[], b: unknown[]) => b.every((x) => has(a, x)) && a.every((x) => has(b, x)),
    )
    .registerFunction(
      'kubernetes.SetsLibrary.intersects(list, list): bool',
      (_: SetsLibrary, a: unknown[], b: unknown[]) => b.some((x) => has(a, x)),
    );
  env
    .registerFunction('string.replace(string, string): string', (s: string, a: string, b: string) =>
      replace(s, a, b, -1n),
    )
    .registerFunction('string.replace(string, string, int): string', replace)
    .registerFunction('string.charAt(int): string', (s: string, i: bigint) => {
      const cps = codePoints(s);
      if (i < 0n || i > BigInt(cps.length)) throw new Error(`index out of range: ${i}`);
      return cps[Number(i)] ?? '';
    })
    .registerFunction('string.reverse(): string', (s: string) => codePoints(s).reverse().join(''))
    .registerFunction('string.find(string): string', (s: string, p: string) => findAll(s, p, 1n)[0] ?? '')
    .registerFunction('string.findAll(string): list<string>', (s: string, p: string) => findAll(s, p, -1n))
    .registerFunction('string.findAll(string, int): list<string>', findAll)
    .registerFunction('list.isSorted(): bool', (l: unknown[]) => {
      assertComparable(l);
      return l.every((x, i) => i === 0 || !less(x, l[i - 1]));
    })
    .registerFunction('list.sum(): dyn', (l: unknown[]) => {
      assertComparable(l);
      if (l.length === 0) return 0n;
      return (l as never[]).reduce((a: never, b: never) => (a + b) as never);
    })
    .registerFunction('list.min(): dyn', (l: unknown[]) => extreme(l, less, 'min'))
    .registerFunction('list.max(): dyn', (l: unknown[]) => extreme(l, (a, b) => less(b, a), 'max'))
    .registerFunction('list.indexOf(dyn): int', (l: unknown[], x: unknown) =>
      BigInt(l.findIndex((y) => deepEqual(x, y))),
    )
    .registerFunction('list.lastIndexOf(dyn): int', (l: unknown[], x: unknown) =>
      BigInt(l.findLastIndex((y) => deepEqual(x, y))),
    );
}
