// What a pod asks of a node (k8s.io/component-helpers/resource PodRequests): the containers' requests
// summed, the init containers' taken as a floor (they run one at a time, each beside the sidecars
// started before it), plus the RuntimeClass overhead.
import type { Container, Pod } from '../api/index.js';
import { type Amounts, addAmounts, amountsOf, CPU, MEMORY, maxAmounts, Resource } from './resource.js';

/** schedutil.DefaultMilliCPURequest and DefaultMemoryRequest: what scoring assumes of a container that asks nothing. */
export const DEFAULT_MILLI_CPU_REQUEST = 100;
export const DEFAULT_MEMORY_REQUEST = 200 * 1024 * 1024;

export interface PodRequestOptions {
  /**
   * NonMissingContainerRequests: CPU and memory a container counts with when it sets no request for
   * them (scoring spreads best-effort pods with it; the Fit filter does not use it).
   */
  readonly nonMissing?: boolean;
}

function containerAmounts(c: Container, nonMissing: boolean): Amounts {
  const a = amountsOf(c.resources?.requests);
  if (nonMissing) {
    if (!a.has(CPU)) a.set(CPU, DEFAULT_MILLI_CPU_REQUEST);
    if (!a.has(MEMORY)) a.set(MEMORY, DEFAULT_MEMORY_REQUEST);
  }
  return a;
}

/** PodRequests in scheduler units (CPU in millicores). */
export function podRequestAmounts(pod: Pod, opts: PodRequestOptions = {}): Amounts {
  const nonMissing = opts.nonMissing ?? false;
  const reqs: Amounts = new Map();
  for (const c of pod.spec?.containers ?? []) addAmounts(reqs, containerAmounts(c, nonMissing));
  // A sidecar (restartPolicy Always) runs from its start to the pod's end: it adds to the sum, and
  // every init container after it runs beside all the sidecars before it.
  const sidecars: Amounts = new Map();
  const initFloor: Amounts = new Map();
  for (const c of pod.spec?.initContainers ?? []) {
    const own = containerAmounts(c, nonMissing);
    if (c.restartPolicy === 'Always') {
      addAmounts(reqs, own);
      addAmounts(sidecars, own);
      maxAmounts(initFloor, sidecars);
    } else {
      const during: Amounts = new Map(own);
      addAmounts(during, sidecars);
      maxAmounts(initFloor, during);
    }
  }
  maxAmounts(reqs, initFloor);
  addAmounts(reqs, amountsOf(pod.spec?.overhead));
  return reqs;
}

/** The pod's requests as a vector (computePodResourceRequest). */
export function podRequests(pod: Pod, opts: PodRequestOptions = {}): Resource {
  return Resource.from(podRequestAmounts(pod, opts));
}
