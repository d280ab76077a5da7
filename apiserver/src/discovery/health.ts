// /healthz, /livez and /readyz with their named checks, `?verbose` and `?exclude=` (k8s.io/apiserver
// pkg/server/healthz). Checks are plain functions; a failing one reports "reason withheld" to clients.

export interface HealthCheck {
  readonly name: string;
  /** Resolves to an error message when unhealthy, undefined when healthy. */
  check(): Promise<string | undefined> | string | undefined;
}

export interface HealthResult {
  readonly code: 200 | 404 | 500;
  readonly body: string;
}

/** Evaluates `checks` for `/<endpoint>` or `/<endpoint>/<check>`. */
export async function evaluateHealth(
  endpoint: 'healthz' | 'livez' | 'readyz',
  checks: readonly HealthCheck[],
  only: string | undefined,
  query: URLSearchParams,
): Promise<HealthResult> {
  const excluded = new Set(query.getAll('exclude'));
  let selected = checks.filter((c) => !excluded.has(c.name));
  if (only !== undefined) {
    selected = checks.filter((c) => c.name === only);
    if (selected.length === 0) return { code: 404, body: '404 page not found\n' };
  }
  const lines: string[] = [];
  let failed = false;
  for (const c of selected) {
    let err: string | undefined;
    try {
      err = await c.check();
    } catch (e) {
      err = (e as Error).message;
    }
    if (err === undefined) lines.push(`[+]${c.name} ok`);
    else {
      failed = true;
      lines.push(`[-]${c.name} failed: reason withheld`);
    }
  }
  for (const name of excluded) if (checks.some((c) => c.name === name)) lines.push(`[+]${name} excluded: ok`);
  const verbose = query.has('verbose');
  if (failed) return { code: 500, body: `${lines.join('\n')}\n${endpoint} check failed\n` };
  if (only !== undefined) return { code: 200, body: 'ok' };
  return { code: 200, body: verbose ? `${lines.join('\n')}\n${endpoint} check passed\n` : 'ok' };
}
