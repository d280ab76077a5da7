// The KMS v2 envelope's metrics (upstream's storage/value/encrypt/envelope/metrics): which key_id
// each read and write used, when the plugin's Status last named each key_id, invalid key_ids from
// Status, every plugin call's latency and gRPC code, and the size of the seed cache. Key ids and
// the apiserver's identity appear only as "sha256:<hex>" hashes.
import { Counter, exponentialBuckets, Gauge, Histogram, type Registry } from 'prom-client';
import { labelHash } from './authconfig.js';

export type TransformationType = 'from_storage' | 'to_storage';

export interface KmsMetricsHooks {
  keyIDUsed(provider: string, keyID: string, type: TransformationType): void;
  statusKeyID(provider: string, keyID: string): void;
  invalidKeyID(provider: string, error: string): void;
  operation(provider: string, method: string, grpcCode: string, seconds: number): void;
  cacheSize(provider: string, records: number): void;
}

export function kmsMetrics(registry: Registry, apiserverId: string): KmsMetricsHooks {
  const idHash = labelHash(apiserverId);
  const used = new Counter({
    name: 'apiserver_envelope_encryption_key_id_hash_total',
    help: '[ALPHA] Number of times a keyID is used split by transformation type, provider, and apiserver identity.',
    labelNames: ['apiserver_id_hash', 'key_id_hash', 'provider_name', 'transformation_type'],
    registers: [registry],
  });
  const usedAt = new Gauge({
    name: 'apiserver_envelope_encryption_key_id_hash_last_timestamp_seconds',
    help: '[ALPHA] The last time in seconds when a keyID was used.',
    labelNames: ['apiserver_id_hash', 'key_id_hash', 'provider_name', 'transformation_type'],
    registers: [registry],
  });
  const statusAt = new Gauge({
    name: 'apiserver_envelope_encryption_key_id_hash_status_last_timestamp_seconds',
    help: '[ALPHA] The last time in seconds when a keyID was returned by the Status RPC call.',
    labelNames: ['apiserver_id_hash', 'key_id_hash', 'provider_name'],
    registers: [registry],
  });
  const invalid = new Counter({
    name: 'apiserver_envelope_encryption_invalid_key_id_from_status_total',
    help: '[ALPHA] Number of times an invalid keyID is returned by the Status RPC call split by error.',
    labelNames: ['error', 'provider_name'],
    registers: [registry],
  });
  const latency = new Histogram({
    name: 'apiserver_envelope_encryption_kms_operations_latency_seconds',
    help: '[ALPHA] KMS operation duration with gRPC error code status total.',
    labelNames: ['grpc_status_code', 'method_name', 'provider_name'],
    buckets: exponentialBuckets(0.0001, 2, 15),
    registers: [registry],
  });
  const cache = new Gauge({
    name: 'apiserver_envelope_encryption_dek_source_cache_size',
    help: '[ALPHA] Number of records in data encryption key (DEK) source cache. On a restart, this value is an approximation of the number of decrypt RPC calls the server will make to the KMS plugin.',
    labelNames: ['provider_name'],
    registers: [registry],
  });
  // Every read and write of an encrypted object counts: its series are looked up once, not hashed per call.
  const children = new Map<string, { n: Counter.Internal; at: Gauge.Internal<string> }>();
  return {
    keyIDUsed(provider, keyID, type) {
      const k = `${provider}\0${keyID}\0${type}`;
      let c = children.get(k);
      if (!c) {
        const labels = {
          apiserver_id_hash: idHash,
          key_id_hash: labelHash(keyID),
          provider_name: provider,
          transformation_type: type,
        };
        c = { n: used.labels(labels), at: usedAt.labels(labels) };
        children.set(k, c);
      }
      c.n.inc();
      c.at.set(Date.now() / 1000);
    },
    statusKeyID: (provider, keyID) =>
      statusAt.setToCurrentTime({ apiserver_id_hash: idHash, key_id_hash: labelHash(keyID), provider_name: provider }),
    invalidKeyID: (provider, error) => invalid.inc({ error, provider_name: provider }),
    operation: (provider, method, grpcCode, seconds) =>
      latency.observe({ grpc_status_code: grpcCode, method_name: method, provider_name: provider }, seconds),
    cacheSize: (provider, records) => cache.set({ provider_name: provider }, records),
  };
}
