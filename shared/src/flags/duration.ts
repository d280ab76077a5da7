// Go's time.ParseDuration syntax ("8760h", "1h30m", "90s", "300ms"), as kube flags take it.
const UNIT_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/** Parses a Go duration into milliseconds; throws on anything Go would refuse. */
export function parseDuration(text: string): number {
  const s = text.trim();
  if (s === '0') return 0;
  const m = /^([-+]?)((?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|ms|s|m|h))+$/.exec(s);
  if (!m) throw new Error(`invalid duration "${text}" (expected e.g. 8760h, 1h30m, 90s)`);
  let total = 0;
  for (const part of s.matchAll(/(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/g)) {
    total += Number(part[1]) * (UNIT_MS[part[2]!] ?? Number.NaN);
  }
  if (!Number.isFinite(total)) throw new Error(`invalid duration "${text}"`);
  return m[1] === '-' ? -total : total;
}

/** Formats milliseconds the way Go prints a duration (e.g. 8760h0m0s). */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  const neg = ms < 0;
  let rest = Math.abs(ms);
  const h = Math.floor(rest / 3_600_000);
  rest -= h * 3_600_000;
  const m = Math.floor(rest / 60_000);
  rest -= m * 60_000;
  const sec = rest / 1000;
  let out = '';
  if (h > 0) out += `${h}h`;
  if (h > 0 || m > 0) out += `${m}m`;
  out += `${Number(sec.toFixed(3))}s`;
  return (neg ? '-' : '') + out;
}
