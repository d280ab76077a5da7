// Which verbs a resource path serves, as kube-apiserver's installer registers its routes from the
// storage's interfaces: a collection path (list/watch, create, deletecollection), an object path (get,
// update, patch, delete), a subresource path (its own verbs). A method the path has no route for is
// 405 MethodNotAllowed; an object path of a resource with no object routes (the review APIs) does not
// exist (404). The server answers both with go-restful's generic Status (server/errors.ts).
import type { ResourceDef } from '../registry/catalog.js';
import type { RequestInfo } from '../request/requestinfo.js';

const COLLECTION = new Set(['list', 'watch', 'create', 'deletecollection']);
const OBJECT = new Set(['get', 'update', 'patch', 'delete']);
/** The verbs a method maps to; anything else (OPTIONS, a connect verb) is left to the handlers. */
const ROUTED = new Set([...COLLECTION, ...OBJECT]);

export type RouteError = 'NotFound' | 'MethodNotAllowed';

/** What upstream's router answers for this request, or undefined when a route serves it. */
export function routeError(def: ResourceDef, info: RequestInfo): RouteError | undefined {
  if (!ROUTED.has(info.verb)) return undefined;
  if (info.subresource) {
    const sub = def.subresources.find((s) => s.name === info.subresource);
    return sub?.verbs.includes(info.verb) ? undefined : 'MethodNotAllowed';
  }
  // The path's shape: a name in it (get, update, patch and delete need one; a POST with one has no
  // route) makes it an object path. list and watch may carry a name from a field selector: still the collection.
  const onObject = info.name !== '' && !(info.verb === 'list' || info.verb === 'watch');
  if (onObject) {
    if (!def.verbs.some((v) => OBJECT.has(v))) return 'NotFound';
    return OBJECT.has(info.verb) && def.verbs.includes(info.verb) ? undefined : 'MethodNotAllowed';
  }
  return COLLECTION.has(info.verb) && def.verbs.includes(info.verb) ? undefined : 'MethodNotAllowed';
}
