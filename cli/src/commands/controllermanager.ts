// `mkube controller-manager`: the kube-controller-manager in the foreground, with its flags.
import { CONTROLLER_MANAGER_FLAGS, runControllerManager } from '@mkube/controller-manager';
import { limitHeapGrowth } from '@mkube/shared/heap';
import type { Command } from '../command.js';

export const controllerManagerCommand: Command = {
  name: 'controller-manager',
  summary: 'Run the controller manager (kube-controller-manager) in the foreground',
  description:
    "Run mkube's kube-controller-manager: CSR approving (kubelet client CSRs after a SubjectAccessReview,\n" +
    'kubelet serving CSRs by node-ownership rules), signing from the cluster CA, cleaning, bootstrap signer,\n' +
    'token cleaner, root CA publisher and node lifecycle, under leader election on a Lease.\n' +
    'SIGTERM or SIGINT stops it (the lease is released); losing the lease exits with status 1.',
  usage: 'controller-manager [flags]',
  examples: [
    'mkube controller-manager --kubeconfig=.mkube/controller-manager.conf \\\n' +
      '      --cluster-signing-cert-file=.mkube/pki/ca.crt --cluster-signing-key-file=.mkube/pki/ca.key \\\n' +
      '      --controllers=*,bootstrapsigner,tokencleaner',
  ],
  flags: CONTROLLER_MANAGER_FLAGS,
  async run({ args, stderr, signal }) {
    limitHeapGrowth();
    return runControllerManager(args.flags, args.given, { stderr, signal });
  },
};
