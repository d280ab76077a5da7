import { generateBootstrapToken } from '@mkube/shared/bootstraptoken';
import type { Command } from '../command.js';

const generate: Command = {
  name: 'generate',
  summary: 'Print a fresh random bootstrap token',
  description:
    'Print a bootstrap token of the form [a-z0-9]{6}.[a-z0-9]{16}, each character drawn from a\n' +
    'cryptographically secure random source. Nothing is stored: use "mkube token create" to register one.',
  usage: 'token generate',
  examples: ['mkube token generate'],
  async run({ stdout }) {
    stdout.write(`${generateBootstrapToken()}\n`);
    return 0;
  },
};

export const tokenCommand: Command = {
  name: 'token',
  summary: 'Manage bootstrap tokens',
  usage: 'token [command]',
  examples: ['mkube token generate'],
  subcommands: [generate],
};
