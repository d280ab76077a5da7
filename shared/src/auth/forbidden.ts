// The 403 every k8s.io/apiserver server writes (endpoints/filters/authorization.go, forbidden()):
// kube-apiserver and the servers that delegate to it (metrics-server) word refusals alike.
import { newForbidden, type StatusError } from '../apierrors/index.js';
import type { Attributes } from './types.js';

export function forbiddenError(a: Attributes, reason: string): StatusError {
  const who = `User ${JSON.stringify(a.user.username)}`;
  let why: string;
  if (!a.isResourceRequest) {
    why = `${who} cannot ${a.verb} path ${JSON.stringify(a.path)}`;
  } else {
    const res = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
    const scope = a.namespace ? `in the namespace ${JSON.stringify(a.namespace)}` : 'at the cluster scope';
    why = `${who} cannot ${a.verb} resource ${JSON.stringify(res)} in API group ${JSON.stringify(a.apiGroup)} ${scope}`;
  }
  if (reason) why += `: ${reason}`;
  return newForbidden(
    a.isResourceRequest ? { group: a.apiGroup, resource: a.resource } : { group: '', resource: '' },
    a.name,
    why,
  );
}
