// Text helpers for /debug/api_priority_and_fairness/dump_*: upstream writes rows of ",\t"-joined
// cells through text/tabwriter (minwidth 8, padding 1, blanks), prints virtual times as
// SeatSeconds and instants as RFC 3339 with nanoseconds.

const MIN_WIDTH = 8;
const PADDING = 1;

/**
 * What tabwriter.NewWriter(w, 8, 0, 1, ' ', 0) makes of the rows: every cell but a row's last is
 * followed by its `,` and padded to its column's width (widest cell + 1, at least 8); the last cell
 * of a row is not aligned. Columns are aligned over runs of consecutive rows that have them.
 */
export function tabulate(rows: readonly (readonly string[])[]): string {
  const cells = rows.map((r) => r.map((c, i) => (i < r.length - 1 ? `${c},` : c)));
  const widths = cells.map((r) => r.map(() => 0));
  const columns = Math.max(0, ...cells.map((r) => r.length - 1));
  for (let col = 0; col < columns; col++) {
    let start = 0;
    while (start < cells.length) {
      if (cells[start]!.length - 1 <= col) {
        start++;
        continue;
      }
      let end = start;
      let width = MIN_WIDTH;
      while (end < cells.length && cells[end]!.length - 1 > col) {
        width = Math.max(width, cells[end]![col]!.length + PADDING);
        end++;
      }
      for (let r = start; r < end; r++) widths[r]![col] = width;
      start = end;
    }
  }
  let out = '';
  cells.forEach((r, ri) => {
    r.forEach((c, ci) => {
      out += ci < r.length - 1 ? c.padEnd(widths[ri]![ci]!) : c;
    });
    out += '\n';
  });
  return out;
}

/** SeatSeconds.String: 8 decimals and "ss". */
export function formatSeatSeconds(ss: number): string {
  const units = Math.round(ss * 1e8);
  const sign = units < 0 ? '-' : '';
  const abs = Math.abs(units);
  return `${sign}${Math.trunc(abs / 1e8)}.${String(abs % 1e8).padStart(8, '0')}ss`;
}

/** Go's time.Time{} formatted as RFC 3339. */
export const ZERO_TIME = '0001-01-01T00:00:00Z';

/** time.RFC3339Nano in UTC: fractional seconds with trailing zeros dropped. */
export function formatRFC3339Nano(epochMs: number): string {
  const whole = Math.floor(epochMs);
  const base = new Date(whole).toISOString().slice(0, 19);
  const nanos = Math.round((epochMs - Math.floor(epochMs / 1000) * 1000) * 1e6);
  const frac = String(Math.min(nanos, 999_999_999)).padStart(9, '0').replace(/0+$/, '');
  return `${base}${frac ? `.${frac}` : ''}Z`;
}
