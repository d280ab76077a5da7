// FlowSchema and PriorityLevelConfiguration tables (k/k printers.go printFlowSchema,
// printPriorityLevelConfiguration): a list of schemas comes in matching order, as the
// dispatcher tries them (FlowSchemaSequence).
import type { FlowSchema, PriorityLevelConfiguration } from '@mkube/shared/api';
import { timestampSince } from './duration.js';
import { AGE_COLUMN, col, NAME_COLUMN, type Printer, printer } from './types.js';

const NONE = '<none>';

/** By matchingPrecedence, then name. */
export function flowSchemaOrder(a: FlowSchema, b: FlowSchema): number {
  const pa = a.spec?.matchingPrecedence ?? 0;
  const pb = b.spec?.matchingPrecedence ?? 0;
  if (pa !== pb) return pa - pb;
  const na = a.metadata.name ?? '';
  const nb = b.metadata.name ?? '';
  return na < nb ? -1 : na > nb ? 1 : 0;
}

export const flowSchemaPrinter: Printer = printer<FlowSchema>({
  columns: [
    NAME_COLUMN,
    col('PriorityLevel', '`name` is the name of the priority level configuration being referenced Required.'),
    col(
      'MatchingPrecedence',
      '`matchingPrecedence` is used to choose among the FlowSchemas that match a given request. Each MatchingPrecedence value must be ranged in [1,10000]; if not specified, it is set to 1000.',
    ),
    col(
      'DistinguisherMethod',
      '`distinguisherMethod` defines how to compute the flow distinguisher for requests that match this schema. `nil` specifies that the distinguisher is disabled and thus will always be the empty string.',
    ),
    AGE_COLUMN,
    col('MissingPL', 'references a broken or non-existent PriorityLevelConfiguration'),
  ],
  cells: (o, now) => [
    o.metadata.name,
    o.spec?.priorityLevelConfiguration?.name ?? '',
    o.spec?.matchingPrecedence ?? 0,
    o.spec?.distinguisherMethod ? (o.spec.distinguisherMethod.type ?? '') : NONE,
    timestampSince(o.metadata.creationTimestamp, now),
    o.status?.conditions?.find((c) => c.type === 'Dangling')?.status ?? '?',
  ],
  order: flowSchemaOrder,
});

export const priorityLevelConfigurationPrinter: Printer = printer<PriorityLevelConfiguration>({
  columns: [
    NAME_COLUMN,
    col(
      'Type',
      '`type` indicates whether this priority level is subject to limitation on request execution.  A value of `"Exempt"` means that requests of this priority level are not subject to a limit; `"Limited"` means that they are.',
    ),
    col(
      'NominalConcurrencyShares',
      '`nominalConcurrencyShares` (NCS) contributes to the computation of the NominalConcurrencyLimit (NominalCL) of this level.',
    ),
    col('Queues', '`queues` is the number of queues for this priority level.'),
    col(
      'HandSize',
      '`handSize` is a small positive number that configures the shuffle sharding of requests into queues.',
    ),
    col(
      'QueueLengthLimit',
      '`queueLengthLimit` is the maximum number of requests allowed to be waiting in a given queue of this priority level at a time.',
    ),
    AGE_COLUMN,
  ],
  cells: (o, now) => {
    const limited = o.spec?.limited;
    const q = limited?.limitResponse?.queuing;
    return [
      o.metadata.name,
      o.spec?.type ?? '',
      limited ? (limited.nominalConcurrencyShares ?? 0) : NONE,
      q ? (q.queues ?? 0) : NONE,
      q ? (q.handSize ?? 0) : NONE,
      q ? (q.queueLengthLimit ?? 0) : NONE,
      timestampSince(o.metadata.creationTimestamp, now),
    ];
  },
});
