import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FlagSpec } from '@mkube/shared/flags';
import { CliError, type Command } from '../command.js';
import { initPki } from '../pki/init.js';
import { clientFromKubeconfig } from '../token/client.js';
import { ensureClusterInfo } from '../up/clusterinfo.js';
import { type RunningDaemon, startDaemon } from '../up/daemon.js';
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
    // Ctrl-C must stop every daemon whatever phase start-up is in, and nothing may outlive us.
    const stopping = new AbortController();
    const onSignal = () => stopping.abort();
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    signal.addEventListener('abort', onSignal, { once: true });
    const stopped = new Promise<void>((r) => stopping.signal.addEventListener('abort', () => r(), { once: true }));
    const daemons: RunningDaemon[] = [];
    const killAll = () => {
      for (const d of daemons) d.proc.kill('SIGKILL');
    };
    process.once('exit', killAll);
    let failed = false;
    const start = (name: string, argv: string[]) => {
      stdout.write(`[${name}] starting\n`);
      const d = startDaemon(name, argv, p.dir);
      daemons.push(d);
      return d;
    };
    const bringUp = async (): Promise<void> => {
      const api = start('apiserver', [
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
      ]);
      const caPem = readFileSync(pki('ca.crt'), 'utf8');
      if (!(await waitReady(`${p.server}/readyz`, caPem, 30_000, Promise.race([api.exited, stopped])))) {
        if (stopping.signal.aborted) return;
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
      const kcm = start('controller-manager', [
        'controller-manager',
        `--kubeconfig=${join(p.dir, 'controller-manager.conf')}`,
        `--cluster-signing-cert-file=${pki('ca.crt')}`,
        `--cluster-signing-key-file=${pki('ca.key')}`,
        `--root-ca-file=${pki('ca.crt')}`,
        // kubeadm's setting: the bootstrap signer and token cleaner are off upstream by default.
        '--controllers=*,bootstrapsigner,tokencleaner',
      ]);
      if (!(await waitLeader(kc, 30_000, Promise.race([kcm.exited, stopped])))) {
        if (stopping.signal.aborted) return;
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
      await Promise.race([stopped, api.exited, kcm.exited]);
    };
    try {
      await bringUp();
    } finally {
      // Reverse start order: the controller-manager lets go of its lease while the apiserver still answers.
      for (const d of [...daemons].reverse()) {
        const code = await d.stop();
        if (code) failed = true;
        stdout.write(`[${d.name}] stopped${code ? ` (exit ${code})` : ''}\n`);
      }
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      process.off('exit', killAll);
    }
    return failed ? 1 : 0;
  },
};
