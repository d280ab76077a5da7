// dnsLabelWarning (pkg/registry/batch/job/strategy.go), for Jobs and CronJobs alike: their names
// become pod names and hostnames, so a name that is a valid object name but not a DNS label is
// accepted with a warning rather than refused.
import { isDNS1123Label } from '@mkube/shared/selectors';
import type { StrategyContext } from '../strategy.js';

export function warnIfNotDNSLabel(name: string | undefined, ctx: StrategyContext): void {
  if (!name) return;
  const msgs = isDNS1123Label(name);
  if (msgs.length === 0) return;
  ctx.addWarning?.(
    `metadata.name: this is used in Pod names and hostnames, which can result in surprising behavior; a DNS label is recommended: [${msgs.join(' ')}]`,
  );
}
