// EventRateLimit (plugin/pkg/admission/eventratelimit; off by default, the CIS benchmark asks for it):
// Event creates and updates are admitted through token buckets — one for the whole server, or one per
// namespace, per user, or per event source and involved object, the keyed ones kept for the most
// recently used keys — so a component flooding Events cannot swamp the apiserver and its store. A
// request any bucket turns away is 429 `Too many requests: limit reached on type Namespace for key
// default`. Dry runs are not counted.
import type { Event } from '@mkube/shared/api';
import { aggregateMessages, StatusError } from '@mkube/shared/apierrors';
import { TokenBucket } from '@mkube/shared/flowcontrol';
import type { AdmissionAttributes, AdmissionPlugin } from '../../types.js';
import type { EventRateLimit, EventRateLimitConfig, LimitType } from './config.js';

export const EVENT_RATE_LIMIT_PLUGIN = 'EventRateLimit';

/** The key a limit counts a request under (the Server limit has one key, ""). */
function keyOf(type: LimitType, a: AdmissionAttributes): string {
  switch (type) {
    case 'Server':
      return '';
    case 'Namespace':
      return a.namespace;
    case 'User':
      return a.user.username;
    case 'SourceAndObject': {
      const e = a.object as Event | undefined;
      const o = e?.involvedObject;
      // getSourceAndObjectKey: the fields run together, as upstream joins them.
      return [e?.source?.component, e?.source?.host, o?.kind, o?.namespace, o?.name, o?.uid, o?.apiVersion]
        .map((s) => s ?? '')
        .join('');
    }
  }
}

/** One limit: a bucket per key, the least recently used dropped past cacheSize. */
class LimitEnforcer {
  readonly #buckets = new Map<string, TokenBucket>();
  constructor(
    readonly limit: EventRateLimit,
    private readonly now: () => number,
  ) {}

  accept(a: AdmissionAttributes): string | undefined {
    const key = keyOf(this.limit.type, a);
    let bucket = this.#buckets.get(key);
    if (bucket) this.#buckets.delete(key);
    else bucket = new TokenBucket(this.limit.qps, this.limit.burst, this.now);
    this.#buckets.set(key, bucket);
    if (this.limit.type !== 'Server' && this.#buckets.size > this.limit.cacheSize)
      this.#buckets.delete(this.#buckets.keys().next().value!);
    return bucket.tryAccept() ? undefined : `limit reached on type ${this.limit.type} for key ${key}`;
  }
}

export function eventRateLimit(config: EventRateLimitConfig, now: () => number = Date.now): AdmissionPlugin {
  const enforcers = config.limits.map((l) => new LimitEnforcer(l, now));
  return {
    name: EVENT_RATE_LIMIT_PLUGIN,
    handles: (op) => op === 'CREATE' || op === 'UPDATE',
    async validate(a) {
      if (a.group !== '' || a.kind !== 'Event' || a.dryRun) return;
      // Every limit takes its token, whether or not another refuses (upstream asks each in turn).
      const refused = enforcers.map((e) => e.accept(a)).filter((m): m is string => m !== undefined);
      if (refused.length === 0) return;
      throw new StatusError('TooManyRequests', `Too many requests: ${aggregateMessages(refused)}`);
    },
  };
}
