// A plugin's verdict (framework.Status): its code, the reasons it gives (a node's FailedScheduling
// text is built from them) and which plugin gave it.

export type Code =
  | 'Success'
  | 'Error'
  /** The node does not fit now; preemption might make it fit. */
  | 'Unschedulable'
  /** The node does not fit, and removing pods would not change that. */
  | 'UnschedulableAndUnresolvable'
  /** The plugin has nothing to say about this pod (PreFilter/PreScore). */
  | 'Skip';

export interface Status {
  readonly code: Code;
  readonly reasons: readonly string[];
  /** The plugin that failed, stamped by the framework. */
  readonly plugin?: string;
}

export function status(code: Code, ...reasons: string[]): Status {
  return { code, reasons };
}

export const unschedulable = (...reasons: string[]): Status => status('Unschedulable', ...reasons);
export const unresolvable = (...reasons: string[]): Status => status('UnschedulableAndUnresolvable', ...reasons);

/** Status.IsRejected: the pod does not fit (as opposed to an error). */
export function isRejected(s: Status): boolean {
  return s.code === 'Unschedulable' || s.code === 'UnschedulableAndUnresolvable';
}

/** Status.Message: the reasons joined as upstream joins them. */
export function messageOf(s: Status): string {
  return s.reasons.join(', ');
}

/** A plugin failed (not a rejection): the pod goes back with backoff, as a SchedulerError. */
export class SchedulingError extends Error {
  override readonly name = 'SchedulingError';
}
