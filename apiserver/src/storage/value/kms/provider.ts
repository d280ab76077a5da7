// A KMS v2 provider of --encryption-provider-config, as kube-apiserver's kmsv2 envelope with the
// KMSv2KDF mode (upstream's default since 1.29):
//
// - A 32-byte seed is made locally and sent once to the plugin's Encrypt; the answer (the
//   encrypted seed, the plugin's key_id and annotations) is the write state. Every write derives a
//   fresh AES-256-GCM key from the seed with HKDF-SHA256 over a random 32-byte info, and stores
//   info ‖ nonce ‖ ciphertext ‖ tag (the storage key is the AAD) inside an EncryptedObject that
//   also carries the encrypted seed, key_id and annotations, after `k8s:enc:kms:v2:<name>:`.
// - The plugin's Status is polled (every minute, every 10 s while failing). A changed key_id makes
//   a new seed; an unchanged one extends the state. Writes are refused 3 minutes after the last
//   good Status (upstream's kmsv2PluginWriteDEKMaxTTL), so a plugin that is gone cannot be
//   written around for long; reads never expire.
// - A read whose encrypted seed is not known yet (written by another apiserver, or before a
//   restart) asks the plugin's Decrypt once for all concurrent readers and caches the seed. The
//   transformer interface is synchronous, so such a read throws AsyncReadNeeded, which the
//   transforming store awaits before reading again.
// - An object whose key_id is not the current one reads as stale, so rewriting every Secret moves
//   them to the plugin's new key.

import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { aggregateMessages } from '@mkube/shared/apierrors';
import type { Logger } from '@mkube/shared/log';
import type { KmsMetricsHooks } from '../../../metrics/kms.js';
import { AsyncReadNeeded, type FromStorage, TransformError, type Transformer } from '../transformer.js';
import {
  type KmsCallObserver,
  type KmsService,
  kmsType,
  newKmsService,
  newUid,
  type StatusResponse,
} from './service.js';

export const KMS_V2_PREFIX = 'k8s:enc:kms:v2:';
const SEED_BYTES = 32;
const INFO_BYTES = 32;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const HKDF_SEED_TYPE = 1;
const MAX_KEY_ID_BYTES = 1024;
const MAX_ANNOTATION_BYTES = 32 * 1024;
const CACHE_SIZE = 1000;

export interface KmsV2Timing {
  /** Status poll while healthy (upstream 1 min). */
  readonly healthyPollMs: number;
  /** Status poll while failing (upstream 10 s). */
  readonly failingPollMs: number;
  /** Writes stop this long after the last good Status (upstream 3 min). */
  readonly writeStateTtlMs: number;
}

const DEFAULT_TIMING: KmsV2Timing = { healthyPollMs: 60_000, failingPollMs: 10_000, writeStateTtlMs: 180_000 };

interface EncryptedObject {
  encryptedData: Buffer;
  keyID: string;
  encryptedDEKSource: Buffer;
  annotations: Record<string, Buffer>;
  encryptedDEKSourceType: number;
}

interface WriteState {
  readonly seed: Buffer;
  readonly keyID: string;
  readonly encryptedDEKSource: Buffer;
  readonly annotations: Record<string, Buffer>;
  readonly cacheKey: string;
  expiresAt: number;
}

const OBJECT = kmsType('EncryptedObject');

function decodeObject(data: Buffer): EncryptedObject {
  let o: EncryptedObject;
  try {
    o = OBJECT.toObject(OBJECT.decode(data), { bytes: Buffer, defaults: true, enums: Number }) as EncryptedObject;
  } catch (e) {
    throw new TransformError(`failed to unmarshal encrypted object: ${(e as Error).message}`);
  }
  if (o.encryptedData.length === 0) throw new TransformError('encrypted data is empty');
  if (o.encryptedDEKSource.length === 0) throw new TransformError('encrypted DEK source is empty');
  checkKeyID(o.keyID);
  checkAnnotations(o.annotations);
  if (o.encryptedDEKSourceType !== HKDF_SEED_TYPE)
    throw new TransformError(
      `unsupported encrypted DEK source type ${o.encryptedDEKSourceType} (mkube writes and reads HKDF_SHA256_XNONCE_AES_GCM_SEED)`,
    );
  return o;
}

function checkKeyID(keyID: string): void {
  if (!keyID) throw new TransformError('keyID is empty');
  if (Buffer.byteLength(keyID) > MAX_KEY_ID_BYTES)
    throw new TransformError(
      `keyID is ${Buffer.byteLength(keyID)} bytes, which exceeds the max size of ${MAX_KEY_ID_BYTES}`,
    );
}

function checkAnnotations(a: Record<string, Buffer>): void {
  let size = 0;
  for (const [k, v] of Object.entries(a)) {
    if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)+$/.test(k) || k.length > 253)
      throw new TransformError(`annotation key ${JSON.stringify(k)} is not a fully qualified domain name`);
    size += k.length + v.length;
  }
  if (size > MAX_ANNOTATION_BYTES)
    throw new TransformError(`annotations size ${size} exceeds the max size of ${MAX_ANNOTATION_BYTES} bytes`);
}

/** The seed's identity among cached ones: what the plugin would be asked to decrypt. */
function cacheKeyOf(encryptedDEKSource: Buffer, keyID: string, annotations: Record<string, Buffer>): string {
  const ann = Object.keys(annotations)
    .sort()
    .map((k) => `${k}=${annotations[k]!.toString('base64')}`)
    .join(',');
  return `${encryptedDEKSource.toString('base64')}|${keyID}|${ann}`;
}

/** The object's seed is the write state's: the same encrypted seed, key_id and annotations. */
function sameSource(o: EncryptedObject, s: WriteState): boolean {
  if (o.keyID !== s.keyID || !o.encryptedDEKSource.equals(s.encryptedDEKSource)) return false;
  const keys = Object.keys(o.annotations);
  return (
    keys.length === Object.keys(s.annotations).length &&
    keys.every((k) => s.annotations[k] !== undefined && o.annotations[k]!.equals(s.annotations[k]!))
  );
}

function deriveKey(seed: Buffer, info: Buffer): Buffer {
  return Buffer.from(hkdfSync('sha256', seed, Buffer.alloc(0), info, 32));
}

function seal(seed: Buffer, plaintext: Buffer, aad: string): Buffer {
  const info = randomBytes(INFO_BYTES);
  const nonce = randomBytes(NONCE_BYTES);
  const key = deriveKey(seed, info);
  const c = createCipheriv('aes-256-gcm', key, nonce);
  c.setAAD(Buffer.from(aad));
  const out = Buffer.concat([info, nonce, c.update(plaintext), c.final(), c.getAuthTag()]);
  key.fill(0);
  return out;
}

function open(seed: Buffer, data: Buffer, aad: string): Buffer {
  if (data.length < INFO_BYTES + NONCE_BYTES + TAG_BYTES)
    throw new TransformError('the stored data was shorter than the required size');
  const info = data.subarray(0, INFO_BYTES);
  const nonce = data.subarray(INFO_BYTES, INFO_BYTES + NONCE_BYTES);
  const tag = data.subarray(data.length - TAG_BYTES);
  const key = deriveKey(seed, info);
  try {
    const d = createDecipheriv('aes-256-gcm', key, nonce);
    d.setAAD(Buffer.from(aad));
    d.setAuthTag(tag);
    return Buffer.concat([d.update(data.subarray(INFO_BYTES + NONCE_BYTES, data.length - TAG_BYTES)), d.final()]);
  } catch {
    throw new TransformError('cipher: message authentication failed');
  } finally {
    key.fill(0);
  }
}

export interface KmsV2ProviderOptions {
  readonly name: string;
  readonly endpoint: string;
  readonly timeoutMs: number;
  readonly timing?: Partial<KmsV2Timing>;
  readonly now?: () => number;
  /** Tests: another way to reach the plugin. */
  readonly service?: (endpoint: string, timeoutMs: number, observe?: KmsCallObserver) => KmsService;
}

export class KmsV2Provider {
  readonly name: string;
  readonly transformer: Transformer;
  readonly #opts: KmsV2ProviderOptions;
  #timing: KmsV2Timing;
  readonly #now: () => number;
  #service: KmsService | undefined;
  #log: Logger | undefined;
  #metrics: KmsMetricsHooks | undefined;
  #state: WriteState | undefined;
  /** Seeds read back, by cacheKeyOf; oldest first. */
  readonly #seeds = new Map<string, Buffer>();
  readonly #decrypting = new Map<string, Promise<void>>();
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;
  /** The last Status check's problem, or undefined when it was healthy. */
  #lastProblem: string | undefined = 'the KMS plugin has not been asked yet';
  #checking: Promise<string | undefined> | undefined;
  #lastCheck: { at: number; problem: string | undefined } | undefined;

  constructor(opts: KmsV2ProviderOptions) {
    this.name = opts.name;
    this.#opts = opts;
    this.#timing = { ...DEFAULT_TIMING, ...opts.timing };
    this.#now = opts.now ?? Date.now;
    this.transformer = Object.freeze({
      fromStorage: (data: Buffer, key: string) => this.#fromStorage(data, key),
      toStorage: (data: Buffer, key: string) => this.#toStorage(data, key),
    });
  }

  /** Connects, checks the plugin once (its first seed, when healthy), then keeps polling. */
  async start(log: Logger, timing?: Partial<KmsV2Timing>, metrics?: KmsMetricsHooks): Promise<void> {
    this.#log = log.child({ component: 'kms', provider: this.name });
    if (timing) this.#timing = { ...this.#timing, ...timing };
    this.#metrics = metrics;
    const observe: KmsCallObserver | undefined = metrics
      ? (method, code, seconds) => metrics.operation(this.name, method, code, seconds)
      : undefined;
    this.#service ??= (this.#opts.service ?? newKmsService)(this.#opts.endpoint, this.#opts.timeoutMs, observe);
    await this.#poll();
  }

  stop(): void {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#service?.close();
    for (const s of this.#seeds.values()) s.fill(0);
    this.#seeds.clear();
    this.#state?.seed.fill(0);
  }

  /**
   * The health check: undefined when healthy, else why (upstream's kms-providers check). A result
   * is reused for 20 s when healthy and 3 s when not, as upstream's, so probes do not flood the plugin.
   */
  async health(): Promise<string | undefined> {
    const last = this.#lastCheck;
    if (last && this.#now() - last.at < (last.problem ? 3_000 : 20_000)) return last.problem;
    return this.#check();
  }

  async #poll(): Promise<void> {
    const problem = await this.#check();
    if (problem) this.#log?.warn({ err: problem }, 'KMS provider is unhealthy');
    if (!this.#stopped) {
      this.#timer = setTimeout(
        () => void this.#poll(),
        problem ? this.#timing.failingPollMs : this.#timing.healthyPollMs,
      ).unref();
    }
  }

  /** One Status call for all concurrent checkers; rotates the seed when the key_id moved. */
  #check(): Promise<string | undefined> {
    this.#checking ??= this.#checkOnce()
      .then((problem) => {
        this.#lastCheck = { at: this.#now(), problem };
        return problem;
      })
      .finally(() => {
        this.#checking = undefined;
      });
    return this.#checking;
  }

  async #checkOnce(): Promise<string | undefined> {
    const service = this.#service;
    if (!service) return 'the KMS provider is not started';
    const fail = (why: string) => {
      this.#lastProblem = `failed to perform status section of the healthz check for KMS Provider ${this.name}, error: ${why}`;
      return this.#lastProblem;
    };
    let status: StatusResponse;
    try {
      status = await service.status();
    } catch (e) {
      return fail((e as Error).message);
    }
    const errs: string[] = [];
    if (status.healthz !== 'ok') errs.push(`got unexpected healthz status: ${status.healthz}`);
    if (status.version !== 'v2' && status.version !== 'v2beta1')
      errs.push(`expected KMSv2 API version v2, got ${status.version}`);
    let invalidKeyID: string | undefined;
    try {
      checkKeyID(status.key_id);
    } catch (e) {
      invalidKeyID = (e as Error).message;
    }
    if (invalidKeyID !== undefined) {
      this.#metrics?.invalidKeyID(this.name, status.key_id ? 'too_long' : 'empty');
      errs.push(`got invalid KMSv2 KeyID: ${invalidKeyID}`);
    } else {
      this.#metrics?.statusKeyID(this.name, status.key_id);
      // A seed is made or kept only while the plugin is healthy.
      if (errs.length === 0) await this.#rotateOnKeyIDChange(status.key_id).catch((e: Error) => errs.push(e.message));
    }
    if (errs.length > 0) return fail(aggregateMessages(errs));
    this.#lastProblem = undefined;
    return undefined;
  }

  async #rotateOnKeyIDChange(statusKeyID: string): Promise<void> {
    // The timer starts before the call: the TTL bounds writes from the moment the plugin was last seen.
    const expiresAt = this.#now() + this.#timing.writeStateTtlMs;
    const state = this.#state;
    if (state && state.keyID === statusKeyID) {
      state.expiresAt = expiresAt;
      return;
    }
    const uid = newUid();
    const seed = randomBytes(SEED_BYTES);
    let res: Awaited<ReturnType<KmsService['encrypt']>>;
    try {
      res = await this.#service!.encrypt(seed, uid);
    } catch (e) {
      seed.fill(0);
      throw new Error(`failed to rotate DEK uid=${JSON.stringify(uid)}: ${(e as Error).message}`);
    }
    try {
      if (res.ciphertext.length === 0) throw new TransformError('encrypted DEK source is empty');
      checkKeyID(res.key_id);
      checkAnnotations(res.annotations);
      if (res.key_id !== statusKeyID)
        throw new TransformError(
          `the key_id of Encrypt does not match the key_id of Status (uid=${JSON.stringify(uid)})`,
        );
    } catch (e) {
      seed.fill(0);
      throw new Error(`failed to rotate DEK uid=${JSON.stringify(uid)}: ${(e as Error).message}`);
    }
    const cacheKey = cacheKeyOf(res.ciphertext, res.key_id, res.annotations);
    this.#state = {
      seed,
      keyID: res.key_id,
      encryptedDEKSource: res.ciphertext,
      annotations: res.annotations,
      cacheKey,
      expiresAt,
    };
    this.#remember(cacheKey, seed);
    this.#log?.info({ uid, rotated: state !== undefined }, 'KMS provider: new DEK seed for writes');
  }

  #remember(cacheKey: string, seed: Buffer): void {
    this.#seeds.delete(cacheKey);
    this.#seeds.set(cacheKey, seed);
    while (this.#seeds.size > CACHE_SIZE) {
      const oldest = this.#seeds.keys().next().value as string;
      // The write state's seed stays usable even when evicted from the read cache.
      if (oldest !== this.#state?.cacheKey) this.#seeds.get(oldest)?.fill(0);
      this.#seeds.delete(oldest);
    }
    this.#metrics?.cacheSize(this.name, this.#seeds.size);
  }

  #toStorage(data: Buffer, key: string): Buffer {
    const state = this.#state;
    if (!state) {
      throw new TransformError(
        `KMS provider ${this.name} has no DEK seed to write with: ${this.#lastProblem ?? 'the KMS plugin has not answered'}`,
      );
    }
    const now = this.#now();
    if (now > state.expiresAt) {
      throw new TransformError(
        `EDEK with keyID hash for KMS provider ${this.name} expired at ${new Date(state.expiresAt).toISOString()} (current time is ${new Date(now).toISOString()})`,
      );
    }
    this.#metrics?.keyIDUsed(this.name, state.keyID, 'to_storage');
    const obj = {
      encryptedData: seal(state.seed, data, key),
      keyID: state.keyID,
      encryptedDEKSource: state.encryptedDEKSource,
      annotations: state.annotations,
      encryptedDEKSourceType: HKDF_SEED_TYPE,
    };
    return Buffer.from(OBJECT.encode(OBJECT.fromObject(obj)).finish());
  }

  #fromStorage(data: Buffer, key: string): FromStorage {
    const o = decodeObject(data);
    const state = this.#state;
    // Most reads are of objects written with the current seed: known without building a cache key.
    let seed = state && sameSource(o, state) ? state.seed : undefined;
    if (!seed) {
      const cacheKey = cacheKeyOf(o.encryptedDEKSource, o.keyID, o.annotations);
      seed = this.#seeds.get(cacheKey);
      if (!seed)
        throw new AsyncReadNeeded(() => this.#decryptSeed(cacheKey, o), 'the KMS plugin must decrypt the seed first');
    }
    const value = open(seed, o.encryptedData, key);
    this.#metrics?.keyIDUsed(this.name, o.keyID, 'from_storage');
    return { value, stale: state !== undefined && o.keyID !== state.keyID };
  }

  #decryptSeed(cacheKey: string, o: EncryptedObject): Promise<void> {
    let p = this.#decrypting.get(cacheKey);
    if (!p) {
      p = this.#decryptOnce(cacheKey, o).finally(() => this.#decrypting.delete(cacheKey));
      this.#decrypting.set(cacheKey, p);
    }
    return p;
  }

  async #decryptOnce(cacheKey: string, o: EncryptedObject): Promise<void> {
    const service = this.#service;
    if (!service) throw new TransformError(`KMS provider ${this.name} is not started`);
    const uid = newUid();
    let seed: Buffer;
    try {
      seed = await service.decrypt({
        ciphertext: o.encryptedDEKSource,
        uid,
        keyID: o.keyID,
        annotations: o.annotations,
      });
    } catch (e) {
      throw new TransformError(`failed to decrypt DEK, error: ${(e as Error).message}`);
    }
    if (seed.length !== SEED_BYTES)
      throw new TransformError(`the KMS plugin decrypted a seed of ${seed.length} bytes, want ${SEED_BYTES}`);
    this.#remember(cacheKey, seed);
  }
}
