// From a pods/{log,exec,attach} request to the kubelet that serves it: the pod, the container
// (pkg/registry/core/pod/strategy.go validateContainer) and the node's kubelet address.
import type { Node, Pod } from '@mkube/shared/api';
import { newBadRequest } from '@mkube/shared/apierrors';
import type { Registries } from '../registry/index.js';
import { type KubeletLocation, kubeletLocation } from './location.js';

export interface PodTarget {
  readonly pod: Pod;
  readonly container: string;
  readonly location: KubeletLocation;
}

/** Every container name: init, regular, ephemeral (podutil.VisitContainers order). */
function containerNames(pod: Pod): string[] {
  const spec = pod.spec as (Pod['spec'] & { ephemeralContainers?: { name: string }[] }) | undefined;
  return [
    ...(spec?.initContainers ?? []).map((c) => c.name),
    ...(spec?.containers ?? []).map((c) => c.name),
    ...(spec?.ephemeralContainers ?? []).map((c) => c.name),
  ];
}

export function chooseContainer(pod: Pod, container: string): string {
  const name = pod.metadata.name ?? '';
  if (!container) {
    const regular = pod.spec?.containers ?? [];
    if (regular.length === 1) return regular[0]!.name;
    if (regular.length === 0) throw newBadRequest(`the pod ${name} does not have any containers`);
    // Go's %v of a []string.
    throw newBadRequest(
      `a container name must be specified for pod ${name}, choose one of: [${containerNames(pod).join(' ')}]`,
    );
  }
  if (!containerNames(pod).includes(container))
    throw newBadRequest(`container ${container} is not valid for pod ${name}`);
  return container;
}

export async function getNode(registries: Registries, name: string): Promise<Node> {
  return (await registries.get('', 'nodes')!.get('', name)) as Node;
}

async function kubeletOf(registries: Registries, preferredAddressTypes: readonly string[], pod: Pod) {
  const nodeName = pod.spec?.nodeName;
  if (!nodeName) throw newBadRequest(`pod ${pod.metadata.name ?? ''} does not have a host assigned`);
  return kubeletLocation(await getNode(registries, nodeName), preferredAddressTypes);
}

/** The pod and its node's kubelet (pods/portforward needs no container). */
export async function podLocation(
  registries: Registries,
  preferredAddressTypes: readonly string[],
  namespace: string,
  name: string,
): Promise<{ pod: Pod; location: KubeletLocation }> {
  const pod = (await registries.get('', 'pods')!.get(namespace, name)) as Pod;
  return { pod, location: await kubeletOf(registries, preferredAddressTypes, pod) };
}

export async function podTarget(
  registries: Registries,
  preferredAddressTypes: readonly string[],
  namespace: string,
  name: string,
  container: string,
): Promise<PodTarget> {
  const pod = (await registries.get('', 'pods')!.get(namespace, name)) as Pod;
  const chosen = chooseContainer(pod, container);
  return { pod, container: chosen, location: await kubeletOf(registries, preferredAddressTypes, pod) };
}

/** The pod's kubelet and the path of one of its container endpoints: `/<endpoint>/<ns>/<pod>/<container>?<query>`. */
export async function containerEndpoint(
  registries: Registries,
  preferredAddressTypes: readonly string[],
  pod: { readonly namespace: string; readonly name: string },
  container: string,
  endpoint: string,
  query: string,
): Promise<{ target: PodTarget; path: string }> {
  const target = await podTarget(registries, preferredAddressTypes, pod.namespace, pod.name, container);
  const enc = encodeURIComponent;
  const path = `/${endpoint}/${enc(pod.namespace)}/${enc(pod.name)}/${enc(target.container)}${query ? `?${query}` : ''}`;
  return { target, path };
}
