// What the deployment controller's sync steps share: its clients, recorder and ReplicaSet cache,
// the way back into its queue, and the writes every step makes (a ReplicaSet update, a status write).
import type { Deployment, ReplicaSet } from '@mkube/shared/api';
import type { KubeClient, ReadonlyStore } from '@mkube/shared/client';
import type { EventRecorder } from '@mkube/shared/events';
import type { Logger } from '@mkube/shared/log';

export const DEPLOYMENTS = { group: 'apps', version: 'v1', resource: 'deployments' } as const;
export const REPLICASETS = { group: 'apps', version: 'v1', resource: 'replicasets' } as const;
export const DEPLOYMENT_KIND = { apiVersion: 'apps/v1', kind: 'Deployment' } as const;

export interface SyncContext {
  readonly client: KubeClient;
  readonly recorder: EventRecorder;
  readonly log: Logger;
  readonly rsStore: ReadonlyStore<ReplicaSet>;
  enqueueAfter(d: Deployment, ms: number): void;
  enqueueRateLimited(d: Deployment): void;
  now(): number;
}

export const rsClient = (c: SyncContext, ns: string) =>
  c.client.resource<ReplicaSet>({ ...REPLICASETS, namespace: ns });

export const deploymentClient = (c: SyncContext, ns: string) =>
  c.client.resource<Deployment>({ ...DEPLOYMENTS, namespace: ns });

/**
 * UpdateStatus with `d` as it is now (status and revision annotation). `d` takes the stored
 * resourceVersion, so a later write in the same sync does not conflict with this one (upstream
 * drops the answer and lets that write fail and requeue).
 */
export async function updateDeploymentStatus(c: SyncContext, d: Deployment): Promise<void> {
  const stored = await deploymentClient(c, d.metadata?.namespace ?? '').updateSubresource(
    d.metadata?.name ?? '',
    'status',
    d,
  );
  if (d.metadata && stored.metadata?.resourceVersion) d.metadata.resourceVersion = stored.metadata.resourceVersion;
}

/** A status as JSON with Go's omitempty applied: zeros and empty lists are absent. */
export function normalizeStatus(s: unknown): unknown {
  if (Array.isArray(s)) return s.map(normalizeStatus);
  if (s === null || typeof s !== 'object') return s;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(s)) {
    if (v === undefined || v === 0 || v === '' || (Array.isArray(v) && v.length === 0)) continue;
    out[k] = normalizeStatus(v);
  }
  return out;
}
