import { isIP } from 'node:net';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import type { FlagSpec, FlagValues } from '@mkube/shared/flags';
import { KEY_TYPES, type KeyType, parseKeyType } from '@mkube/shared/pki';
import { CliError, type Command } from '../command.js';
import { initPki } from '../pki/init.js';
import { firstServiceIp, hostPortUrl, parseEndpoint } from '../pki/network.js';
import type { ClusterIdentity } from '../pki/specs.js';

export const DIR_FLAG: FlagSpec = {
  name: 'dir',
  type: 'string',
  usage: 'The folder holding pki/ and the kubeconfigs',
  default: '.mkube',
  metavar: 'DIR',
};

/** kubeadm's Service CIDR: `pki init` and `up` use it unless told otherwise. */
export const DEFAULT_SERVICE_CIDR = '10.96.0.0/12';

export const PKI_INIT_FLAGS: readonly FlagSpec[] = [
  DIR_FLAG,
  {
    name: 'key-type',
    type: 'string',
    usage: `Key algorithm for new keys: ${KEY_TYPES.join('|')}`,
    default: 'ecdsa-p256',
  },
  {
    name: 'apiserver-cert-extra-sans',
    type: 'stringSlice',
    usage: 'Extra Subject Alternative Names (IPs or DNS names) for the API server serving certificate',
  },
  {
    name: 'advertise-address',
    type: 'string',
    usage: 'The IP address the API server advertises',
    default: '127.0.0.1',
    metavar: 'IP',
  },
  { name: 'apiserver-bind-port', type: 'int', usage: 'Port of the API server', default: 6443 },
  {
    name: 'control-plane-endpoint',
    type: 'string',
    usage: 'A stable HOST[:PORT] for the control plane; kubeconfigs point at it',
    metavar: 'HOST:PORT',
  },
  { name: 'node-name', type: 'string', usage: 'Name of this control-plane node (etcd certificates)', metavar: 'NAME' },
  {
    name: 'service-cidr',
    type: 'string',
    usage: 'Service IP range; its first address goes into the API server certificate',
    default: DEFAULT_SERVICE_CIDR,
  },
];

export interface PkiInitParams {
  readonly dir: string;
  readonly keyType: KeyType;
  readonly identity: ClusterIdentity;
  readonly server: string;
}

/** Turns `pki init`'s flags into checked parameters (shared with `mkube up`). */
export function pkiInitParams(flags: FlagValues): PkiInitParams {
  let keyType: KeyType;
  try {
    keyType = parseKeyType(flags['key-type'] as string);
  } catch (e) {
    throw new CliError(`--key-type: ${(e as Error).message}`);
  }
  const advertise = flags['advertise-address'] as string;
  if (!isIP(advertise)) throw new CliError(`--advertise-address: "${advertise}" is not an IP address`);
  const port = flags['apiserver-bind-port'] as number;
  if (port < 1 || port > 65535) throw new CliError(`--apiserver-bind-port: ${port} is not a valid port`);
  const endpoint = flags['control-plane-endpoint'] as string | undefined;
  const ep = endpoint ? parseEndpoint(endpoint, port, '--control-plane-endpoint') : undefined;
  const host = hostname().toLowerCase();
  const nodeName = ((flags['node-name'] as string | undefined) ?? host).toLowerCase();
  if (!/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(nodeName))
    throw new CliError(`--node-name: "${nodeName}" is not a valid node name (RFC 1123 subdomain)`);
  const extraSans = (flags['apiserver-cert-extra-sans'] as string[]) ?? [];
  for (const san of extraSans) {
    if (!isIP(san) && !/^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/i.test(san)) {
      throw new CliError(`--apiserver-cert-extra-sans: "${san}" is neither an IP address nor a DNS name`);
    }
  }
  return {
    dir: resolve(flags.dir as string),
    keyType,
    identity: {
      nodeName,
      hostName: host,
      advertiseAddress: advertise,
      firstServiceIp: firstServiceIp(flags['service-cidr'] as string),
      controlPlaneHost: ep?.host,
      extraSans,
    },
    server: ep ? hostPortUrl(ep.host, ep.port) : hostPortUrl(advertise, port),
  };
}

const init: Command = {
  name: 'init',
  summary: "Write the cluster's certificates, keys and kubeconfigs in kubeadm's layout",
  description:
    'Create the cluster CA, front-proxy CA and etcd CA, every control-plane certificate, the service-account\n' +
    "key pair and the admin, controller-manager and kube-proxy kubeconfigs, in kubeadm's layout:\n" +
    'DIR/pki/<name>.crt|.key (etcd ones under DIR/pki/etcd/) and DIR/<name>.conf. Files that exist are reused,\n' +
    'never overwritten; a certificate that does not match its key or was not issued by its CA is an error.',
  usage: 'pki init --dir DIR [flags]',
  examples: [
    'mkube pki init --dir=.mkube',
    'mkube pki init --dir=/etc/mkube --key-type=rsa-2048 --advertise-address=10.0.0.5 --apiserver-cert-extra-sans=api.example.com',
  ],
  flags: PKI_INIT_FLAGS,
  async run({ args, stdout }) {
    const p = pkiInitParams(args.flags);
    const result = await initPki({ ...p, log: (l) => stdout.write(`${l}\n`) });
    stdout.write(`\nPKI ready in ${p.dir}: ${result.created.length} files created, ${result.reused.length} reused.\n`);
    return 0;
  },
};

export const pkiCommand: Command = {
  name: 'pki',
  summary: 'Create and manage the cluster PKI',
  usage: 'pki [command]',
  examples: ['mkube pki init --dir=.mkube'],
  subcommands: [init],
};
