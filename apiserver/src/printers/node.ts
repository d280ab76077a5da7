// printRuntimeClass (k/k printers.go): the handler, then the age.
import type { RuntimeClass } from '@mkube/shared/api';
import { timestampSince } from './duration.js';
import { AGE_COLUMN, col, NAME_COLUMN, type Printer, printer } from './types.js';

export const runtimeClassPrinter: Printer = printer<RuntimeClass>({
  columns: [
    NAME_COLUMN,
    col(
      'Handler',
      'handler specifies the underlying runtime and configuration that the CRI implementation will use to handle pods of this class.',
    ),
    AGE_COLUMN,
  ],
  cells: (o, now) => [o.metadata.name, o.handler ?? '', timestampSince(o.metadata.creationTimestamp, now)],
});
