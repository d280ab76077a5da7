// client-go's exec credential plugin metrics (k8s.io/client-go/tools/metrics, registered by every
// component): rest_client_exec_plugin_call_total, rest_client_exec_plugin_certificate_rotation_age
// and rest_client_exec_plugin_ttl_seconds. Process-wide, as client-go's: every ExecAuthenticator
// reports here, and a daemon's /metrics prints `execPluginMetricsText()`.

/** client-go's call_status values. */
export type ExecCallStatus = 'no_error' | 'plugin_execution_error' | 'plugin_not_found_error' | 'client_internal_error';

/** 10 minutes … 4 years: too fast, ideal and too slow rotation cadences (client-go's buckets). */
const ROTATION_BUCKETS = [
  600, 1800, 3600, 14400, 86400, 604800, 2592000, 7776000, 15552000, 31104000, 124416000,
] as const;

const calls = new Map<string, { code: number; status: ExecCallStatus; n: number }>();
const rotation = { counts: ROTATION_BUCKETS.map(() => 0), sum: 0, count: 0 };
/** Each authenticator's current certificate's notAfter (ms); the gauge shows the earliest. */
const expiries = new Map<object, number>();

/** incrementCallsMetric: one run of a plugin and how it ended (the exit code, 0 only on success). */
export function recordExecPluginCall(code: number, status: ExecCallStatus): void {
  const key = `${code}\0${status}`;
  const c = calls.get(key);
  if (c) c.n++;
  else calls.set(key, { code, status, n: 1 });
}

/** A plugin's client certificate replaced by another: how long the old one had lived. */
export function observeExecCertificateRotation(ageSeconds: number): void {
  rotation.count++;
  rotation.sum += ageSeconds;
  ROTATION_BUCKETS.forEach((b, i) => {
    if (ageSeconds <= b) rotation.counts[i]!++;
  });
}

/** certificateExpirationTracker.set: the authenticator's certificate's end, or undefined for none. */
export function setExecCertificateExpiry(authenticator: object, notAfterMs: number | undefined): void {
  if (notAfterMs === undefined) expiries.delete(authenticator);
  else expiries.set(authenticator, notAfterMs);
}

/** The three families in the Prometheus text format, as client-go's registry prints them. */
export function execPluginMetricsText(now = Date.now()): string {
  const lines: string[] = [];
  if (calls.size > 0) {
    lines.push(
      '# HELP rest_client_exec_plugin_call_total [ALPHA] Number of calls to an exec plugin, partitioned by the type of event encountered (no_error, plugin_execution_error, plugin_not_found_error, client_internal_error) and an optional exit code. The exit code will be set to 0 if and only if the plugin call was successful.',
      '# TYPE rest_client_exec_plugin_call_total counter',
    );
    const sorted = [...calls.values()].sort((a, b) =>
      a.status === b.status ? a.code - b.code : a.status < b.status ? -1 : 1,
    );
    for (const c of sorted)
      lines.push(`rest_client_exec_plugin_call_total{call_status="${c.status}",code="${c.code}"} ${c.n}`);
  }
  lines.push(
    '# HELP rest_client_exec_plugin_certificate_rotation_age [ALPHA] Histogram of the number of seconds the last auth exec plugin client certificate lived before being rotated. If auth exec plugin client certificates are unused, histogram will contain no data.',
    '# TYPE rest_client_exec_plugin_certificate_rotation_age histogram',
  );
  ROTATION_BUCKETS.forEach((b, i) => {
    lines.push(`rest_client_exec_plugin_certificate_rotation_age_bucket{le="${b}"} ${rotation.counts[i]}`);
  });
  lines.push(
    `rest_client_exec_plugin_certificate_rotation_age_bucket{le="+Inf"} ${rotation.count}`,
    `rest_client_exec_plugin_certificate_rotation_age_sum ${rotation.sum}`,
    `rest_client_exec_plugin_certificate_rotation_age_count ${rotation.count}`,
  );
  const earliest = expiries.size ? Math.min(...expiries.values()) : undefined;
  lines.push(
    '# HELP rest_client_exec_plugin_ttl_seconds [ALPHA] Gauge of the shortest TTL (time-to-live) of the client certificate(s) managed by the auth exec plugin. The value is in seconds until certificate expiry (negative if already expired). If auth exec plugins are unused or manage no TLS certificates, the value will be +INF.',
    '# TYPE rest_client_exec_plugin_ttl_seconds gauge',
    `rest_client_exec_plugin_ttl_seconds ${earliest === undefined ? '+Inf' : (earliest - now) / 1000}`,
  );
  return `${lines.join('\n')}\n`;
}
