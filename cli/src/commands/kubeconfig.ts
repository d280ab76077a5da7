import { resolve } from 'node:path';
import { buildKubeconfig, serializeKubeconfig } from '@mkube/shared/kubeconfig';
import { encodePrivateKeyPem, generateKeyPair } from '@mkube/shared/pki';
import { CliError, type Command } from '../command.js';
import { loadCa, PkiDir } from '../pki/files.js';
import { CLUSTER_NAME, LEAF_VALIDITY_MS } from '../pki/specs.js';
import { DIR_FLAG } from './pki.js';

const user: Command = {
  name: 'user',
  summary: 'Print a kubeconfig for a user, with a client certificate from the cluster CA',
  description:
    'Issue a client certificate (CN = --client-name, O = each --org) from DIR/pki/ca.{crt,key} and print a\n' +
    'kubeconfig that uses it, like "kubeadm kubeconfig user". With --token the kubeconfig carries that bearer\n' +
    'token instead and no certificate is issued.',
  usage: 'kubeconfig user --client-name NAME [--org GROUP]... --server URL [flags]',
  examples: [
    'mkube kubeconfig user --client-name=alice --org=developers --dir=.mkube --server=https://127.0.0.1:6443 > alice.conf',
    'mkube kubeconfig user --client-name=ci --token=abcdef.0123456789abcdef --server=https://127.0.0.1:6443',
  ],
  flags: [
    { name: 'client-name', type: 'string', usage: 'The user name (certificate CN)', metavar: 'NAME' },
    { name: 'org', type: 'stringArray', usage: 'Groups (certificate O); repeat for several', metavar: 'GROUP' },
    DIR_FLAG,
    { name: 'server', type: 'string', usage: 'URL of the API server', metavar: 'URL' },
    { name: 'validity', type: 'duration', usage: 'Validity of the client certificate', default: '8760h' },
    { name: 'token', type: 'string', usage: 'Use this bearer token instead of a client certificate' },
  ],
  async run({ args, stdout }) {
    const name = args.flags['client-name'] as string | undefined;
    if (!name) throw new CliError('--client-name is required');
    const server = args.flags.server as string | undefined;
    if (!server) throw new CliError('--server is required (e.g. --server=https://127.0.0.1:6443)');
    let url: URL;
    try {
      url = new URL(server);
    } catch {
      throw new CliError(`--server: "${server}" is not a URL`);
    }
    if (url.protocol !== 'https:') throw new CliError(`--server: "${server}" must be an https:// URL`);
    const validity = args.flags.validity as number;
    if (validity <= 0) throw new CliError('--validity must be positive');
    const pki = new PkiDir(resolve(args.flags.dir as string));
    const ca = await loadCa(pki, 'ca');
    const token = args.flags.token as string | undefined;
    if (token) {
      stdout.write(
        serializeKubeconfig(
          buildKubeconfig({ clusterName: CLUSTER_NAME, server, caPem: ca.certPem, userName: name, token }),
        ),
      );
      return 0;
    }
    const key = await generateKeyPair(ca.keyType);
    const issued = ca.issue({
      subject: { commonName: name, organizations: (args.flags.org as string[]) ?? [] },
      publicKey: key.publicKey,
      usages: ['digital signature', 'key encipherment', 'client auth'],
      ttlMs: validity || LEAF_VALIDITY_MS,
    });
    stdout.write(
      serializeKubeconfig(
        buildKubeconfig({
          clusterName: CLUSTER_NAME,
          server,
          caPem: ca.certPem,
          userName: name,
          clientCertPem: issued.pem,
          clientKeyPem: encodePrivateKeyPem(key),
        }),
      ),
    );
    return 0;
  },
};

export const kubeconfigCommand: Command = {
  name: 'kubeconfig',
  summary: 'Create kubeconfig files',
  usage: 'kubeconfig [command]',
  examples: ['mkube kubeconfig user --client-name=alice --server=https://127.0.0.1:6443'],
  subcommands: [user],
};
