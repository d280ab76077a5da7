// A printer: the columns of one resource and how one object becomes a row of cells.
import type { TableColumnDefinition, TableRowCondition } from '@mkube/shared/api';

export interface Printer<T = Record<string, unknown>> {
  readonly columns: readonly TableColumnDefinition[];
  /** Cells for every column, wide ones included: the client hides priority > 0 unless `-o wide`. */
  cells(obj: T, now: Date): unknown[];
  conditions?(obj: T): TableRowCondition[] | undefined;
  /** The row order of a list (upstream's list printer sorts), when not the store's. */
  order?(a: T, b: T): number;
}

/** Builds a column definition; descriptions are shortened upstream swagger docs. */
export function col(
  name: string,
  description: string,
  extra: Partial<TableColumnDefinition> = {},
): TableColumnDefinition {
  return { name, type: 'string', format: '', description, priority: 0, ...extra };
}

export const NAME_COLUMN = col('Name', 'Name must be unique within a namespace.', { format: 'name' });
export const AGE_COLUMN = col(
  'Age',
  'CreationTimestamp is a timestamp representing the server time when this object was created.',
);

/** Narrows an unknown printer to a typed one without a cast at every registration. */
export function printer<T>(p: Printer<T>): Printer {
  return p as unknown as Printer;
}
