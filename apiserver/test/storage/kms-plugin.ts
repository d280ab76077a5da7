// A KMS v2 plugin for the tests, on a unix socket, speaking the real gRPC API (like upstream's
// mock plugin): it encrypts with an AES-256-GCM key per key_id, kept in memory for the plugin's
// life, so data written under an old key_id still decrypts after a rotation. Tests switch its
// key_id, make it unhealthy, stop it, and count its calls.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { kmsServiceDefinition } from '../../src/storage/value/kms/service.ts';

interface Call {
  readonly method: 'Status' | 'Encrypt' | 'Decrypt';
  readonly uid?: string;
  readonly keyID?: string;
}

export class TestKmsPlugin {
  keyID = 'key-1';
  healthz = 'ok';
  version = 'v2';
  readonly calls: Call[] = [];
  readonly #keys = new Map<string, Buffer>();
  readonly #server = new grpc.Server();

  private constructor(readonly socket: string) {}

  get endpoint(): string {
    return `unix://${this.socket}`;
  }

  count(method: Call['method']): number {
    return this.calls.filter((c) => c.method === method).length;
  }

  static async start(socket: string): Promise<TestKmsPlugin> {
    const p = new TestKmsPlugin(socket);
    await p.#listen();
    return p;
  }

  #key(id: string): Buffer {
    let k = this.#keys.get(id);
    if (!k) {
      k = randomBytes(32);
      this.#keys.set(id, k);
    }
    return k;
  }

  #listen(): Promise<void> {
    type Req = Record<string, unknown>;
    this.#server.addService(kmsServiceDefinition(), {
      Status: (_call: grpc.ServerUnaryCall<Req, unknown>, cb: grpc.sendUnaryData<unknown>) => {
        this.calls.push({ method: 'Status' });
        cb(null, { version: this.version, healthz: this.healthz, key_id: this.keyID });
      },
      Encrypt: (call: grpc.ServerUnaryCall<Req, unknown>, cb: grpc.sendUnaryData<unknown>) => {
        const { plaintext, uid } = call.request as { plaintext: Buffer; uid: string };
        this.calls.push({ method: 'Encrypt', uid, keyID: this.keyID });
        const iv = randomBytes(12);
        const c = createCipheriv('aes-256-gcm', this.#key(this.keyID), iv);
        const ct = Buffer.concat([iv, c.update(plaintext), c.final(), c.getAuthTag()]);
        cb(null, {
          ciphertext: ct,
          key_id: this.keyID,
          annotations: { 'plugin.kms.mkube.io': Buffer.from('test') },
        });
      },
      Decrypt: (call: grpc.ServerUnaryCall<Req, unknown>, cb: grpc.sendUnaryData<unknown>) => {
        const { ciphertext, uid, key_id, annotations } = call.request as {
          ciphertext: Buffer;
          uid: string;
          key_id: string;
          annotations: Record<string, Buffer>;
        };
        this.calls.push({ method: 'Decrypt', uid, keyID: key_id });
        const key = this.#keys.get(key_id);
        if (!key || annotations['plugin.kms.mkube.io']?.toString() !== 'test') {
          cb({ code: grpc.status.INVALID_ARGUMENT, details: `unknown key ${key_id}` }, null);
          return;
        }
        try {
          const d = createDecipheriv('aes-256-gcm', key, ciphertext.subarray(0, 12));
          d.setAuthTag(ciphertext.subarray(ciphertext.length - 16));
          const plaintext = Buffer.concat([d.update(ciphertext.subarray(12, ciphertext.length - 16)), d.final()]);
          cb(null, { plaintext });
        } catch {
          cb({ code: grpc.status.INVALID_ARGUMENT, details: 'cannot decrypt' }, null);
        }
      },
    });
    return new Promise((resolve, reject) => {
      this.#server.bindAsync(`unix:${this.socket}`, grpc.ServerCredentials.createInsecure(), (err) =>
        err ? reject(err) : resolve(),
      );
    });
  }

  /** A new plugin on the same socket with the same keys and key_id (after stop()). */
  async restart(): Promise<TestKmsPlugin> {
    const p = new TestKmsPlugin(this.socket);
    for (const [id, k] of this.#keys) p.#keys.set(id, k);
    p.keyID = this.keyID;
    await p.#listen();
    return p;
  }

  /** Stops serving (the socket goes away); keys are kept for a restart on the same socket. */
  stop(): Promise<void> {
    return new Promise((resolve) => this.#server.tryShutdown(() => resolve()));
  }
}
