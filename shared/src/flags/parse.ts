// Kubernetes-style command-line flags (spf13/pflag semantics as kube binaries use them):
// `--name=value` or `--name value`, booleans as `--flag` / `--flag=false`, repeatable
// string-array flags, comma-separated string slices, Go durations.
import { parseDuration } from './duration.js';

export type FlagType = 'string' | 'bool' | 'int' | 'float' | 'duration' | 'stringArray' | 'stringSlice';

export interface FlagSpec {
  readonly name: string;
  readonly type: FlagType;
  readonly usage: string;
  /** Default value; durations in Go syntax, arrays as arrays. */
  readonly default?: string | boolean | number | readonly string[];
  /** Placeholder shown in help, e.g. DIR. */
  readonly metavar?: string;
}

export type FlagValue = string | boolean | number | string[] | undefined;
export type FlagValues = Record<string, FlagValue>;

export interface ParsedArgs {
  readonly flags: FlagValues;
  /** Flags the user actually gave (as opposed to defaults). */
  readonly given: ReadonlySet<string>;
  readonly positionals: readonly string[];
}

export class FlagError extends Error {
  override readonly name = 'FlagError';
}

function convert(spec: FlagSpec, raw: string): string | boolean | number {
  switch (spec.type) {
    case 'bool':
      if (/^(true|1|t|T|TRUE|True)$/.test(raw)) return true;
      if (/^(false|0|f|F|FALSE|False)$/.test(raw)) return false;
      throw new FlagError(`invalid argument "${raw}" for "--${spec.name}" flag: expected true or false`);
    case 'int': {
      if (!/^-?\d+$/.test(raw))
        throw new FlagError(`invalid argument "${raw}" for "--${spec.name}" flag: not an integer`);
      return Number(raw);
    }
    case 'float': {
      if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(raw))
        throw new FlagError(`invalid argument "${raw}" for "--${spec.name}" flag: not a number`);
      return Number(raw);
    }
    case 'duration':
      try {
        return parseDuration(raw);
      } catch (e) {
        throw new FlagError(`invalid argument "${raw}" for "--${spec.name}" flag: ${(e as Error).message}`);
      }
    default:
      return raw;
  }
}

function defaultOf(spec: FlagSpec): FlagValue {
  const d = spec.default;
  if (d === undefined) {
    if (spec.type === 'bool') return false;
    if (spec.type === 'stringArray' || spec.type === 'stringSlice') return [];
    return undefined;
  }
  if (Array.isArray(d)) return [...d];
  if (spec.type === 'duration' && typeof d === 'string') return parseDuration(d);
  return d as string | boolean | number;
}

/** Parses argv against the specs; `--` ends flag parsing. Unknown flags are errors, as in kube binaries. */
export function parseFlags(specs: readonly FlagSpec[], argv: readonly string[]): ParsedArgs {
  const byName = new Map(specs.map((s) => [s.name, s]));
  const flags: FlagValues = {};
  for (const s of specs) flags[s.name] = defaultOf(s);
  const given = new Set<string>();
  const positionals: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith('-') || arg === '-') {
      positionals.push(arg);
      continue;
    }
    const body = arg.replace(/^--?/, '');
    const eq = body.indexOf('=');
    const name = eq >= 0 ? body.slice(0, eq) : body;
    const spec = byName.get(name);
    if (!spec) throw new FlagError(`unknown flag: --${name}`);
    let raw: string;
    if (eq >= 0) raw = body.slice(eq + 1);
    else if (spec.type === 'bool') raw = 'true';
    else {
      const next = argv[i + 1];
      if (next === undefined) throw new FlagError(`flag needs an argument: --${name}`);
      raw = next;
      i++;
    }
    const firstUse = !given.has(name);
    given.add(name);
    if (spec.type === 'stringArray' || spec.type === 'stringSlice') {
      const parts = spec.type === 'stringSlice' ? raw.split(',').filter((p) => p !== '') : [raw];
      // A given list flag replaces its default rather than appending to it, as pflag does.
      const prev = firstUse ? [] : (flags[name] as string[]);
      flags[name] = [...prev, ...parts];
    } else {
      flags[name] = convert(spec, raw);
    }
  }
  return { flags, given, positionals };
}

/** Renders flags the way kube binaries print them in --help. */
export function formatFlagHelp(specs: readonly FlagSpec[]): string {
  const rows = specs.map((s) => {
    const meta =
      s.type === 'bool'
        ? ''
        : ` ${s.metavar ?? (s.type === 'duration' ? 'duration' : s.type === 'int' ? 'int' : s.type === 'float' ? 'float32' : 'string')}`;
    const left = `      --${s.name}${meta}`;
    const d = s.default;
    const showDefault =
      d !== undefined && d !== false && d !== '' && !(Array.isArray(d) && d.length === 0)
        ? ` (default ${Array.isArray(d) ? `[${d.join(',')}]` : typeof d === 'string' ? `"${d}"` : String(d)})`
        : '';
    return { left, right: `${s.usage}${showDefault}` };
  });
  const width = Math.min(48, Math.max(0, ...rows.map((r) => r.left.length)) + 3);
  return rows
    .map((r) =>
      r.left.length + 3 > width ? `${r.left}\n${' '.repeat(width)}${r.right}` : r.left.padEnd(width) + r.right,
    )
    .join('\n');
}
