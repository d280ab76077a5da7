// The node lease controller: the kubelet's heartbeat is its Lease in kube-node-lease, renewed every
// quarter of the lease duration (10 s for 40 s), owned by the Node so it goes when the Node goes.
// As upstream's setNodeOwnerFunc, the owner is the Node read live: no Lease is created for a Node
// that does not exist (else a deleted Node's kubelet and the garbage collector would take turns
// making and deleting it), and one without an owner gets it at the next renewal.
import { type Lease, microTime, type OwnerReference } from '@mkube/shared/api';
import { isAlreadyExists, isConflict, isNotFound } from '@mkube/shared/apierrors';
import type { KubeClient } from '@mkube/shared/client';
import { liveNode } from '../nodestatus/livenode.js';

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

  /** The Node as an owner reference, read live; throws when there is no such Node (or it is going). */
  async #owner(signal: AbortSignal): Promise<OwnerReference> {
    const node = await liveNode(this.client(), this.nodeName, signal).catch((e: unknown) => {
      throw new Error(
        `failed to get node ${JSON.stringify(this.nodeName)} when trying to set owner ref to the node lease: ${(e as Error).message}`,
      );
    });
    if (!node) {
      throw new Error(
        `failed to get node ${JSON.stringify(this.nodeName)} when trying to set owner ref to the node lease: not found or being deleted`,
      );
    }
    return { apiVersion: 'v1', kind: 'Node', name: this.nodeName, uid: node.metadata!.uid! };
  }

  async renew(signal: AbortSignal): Promise<void> {
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
                  ownerReferences: [await this.#owner(signal)],
                },
                spec,
              },
              { signal },
            );
            return;
          }
        }
        const md = this.#latest.metadata;
        const owners = md?.ownerReferences?.length
          ? md.ownerReferences
          : await this.#owner(signal).then(
              (o) => [o],
              () => undefined,
            );
        this.#latest = await leases.update(
          {
            ...this.#latest,
            metadata: { ...md, ...(owners ? { ownerReferences: owners } : {}) },
            spec: { ...this.#latest.spec, ...spec },
          },
          { signal },
        );
        return;
      } catch (e) {
        this.#latest = undefined;
        if (!isConflict(e) && !isAlreadyExists(e) && !isNotFound(e)) throw e;
      }
    }
  }
}
