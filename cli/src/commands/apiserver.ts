// `mkube apiserver`: the kube-apiserver in the foreground, with kube-apiserver's flags.
import { APISERVER_FLAGS, runApiServer } from '@mkube/apiserver';
import { limitHeapGrowth } from '@mkube/shared/heap';
import type { Command } from '../command.js';

export const apiserverCommand: Command = {
  name: 'apiserver',
  summary: 'Run the Kubernetes API server (kube-apiserver) in the foreground',
  description:
    "Run mkube's kube-apiserver in the foreground: the Kubernetes API over HTTPS (HTTP/2 and HTTP/1.1)\n" +
    'with client-certificate authentication, state in an embedded durable store under --data-dir.\n' +
    'SIGTERM or SIGINT shuts it down gracefully.',
  usage: 'apiserver [flags]',
  examples: [
    'mkube apiserver --tls-cert-file=.mkube/pki/apiserver.crt --tls-private-key-file=.mkube/pki/apiserver.key \\\n' +
      '      --client-ca-file=.mkube/pki/ca.crt --data-dir=.mkube/apiserver',
  ],
  flags: APISERVER_FLAGS,
  async run({ args, stderr, signal }) {
    limitHeapGrowth();
    return runApiServer(args.flags, args.given, { stderr, signal });
  },
};
