// How many seats a request takes under API Priority and Fairness (upstream's flowcontrol/request
// width.go, list_work_estimator.go, mutating_work_estimator.go, config.go): a list by the objects
// it will go through (one seat per 100, from the object counts the apiserver samples), a write by
// the watchers it will notify (final seats, one per 10 watchers, for 5 ms of seat-time each), all
// else one seat; never more than the level's maximum (15 % of its nominal seats, at most 10).
import type { RequestInfo } from '../request/requestinfo.js';
import { ONE_SEAT } from './queueset.js';
import type { WorkEstimate } from './types.js';

const MINIMUM_SEATS = 1;
const MAXIMUM_SEATS_LIMIT = 10;
const OBJECTS_PER_SEAT = 100;
const WATCHES_PER_SEAT = 10;
const EVENT_ADDITIONAL_DURATION_MS = 5;

/** A resource's stored object count: a number, 'stale' when the last sample is too old, undefined when never sampled. */
export type ObjectCountGetter = (groupResource: string) => number | 'stale' | undefined;

export interface WorkEstimatorDeps {
  readonly objectCount: ObjectCountGetter;
  /** Watches that a write to this object would notify. */
  readonly watchCount: (info: RequestInfo) => number;
  /** The level's maximum seats per request (0: none set, the limit applies). */
  readonly maxSeats: (priorityLevel: string) => number;
  /** Told each write's watch count (upstream's watch_count_samples). */
  readonly observeWatchCount?: (priorityLevel: string, flowSchema: string, watches: number) => void;
}

/** upstream's GroupResource.String(): `resource.group`, or just `resource` for the core group. */
export function groupResourceKey(group: string, resource: string): string {
  return group ? `${resource}.${group}` : resource;
}

/** upstream's MaxSeatsTracker value for a queuing level: max(1, min(ceil(15 % of nominal), nominal / handSize)). */
export function maxSeatsForLevel(nominalLimit: number, handSize: number): number {
  return Math.max(1, Math.min(Math.ceil(nominalLimit * 0.15), Math.trunc(nominalLimit / handSize)));
}

export class WorkEstimator {
  constructor(private readonly deps: WorkEstimatorDeps) {}

  estimate(info: RequestInfo, query: string | undefined, priorityLevel: string, flowSchema = ''): WorkEstimate {
    switch (info.verb) {
      case 'list':
      case 'watch':
        return this.list(info, query, priorityLevel);
      case 'create':
      case 'update':
      case 'patch':
      case 'delete':
        return this.mutating(info, priorityLevel, flowSchema);
      default:
        return ONE_SEAT;
    }
  }

  private maxSeats(priorityLevel: string): number {
    const m = this.deps.maxSeats(priorityLevel);
    return m === 0 || m > MAXIMUM_SEATS_LIMIT ? MAXIMUM_SEATS_LIMIT : m;
  }

  private list(info: RequestInfo, query: string | undefined, priorityLevel: string): WorkEstimate {
    // A list of one name (metadata.name=…) is a get in storage.
    if (info.name !== '') return ONE_SEAT;
    const q = new URLSearchParams(query ?? '');
    // A watch costs only when it asks for its initial events.
    if (info.verb === 'watch' && q.get('sendInitialEvents') !== 'true') return ONE_SEAT;
    const maxSeats = this.maxSeats(priorityLevel);
    const limitParam = q.get('limit');
    const limitNum = limitParam === null ? 0 : Number(limitParam);
    if (!Number.isFinite(limitNum) || !Number.isInteger(limitNum)) {
      // The request will fail validation; as upstream, the most it could cost.
      return seats(maxSeats);
    }
    const numStored = this.deps.objectCount(groupResourceKey(info.apiGroup, info.resource));
    if (numStored === 'stale') return seats(maxSeats);
    // Never sampled: unknown or aggregated (served elsewhere), so the least.
    if (numStored === undefined) return ONE_SEAT;
    const limit = limitNum > 0 && limitNum < numStored ? limitNum : numStored;
    const fromCache = info.verb === 'watch' || !listsFromStorage(q, limitNum);
    let objects: number;
    if (fromCache) objects = numStored;
    else if (q.get('fieldSelector') || q.get('labelSelector')) objects = numStored + limit;
    else objects = 2 * limit;
    const n = Math.ceil(objects / OBJECTS_PER_SEAT);
    return seats(Math.min(maxSeats, Math.max(MINIMUM_SEATS, n)));
  }

  private mutating(info: RequestInfo, priorityLevel: string, flowSchema: string): WorkEstimate {
    // A service account's token request writes nothing its watchers see.
    if (info.resource === 'serviceaccounts' && info.subresource === 'token') return ONE_SEAT;
    const watchCount = this.deps.watchCount(info);
    this.deps.observeWatchCount?.(priorityLevel, flowSchema, watchCount);
    if (watchCount < WATCHES_PER_SEAT) return ONE_SEAT;
    const finalSeats = Math.ceil(watchCount / WATCHES_PER_SEAT);
    const finalWorkMs = finalSeats * EVENT_ADDITIONAL_DURATION_MS;
    const capped = Math.min(finalSeats, this.maxSeats(priorityLevel));
    return { initialSeats: 1, finalSeats: capped, additionalLatencyMs: finalWorkMs / capped };
  }
}

function seats(n: number): WorkEstimate {
  return n === 1 ? ONE_SEAT : { initialSeats: n, finalSeats: 0, additionalLatencyMs: 0 };
}

/**
 * upstream's shouldListFromStorage with the watch cache's consistent reads on (1.31+): an exact or
 * unknown resourceVersionMatch, a continue token, or a legacy exact read (limit and a non-zero
 * resourceVersion) go to storage; the rest is served from the cache.
 */
function listsFromStorage(q: URLSearchParams, limit: number): boolean {
  const rv = q.get('resourceVersion') ?? '';
  const match = q.get('resourceVersionMatch') ?? '';
  if (match === 'Exact') return true;
  if (match === '') {
    if (limit > 0 && rv !== '' && rv !== '0') return true;
  } else if (match !== 'NotOlderThan') return true;
  return (q.get('continue') ?? '') !== '';
}
