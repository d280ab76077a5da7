// The interval text of completed, failed and succeeded indexes ("1,3-5,7"), as validateIndexesFormat
// reads it: returns how many indexes it names, or throws with upstream's message.
export class IndexesFormatError extends Error {}

function atoi(s: string): number {
  if (!/^[+-]?\d+$/.test(s)) throw new IndexesFormatError(`cannot convert string to integer for index: "${s}"`);
  return Number(s);
}

export function countIndexes(text: string, completions: number): number {
  if (text === '') return 0;
  let last: number | undefined;
  let total = 0;
  for (const interval of text.split(',')) {
    const limits = interval.split('-');
    if (limits.length > 2) {
      throw new IndexesFormatError(
        `the fragment "${interval}" violates the requirement that an index interval can have at most two parts separated by '-'`,
      );
    }
    const x = atoi(limits[0]!);
    if (x >= completions) throw new IndexesFormatError(`too large index: "${limits[0]}"`);
    if (last !== undefined && last >= x)
      throw new IndexesFormatError(`non-increasing order, previous: ${last}, current: ${x}`);
    total++;
    last = x;
    if (limits.length > 1) {
      const y = atoi(limits[1]!);
      if (y >= completions) throw new IndexesFormatError(`too large index: "${limits[1]}"`);
      if (last >= y) throw new IndexesFormatError(`non-increasing order, previous: ${last}, current: ${y}`);
      total += y - x;
      last = y;
    }
  }
  return total;
}
