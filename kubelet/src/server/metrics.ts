// A few of the kubelet's Prometheus metrics under their upstream names: enough to watch
// certificates age and pods run from `kubectl get --raw /api/v1/nodes/<n>/proxy/metrics`.
export interface MetricsSource {
  readonly clientCertNotAfter: () => Date | undefined;
  readonly servingCertNotAfter: () => Date | undefined;
  readonly runningPods: () => number;
  readonly runningContainers: () => number;
}

export function renderMetrics(nodeName: string, m: MetricsSource): string {
  const ttl = (d: Date | undefined) => (d ? Math.max(0, (d.getTime() - Date.now()) / 1000) : 0);
  const mem = process.memoryUsage();
  return [
    "# HELP kubelet_node_name The node's name. The count is always 1.",
    '# TYPE kubelet_node_name gauge',
    `kubelet_node_name{node="${nodeName}"} 1`,
    "# HELP kubelet_certificate_manager_client_ttl_seconds Gauge of the TTL (time-to-live) of the Kubelet's client certificate.",
    '# TYPE kubelet_certificate_manager_client_ttl_seconds gauge',
    `kubelet_certificate_manager_client_ttl_seconds ${ttl(m.clientCertNotAfter())}`,
    "# HELP kubelet_certificate_manager_server_ttl_seconds Gauge of the shortest TTL of the Kubelet's serving certificate.",
    '# TYPE kubelet_certificate_manager_server_ttl_seconds gauge',
    `kubelet_certificate_manager_server_ttl_seconds ${ttl(m.servingCertNotAfter())}`,
    '# HELP kubelet_running_pods Number of pods that have a running pod sandbox',
    '# TYPE kubelet_running_pods gauge',
    `kubelet_running_pods ${m.runningPods()}`,
    '# HELP kubelet_running_containers Number of containers currently running',
    '# TYPE kubelet_running_containers gauge',
    `kubelet_running_containers{container_state="running"} ${m.runningContainers()}`,
    '# HELP process_resident_memory_bytes Resident memory size in bytes.',
    '# TYPE process_resident_memory_bytes gauge',
    `process_resident_memory_bytes ${mem.rss}`,
    '',
  ].join('\n');
}
