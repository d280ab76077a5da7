// `mkube scheduler`: the kube-scheduler in the foreground, with its flags.

import { runScheduler, SCHEDULER_FLAGS } from '@mkube/scheduler';
import { limitHeapGrowth } from '@mkube/shared/heap';
import type { Command } from '../command.js';

export const schedulerCommand: Command = {
  name: 'scheduler',
  summary: 'Run the scheduler (kube-scheduler) in the foreground',
  description:
    "Run mkube's kube-scheduler: binds each pod without a node (spec.schedulerName default-scheduler) to a\n" +
    "node that passes upstream's filters (NodeUnschedulable, TaintToleration, NodeAffinity, NodeResourcesFit,\n" +
    'NodePorts) through pods/binding, or marks it Unschedulable with the reasons, under leader election on a Lease.\n' +
    'SIGTERM or SIGINT stops it (the lease is released); losing the lease exits with status 1.',
  usage: 'scheduler [flags]',
  examples: [
    'mkube scheduler --kubeconfig=.mkube/scheduler.conf \\\n' +
      '      --authentication-kubeconfig=.mkube/scheduler.conf --authorization-kubeconfig=.mkube/scheduler.conf \\\n' +
      '      --bind-address=127.0.0.1',
  ],
  flags: SCHEDULER_FLAGS,
  async run({ args, stderr, signal }) {
    limitHeapGrowth();
    return runScheduler(args.flags, args.given, { stderr, signal });
  },
};
