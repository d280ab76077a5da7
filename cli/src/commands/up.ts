import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { Command } from '../command.js';
import { initPki } from '../pki/init.js';
import { PKI_INIT_FLAGS, pkiInitParams } from './pki.js';

function listFiles(dir: string, root = dir): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((n) => {
      const p = join(dir, n);
      return statSync(p).isDirectory() ? listFiles(p, root) : [relative(root, p)];
    });
}

export const upCommand: Command = {
  name: 'up',
  summary: 'Bring up the local cluster',
  description:
    'Bring up the embedded local cluster under --dir. Today this writes (or reuses) the cluster PKI and\n' +
    'kubeconfigs and lists them; the daemons (apiserver, controller-manager, kubelets) are not built yet.',
  usage: 'up [flags]',
  examples: ['mkube up', 'npm start'],
  flags: PKI_INIT_FLAGS,
  async run({ args, stdout }) {
    const p = pkiInitParams(args.flags);
    await initPki({ ...p, log: (l) => stdout.write(`${l}\n`) });
    stdout.write(`\nFiles in ${p.dir}:\n`);
    for (const f of listFiles(p.dir)) {
      const mode = (statSync(join(p.dir, f)).mode & 0o777).toString(8);
      stdout.write(`  ${mode}  ${f}\n`);
    }
    stdout.write(
      '\nThe PKI is real (try: openssl x509 -noout -text -in ' +
        `${join(p.dir, 'pki/apiserver.crt')}). The daemons are not built yet, so no cluster is running: nothing listens on :6443.\n`,
    );
    return 0;
  },
};
