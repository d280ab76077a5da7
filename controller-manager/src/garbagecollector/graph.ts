// The garbage collector's dependency graph (k8s pkg/controller/garbagecollector graph.go,
// graph_builder.go): one node per object uid, edges from ownerReferences. A node seen only as an
// owner is "virtual" until its object is observed; the collector checks whether it exists.
import {
  FINALIZER_DELETE_DEPENDENTS,
  FINALIZER_ORPHAN_DEPENDENTS,
  type KubeObject,
  type OwnerReference,
} from '@mkube/shared/api';

/** objectReference: what identifies an object across resources. */
export interface ObjectIdentity {
  readonly apiVersion: string;
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
}

export class GraphNode {
  readonly dependents = new Set<GraphNode>();
  owners: readonly OwnerReference[] = [];
  /** Seen only in another object's ownerReferences. */
  virtual: boolean;
  /** deletionTimestamp is set. */
  beingDeleted = false;
  /** Being deleted with the foregroundDeletion finalizer: waits for its blocking dependents. */
  deletingDependents = false;

  constructor(
    public identity: ObjectIdentity,
    virtual: boolean,
  ) {
    this.virtual = virtual;
  }

  /** The dependents whose reference to this node has blockOwnerDeletion. */
  blockingDependents(): GraphNode[] {
    return [...this.dependents].filter((d) =>
      d.owners.some((o) => o.uid === this.identity.uid && o.blockOwnerDeletion === true),
    );
  }
}

export function identityOf(obj: KubeObject, apiVersion: string, kind: string): ObjectIdentity {
  return {
    apiVersion,
    kind,
    namespace: obj.metadata?.namespace ?? '',
    name: obj.metadata?.name ?? '',
    uid: obj.metadata?.uid ?? '',
  };
}

/**
 * Whether the dependent's references to this observed owner name it by its coordinates
 * (ownerReferenceMatchesCoordinates), from a namespace it may be owned from: a namespaced owner
 * only owns objects in its own namespace.
 */
function referenceResolves(dependent: GraphNode, owner: GraphNode): boolean {
  const o = owner.identity;
  if (o.namespace && o.namespace !== dependent.identity.namespace) return false;
  return dependent.owners
    .filter((r) => r.uid === o.uid)
    .every((r) => r.name === o.name && r.kind === o.kind && r.apiVersion === o.apiVersion);
}

export const hasFinalizer = (obj: KubeObject, f: string): boolean => (obj.metadata?.finalizers ?? []).includes(f);

/** What a change to the graph asks the collector to look at. */
export interface GraphEffects {
  /** Nodes to check for deletion (attemptToDelete). */
  readonly attemptToDelete: GraphNode[];
  /** Owners whose dependents must be orphaned (attemptToOrphan). */
  readonly attemptToOrphan: GraphNode[];
}

export class DependencyGraph {
  readonly #byUid = new Map<string, GraphNode>();

  get(uid: string): GraphNode | undefined {
    return this.#byUid.get(uid);
  }

  get size(): number {
    return this.#byUid.size;
  }

  /** An object was added or changed (processGraphChanges for add/update events). */
  observe(obj: KubeObject, apiVersion: string, kind: string): GraphEffects {
    const effects: GraphEffects = { attemptToDelete: [], attemptToOrphan: [] };
    const uid = obj.metadata?.uid;
    if (!uid) return effects;
    const owners = obj.metadata?.ownerReferences ?? [];
    let node = this.#byUid.get(uid);
    if (!node) {
      node = new GraphNode(identityOf(obj, apiVersion, kind), false);
      this.#byUid.set(uid, node);
      this.#setOwners(node, owners, effects);
    } else {
      if (node.virtual) {
        // The owner a dependent named exists after all; it may have been queued as absent.
        node.virtual = false;
        node.identity = identityOf(obj, apiVersion, kind);
        // Dependents that named it by other coordinates, or from another namespace, may hold a
        // reference that does not resolve: the collector looks at them (a no-op if it does).
        for (const d of node.dependents) if (!referenceResolves(d, node)) effects.attemptToDelete.push(d);
      }
      const before = node.owners;
      this.#setOwners(node, owners, effects);
      // An owner no longer referenced, or no longer blocked, may be able to finish its deletion.
      for (const o of before) {
        const now = owners.find((n) => n.uid === o.uid);
        if (o.blockOwnerDeletion && !now?.blockOwnerDeletion) {
          const owner = this.#byUid.get(o.uid);
          if (owner?.deletingDependents) effects.attemptToDelete.push(owner);
        }
      }
    }
    node.beingDeleted = !!obj.metadata?.deletionTimestamp;
    node.deletingDependents = node.beingDeleted && hasFinalizer(obj, FINALIZER_DELETE_DEPENDENTS);
    if (node.beingDeleted && hasFinalizer(obj, FINALIZER_ORPHAN_DEPENDENTS)) effects.attemptToOrphan.push(node);
    if (node.deletingDependents) {
      effects.attemptToDelete.push(node, ...node.dependents);
    }
    return effects;
  }

  /** An object is gone (processGraphChanges for delete events): its dependents lose an owner. */
  remove(uid: string): GraphEffects {
    const effects: GraphEffects = { attemptToDelete: [], attemptToOrphan: [] };
    const node = this.#byUid.get(uid);
    if (!node) return effects;
    this.#byUid.delete(uid);
    for (const o of node.owners) {
      const owner = this.#byUid.get(o.uid);
      if (!owner) continue;
      owner.dependents.delete(node);
      if (owner.deletingDependents) effects.attemptToDelete.push(owner);
      // A virtual owner nobody names any more is forgotten.
      if (owner.virtual && owner.dependents.size === 0) this.#byUid.delete(o.uid);
    }
    effects.attemptToDelete.push(...node.dependents);
    return effects;
  }

  /** The virtual node's object does not exist: drop it, its dependents are to be checked. */
  forgetAbsent(node: GraphNode): GraphNode[] {
    if (this.#byUid.get(node.identity.uid) !== node || !node.virtual) return [];
    this.#byUid.delete(node.identity.uid);
    return [...node.dependents];
  }

  #setOwners(node: GraphNode, owners: readonly OwnerReference[], effects: GraphEffects): void {
    const before = node.owners;
    for (const o of before) {
      if (owners.some((n) => n.uid === o.uid)) continue;
      const owner = this.#byUid.get(o.uid);
      owner?.dependents.delete(node);
      if (owner?.virtual && owner.dependents.size === 0) this.#byUid.delete(o.uid);
    }
    node.owners = owners;
    let recheck = false;
    for (const o of owners) {
      let owner = this.#byUid.get(o.uid);
      if (!owner) {
        // Known only by reference: the collector checks whether it exists.
        owner = new GraphNode(
          { apiVersion: o.apiVersion, kind: o.kind, namespace: node.identity.namespace, name: o.name, uid: o.uid },
          true,
        );
        this.#byUid.set(o.uid, owner);
        effects.attemptToDelete.push(owner);
      } else if (!owner.virtual && !before.some((b) => b.uid === o.uid) && !referenceResolves(node, owner)) {
        // A new reference to an observed owner it does not match (another namespace, name or
        // kind): the collector checks whether the dependent still has an owner (addDependentToOwners).
        recheck = true;
      }
      owner.dependents.add(node);
    }
    if (recheck) effects.attemptToDelete.push(node);
  }
}
