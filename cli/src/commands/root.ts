import type { Command } from '../command.js';
import { tokenCommand } from './token.js';

export const rootCommand: Command = {
  name: 'mkube',
  summary: 'mkube: a small but real Kubernetes control-plane security path',
  description:
    'mkube runs a mini kube-apiserver, kube-controller-manager and kubelet that talk over mutual TLS,\n' +
    'and manages their PKI, kubeconfigs and bootstrap tokens the way kubeadm does.',
  usage: '[command]',
  examples: ['mkube pki init --dir=.mkube', 'mkube token generate', 'mkube certs check-expiration --dir=.mkube'],
  subcommands: [tokenCommand],
};
