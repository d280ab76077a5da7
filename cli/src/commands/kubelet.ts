// `mkube kubelet`: the kubelet in the foreground, with the kubelet's flags.
import { KUBELET_FLAGS, runKubelet } from '@mkube/kubelet';
import { limitHeapGrowth } from '@mkube/shared/heap';
import type { Command } from '../command.js';

export const kubeletCommand: Command = {
  name: 'kubelet',
  summary: 'Run a kubelet in the foreground (TLS bootstrap, serving certificate, the 10250 API, process pods)',
  description:
    "Run mkube's kubelet. With no valid client certificate in --kubeconfig it bootstraps one from\n" +
    '--bootstrap-kubeconfig (or from --bootstrap-token with --discovery-token-ca-cert-hash and --server,\n' +
    'as kubeadm join does), registers its Node, renews its Lease, requests its serving certificate\n' +
    '(--rotate-server-certificates) and serves the kubelet API on --port over mutual TLS.\n' +
    'Pods bound to the node and static pods from --pod-manifest-path run their command as processes.',
  usage: 'kubelet [flags]',
  examples: [
    'mkube kubelet --bootstrap-kubeconfig=.mkube/bootstrap-kubelet.conf --kubeconfig=.mkube/node1/kubelet.conf \\\n' +
      '      --root-dir=.mkube/node1 --hostname-override=node1 --node-ip=127.0.0.2 --address=127.0.0.2 \\\n' +
      '      --client-ca-file=.mkube/pki/ca.crt --rotate-server-certificates',
  ],
  flags: KUBELET_FLAGS,
  async run({ args, stderr, signal }) {
    limitHeapGrowth();
    return runKubelet(args.flags, args.given, { stderr, signal });
  },
};
