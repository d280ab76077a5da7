// The gRPC side of `mkube kms-plugin`: Kubernetes' KMS v2 API (Status, Encrypt, Decrypt) on a unix
// socket, with AES-256-GCM keys from the keys file (reloaded when it changes, so a rotation is
// seen by the apiserver's next Status poll). For trying KMS v2 out and for tests, as upstream's
// mock plugin: the keys sit in a local file, not in an HSM.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { existsSync, lstatSync, unlinkSync, unwatchFile, watchFile } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import { grpcTarget, kmsServiceDefinition } from '@mkube/apiserver/storage/value/kms';
import { type KmsKeys, loadOrCreateKeys } from './keys.js';

export interface KmsPluginServer {
  readonly keys: () => KmsKeys;
  close(): Promise<void>;
}

type Handler = (req: Record<string, unknown>) => object;

class PluginError extends Error {
  constructor(
    readonly code: grpc.status,
    message: string,
  ) {
    super(message);
  }
}

export async function startKmsPlugin(opts: {
  listen: string;
  keysFile: string;
  onLog: (line: string) => void;
}): Promise<KmsPluginServer> {
  let keys = await loadOrCreateKeys(opts.keysFile);
  const socket = grpcTarget(opts.listen).slice('unix:'.length);
  // A socket left by a plugin that died; anything else at that path is not ours to remove.
  if (existsSync(socket) && lstatSync(socket).isSocket()) unlinkSync(socket);
  const reload = () => {
    loadOrCreateKeys(opts.keysFile).then(
      (k) => {
        if (k.current !== keys.current || k.keys.size !== keys.keys.size)
          opts.onLog(`keys reloaded: current key_id ${k.current} (${k.keys.size} keys)`);
        keys = k;
      },
      (e: Error) => opts.onLog(`keys file not reloaded (keeping the current keys): ${e.message}`),
    );
  };
  watchFile(opts.keysFile, { interval: 500, persistent: false }, reload);

  const handlers: Record<string, Handler> = {
    Status: () => ({ version: 'v2', healthz: 'ok', key_id: keys.current }),
    Encrypt: (req) => {
      const plaintext = req.plaintext as Buffer;
      const keyID = keys.current;
      const nonce = randomBytes(12);
      const c = createCipheriv('aes-256-gcm', keys.keys.get(keyID)!, nonce);
      c.setAAD(Buffer.from(keyID));
      return { ciphertext: Buffer.concat([nonce, c.update(plaintext), c.final(), c.getAuthTag()]), key_id: keyID };
    },
    Decrypt: (req) => {
      const keyID = req.key_id as string;
      const ct = req.ciphertext as Buffer;
      const key = keys.keys.get(keyID);
      if (!key) throw new PluginError(grpc.status.NOT_FOUND, `no key ${JSON.stringify(keyID)} in ${opts.keysFile}`);
      if (ct.length < 28) throw new PluginError(grpc.status.INVALID_ARGUMENT, 'ciphertext too short');
      try {
        const d = createDecipheriv('aes-256-gcm', key, ct.subarray(0, 12));
        d.setAAD(Buffer.from(keyID));
        d.setAuthTag(ct.subarray(ct.length - 16));
        return { plaintext: Buffer.concat([d.update(ct.subarray(12, ct.length - 16)), d.final()]) };
      } catch {
        throw new PluginError(grpc.status.INVALID_ARGUMENT, 'cipher: message authentication failed');
      }
    },
  };
  const server = new grpc.Server();
  const impl: grpc.UntypedServiceImplementation = {};
  for (const [name, h] of Object.entries(handlers)) {
    impl[name] = (call: grpc.ServerUnaryCall<Record<string, unknown>, object>, cb: grpc.sendUnaryData<object>) => {
      try {
        cb(null, h(call.request));
      } catch (e) {
        const err = e instanceof PluginError ? e : new PluginError(grpc.status.INTERNAL, (e as Error).message);
        opts.onLog(`${name} failed: ${err.message}`);
        cb({ code: err.code, details: err.message }, null);
      }
    };
  }
  server.addService(kmsServiceDefinition(), impl);
  await new Promise<void>((resolve, reject) =>
    server.bindAsync(`unix:${socket}`, grpc.ServerCredentials.createInsecure(), (e) => (e ? reject(e) : resolve())),
  );
  return {
    keys: () => keys,
    close: () =>
      new Promise<void>((resolve) => {
        unwatchFile(opts.keysFile);
        server.tryShutdown(() => resolve());
      }),
  };
}
