import { resolve } from 'node:path';
import { CliError, type Command } from '../command.js';
import { checkExpiration } from '../pki/expiration.js';
import { renewCertificates } from '../pki/renew.js';
import { renewableNames } from '../pki/specs.js';
import { DIR_FLAG } from './pki.js';

const checkExpirationCmd: Command = {
  name: 'check-expiration',
  summary: 'Show when each certificate and CA expires',
  description:
    "Print kubeadm's expiration table for every certificate (including those embedded in kubeconfigs) and CA.\n" +
    'Exits 1 when any of them has expired.',
  usage: 'certs check-expiration --dir DIR',
  examples: ['mkube certs check-expiration --dir=.mkube'],
  flags: [DIR_FLAG],
  async run({ args, stdout, stderr }) {
    const { text, expired } = await checkExpiration(resolve(args.flags.dir as string), new Date());
    stdout.write(text);
    if (expired.length) {
      stderr.write(`error: expired: ${expired.join(', ')} (renew with "mkube certs renew")\n`);
      return 1;
    }
    return 0;
  },
};

const RELOADED_BY_APISERVER = new Set(['apiserver', 'apiserver-kubelet-client', 'front-proxy-client']);

/** `a`, `a and b`, `a, b and c`. */
const listed = (names: readonly string[]) =>
  names.length <= 1 ? (names[0] ?? '') : `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;

const renew: Command = {
  name: 'renew',
  summary: 'Renew a certificate, or all of them',
  description:
    'Issue a new key and certificate from the same CA with the subject and SANs of the existing certificate.\n' +
    `NAME is one of: all, ${renewableNames().join(', ')}.\n` +
    'Kubeconfigs carrying a client certificate are rewritten with the new one.',
  usage: 'certs renew NAME|all --dir DIR',
  examples: ['mkube certs renew apiserver --dir=.mkube', 'mkube certs renew all --dir=.mkube'],
  flags: [DIR_FLAG],
  async run({ args, stdout }) {
    const [name, ...rest] = args.positionals;
    if (!name) throw new CliError(`missing NAME: expected one of all, ${renewableNames().join(', ')}`);
    if (rest.length) throw new CliError(`unexpected arguments: ${rest.join(' ')}`);
    const done = await renewCertificates(
      resolve(args.flags.dir as string),
      name,
      (l) => stdout.write(`${l}\n`),
      new Date(),
    );
    // The apiserver reads its serving pair and its client pairs toward kubelets and aggregated APIs
    // again when they change (dynamic certificates); the client certificates in kubeconfigs and the
    // etcd pairs are read at start.
    const reloaded = done.filter((n) => RELOADED_BY_APISERVER.has(n));
    const others = done.length - reloaded.length;
    stdout.write(
      `\nDone renewing ${done.length} certificate${done.length === 1 ? '' : 's'}.` +
        (reloaded.length
          ? ` The apiserver uses its renewed ${listed(reloaded)} certificate${reloaded.length === 1 ? '' : 's'} without a restart.`
          : '') +
        (others ? ` Restart the components that use ${reloaded.length ? 'the others' : 'them'}.` : '') +
        '\n',
    );
    return 0;
  },
};

export const certsCommand: Command = {
  name: 'certs',
  summary: 'Inspect and renew certificates',
  usage: 'certs [command]',
  examples: ['mkube certs check-expiration --dir=.mkube'],
  subcommands: [checkExpirationCmd, renew],
};
