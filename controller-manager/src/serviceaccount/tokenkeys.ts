// The tokens controller's queue keys. They carry what an event said, not just namespace/name: once
// an object is gone from the cache, its key alone tells which account's tokens to delete, or which
// account may still list a deleted Secret; and a uid tells a recreated object from the one queued.
import type { Secret, ServiceAccount } from '@mkube/shared/api';
import { SERVICE_ACCOUNT_NAME_ANNOTATION, SERVICE_ACCOUNT_UID_ANNOTATION } from '@mkube/shared/serviceaccount';

export interface ServiceAccountKey {
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
}

export interface SecretKey {
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
  readonly saName: string;
  /** Empty for a Secret without the uid annotation (not yet populated). */
  readonly saUID: string;
}

export function serviceAccountKey(sa: ServiceAccount): string {
  return JSON.stringify([sa.metadata?.namespace ?? '', sa.metadata?.name ?? '', sa.metadata?.uid ?? '']);
}

export function secretKey(s: Secret): string {
  const a = s.metadata?.annotations ?? {};
  return JSON.stringify([
    s.metadata?.namespace ?? '',
    s.metadata?.name ?? '',
    s.metadata?.uid ?? '',
    a[SERVICE_ACCOUNT_NAME_ANNOTATION] ?? '',
    a[SERVICE_ACCOUNT_UID_ANNOTATION] ?? '',
  ]);
}

function strings(key: string, n: number): string[] | undefined {
  try {
    const v: unknown = JSON.parse(key);
    return Array.isArray(v) && v.length === n && v.every((x) => typeof x === 'string') ? v : undefined;
  } catch {
    return undefined;
  }
}

/** Undefined for a key missing its namespace, name or uid (upstream's parseServiceAccountKey). */
export function parseServiceAccountKey(key: string): ServiceAccountKey | undefined {
  const v = strings(key, 3);
  if (!v?.[0] || !v[1] || !v[2]) return undefined;
  return { namespace: v[0], name: v[1], uid: v[2] };
}

/** Undefined for a key missing its namespace, name, uid or account name (upstream's parseSecretQueueKey). */
export function parseSecretKey(key: string): SecretKey | undefined {
  const v = strings(key, 5);
  if (!v?.[0] || !v[1] || !v[2] || !v[3]) return undefined;
  return { namespace: v[0], name: v[1], uid: v[2], saName: v[3], saUID: v[4] ?? '' };
}
