// The mount operation's node affinity check (operation_generator checkNodeAffinity): a volume pinned
// to other nodes (a local volume, a zonal disk) must not be used here, whatever the scheduler or a
// user with spec.nodeName decided. The labels are the Node's as the API has them now, as upstream's
// volume host reads them from its Node informer: a label added after start-up counts.
import type { Node, PersistentVolume } from '@mkube/shared/api';
import type { KubeClient } from '@mkube/shared/client';
import { checkVolumeNodeAffinity } from '@mkube/shared/volume';

const NODES = { group: '', version: 'v1', resource: 'nodes' } as const;

/** Why `pv` may not be mounted on `nodeName` (upstream's event text), or undefined when it may. */
export async function nodeAffinityRefusal(
  client: KubeClient,
  nodeName: string,
  pv: PersistentVolume,
): Promise<string | undefined> {
  // Only a volume with required terms needs the Node read at all.
  if (!pv.spec?.nodeAffinity?.required) return undefined;
  let why: string | undefined;
  try {
    const node = await client.resource<Node>(NODES).get(nodeName);
    why = checkVolumeNodeAffinity(pv, node.metadata?.labels ?? {});
  } catch (e) {
    why = `error retrieving node: ${(e as Error).message}`;
  }
  // VolumeToMount.GenerateError: the volume spec's name is the PV's.
  return why && `MountVolume.NodeAffinity check failed for volume "${pv.metadata?.name ?? ''}" : ${why}`;
}
