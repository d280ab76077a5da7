// A few of the kubelet's Prometheus metrics under their upstream names and help texts (ALPHA ones
// prefixed "[ALPHA] " as component-base writes them): enough to watch certificates age, renew and
// rotate, and pods run, from `kubectl get --raw /api/v1/nodes/<n>/proxy/metrics`.
import type { CertificateManagerMetrics } from '../certificate/manager.js';
import type { PodCertificateStateCount } from '../podcertificate/manager.js';

export interface MetricsSource {
  readonly clientCertNotAfter: () => Date | undefined;
  readonly servingCertNotAfter: () => Date | undefined;
  readonly runningPods: () => number;
  readonly runningContainers: () => number;
  readonly certificates: KubeletCertificateMetrics;
  /** The pod certificate manager's report; registered only with the PodCertificateRequest gate, as upstream. */
  readonly podCertificateStates?: () => readonly PodCertificateStateCount[];
}

// pkg/kubelet/certificate/kubelet.go's certificateRotationAge buckets: 1 min, 1 h, 4 h, 1 d, 1 w, 1 mo, 3 mo, 6 mo, 1 y, 4 y.
const ROTATION_BUCKETS = [60, 3600, 14400, 86400, 604800, 2592000, 7776000, 15552000, 31104000, 124416000];

/** The certificate managers' counters: renewal errors of each pair, the serving pair's rotation ages. */
export class KubeletCertificateMetrics {
  clientRenewErrors = 0;
  servingRenewErrors = 0;
  readonly servingRotationBuckets = ROTATION_BUCKETS.map(() => 0);
  servingRotationCount = 0;
  servingRotationSum = 0;

  readonly client: CertificateManagerMetrics = { renewFailed: () => this.clientRenewErrors++, rotated: () => {} };
  readonly serving: CertificateManagerMetrics = {
    renewFailed: () => this.servingRenewErrors++,
    rotated: (seconds) => {
      this.servingRotationCount++;
      this.servingRotationSum += seconds;
      ROTATION_BUCKETS.forEach((le, i) => {
        if (seconds <= le) this.servingRotationBuckets[i]!++;
      });
    },
  };
}

/** A Prometheus label value: backslash, double quote and newline escaped. */
const label = (v: string): string => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

/** kubelet_podcertificate_states: upstream's podCertificateCollector, one sample per signer and state. */
function podCertificateLines(report: readonly PodCertificateStateCount[] | undefined): string[] {
  // A family without samples is not written at all, as Prometheus' gatherer leaves it out.
  if (!report?.length) return [];
  const order = (r: PodCertificateStateCount) => `${r.signerName}\u0000${r.state}`;
  return [
    '# HELP kubelet_podcertificate_states [ALPHA] Gauge vector reporting the number of pod certificate projected volume sources, faceted by signer_name and state.',
    '# TYPE kubelet_podcertificate_states gauge',
    ...[...report]
      .sort((a, b) => (order(a) < order(b) ? -1 : 1))
      .map(
        (r) =>
          `kubelet_podcertificate_states{signer_name="${label(r.signerName)}",state="${label(r.state)}"} ${r.count}`,
      ),
  ];
}

/** Seconds until `notAfter`, truncated, negative once expired; +Inf without a certificate (upstream's gauges). */
function ttl(notAfter: Date | undefined): string {
  return notAfter ? String(Math.trunc((notAfter.getTime() - Date.now()) / 1000)) : '+Inf';
}

export function renderMetrics(nodeName: string, m: MetricsSource): string {
  const mem = process.memoryUsage();
  const c = m.certificates;
  return [
    "# HELP kubelet_node_name [ALPHA] The node's name. The count is always 1.",
    '# TYPE kubelet_node_name gauge',
    `kubelet_node_name{node="${nodeName}"} 1`,
    "# HELP kubelet_certificate_manager_client_ttl_seconds [ALPHA] Gauge of the TTL (time-to-live) of the Kubelet's client certificate. The value is in seconds until certificate expiry (negative if already expired). If client certificate is invalid or unused, the value will be +INF.",
    '# TYPE kubelet_certificate_manager_client_ttl_seconds gauge',
    `kubelet_certificate_manager_client_ttl_seconds ${ttl(m.clientCertNotAfter())}`,
    '# HELP kubelet_certificate_manager_client_expiration_renew_errors [ALPHA] Counter of certificate renewal errors.',
    '# TYPE kubelet_certificate_manager_client_expiration_renew_errors counter',
    `kubelet_certificate_manager_client_expiration_renew_errors ${c.clientRenewErrors}`,
    "# HELP kubelet_certificate_manager_server_ttl_seconds [ALPHA] Gauge of the shortest TTL (time-to-live) of the Kubelet's serving certificate. The value is in seconds until certificate expiry (negative if already expired). If serving certificate is invalid or unused, the value will be +INF.",
    '# TYPE kubelet_certificate_manager_server_ttl_seconds gauge',
    `kubelet_certificate_manager_server_ttl_seconds ${ttl(m.servingCertNotAfter())}`,
    '# HELP kubelet_server_expiration_renew_errors [ALPHA] Counter of certificate renewal errors.',
    '# TYPE kubelet_server_expiration_renew_errors counter',
    `kubelet_server_expiration_renew_errors ${c.servingRenewErrors}`,
    '# HELP kubelet_certificate_manager_server_rotation_seconds [ALPHA] Histogram of the number of seconds the previous certificate lived before being rotated.',
    '# TYPE kubelet_certificate_manager_server_rotation_seconds histogram',
    ...ROTATION_BUCKETS.map(
      (le, i) =>
        `kubelet_certificate_manager_server_rotation_seconds_bucket{le="${le}"} ${c.servingRotationBuckets[i]}`,
    ),
    `kubelet_certificate_manager_server_rotation_seconds_bucket{le="+Inf"} ${c.servingRotationCount}`,
    `kubelet_certificate_manager_server_rotation_seconds_sum ${c.servingRotationSum}`,
    `kubelet_certificate_manager_server_rotation_seconds_count ${c.servingRotationCount}`,
    '# HELP kubelet_running_pods Number of pods that have a running pod sandbox',
    '# TYPE kubelet_running_pods gauge',
    `kubelet_running_pods ${m.runningPods()}`,
    '# HELP kubelet_running_containers Number of containers currently running',
    '# TYPE kubelet_running_containers gauge',
    `kubelet_running_containers{container_state="running"} ${m.runningContainers()}`,
    ...podCertificateLines(m.podCertificateStates?.()),
    '# HELP process_resident_memory_bytes Resident memory size in bytes.',
    '# TYPE process_resident_memory_bytes gauge',
    `process_resident_memory_bytes ${mem.rss}`,
    '',
  ].join('\n');
}
