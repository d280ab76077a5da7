// A pod's RuntimeClass, as the kubelet's runtimeclass manager and createPodSandbox resolve it: the
// class is read with the node's credentials and its handler must be one the runtime has. Either
// failure stops the sandbox (for the process runtime: the pod's start) before any container, and the
// kubelet retries it on later syncs.
import type { Pod, RuntimeClass } from '@mkube/shared/api';
import { isNotFound } from '@mkube/shared/apierrors';
import type { KubeClient } from '@mkube/shared/client';

/**
 * The handlers the process runtime runs pods with: only `runc`, the name containerd gives its
 * default runtime, so a class made for a stock containerd node runs here and a `kata` or `gvisor`
 * one does not.
 */
export const SUPPORTED_HANDLERS: ReadonlySet<string> = new Set(['runc']);

/** The reason of the Warning event createPodSandbox's failure records. */
export const FAILED_CREATE_POD_SANDBOX = 'FailedCreatePodSandBox';

/**
 * LookupRuntimeHandler: the class's handler. A missing class fails with the lister's NotFound text
 * (its resource singular: `runtimeclass.node.k8s.io "x" not found`), anything else as upstream wraps it.
 */
async function lookupRuntimeHandler(client: KubeClient | undefined, name: string): Promise<string> {
  if (!client) throw new Error(`failed to lookup RuntimeClass ${name}: the kubelet is not connected to the API yet`);
  try {
    const rc = await client
      .resource<RuntimeClass>({ group: 'node.k8s.io', version: 'v1', resource: 'runtimeclasses' })
      .get(name);
    return rc.handler ?? '';
  } catch (e) {
    if (isNotFound(e)) throw new Error(`runtimeclass.node.k8s.io "${name}" not found`);
    throw new Error(`failed to lookup RuntimeClass ${name}: ${(e as Error).message}`);
  }
}

/**
 * Why the pod's sandbox cannot be created, as the FailedCreatePodSandBox event says it, or undefined
 * when it can. An unknown handler gets containerd's answer to RunPodSandbox, through the CRI's gRPC.
 */
export async function sandboxRefusal(client: KubeClient | undefined, pod: Pod): Promise<string | undefined> {
  const name = pod.spec?.runtimeClassName;
  if (!name) return undefined;
  let handler: string;
  try {
    handler = await lookupRuntimeHandler(client, name);
  } catch (e) {
    return `Failed to create pod sandbox: ${(e as Error).message}`;
  }
  if (SUPPORTED_HANDLERS.has(handler)) return undefined;
  return `Failed to create pod sandbox: rpc error: code = Unknown desc = failed to get sandbox runtime: no runtime for "${handler}" is configured`;
}
