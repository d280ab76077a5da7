// /healthz, /livez and /readyz with their named checks, `?verbose` and `?exclude=` (k8s.io/apiserver
// pkg/server/healthz). Checks are plain functions; a failing one reports "reason withheld" in the
// list (the endpoint is public), and its reason only on its own path, as upstream's.

export interface HealthCheck {
  readonly name: string;
  /** Resolves to an error message when unhealthy, undefined when healthy. */
  check(): Promise<string | undefined> | string | undefined;
}

export interface HealthResult {
  readonly code: 200 | 404 | 500;
  readonly body: string;
}

/**
 * A boot-sequence check as /livez runs it under --livez-grace-period (upstream's delayedHealthCheck):
 * healthy until `delayMs` after it was made, the check itself from then on.
 */
export function delayedHealthCheck(c: HealthCheck, delayMs: number, now = () => performance.now()): HealthCheck {
  if (delayMs <= 0) return c;
  const from = now() + delayMs;
  return { name: c.name, check: () => (now() > from ? c.check() : undefined) };
}

async function run(c: HealthCheck): Promise<string | undefined> {
  try {
    return await c.check();
  } catch (e) {
    return (e as Error).message;
  }
}

/** Evaluates `checks` for `/<endpoint>` or, with `only`, `/<endpoint>/<check>`. */
export async function evaluateHealth(
  endpoint: 'healthz' | 'livez' | 'readyz',
  checks: readonly HealthCheck[],
  only: string | undefined,
  query: URLSearchParams,
): Promise<HealthResult> {
  if (only !== undefined) {
    const c = checks.find((x) => x.name === only);
    if (!c) return { code: 404, body: '404 page not found\n' };
    const err = await run(c);
    // Whoever may read a single check's path is told why it fails (adaptCheckToHandler).
    return err === undefined ? { code: 200, body: 'ok' } : { code: 500, body: `internal server error: ${err}\n` };
  }
  const excluded = new Set(query.getAll('exclude'));
  const lines: string[] = [];
  let failed = false;
  for (const c of checks) {
    // An excluded check keeps its place in the list.
    if (excluded.delete(c.name)) {
      lines.push(`[+]${c.name} excluded: ok`);
      continue;
    }
    if ((await run(c)) === undefined) lines.push(`[+]${c.name} ok`);
    else {
      failed = true;
      lines.push(`[-]${c.name} failed: reason withheld`);
    }
  }
  if (excluded.size > 0) {
    const names = [...excluded].sort().map((n) => JSON.stringify(n));
    lines.push(`warn: some health checks cannot be excluded: no matches for ${names.join(',')}`);
  }
  if (failed) return { code: 500, body: `${lines.join('\n')}\n${endpoint} check failed\n` };
  return { code: 200, body: query.has('verbose') ? `${lines.join('\n')}\n${endpoint} check passed\n` : 'ok' };
}
