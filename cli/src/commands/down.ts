// `mkube down`: stops the cluster `mkube up --detach` left running (every daemon, in order).
import { resolve } from 'node:path';
import { CliError, type Command } from '../command.js';
import { runningUp } from '../up/pidfile.js';

export const downCommand: Command = {
  name: 'down',
  summary: 'Stop the local cluster started with "mkube up --detach"',
  description: 'Send SIGTERM to the "mkube up" running from --data-dir and wait until it and all its daemons stopped.',
  usage: 'down [flags]',
  examples: ['mkube down', 'mkube down --data-dir=/tmp/mkube'],
  flags: [
    {
      name: 'data-dir',
      type: 'string',
      default: '.mkube',
      usage: 'The data dir the cluster runs from',
      metavar: 'DIR',
    },
  ],
  async run({ args, stdout }) {
    const dataDir = resolve(args.flags['data-dir'] as string);
    const pid = runningUp(dataDir);
    if (!pid) {
      stdout.write(`no cluster is running from ${dataDir}\n`);
      return 0;
    }
    process.kill(pid, 'SIGTERM');
    const deadline = Date.now() + 90_000;
    while (Date.now() < deadline) {
      if (!runningUp(dataDir)) {
        stdout.write(`stopped the cluster running from ${dataDir} (pid ${pid})\n`);
        return 0;
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new CliError(`mkube up (pid ${pid}) did not stop within 90 s`);
  },
};
