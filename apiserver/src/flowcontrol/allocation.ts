// How API Priority and Fairness shares the server's seats among priority levels when they borrow
// (upstream's conc_alloc.go): every level gets the same multiple ("fair fraction") of its target,
// except where that would fall outside its [lowerBound, upperBound]; the allocations sum to the total.

export interface AllocationItem {
  readonly target: number;
  readonly lowerBound: number;
  readonly upperBound: number;
}

export interface Allocation {
  readonly allocs: number[];
  readonly fairFrac: number;
}

/** Targets below this count as this, so that a level with no demand still divides. */
export const MIN_TARGET = 0.001;
const EPSILON = 0.0000001;

/**
 * The unique allocation with the properties above, or an Error saying why there is none (bounds that
 * cannot sum to `requiredSum`, or an item with target < lowerBound, upperBound < lowerBound or
 * lowerBound < 0).
 */
export function computeConcurrencyAllocation(
  requiredSum: number,
  items: readonly AllocationItem[],
): Allocation | Error {
  if (requiredSum < 0) return new Error('negative sums are not supported');
  let lowSum = 0;
  let highSum = 0;
  let targetSum = 0;
  let lbMin = Number.MAX_VALUE;
  let lbMax = 0;
  let ubMin = Number.MAX_VALUE;
  let ubMax = 0;
  const targets: number[] = [];
  // Each bound relative to its item's target: the fair fractions at which it starts to matter.
  const bounds: { at: number; item: number; lower: boolean }[] = [];
  for (const [i, item] of items.entries()) {
    if (item.lowerBound < 0) {
      return new Error(`lower bound ${i} is ${item.lowerBound} but negative lower bounds are not allowed`);
    }
    if (item.target < item.lowerBound) {
      return new Error(`target ${i} is ${item.target}, which is below its lower bound of ${item.lowerBound}`);
    }
    if (item.upperBound < item.lowerBound) {
      return new Error(
        `upper bound ${i} is ${item.upperBound} but should not be less than the lower bound ${item.lowerBound}`,
      );
    }
    const target = Math.max(item.target, MIN_TARGET);
    targets.push(target);
    lowSum += item.lowerBound;
    highSum += item.upperBound;
    targetSum += target;
    const lower = item.lowerBound / target;
    const upper = item.upperBound / target;
    lbMin = Math.min(lbMin, lower);
    lbMax = Math.max(lbMax, lower);
    ubMin = Math.min(ubMin, upper);
    ubMax = Math.max(ubMax, upper);
    bounds.push({ at: lower, item: i, lower: true }, { at: upper, item: i, lower: false });
  }
  if (lowSum - requiredSum > EPSILON) {
    return new Error(`lower bounds sum to ${lowSum}, which is higher than the required sum of ${requiredSum}`);
  }
  if (requiredSum - highSum > EPSILON) {
    return new Error(`upper bounds sum to ${highSum}, which is lower than the required sum of ${requiredSum}`);
  }
  if (requiredSum === 0) return { allocs: items.map(() => 0), fairFrac: 0 };
  if (lowSum - requiredSum > -EPSILON) return { allocs: items.map((it) => it.lowerBound), fairFrac: lbMin };
  if (requiredSum - highSum > -EPSILON) return { allocs: items.map((it) => it.upperBound), fairFrac: ubMax };
  let fairFrac = requiredSum / targetSum;
  if (lbMax <= fairFrac && fairFrac <= ubMin) {
    return { allocs: targets.map((t) => t * fairFrac), fairFrac };
  }
  // Some bounds matter: raise the fraction from the lowest bound, bound by bound. Between two bounds
  // the sum grows linearly, at the rate of the targets of the items not pinned to a bound.
  bounds.sort((a, b) => a.at - b.at);
  let sumSoFar = lowSum;
  fairFrac = lbMin;
  let sensitiveTargetSum = 0;
  let sensitiveItems = 0;
  let next = 0;
  while (sumSoFar < requiredSum) {
    // Take in every bound at the current fraction; the next one above it ends this stretch.
    let nextBound = Number.NaN;
    while (next < bounds.length) {
      const b = bounds[next]!;
      if (b.at > fairFrac) {
        nextBound = b.at;
        break;
      }
      sensitiveTargetSum += b.lower ? targets[b.item]! : -targets[b.item]!;
      sensitiveItems += b.lower ? 1 : -1;
      next++;
    }
    if (Number.isNaN(nextBound)) {
      return new Error('impossible: ran out of bounds to consider in bound-constrained problem');
    }
    if (sensitiveItems === 0) {
      fairFrac = nextBound;
      continue;
    }
    const reach = fairFrac + (requiredSum - sumSoFar) / sensitiveTargetSum;
    if (reach <= nextBound) {
      fairFrac = reach;
      break;
    }
    sumSoFar += (nextBound - fairFrac) * sensitiveTargetSum;
    fairFrac = nextBound;
  }
  const allocs = items.map((it, i) => Math.max(it.lowerBound, Math.min(it.upperBound, fairFrac * targets[i]!)));
  return { allocs, fairFrac };
}
