import { metaTime, type Secret } from '@mkube/shared/api';
import { StatusError } from '@mkube/shared/apierrors';
import { generateBootstrapToken, parseBootstrapToken } from '@mkube/shared/bootstraptoken';
import type { FlagSpec } from '@mkube/shared/flags';
import { CliError, type Command } from '../command.js';
import { shortHumanDuration } from '../pki/expiration.js';
import { clientFromKubeconfig, joinCommand, publishClusterInfo } from '../token/client.js';
import { checkTokenSpec, readTokenSecret, tokenSecret, USAGES } from '../token/secrets.js';

const KUBECONFIG_FLAG: FlagSpec = {
  name: 'kubeconfig',
  type: 'string',
  usage: 'The kubeconfig to talk to the cluster with',
  default: '.mkube/admin.conf',
  metavar: 'FILE',
};
const SECRETS = { group: '', version: 'v1', resource: 'secrets', namespace: 'kube-system' } as const;

function apiError(e: unknown): never {
  if (e instanceof StatusError) throw new CliError(`${e.reason}: ${e.message}`);
  throw new CliError((e as Error).message);
}

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

const create: Command = {
  name: 'create',
  summary: 'Create a bootstrap token on the cluster and print it',
  description:
    'Write a Secret kube-system/bootstrap-token-<id> of type bootstrap.kubernetes.io/token through the API,\n' +
    'as "kubeadm token create" does, and print the token. TOKEN is generated when not given.',
  usage: 'token create [TOKEN] [flags]',
  examples: [
    'mkube token create',
    'mkube token create --ttl=1h --groups=system:bootstrappers:workers --description="for node-3"',
  ],
  flags: [
    KUBECONFIG_FLAG,
    { name: 'ttl', type: 'duration', usage: 'How long the token is valid (0: never expires)', default: '24h' },
    {
      name: 'usages',
      type: 'stringSlice',
      usage: `How the token may be used: ${USAGES.join(', ')}`,
      default: ['signing', 'authentication'],
    },
    {
      name: 'groups',
      type: 'stringSlice',
      usage: 'Extra groups the token authenticates as',
      default: ['system:bootstrappers:kubeadm:default-node-token'],
    },
    { name: 'description', type: 'string', usage: 'A human-friendly description of the token' },
    {
      name: 'publish-cluster-info',
      type: 'bool',
      usage:
        "Also create kube-public/cluster-info (the cluster's CA and server, for token discovery) when missing, as kubeadm's bootstrap-token phase does",
    },
    {
      name: 'print-join-command',
      type: 'bool',
      usage: 'Print the full "mkube kubelet" command line that joins a node with this token (as kubeadm does)',
    },
  ],
  async run({ args, stdout }) {
    const [given, ...rest] = args.positionals;
    if (rest.length) throw new CliError(`unexpected arguments: ${rest.join(' ')}`);
    const spec = {
      token: given ?? generateBootstrapToken(),
      ttlMs: args.flags.ttl as number,
      usages: args.flags.usages as string[],
      groups: args.flags.groups as string[],
      description: args.flags.description as string | undefined,
    };
    checkTokenSpec(spec);
    const client = await clientFromKubeconfig(args.flags.kubeconfig as string);
    // The apiserver that answered: with several (mkube.io/apiservers) the preferred one may be down.
    let server: string | undefined;
    try {
      await client.resource<Secret>(SECRETS).create(tokenSecret(spec, new Date()));
      server = client.activeServer;
      if (args.flags['publish-cluster-info'] === true)
        await publishClusterInfo(client, args.flags.kubeconfig as string);
    } catch (e) {
      apiError(e);
    } finally {
      await client.close();
    }
    if (args.flags['print-join-command'] === true) {
      stdout.write(`${await joinCommand(args.flags.kubeconfig as string, spec.token, server)}\n`);
      return 0;
    }
    stdout.write(`${spec.token}\n`);
    return 0;
  },
};

const list: Command = {
  name: 'list',
  summary: 'List the bootstrap tokens on the cluster',
  usage: 'token list [flags]',
  examples: ['mkube token list --kubeconfig=.mkube/admin.conf'],
  flags: [KUBECONFIG_FLAG],
  async run({ args, stdout }) {
    const client = await clientFromKubeconfig(args.flags.kubeconfig as string);
    let items: Secret[] = [];
    try {
      items = (await client.resource<Secret>(SECRETS).list({ fieldSelector: 'type=bootstrap.kubernetes.io/token' }))
        .items;
    } catch (e) {
      apiError(e);
    } finally {
      await client.close();
    }
    const now = Date.now();
    const rows = items.flatMap((s) => {
      const t = readTokenSecret(s);
      if (!t) return [];
      return [
        [
          t.token,
          t.expires ? shortHumanDuration(t.expires.getTime() - now) : '<forever>',
          t.expires ? metaTime(t.expires) : '<never>',
          t.usages.join(','),
          t.description || '<none>',
          t.groups.join(','),
        ],
      ];
    });
    const header = ['TOKEN', 'TTL', 'EXPIRES', 'USAGES', 'DESCRIPTION', 'EXTRA GROUPS'];
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
    for (const r of [header, ...rows])
      stdout.write(`${r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]! + 3))).join('')}\n`);
    return 0;
  },
};

const del: Command = {
  name: 'delete',
  summary: 'Delete bootstrap tokens from the cluster',
  usage: 'token delete ID|TOKEN... [flags]',
  examples: ['mkube token delete abcdef', 'mkube token delete abcdef.0123456789abcdef'],
  flags: [KUBECONFIG_FLAG],
  async run({ args, stdout }) {
    if (args.positionals.length === 0) throw new CliError('missing token ID or TOKEN');
    const ids = args.positionals.map((v) => {
      const id = parseBootstrapToken(v)?.id ?? (/^[a-z0-9]{6}$/.test(v) ? v : undefined);
      if (!id) throw new CliError(`"${v}" is neither a token ID ([a-z0-9]{6}) nor a token`);
      return id;
    });
    const client = await clientFromKubeconfig(args.flags.kubeconfig as string);
    try {
      for (const id of ids) {
        await client.resource<Secret>(SECRETS).delete(`bootstrap-token-${id}`);
        stdout.write(`bootstrap token "${id}" deleted\n`);
      }
    } catch (e) {
      apiError(e);
    } finally {
      await client.close();
    }
    return 0;
  },
};

export const tokenCommand: Command = {
  name: 'token',
  summary: 'Manage bootstrap tokens',
  usage: 'token [command]',
  examples: ['mkube token generate', 'mkube token create', 'mkube token list'],
  subcommands: [create, del, generate, list],
};
