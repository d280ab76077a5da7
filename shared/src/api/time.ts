// How metav1.Time and metav1.MicroTime are written in JSON: RFC 3339 in UTC, with whole seconds
// and with six fractional digits. Clients compare and print them as text, so every writer uses these.
import type { MicroTime, ObjectMeta, Time } from './meta.js';

/** metav1.Time: `2024-01-02T03:04:05Z`. */
export function metaTime(d: Date = new Date()): Time {
  return `${d.toISOString().slice(0, 19)}Z`;
}

/** metav1.MicroTime: `2024-01-02T03:04:05.123000Z` (a Date holds milliseconds). */
export function microTime(d: Date = new Date()): MicroTime {
  return `${d.toISOString().slice(0, 23)}000Z`;
}

const created = (o: { metadata?: ObjectMeta }) => Date.parse(o.metadata?.creationTimestamp ?? '') || 0;

/** Newest creationTimestamp first, ties by name: how upstream picks among several default classes. */
export function newestFirst(a: { metadata?: ObjectMeta }, b: { metadata?: ObjectMeta }): number {
  return created(b) - created(a) || ((a.metadata?.name ?? '') < (b.metadata?.name ?? '') ? -1 : 1);
}
