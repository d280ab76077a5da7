import type { Command } from '../command.js';
import { addonCommand } from './addon.js';
import { apiserverCommand } from './apiserver.js';
import { certsCommand } from './certs.js';
import { controllerManagerCommand } from './controllermanager.js';
import { downCommand } from './down.js';
import { kmsPluginCommand } from './kmsplugin.js';
import { kubeconfigCommand } from './kubeconfig.js';
import { kubeletCommand } from './kubelet.js';
import { metricsServerCommand } from './metricsserver.js';
import { pkiCommand } from './pki.js';
import { podCertSignerCommand } from './podcertsigner.js';
import { schedulerCommand } from './scheduler.js';
import { tokenCommand } from './token.js';
import { upCommand } from './up.js';

export const rootCommand: Command = {
  name: 'mkube',
  summary: 'mkube: a small but real Kubernetes control-plane security path',
  description:
    'mkube runs a mini kube-apiserver, kube-controller-manager, kube-scheduler and kubelet that talk over mutual TLS,\n' +
    'and manages their PKI, kubeconfigs and bootstrap tokens the way kubeadm does.',
  usage: '[command]',
  examples: [
    'mkube up',
    'mkube pki init --dir=.mkube',
    'mkube token generate',
    'mkube certs check-expiration --dir=.mkube',
  ],
  subcommands: [
    upCommand,
    downCommand,
    pkiCommand,
    kubeconfigCommand,
    certsCommand,
    tokenCommand,
    addonCommand,
    apiserverCommand,
    controllerManagerCommand,
    schedulerCommand,
    metricsServerCommand,
    kubeletCommand,
    kmsPluginCommand,
    podCertSignerCommand,
  ],
};
