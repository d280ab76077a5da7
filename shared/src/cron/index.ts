// CronJob schedules as Kubernetes reads them: robfig/cron v3's ParseStandard (five fields, month and
// weekday names, ranges, steps, `?`, the @yearly…@hourly descriptors and `@every <duration>`), with
// its error texts, because the apiserver puts them in a CronJob's validation error verbatim. The
// parse result is robfig's per-field bit sets; croner only does the calendar arithmetic of Next in a
// time zone, from a pattern rebuilt out of those sets, so what a schedule means is robfig's.
import { Cron } from 'croner';

interface Bounds {
  readonly min: number;
  readonly max: number;
  readonly names?: Readonly<Record<string, number>>;
}

const MINUTES: Bounds = { min: 0, max: 59 };
const HOURS: Bounds = { min: 0, max: 23 };
const DOM: Bounds = { min: 1, max: 31 };
const MONTHS: Bounds = {
  min: 1,
  max: 12,
  names: { jan: 1, feb: 2, mar: 3, apr: 4, may: 5, jun: 6, jul: 7, aug: 8, sep: 9, oct: 10, nov: 11, dec: 12 },
};
const DOW: Bounds = { min: 0, max: 6, names: { sun: 0, mon: 1, tue: 2, wed: 3, thu: 4, fri: 5, sat: 6 } };

/** One field: the values it allows, and whether it was written `*` or `?` (robfig's starBit). */
interface FieldSet {
  readonly values: ReadonlySet<number>;
  readonly star: boolean;
}

export interface CronSchedule {
  /** The first activation strictly after `after` (robfig Schedule.Next), in `timeZone` (IANA) or UTC. */
  next(after: Date, timeZone?: string): Date;
  /** The location a `TZ=` / `CRON_TZ=` prefix named, if any. */
  readonly location?: string;
}

export class CronParseError extends Error {}

function fail(message: string): never {
  throw new CronParseError(message);
}

/** Go's strconv.Atoi, with robfig's wrapping of its error. */
function parseUint(expr: string): number {
  if (!/^[+-]?\d+$/.test(expr))
    fail(`failed to parse int from ${expr}: strconv.Atoi: parsing ${goQuote(expr)}: invalid syntax`);
  const n = Number(expr);
  if (!Number.isSafeInteger(n) || Math.abs(n) > 2 ** 63 - 1) {
    fail(`failed to parse int from ${expr}: strconv.Atoi: parsing ${goQuote(expr)}: value out of range`);
  }
  if (n < 0) fail(`negative number (${n}) not allowed: ${expr}`);
  return n;
}

function goQuote(s: string): string {
  return JSON.stringify(s);
}

function parseIntOrName(expr: string, b: Bounds): number {
  const named = b.names?.[expr.toLowerCase()];
  return named ?? parseUint(expr);
}

/** robfig getRange: `*`, `?`, `n`, `a-b`, each optionally `/step`. */
function getRange(expr: string, b: Bounds, into: Set<number>): boolean {
  const rangeAndStep = expr.split('/');
  const lowAndHigh = rangeAndStep[0]!.split('-');
  const single = lowAndHigh.length === 1;
  let start: number;
  let end: number;
  let star = false;
  if (lowAndHigh[0] === '*' || lowAndHigh[0] === '?') {
    start = b.min;
    end = b.max;
    star = true;
  } else {
    start = parseIntOrName(lowAndHigh[0]!, b);
    if (lowAndHigh.length === 1) end = start;
    else if (lowAndHigh.length === 2) end = parseIntOrName(lowAndHigh[1]!, b);
    else fail(`too many hyphens: ${expr}`);
  }
  let step = 1;
  if (rangeAndStep.length === 2) {
    step = parseUint(rangeAndStep[1]!);
    // "N/step" means "N-max/step".
    if (single) end = b.max;
    if (step > 1) star = false;
  } else if (rangeAndStep.length > 2) {
    fail(`too many slashes: ${expr}`);
  }
  if (start < b.min) fail(`beginning of range (${start}) below minimum (${b.min}): ${expr}`);
  if (end > b.max) fail(`end of range (${end}) above maximum (${b.max}): ${expr}`);
  if (start > end) fail(`beginning of range (${start}) beyond end of range (${end}): ${expr}`);
  if (step === 0) fail(`step of range should be a positive number: ${expr}`);
  for (let i = start; i <= end; i += step) into.add(i);
  return star;
}

function getField(field: string, b: Bounds): FieldSet {
  const values = new Set<number>();
  let star = false;
  for (const expr of field.split(',').filter((s) => s !== '')) star = getRange(expr, b, values) || star;
  return { values, star };
}

const all = (b: Bounds): FieldSet => {
  const values = new Set<number>();
  for (let i = b.min; i <= b.max; i++) values.add(i);
  return { values, star: true };
};
const only = (v: number): FieldSet => ({ values: new Set([v]), star: false });

const DESCRIPTORS: Readonly<Record<string, () => FieldSet[]>> = {
  '@yearly': () => [only(0), only(0), only(1), only(1), all(DOW)],
  '@annually': () => [only(0), only(0), only(1), only(1), all(DOW)],
  '@monthly': () => [only(0), only(0), only(1), all(MONTHS), all(DOW)],
  '@weekly': () => [only(0), only(0), all(DOM), all(MONTHS), only(0)],
  '@daily': () => [only(0), only(0), all(DOM), all(MONTHS), all(DOW)],
  '@midnight': () => [only(0), only(0), all(DOM), all(MONTHS), all(DOW)],
  '@hourly': () => [only(0), all(HOURS), all(DOM), all(MONTHS), all(DOW)],
};

const DURATION_UNITS: Readonly<Record<string, number>> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  μs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/** Go's time.ParseDuration, in milliseconds (enough for `@every`). */
export function parseGoDuration(s: string): number {
  const bad = () => fail(`time: invalid duration ${goQuote(s)}`);
  let rest = s;
  let sign = 1;
  if (rest.startsWith('-') || rest.startsWith('+')) {
    if (rest[0] === '-') sign = -1;
    rest = rest.slice(1);
  }
  if (rest === '0') return 0;
  if (rest === '') bad();
  let total = 0;
  const part = /^(\d+(?:\.\d*)?|\.\d+)([a-zµμ]+)/;
  while (rest !== '') {
    const m = part.exec(rest);
    if (!m) {
      if (/^(\d+(?:\.\d*)?|\.\d+)$/.test(rest)) fail(`time: missing unit in duration ${goQuote(s)}`);
      bad();
    }
    const unit = DURATION_UNITS[m![2]!];
    if (unit === undefined) fail(`time: unknown unit ${goQuote(m![2]!)} in duration ${goQuote(s)}`);
    total += Number(m![1]) * unit!;
    rest = rest.slice(m![0].length);
  }
  return sign * total;
}

/** Whether `name` is a time zone this process knows (Go's time.LoadLocation against the IANA database). */
export function isValidTimeZone(name: string): boolean {
  if (name === '' || name === 'Local') return false;
  if (name === 'UTC') return true;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

function pattern(fields: readonly FieldSet[]): string {
  const render = (f: FieldSet) => (f.star ? '*' : [...f.values].sort((a, b) => a - b).join(','));
  return `0 ${fields.map(render).join(' ')}`;
}

class SpecSchedule implements CronSchedule {
  readonly #pattern: string;
  readonly #empty: boolean;
  readonly #crons = new Map<string, Cron>();

  constructor(
    fields: readonly FieldSet[],
    readonly location?: string,
  ) {
    this.#pattern = pattern(fields);
    // robfig accepts a day that never comes (`0 0 31 2 *`): Next then returns the zero time.
    this.#empty = fields.some((f) => f.values.size === 0);
  }

  next(after: Date, timeZone?: string): Date {
    const tz = this.location ?? timeZone ?? 'UTC';
    if (this.#empty) return new Date(Number.NaN);
    let cron = this.#crons.get(tz);
    if (!cron) {
      cron = new Cron(this.#pattern, { timezone: tz, legacyMode: true, paused: true });
      this.#crons.set(tz, cron);
    }
    return cron.nextRun(after) ?? new Date(Number.NaN);
  }
}

class ConstantDelaySchedule implements CronSchedule {
  constructor(readonly delayMs: number) {}

  next(after: Date): Date {
    // robfig rounds the delay to whole seconds (at least one) and lands on a whole second.
    return new Date(Math.floor(after.getTime() / 1000) * 1000 + this.delayMs);
  }
}

/** robfig/cron v3 ParseStandard. Throws CronParseError with robfig's message. */
export function parseStandardSchedule(input: string): CronSchedule {
  let spec = input;
  if (spec.length === 0) fail('empty spec string');
  let location: string | undefined;
  if (spec.startsWith('TZ=') || spec.startsWith('CRON_TZ=')) {
    const i = spec.indexOf(' ');
    const eq = spec.indexOf('=');
    const name = spec.slice(eq + 1, i < 0 ? undefined : i);
    if (!isValidTimeZone(name)) fail(`provided bad location ${name}: unknown time zone ${name}`);
    location = name;
    spec = i < 0 ? '' : spec.slice(i).trim();
  }
  if (spec.startsWith('@')) {
    const d = DESCRIPTORS[spec];
    if (d) return new SpecSchedule(d(), location);
    const every = '@every ';
    if (spec.startsWith(every)) {
      let ms: number;
      try {
        ms = parseGoDuration(spec.slice(every.length));
      } catch (e) {
        fail(`failed to parse duration ${spec}: ${(e as Error).message}`);
      }
      return new ConstantDelaySchedule(Math.max(1000, ms! - (ms! % 1000)));
    }
    fail(`unrecognized descriptor: ${spec}`);
  }
  const fields = spec.split(/\s+/).filter((f) => f !== '');
  if (fields.length !== 5) fail(`expected exactly 5 fields, found ${fields.length}: [${fields.join(' ')}]`);
  const bounds = [MINUTES, HOURS, DOM, MONTHS, DOW];
  return new SpecSchedule(
    fields.map((f, i) => getField(f, bounds[i]!)),
    location,
  );
}
