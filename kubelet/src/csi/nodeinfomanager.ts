// The node's CSINode, as the kubelet's CSI plugin publishes it at start-up (csi_plugin.go
// initializeCSINode, nodeinfomanager InitializeCSINodeWithAnnotation): named after the Node and
// owned by it (so the Node's deletion collects it), no drivers yet, and the migrated-plugins
// annotation telling the attach/detach controller and the scheduler which in-tree volume types this
// kubelet hands to CSI drivers. Upstream makes the Node NotReady until this succeeds and restarts
// the kubelet after ~140 s of failures; here it never holds anything up: it retries on a backoff that
// settles at upstream's last step, and an apiserver that does not serve csinodes at all is logged
// once and tolerated.
import type { CSINode, Node } from '@mkube/shared/api';
import { isNotFound, type StatusError } from '@mkube/shared/apierrors';
import { Backoff, type KubeClient, sleep } from '@mkube/shared/client';
import type { Logger } from '@mkube/shared/log';

/** v1.MigratedPluginsAnnotationKey. */
export const MIGRATED_PLUGINS_ANNOTATION = 'storage.alpha.kubernetes.io/migrated-plugins';

/**
 * The in-tree plugins whose migration is on in 1.33: every CSIMigration<X> gate is GA and locked
 * (Portworx's since 1.33); RBD's migration was dropped with the plugin.
 */
export const MIGRATED_PLUGINS: readonly string[] = [
  'kubernetes.io/aws-ebs',
  'kubernetes.io/azure-disk',
  'kubernetes.io/azure-file',
  'kubernetes.io/cinder',
  'kubernetes.io/gce-pd',
  'kubernetes.io/portworx-volume',
  'kubernetes.io/vsphere-volume',
];

const CSINODES = { group: 'storage.k8s.io', version: 'v1', resource: 'csinodes' } as const;
const NODES = { group: '', version: 'v1', resource: 'nodes' } as const;

/**
 * setMigrationAnnotation: the annotation as the sorted, comma-joined set (absent when empty);
 * whether it changed. Compared as sets, so an equal list in another order is left alone.
 */
export function setMigrationAnnotation(csiNode: CSINode, plugins: readonly string[]): boolean {
  const annotations = { ...csiNode.metadata.annotations };
  const old = annotations[MIGRATED_PLUGINS_ANNOTATION] ?? '';
  const oldSet = new Set(old === '' ? [] : old.split(','));
  const next = [...new Set(plugins)].sort();
  if (oldSet.size === next.length && next.every((p) => oldSet.has(p))) return false;
  if (next.length > 0) annotations[MIGRATED_PLUGINS_ANNOTATION] = next.join(',');
  else delete annotations[MIGRATED_PLUGINS_ANNOTATION];
  csiNode.metadata.annotations = annotations;
  return true;
}

/** A 404 that names no object: the path itself is not served (no storage.k8s.io/v1 csinodes). */
export function isResourceNotServed(e: unknown): boolean {
  return isNotFound(e) && !(e as StatusError).details?.name;
}

/** CreateCSINode: owned by the Node as it is now (its uid), so the Node's deletion collects it. */
async function createCSINode(client: KubeClient, nodeName: string, signal: AbortSignal): Promise<void> {
  const node = await client.resource<Node>(NODES).get(nodeName, { signal });
  const csiNode: CSINode = {
    apiVersion: 'storage.k8s.io/v1',
    kind: 'CSINode',
    metadata: {
      name: nodeName,
      ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: node.metadata.name!, uid: node.metadata.uid! }],
    },
    spec: { drivers: [] },
  };
  setMigrationAnnotation(csiNode, MIGRATED_PLUGINS);
  await client.resource<CSINode>(CSINODES).create(csiNode, { signal });
}

/** tryInitializeCSINodeWithAnnotation: create it, or bring an existing one's annotation up to date. */
export async function tryInitializeCSINode(client: KubeClient, nodeName: string, signal: AbortSignal): Promise<void> {
  let existing: CSINode;
  try {
    existing = await client.resource<CSINode>(CSINODES).get(nodeName, { signal });
  } catch (e) {
    if (!isNotFound(e) || isResourceNotServed(e)) throw e;
    return createCSINode(client, nodeName, signal);
  }
  if (setMigrationAnnotation(existing, MIGRATED_PLUGINS))
    await client.resource<CSINode>(CSINODES).update(existing, { signal });
}

export interface InitializeCSINodeOptions {
  readonly client: () => KubeClient;
  readonly nodeName: string;
  readonly log: Logger;
  readonly signal: AbortSignal;
}

/**
 * Retries tryInitializeCSINode until it succeeds or the kubelet stops. Upstream's schedule (15 ms,
 * ×6, 10 % jitter, six steps) and then, where upstream would restart the kubelet to begin again,
 * its last step (~2 min) from then on.
 */
export async function initializeCSINode(o: InitializeCSINodeOptions): Promise<void> {
  const backoff = new Backoff({ initialMs: 15, factor: 6, jitter: 0.1, maxMs: 15 * 6 ** 5 });
  let notServedLogged = false;
  while (!o.signal.aborted) {
    try {
      await tryInitializeCSINode(o.client(), o.nodeName, o.signal);
      o.log.info({ node: o.nodeName }, 'initialized CSINode with migrated-plugins annotation');
      return;
    } catch (e) {
      if (o.signal.aborted) return;
      const retryInMs = backoff.next();
      if (!isResourceNotServed(e)) {
        o.log.warn({ err: (e as Error).message, retryInMs }, 'failed to initialize CSINode');
      } else if (!notServedLogged) {
        notServedLogged = true;
        o.log.warn(
          { err: (e as Error).message },
          'the API server does not serve storage.k8s.io/v1 csinodes; the node has no CSINode until it does',
        );
      }
      await sleep(retryInMs, o.signal);
    }
  }
}
