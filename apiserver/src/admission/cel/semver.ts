// Kubernetes' semver CEL library (k8s.io/apiserver pkg/cel/library/semverlib.go) over blang/semver's
// rules: `semver('1.2.3-rc.1')`, `isSemver(s)`, the normalising `semver('v1.2', true)`, major/minor/
// patch and comparisons (pre-releases before releases; build metadata ignored).
import type { Environment } from '@marcbachmann/cel-js';
import { succeeds } from './succeeds.js';

const NUMERIC = /^[0-9]+$/;
const IDENT = /^[0-9A-Za-z-]+$/;

/** The `kubernetes.Semver` CEL type. */
export class Semver {
  constructor(
    readonly major: bigint,
    readonly minor: bigint,
    readonly patch: bigint,
    readonly pre: readonly string[],
    readonly build: readonly string[],
  ) {}

  compare(o: Semver): number {
    for (const [a, b] of [
      [this.major, o.major],
      [this.minor, o.minor],
      [this.patch, o.patch],
    ] as const) {
      if (a !== b) return a < b ? -1 : 1;
    }
    if (this.pre.length === 0 || o.pre.length === 0) {
      return this.pre.length === o.pre.length ? 0 : this.pre.length === 0 ? 1 : -1;
    }
    for (let i = 0; i < Math.min(this.pre.length, o.pre.length); i++) {
      const a = this.pre[i]!;
      const b = o.pre[i]!;
      if (a === b) continue;
      const an = NUMERIC.test(a);
      const bn = NUMERIC.test(b);
      if (an && bn) return BigInt(a) < BigInt(b) ? -1 : 1;
      if (an !== bn) return an ? -1 : 1;
      return a < b ? -1 : 1;
    }
    return this.pre.length === o.pre.length ? 0 : this.pre.length < o.pre.length ? -1 : 1;
  }
}

function number(s: string, what: string): bigint {
  if (!NUMERIC.test(s)) throw new Error(`Invalid character(s) found in ${what} number ${JSON.stringify(s)}`);
  if (s.length > 1 && s.startsWith('0'))
    throw new Error(
      `${what[0]!.toUpperCase()}${what.slice(1)} number must not contain leading zeroes ${JSON.stringify(s)}`,
    );
  const v = BigInt(s);
  if (v > 18446744073709551615n) throw new Error(`value out of range: ${s}`);
  return v;
}

/** semver.Parse (blang/semver v4), its error texts. */
export function parseSemver(s: string): Semver {
  if (s.length === 0) throw new Error('Version string empty');
  const parts = s.split('.');
  if (parts.length < 3) throw new Error('No Major.Minor.Patch elements found');
  const major = number(parts[0]!, 'major');
  const minor = number(parts[1]!, 'minor');
  // The patch element runs to the end: pre-release and build may contain dots.
  const rest = parts.slice(2).join('.');
  const plus = rest.indexOf('+');
  const dash = rest.indexOf('-');
  const end = Math.min(...[plus, dash, rest.length].filter((i) => i >= 0));
  const patch = number(rest.slice(0, end), 'patch');
  let pre: string[] = [];
  let build: string[] = [];
  let tail = rest.slice(end);
  if (tail.startsWith('-')) {
    const p = tail.indexOf('+');
    const preStr = p >= 0 ? tail.slice(1, p) : tail.slice(1);
    tail = p >= 0 ? tail.slice(p) : '';
    pre = preStr.split('.');
    for (const id of pre) {
      if (id === '') throw new Error('Prerelease is empty');
      if (!IDENT.test(id)) throw new Error(`Invalid character(s) found in prerelease ${JSON.stringify(id)}`);
      if (NUMERIC.test(id) && id.length > 1 && id.startsWith('0')) {
        throw new Error(`Numeric PreRelease version must not contain leading zeroes ${JSON.stringify(id)}`);
      }
    }
  }
  if (tail.startsWith('+')) {
    build = tail.slice(1).split('.');
    for (const id of build) {
      if (id === '') throw new Error('Build meta data is empty');
      if (!IDENT.test(id)) throw new Error(`Invalid character(s) found in build meta data ${JSON.stringify(id)}`);
    }
  }
  return new Semver(major, minor, patch, pre, build);
}

/** Upstream's normalizeAndParse: no "v" prefix, zeros filled in for a missing minor or patch, leading zeros dropped. */
export function normalizeAndParseSemver(raw: string): Semver {
  const parts = raw.replace(/^v/, '').split('.');
  const head = parts.length > 3 ? [...parts.slice(0, 2), parts.slice(2).join('.')] : parts;
  const fixed = head.map((p) => {
    if (p.length <= 1) return p;
    const t = p.replace(/^0+/, '');
    return t === '' || !/^[0-9]/.test(t) ? `0${t}` : t;
  });
  if (fixed.length < 3) {
    if (/[+-]/.test(fixed[fixed.length - 1]!))
      throw new Error('short version cannot contain PreRelease/Build meta data');
    while (fixed.length < 3) fixed.push('0');
  }
  return parseSemver(fixed.join('.'));
}

export function registerSemverLibrary(env: Environment): void {
  const S = 'kubernetes.Semver';
  const parse = (s: string, normalize: boolean) => (normalize ? normalizeAndParseSemver(s) : parseSemver(s));
  env
    .registerType(S, Semver)
    .registerFunction(`semver(string): ${S}`, (s: string) => parse(s, false))
    .registerFunction(`semver(string, bool): ${S}`, (s: string, n: boolean) => parse(s, n))
    .registerFunction('isSemver(string): bool', (s: string) => succeeds(() => parse(s, false)))
    .registerFunction('isSemver(string, bool): bool', (s: string, n: boolean) => succeeds(() => parse(s, n)))
    .registerFunction(`${S}.major(): int`, (v: Semver) => v.major)
    .registerFunction(`${S}.minor(): int`, (v: Semver) => v.minor)
    .registerFunction(`${S}.patch(): int`, (v: Semver) => v.patch)
    .registerFunction(`${S}.isGreaterThan(${S}): bool`, (a: Semver, b: Semver) => a.compare(b) === 1)
    .registerFunction(`${S}.isLessThan(${S}): bool`, (a: Semver, b: Semver) => a.compare(b) === -1)
    .registerFunction(`${S}.compareTo(${S}): int`, (a: Semver, b: Semver) => BigInt(a.compare(b)))
    .registerOperator(`${S} == ${S}`, (a: Semver, b: Semver) => a.compare(b) === 0);
}
