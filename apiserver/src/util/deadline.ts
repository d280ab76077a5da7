// A promise raced against a timer that never outlives the race (Go's select on ctx.Done and a
// time.After, which the apiserver's start, health checks and shutdown each need).

/** `p`'s value, or `onTimeout` when `ms` pass first. `unref`: the timer alone keeps no process up. */
export async function raceTimeout<T, D>(p: Promise<T>, ms: number, onTimeout: D, unref = false): Promise<T | D> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<D>((resolve) => {
    timer = setTimeout(() => resolve(onTimeout), ms);
    if (unref) timer.unref();
  });
  try {
    return await Promise.race([p, timedOut]);
  } finally {
    clearTimeout(timer);
  }
}
