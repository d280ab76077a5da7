// OwnerReferencesPermissionEnforcement (plugin/pkg/admission/gc): ownerReferences decide what the
// garbage collector deletes, so changing them on an existing object needs `delete` on that object,
// and making a reference block its owner's deletion (blockOwnerDeletion: true, new or turned on)
// needs `update` on the owner's `finalizers` subresource: the power to create or delete something
// is not the power to hold up the deletion of something else. Off by default, as upstream.
import { isDeepStrictEqual } from 'node:util';
import type { KubeObject, OwnerReference } from '@mkube/shared/api';
import { newForbidden } from '@mkube/shared/apierrors';
import type { Authorizer } from '@mkube/shared/auth';
import { findByKind } from '../../registry/catalog.js';
import type { AdmissionAttributes, AdmissionPlugin } from '../types.js';

export const OWNER_REFERENCES_PLUGIN = 'OwnerReferencesPermissionEnforcement';

const refsOf = (o: KubeObject | undefined): readonly OwnerReference[] => o?.metadata?.ownerReferences ?? [];

/** New references with blockOwnerDeletion, and existing ones that turned it on. */
function newBlockingRefs(next: readonly OwnerReference[], old: readonly OwnerReference[]): OwnerReference[] {
  return next.filter((r) => {
    if (r.blockOwnerDeletion !== true) return false;
    const before = old.find((o) => o.uid === r.uid);
    return before?.blockOwnerDeletion !== true;
  });
}

function forbidden(a: AdmissionAttributes, why: string) {
  return newForbidden({ group: a.group, resource: a.resource }, a.name, why);
}

export function ownerReferencesPermissionEnforcement(authorizer: Authorizer): AdmissionPlugin {
  return {
    name: OWNER_REFERENCES_PLUGIN,
    handles: (op) => op === 'CREATE' || op === 'UPDATE',
    async validate(a) {
      // The kubelet's status writes are let through (upstream's whitelist).
      if (a.resource === 'pods' && a.group === '' && a.subresource === 'status') return;
      const next = refsOf(a.object);
      const old = a.operation === 'UPDATE' ? refsOf(a.oldObject) : [];
      if (isDeepStrictEqual(next, old)) return;
      // Whoever could have not created the object may give it owners; anyone else must be able to delete it.
      if (a.operation !== 'CREATE') {
        const r = await authorizer.authorize({
          user: a.user,
          verb: 'delete',
          isResourceRequest: true,
          path: '',
          namespace: a.namespace,
          apiGroup: a.group,
          apiVersion: a.version,
          resource: a.resource,
          subresource: a.subresource,
          name: a.name,
        });
        if (r.decision !== 'Allow')
          throw forbidden(a, `cannot set an ownerRef on a resource you can't delete: ${r.reason}, <nil>`);
      }
      for (const ref of newBlockingRefs(next, old)) {
        const owner = findByKind(ref.apiVersion, ref.kind);
        if (!owner)
          throw forbidden(
            a,
            `cannot set blockOwnerDeletion in this case because cannot find RESTMapping for APIVersion ${ref.apiVersion} Kind ${ref.kind}: no matches for kind "${ref.kind}" in version "${ref.apiVersion}"`,
          );
        const r = await authorizer.authorize({
          user: a.user,
          verb: 'update',
          isResourceRequest: true,
          path: '',
          namespace: owner.namespaced ? a.namespace : '',
          apiGroup: owner.group,
          apiVersion: owner.version,
          resource: owner.resource,
          subresource: 'finalizers',
          name: ref.name,
        });
        if (r.decision !== 'Allow')
          throw forbidden(
            a,
            `cannot set blockOwnerDeletion if an ownerReference refers to a resource you can't set finalizers on: ${r.reason}, <nil>`,
          );
      }
    },
  };
}
