// slowStartBatch (k8s pkg/controller/replicaset): calls `fn` `count` times in batches of 1, 2, 4, …
// running each batch in parallel, and stops at the first batch with a failure. A controller whose
// pods all fail the same way (quota, admission) so makes one failing request, not hundreds.

/**
 * Resolves how many calls succeeded, and the first error if a batch failed. Each call gets its
 * position (0 … count-1), for controllers that make a different pod per call (a node's, an index's).
 */
export async function slowStartBatch(
  count: number,
  initialBatchSize: number,
  fn: (index: number) => Promise<void>,
): Promise<{ successes: number; error?: unknown }> {
  let remaining = count;
  let successes = 0;
  for (let batch = Math.min(remaining, initialBatchSize); batch > 0; batch = Math.min(2 * batch, remaining)) {
    const start = count - remaining;
    const results = await Promise.allSettled(Array.from({ length: batch }, (_, i) => fn(start + i)));
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    successes += batch - failed.length;
    if (failed.length > 0) return { successes, error: failed[0]!.reason };
    remaining -= batch;
  }
  return { successes };
}
