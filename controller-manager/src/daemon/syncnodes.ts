// syncNodes and PodControl (daemon_controller.go, controller_utils.go): creates the missing daemon
// pods in slow-start batches (1, 2, 4 … so a template the apiserver refuses fails once, not for every
// node) and deletes the unwanted ones, recording both as expectations first and Events after.
import type { DaemonSet, ObjectReference, Pod, PodTemplateSpec } from '@mkube/shared/api';
import { isNotFound, StatusError } from '@mkube/shared/apierrors';
import type { KubeClient } from '@mkube/shared/client';
import type { ReferenceEventRecorder } from '@mkube/shared/events';
import type { Logger } from '@mkube/shared/log';
import { controllerRef } from '../history/revision.js';
import { RESOURCES } from '../informers/index.js';
import type { ControllerExpectations } from './expectations.js';
import { createPodTemplate, replaceNodeNameAffinity, templateGeneration } from './util.js';

/** BurstReplicas: at most this many creations or deletions per sync. */
export const BURST_REPLICAS = 250;
/** controller.SlowStartInitialBatchSize. */
const SLOW_START_INITIAL_BATCH_SIZE = 1;

export interface PodControlContext {
  readonly client: KubeClient;
  readonly log: Logger;
  readonly recorder?: ReferenceEventRecorder | undefined;
  readonly expectations: ControllerExpectations;
}

export const dsReference = (ds: DaemonSet): ObjectReference => ({
  kind: 'DaemonSet',
  apiVersion: 'apps/v1',
  namespace: ds.metadata.namespace ?? '',
  name: ds.metadata.name ?? '',
  ...(ds.metadata.uid ? { uid: ds.metadata.uid } : {}),
  ...(ds.metadata.resourceVersion ? { resourceVersion: ds.metadata.resourceVersion } : {}),
});

const namespaceTerminating = (e: unknown) =>
  e instanceof StatusError && (e.details?.causes ?? []).some((c) => c.reason === 'NamespaceTerminating');

/** GetPodFromTemplate: the template's labels, annotations, finalizers and spec, owned by the DaemonSet. */
function podFromTemplate(template: PodTemplateSpec, ds: DaemonSet): Pod {
  const m = template.metadata ?? {};
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      generateName: `${ds.metadata.name}-`,
      namespace: ds.metadata.namespace,
      ...(m.labels ? { labels: { ...m.labels } } : {}),
      ...(m.annotations ? { annotations: { ...m.annotations } } : {}),
      ...(m.finalizers ? { finalizers: [...m.finalizers] } : {}),
      ownerReferences: [controllerRef(ds, 'DaemonSet')],
    },
    spec: structuredClone(template.spec ?? { containers: [] }),
  };
}

export async function syncNodes(
  ctx: PodControlContext,
  ds: DaemonSet,
  key: string,
  podsToDelete: readonly string[],
  nodesNeedingPods: readonly string[],
  hash: string,
): Promise<void> {
  const createDiff = Math.min(nodesNeedingPods.length, BURST_REPLICAS);
  const deleteDiff = Math.min(podsToDelete.length, BURST_REPLICAS);
  ctx.expectations.setExpectations(key, createDiff, deleteDiff);
  const errors: unknown[] = [];
  const template = createPodTemplate(ds.spec?.template ?? {}, templateGeneration(ds), hash);
  const ns = ds.metadata.namespace ?? '';
  const pods = ctx.client.resource<Pod>({ ...RESOURCES.pods, namespace: ns });
  const ref = dsReference(ds);

  const create = async (nodeName: string): Promise<void> => {
    const t = { ...template, spec: { ...(template.spec ?? { containers: [] }) } };
    t.spec.affinity = replaceNodeNameAffinity(t.spec.affinity, nodeName);
    const pod = podFromTemplate(t, ds);
    try {
      if (Object.keys(pod.metadata.labels ?? {}).length === 0) throw new Error('unable to create pods, no labels');
      const created = await pods.create(pod);
      ctx.log.debug({ daemonSet: key, pod: created.metadata.name }, 'Controller created pod');
      ctx.recorder?.eventFor(ref, 'Normal', 'SuccessfulCreate', `Created pod: ${created.metadata.name}`);
    } catch (e) {
      // A terminating namespace refuses every pod: expected, and not worth an Event or a retry.
      if (namespaceTerminating(e)) return;
      ctx.recorder?.eventFor(ref, 'Warning', 'FailedCreate', `Error creating: ${(e as Error).message}`);
      ctx.expectations.creationObserved(key);
      errors.push(e);
    }
  };

  let batch = Math.min(createDiff, SLOW_START_INITIAL_BATCH_SIZE);
  for (let pos = 0; pos < createDiff; ) {
    const before = errors.length;
    await Promise.all(nodesNeedingPods.slice(pos, pos + batch).map(create));
    const skipped = createDiff - (pos + batch);
    if (errors.length > before && skipped > 0) {
      // The rest waits for a later sync; it must not be waited for meanwhile.
      ctx.log.info(
        { daemonSet: key, skipped },
        'Slow-start failure. Skipping creation pods, decrementing expectations',
      );
      for (let i = 0; i < skipped; i++) ctx.expectations.creationObserved(key);
      break;
    }
    pos += batch;
    batch = Math.min(2 * batch, createDiff - pos);
  }

  await Promise.all(
    podsToDelete.slice(0, deleteDiff).map(async (name) => {
      try {
        await pods.delete(name);
        ctx.recorder?.eventFor(ref, 'Normal', 'SuccessfulDelete', `Deleted pod: ${name}`);
      } catch (e) {
        ctx.expectations.deletionObserved(key);
        if (isNotFound(e)) return;
        ctx.recorder?.eventFor(ref, 'Warning', 'FailedDelete', `Error deleting: ${(e as Error).message}`);
        errors.push(e);
      }
    }),
  );
  if (errors.length > 0) throw errors[0];
}
