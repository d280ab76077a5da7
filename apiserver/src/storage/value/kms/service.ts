// The client side of a KMS v2 plugin: gRPC over the unix socket the provider's `endpoint` names,
// each call bounded by the provider's `timeout` (kube-apiserver's gRPCService in
// storage/value/encrypt/envelope/kmsv2). grpc-js carries the calls; protobufjs the messages.
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import protobuf from 'protobufjs';

const root = new protobuf.Root().loadSync(fileURLToPath(new URL('./kms.proto', import.meta.url)), {
  keepCase: true,
});
export const kmsType = (name: string) => root.lookupType(`v2.${name}`);
const TO_OBJECT: protobuf.IConversionOptions = { longs: Number, bytes: Buffer, defaults: true };

export interface StatusResponse {
  readonly version: string;
  readonly healthz: string;
  readonly key_id: string;
}

export interface EncryptResponse {
  readonly ciphertext: Buffer;
  readonly key_id: string;
  readonly annotations: Record<string, Buffer>;
}

export interface KmsService {
  status(): Promise<StatusResponse>;
  encrypt(plaintext: Buffer, uid: string): Promise<EncryptResponse>;
  decrypt(req: {
    ciphertext: Buffer;
    uid: string;
    keyID: string;
    annotations: Record<string, Buffer>;
  }): Promise<Buffer>;
  close(): void;
}

/** A gRPC failure or deadline, without the request's data. */
export class KmsCallError extends Error {
  override readonly name = 'KmsCallError';
  constructor(
    /** The gRPC status code's name (UNAVAILABLE, DEADLINE_EXCEEDED…). */
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** After every call: its method path, gRPC status code name ("OK" on success) and duration. */
export type KmsCallObserver = (method: string, code: string, seconds: number) => void;

interface Method {
  readonly path: string;
  readonly req: protobuf.Type;
  readonly res: protobuf.Type;
}

const method = (name: string): Method => ({
  path: `/v2.KeyManagementService/${name}`,
  req: kmsType(`${name}Request`),
  res: kmsType(`${name}Response`),
});
const STATUS = method('Status');
const ENCRYPT = method('Encrypt');
const DECRYPT = method('Decrypt');

/** `unix:///path` (or `unix:path`) as grpc-js wants it; anything else was refused by the config. */
export function grpcTarget(endpoint: string): string {
  return endpoint.startsWith('unix://') ? `unix:${endpoint.slice('unix://'.length)}` : endpoint;
}

export function newKmsService(endpoint: string, timeoutMs: number, observe?: KmsCallObserver): KmsService {
  const client = new grpc.Client(grpcTarget(endpoint), grpc.credentials.createInsecure());
  const call = <T>(m: Method, body: object): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const start = performance.now();
      client.makeUnaryRequest(
        m.path,
        (o: object) => Buffer.from(m.req.encode(m.req.fromObject(o)).finish()),
        (b: Buffer) => m.res.toObject(m.res.decode(b), TO_OBJECT) as T,
        body,
        new grpc.Metadata(),
        { deadline: Date.now() + timeoutMs },
        (err, res) => {
          const code = err ? String(grpc.status[err.code] ?? err.code) : 'OK';
          observe?.(m.path, code, (performance.now() - start) / 1000);
          if (err) reject(new KmsCallError(code, `rpc error: code = ${code} desc = ${err.details}`));
          else resolve(res as T);
        },
      );
    });
  return {
    status: () => call<StatusResponse>(STATUS, {}),
    encrypt: (plaintext, uid) => call<EncryptResponse>(ENCRYPT, { plaintext, uid }),
    decrypt: async (r) =>
      (
        await call<{ plaintext: Buffer }>(DECRYPT, {
          ciphertext: r.ciphertext,
          uid: r.uid,
          key_id: r.keyID,
          annotations: r.annotations,
        })
      ).plaintext,
    close: () => client.close(),
  };
}

export const newUid = (): string => randomUUID();

/** The KMS v2 service as grpc-js's Server.addService takes it: what a plugin serves (mkube kms-plugin, tests). */
export function kmsServiceDefinition(): grpc.ServiceDefinition {
  const def = (name: string) => {
    const req = kmsType(`${name}Request`);
    const res = kmsType(`${name}Response`);
    const decode = (t: protobuf.Type) => (b: Buffer) => t.toObject(t.decode(b), { bytes: Buffer, defaults: true });
    const encode = (t: protobuf.Type) => (o: object) => Buffer.from(t.encode(t.fromObject(o)).finish());
    return {
      path: `/v2.KeyManagementService/${name}`,
      requestStream: false,
      responseStream: false,
      requestSerialize: encode(req),
      requestDeserialize: decode(req),
      responseSerialize: encode(res),
      responseDeserialize: decode(res),
    };
  };
  return { Status: def('Status'), Encrypt: def('Encrypt'), Decrypt: def('Decrypt') } as grpc.ServiceDefinition;
}
