// printResourceQuota (k/k printers.go): `resource: used/hard` for each resource of status.hard,
// sorted, the limits.* ones under LIMIT and the rest under REQUEST. LimitRanges have no printer of
// their own upstream beyond name and creation time (createdAtPrinter).
import type { ResourceQuota } from '@mkube/shared/api';
import { canonicalQuantity } from '@mkube/shared/quantity';
import { timestampSince } from './duration.js';
import { AGE_COLUMN, col, NAME_COLUMN, type Printer, printer } from './types.js';

const shown = (q: unknown): string => (q === undefined || q === null ? '0' : canonicalQuantity(String(q)));

export const resourceQuotaPrinter: Printer = printer<ResourceQuota>({
  columns: [
    NAME_COLUMN,
    AGE_COLUMN,
    col('Request', 'Request represents a minimum amount of cpu/memory that a container may consume.'),
    col(
      'Limit',
      'Limits control the maximum amount of cpu/memory that a container may use independent of contention on the node.',
    ),
  ],
  cells: (o, now) => {
    const hard = o.status?.hard ?? {};
    const used = o.status?.used ?? {};
    const request: string[] = [];
    const limit: string[] = [];
    for (const name of Object.keys(hard).sort()) {
      const pieces = name.split('.');
      const cell = `${name}: ${shown(used[name])}/${shown(hard[name])}`;
      (pieces.length > 1 && pieces[0] === 'limits' ? limit : request).push(cell);
    }
    return [o.metadata.name, timestampSince(o.metadata.creationTimestamp, now), request.join(', '), limit.join(', ')];
  },
});
