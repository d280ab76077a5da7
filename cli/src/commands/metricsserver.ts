// `mkube metrics-server`: the resource metrics API server in the foreground, with metrics-server's flags.

import { METRICS_SERVER_FLAGS, runMetricsServer } from '@mkube/metrics-server';
import { limitHeapGrowth } from '@mkube/shared/heap';
import type { Command } from '../command.js';

export const metricsServerCommand: Command = {
  name: 'metrics-server',
  summary: 'Run the resource metrics API server (metrics-server) in the foreground',
  description:
    "Run mkube's metrics-server: reads every kubelet's /metrics/resource each --metric-resolution (verifying its\n" +
    'serving certificate, as its own identity: nodes/metrics in RBAC), keeps the last two points and serves\n' +
    'metrics.k8s.io/v1beta1 NodeMetrics and PodMetrics through the aggregation layer (an APIService), with\n' +
    'authentication and authorization delegated to the apiserver — what kubectl top and the HorizontalPodAutoscaler\n' +
    'read. SIGTERM or SIGINT stops it.',
  usage: 'metrics-server [flags]',
  examples: [
    'mkube metrics-server --kubeconfig=.mkube/metrics-server.conf --secure-port=4443 --bind-address=127.0.0.1 \\\n' +
      '      --tls-cert-file=.mkube/pki/metrics-server.crt --tls-private-key-file=.mkube/pki/metrics-server.key \\\n' +
      '      --kubelet-certificate-authority=.mkube/pki/ca.crt --kubelet-use-node-status-port \\\n' +
      '      --kubelet-preferred-address-types=InternalIP --metric-resolution=15s',
  ],
  flags: METRICS_SERVER_FLAGS,
  async run({ args, stderr, signal }) {
    limitHeapGrowth();
    return runMetricsServer(args.flags, { stderr, signal });
  },
};
