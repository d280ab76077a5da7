// `mkube kms-plugin`: a KMS v2 plugin for trying encryption at rest with a KMS provider (keys in a
// local file, like upstream's mock plugin), and `--rotate` to move it to a new key.
import { resolve } from 'node:path';
import { CliError, type Command } from '../command.js';
import { rotateKeys } from '../kmsplugin/keys.js';
import { startKmsPlugin } from '../kmsplugin/server.js';

export const kmsPluginCommand: Command = {
  name: 'kms-plugin',
  summary: 'Run a KMS v2 plugin (keys in a local file) for encryption at rest',
  description:
    "Serve Kubernetes' KMS v2 gRPC API (Status, Encrypt, Decrypt) on a unix socket, encrypting with\n" +
    'AES-256-GCM keys kept in --keys-file (created with one key when missing, mode 0600). Point a `kms`\n' +
    "provider of the apiserver's --encryption-provider-config at it. With --rotate, add a new key, make it\n" +
    'the current one and exit: a running plugin reloads the file and the apiserver, at its next Status\n' +
    'poll, writes with a new seed under the new key_id. Old keys stay, so older data still decrypts.\n' +
    'For trying KMS out: the keys are only as safe as the file.',
  usage: 'kms-plugin --listen unix:///PATH [--keys-file FILE] [--rotate]',
  examples: [
    'mkube kms-plugin --listen=unix://$PWD/.mkube/kms.sock --keys-file=.mkube/kms-keys.json',
    'mkube kms-plugin --rotate --keys-file=.mkube/kms-keys.json',
  ],
  flags: [
    { name: 'listen', type: 'string', usage: 'The unix socket to serve on (unix:///absolute/path)', metavar: 'URL' },
    { name: 'keys-file', type: 'string', default: '.mkube/kms-keys.json', usage: 'The keys (JSON, 0600)' },
    { name: 'rotate', type: 'bool', usage: 'Add a new key, make it current, print its key_id and exit' },
  ],
  async run({ args, stdout, stderr, signal }) {
    const keysFile = resolve(args.flags['keys-file'] as string);
    if (args.flags.rotate === true) {
      const k = await rotateKeys(keysFile);
      stdout.write(`${k.current}\n`);
      return 0;
    }
    const listen = args.flags.listen as string | undefined;
    if (!listen) throw new CliError('--listen is required (e.g. --listen=unix:///run/mkube/kms.sock)');
    if (!/^unix:\/\/\//.test(listen))
      throw new CliError(`--listen: ${JSON.stringify(listen)} must be unix:// with an absolute path`);
    const server = await startKmsPlugin({
      listen,
      keysFile,
      onLog: (l) => stderr.write(`kms-plugin: ${l}\n`),
    });
    stdout.write(
      `kms-plugin: serving KMS v2 on ${listen} (current key_id ${server.keys().current}; keys in ${keysFile})\n`,
    );
    await new Promise<void>((r) => {
      if (signal.aborted) r();
      else signal.addEventListener('abort', () => r(), { once: true });
    });
    await server.close();
    return 0;
  },
};
