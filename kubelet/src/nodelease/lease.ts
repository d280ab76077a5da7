// The node lease controller: the kubelet's heartbeat is its Lease in kube-node-lease, renewed every
// quarter of the lease duration (10 s for 40 s), owned by the Node so it goes when the Node goes.
import { type Lease, microTime } from '@mkube/shared/api';
import { isAlreadyExists, isConflict, isNotFound } from '@mkube/shared/apierrors';
import type { KubeClient } from '@mkube/shared/client';

const LEASES = {
  group: 'coordination.k8s.io',
  version: 'v1',
  resource: 'leases',
  namespace: 'kube-node-lease',
} as const;

/** Keeps the last written Lease, so a renewal is one PUT (a GET only after a conflict), as upstream. */
export class NodeLease {
  #latest: Lease | undefined;

  constructor(
    private readonly client: () => KubeClient,
    private readonly nodeName: string,
    private readonly durationSeconds: number,
  ) {}

  async renew(nodeUid: string | undefined, signal: AbortSignal): Promise<void> {
    const leases = this.client().resource<Lease>(LEASES);
    const spec = { holderIdentity: this.nodeName, leaseDurationSeconds: this.durationSeconds, renewTime: microTime() };
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        if (!this.#latest) {
          try {
            this.#latest = await leases.get(this.nodeName, { signal });
          } catch (e) {
            if (!isNotFound(e)) throw e;
            this.#latest = await leases.create(
              {
                apiVersion: 'coordination.k8s.io/v1',
                kind: 'Lease',
                metadata: {
                  name: this.nodeName,
                  namespace: 'kube-node-lease',
                  ...(nodeUid
                    ? { ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: this.nodeName, uid: nodeUid }] }
                    : {}),
                },
                spec,
              },
              { signal },
            );
            return;
          }
        }
        this.#latest = await leases.update({ ...this.#latest, spec: { ...this.#latest.spec, ...spec } }, { signal });
        return;
      } catch (e) {
        this.#latest = undefined;
        if (!isConflict(e) && !isAlreadyExists(e) && !isNotFound(e)) throw e;
      }
    }
  }
}
