// `mkube addon metrics-server`: kubeadm's `init phase addon` in spirit — the credentials and API
// objects an add-on needs, for a daemon started separately (docker compose, systemd).
import { isIP } from 'node:net';
import { join, resolve } from 'node:path';
import { loadKubeconfig, resolveCredentials } from '@mkube/shared/kubeconfig';
import { CliError, type Command } from '../command.js';
import { loadCa, PkiDir } from '../pki/files.js';
import { clientFromKubeconfig } from '../token/client.js';
import { applyMetricsServerObjects, ensureMetricsServerCredentials } from '../up/metricsserver.js';
import { DIR_FLAG } from './pki.js';

const metricsServer: Command = {
  name: 'metrics-server',
  summary: "Write metrics-server's credentials and create its RBAC, Service and APIService",
  description:
    "Issue metrics-server's serving certificate (DIR/pki/metrics-server.{crt,key}, for metrics-server.kube-system.svc\n" +
    'and --address) and its kubeconfig (DIR/metrics-server.conf, user system:metrics-server) from the cluster CA,\n' +
    "then create or update components.yaml's RBAC, the Service (Endpoints naming --address; an ExternalName for\n" +
    'localhost when --address is loopback) and the APIService v1beta1.metrics.k8s.io with the CA as its caBundle.\n' +
    'Run `mkube metrics-server` on --address:--port with those files afterwards.',
  usage: 'addon metrics-server --address IP [flags]',
  examples: [
    'mkube addon metrics-server --dir=/var/lib/mkube --kubeconfig=/var/lib/mkube/admin.conf --address=172.28.0.13',
  ],
  flags: [
    DIR_FLAG,
    { name: 'kubeconfig', type: 'string', usage: 'An admin kubeconfig (default DIR/admin.conf)', metavar: 'FILE' },
    { name: 'address', type: 'string', default: '127.0.0.1', usage: 'The address metrics-server listens on' },
    { name: 'port', type: 'int', default: 4443, usage: "metrics-server's --secure-port" },
  ],
  async run({ args, stdout }) {
    const dir = resolve(args.flags.dir as string);
    const kubeconfig = (args.flags.kubeconfig as string | undefined) ?? join(dir, 'admin.conf');
    const address = args.flags.address as string;
    if (!isIP(address)) throw new CliError(`--address: "${address}" is not an IP address`);
    const port = args.flags.port as number;
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new CliError(`--port: ${port} is not a valid port`);
    const creds = await resolveCredentials(await loadKubeconfig(kubeconfig)).catch((e: Error) => {
      throw new CliError(e.message);
    });
    const pki = new PkiDir(dir);
    const ca = await loadCa(pki, 'ca');
    const files = await ensureMetricsServerCredentials(
      pki,
      dir,
      creds.server,
      ca.keyType,
      (l) => stdout.write(`${l}\n`),
      address,
    );
    const admin = await clientFromKubeconfig(kubeconfig);
    try {
      await applyMetricsServerObjects(admin, port, ca.certPem, address);
    } finally {
      await admin.close();
    }
    stdout.write(
      `[addon] metrics-server: ${files.kubeconfig}, ${files.certFile}; APIService v1beta1.metrics.k8s.io → ${address}:${port}\n`,
    );
    return 0;
  },
};

export const addonCommand: Command = {
  name: 'addon',
  summary: 'Install an add-on (metrics-server)',
  usage: 'addon [command]',
  examples: ['mkube addon metrics-server --address=172.28.0.13'],
  subcommands: [metricsServer],
};
