import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FlagSpec } from '@mkube/shared/flags';
import { CliError, type Command } from '../command.js';
import { initPki } from '../pki/init.js';
import { clientFromKubeconfig } from '../token/client.js';
import { ensureClusterInfo } from '../up/clusterinfo.js';
import { startDaemon } from '../up/daemon.js';
import { waitLeader, waitReady } from '../up/ready.js';
import { PKI_INIT_FLAGS, pkiInitParams } from './pki.js';

const UP_FLAGS: readonly FlagSpec[] = [
  ...PKI_INIT_FLAGS.map((f) => (f.name === 'dir' ? { ...f, name: 'data-dir' } : f)),
];

export const upCommand: Command = {
  name: 'up',
  summary: 'Bring up the local cluster',
  description:
    'Bring up the embedded local cluster under --data-dir: write (or reuse) the cluster PKI and kubeconfigs,\n' +
    'then run the apiserver (SQLite store) and the controller-manager, each as its own process talking over\n' +
    'mutual TLS, until Ctrl-C. The kubelets are not built yet; they will join here.',
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
    stdout.write(`[apiserver] ready at ${p.server} (logs: ${api.logFile})\n`);
    const admin = await clientFromKubeconfig(kc);
    try {
      if (await ensureClusterInfo(admin, p.server, caPem))
        stdout.write('[bootstrap-token] created kube-public/cluster-info\n');
    } finally {
      await admin.close();
    }
    stdout.write('[controller-manager] starting\n');
    const kcm = startDaemon(
      'controller-manager',
      [
        'controller-manager',
        `--kubeconfig=${join(p.dir, 'controller-manager.conf')}`,
        `--cluster-signing-cert-file=${pki('ca.crt')}`,
        `--cluster-signing-key-file=${pki('ca.key')}`,
        `--root-ca-file=${pki('ca.crt')}`,
        // kubeadm's setting: the bootstrap signer and token cleaner are off upstream by default.
        '--controllers=*,bootstrapsigner,tokencleaner',
      ],
      p.dir,
    );
    const stopAll = async () => {
      const codes = await Promise.all([kcm.stop(), api.stop()]);
      return codes.find((c) => c) ?? 0;
    };
    if (!(await waitLeader(kc, 30_000, kcm.exited))) {
      await stopAll();
      throw new CliError(`the controller-manager did not become leader; see ${kcm.logFile}`);
    }
    stdout.write(
      [
        `[controller-manager] leading (logs: ${kcm.logFile})`,
        '',
        'Use it:',
        `  export KUBECONFIG=${kc}`,
        '  kubectl get namespaces,csr',
        `  curl --cacert ${pki('ca.crt')} --cert ${pki('apiserver-kubelet-client.crt')} --key ${pki('apiserver-kubelet-client.key')} ${p.server}/version`,
        '',
        'Not yet: kubelets (nodes will join here when they exist). Ctrl-C stops the cluster.',
        '',
      ].join('\n'),
    );
    await new Promise<void>((resolve) => {
      const done = () => resolve();
      process.once('SIGINT', done);
      process.once('SIGTERM', done);
      signal.addEventListener('abort', done, { once: true });
      void api.exited.then(done);
      void kcm.exited.then(done);
    });
    const code = await stopAll();
    stdout.write(`[controller-manager] [apiserver] stopped${code ? ` (exit ${code})` : ''}\n`);
    return code ? 1 : 0;
  },
};
