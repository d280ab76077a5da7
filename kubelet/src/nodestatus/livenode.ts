// This kubelet's Node as the API has it now, for what the Node owns (mirror pods, the node Lease):
// upstream reads it before making either, so nothing is made for a Node that is gone or going.
import type { Node } from '@mkube/shared/api';
import { isNotFound } from '@mkube/shared/apierrors';
import type { KubeClient } from '@mkube/shared/client';

const NODES = { group: '', version: 'v1', resource: 'nodes' } as const;

/** The Node, or undefined when it does not exist or is being deleted. */
export async function liveNode(client: KubeClient, name: string, signal: AbortSignal): Promise<Node | undefined> {
  try {
    const node = await client.resource<Node>(NODES).get(name, { signal });
    return node.metadata?.deletionTimestamp ? undefined : node;
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw e;
  }
}
