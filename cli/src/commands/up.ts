import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FlagSpec } from '@mkube/shared/flags';
import { CliError, type Command } from '../command.js';
import { initPki } from '../pki/init.js';
import { startDaemon } from '../up/daemon.js';
import { waitReady } from '../up/ready.js';
import { PKI_INIT_FLAGS, pkiInitParams } from './pki.js';

const UP_FLAGS: readonly FlagSpec[] = [
  ...PKI_INIT_FLAGS.map((f) => (f.name === 'dir' ? { ...f, name: 'data-dir' } : f)),
];

export const upCommand: Command = {
  name: 'up',
  summary: 'Bring up the local cluster',
  description:
    'Bring up the embedded local cluster under --data-dir: write (or reuse) the cluster PKI and kubeconfigs,\n' +
    'then run the apiserver (SQLite store) as its own process until Ctrl-C. The controller-manager and the\n' +
    'kubelets are not built yet; they will join here.',
  usage: 'up [flags]',
  examples: ['mkube up', 'npm start', 'mkube up --data-dir=/tmp/mkube --apiserver-bind-port=7443'],
  flags: UP_FLAGS,
  async run({ args, stdout, signal }) {
    const p = pkiInitParams({ ...args.flags, dir: args.flags['data-dir'] });
    await initPki({ ...p, log: (l) => stdout.write(`${l}\n`) });
    const port = new URL(p.server).port || '6443';
    const pki = (f: string) => join(p.dir, 'pki', f);
    stdout.write('[apiserver] starting\n');
    const api = startDaemon(
      'apiserver',
      [
        'apiserver',
        `--secure-port=${port}`,
        `--bind-address=${p.identity.advertiseAddress}`,
        `--tls-cert-file=${pki('apiserver.crt')}`,
        `--tls-private-key-file=${pki('apiserver.key')}`,
        `--client-ca-file=${pki('ca.crt')}`,
        `--data-dir=${join(p.dir, 'apiserver')}`,
        '--authorization-mode=Node,RBAC',
        '--enable-admission-plugins=NodeRestriction',
        '--enable-bootstrap-token-auth',
        `--service-account-key-file=${pki('sa.pub')}`,
        `--service-account-signing-key-file=${pki('sa.key')}`,
        '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
      ],
      p.dir,
    );
    const caPem = readFileSync(pki('ca.crt'), 'utf8');
    if (!(await waitReady(`${p.server}/readyz`, caPem, 30_000, api.exited))) {
      await api.stop();
      throw new CliError(`the apiserver did not become ready; see ${api.logFile}`);
    }
    const kc = join(p.dir, 'admin.conf');
    stdout.write(
      [
        `[apiserver] ready at ${p.server} (logs: ${api.logFile})`,
        '',
        'Use it:',
        `  export KUBECONFIG=${kc}`,
        '  kubectl get namespaces',
        `  curl --cacert ${pki('ca.crt')} --cert ${pki('apiserver-kubelet-client.crt')} --key ${pki('apiserver-kubelet-client.key')} ${p.server}/version`,
        '',
        'Not yet: controller-manager and kubelets (nodes will join here when they exist). Ctrl-C stops the cluster.',
        '',
      ].join('\n'),
    );
    await new Promise<void>((resolve) => {
      const done = () => resolve();
      process.once('SIGINT', done);
      process.once('SIGTERM', done);
      signal.addEventListener('abort', done, { once: true });
      void api.exited.then(done);
    });
    const code = await api.stop();
    stdout.write(`[apiserver] stopped${code ? ` (exit ${code})` : ''}\n`);
    return code && code !== 0 ? 1 : 0;
  },
};
