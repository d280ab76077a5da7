// printPriorityClass (k/k printers.go): the value pods of the class get, whether it is the default,
// and its preemption policy (empty when unset, which the defaults never leave it).
import type { PriorityClass } from '@mkube/shared/api';
import { timestampSince } from './duration.js';
import { AGE_COLUMN, col, NAME_COLUMN, type Printer, printer } from './types.js';

export const priorityClassPrinter: Printer = printer<PriorityClass>({
  columns: [
    NAME_COLUMN,
    col(
      'Value',
      'value represents the integer value of this priority class. This is the actual priority that pods receive when they have the name of this class in their pod spec.',
      { type: 'integer' },
    ),
    col(
      'Global-Default',
      'globalDefault specifies whether this PriorityClass should be considered as the default priority for pods that do not have any priority class. Only one PriorityClass can be marked as `globalDefault`. However, if more than one PriorityClasses exists with their `globalDefault` field set to true, the smallest value of such global default PriorityClasses will be used as the default priority.',
      { type: 'boolean' },
    ),
    AGE_COLUMN,
    col(
      'PreemptionPolicy',
      'preemptionPolicy is the Policy for preempting pods with lower priority. One of Never, PreemptLowerPriority. Defaults to PreemptLowerPriority if unset.',
    ),
  ],
  cells: (o, now) => [
    o.metadata.name,
    o.value ?? 0,
    o.globalDefault ?? false,
    timestampSince(o.metadata.creationTimestamp, now),
    o.preemptionPolicy ?? '',
  ],
});
