// The params of one binding (upstream's CollectParams): none without paramKind or paramRef; by name
// from the param kind's watch-fed cache (a miss read from the store, for a param created an instant
// ago); by selector from the cache, one evaluation per match. Errors are configuration errors.
import type { KubeObject, ParamKind, ParamRef } from '@mkube/shared/api';
import { isNotFound } from '@mkube/shared/apierrors';
import { labelSelectorFromObject } from '@mkube/shared/selectors';
import type { Informer } from '../../../informers/index.js';
import type { GenericRegistry } from '../../../registry/generic.js';

/** Where a paramKind's objects are read: its cache, and its registry for a cache miss. */
export interface ParamSource {
  readonly informer: Informer;
  readonly registry: GenericRegistry;
  /** Resolves once the cache has listed (it may fail, then the cache stays unsynced). */
  readonly started: Promise<void>;
}

/** How long a request waits for a param cache's first list (upstream: 1s). */
const SYNC_WAIT_MS = 1000;

/** The Go String() of a ParamKind, which upstream's messages print. */
export const paramKindString = (p: ParamKind): string =>
  `&ParamKind{APIVersion:${p.apiVersion ?? ''},Kind:${p.kind ?? ''},}`;

async function waitForSync(src: ParamSource): Promise<boolean> {
  if (src.informer.hasSynced()) return true;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((r) => {
    timer = setTimeout(r, SYNC_WAIT_MS);
  });
  await Promise.race([src.started.catch(() => {}), timeout]);
  clearTimeout(timer);
  return src.informer.hasSynced();
}

/** The param objects to evaluate the policy with; `[null]` when the binding uses none. */
export async function collectParams(
  paramKind: ParamKind | undefined,
  src: ParamSource | undefined,
  paramRef: ParamRef | undefined,
  requestNamespace: string,
): Promise<(KubeObject | null)[]> {
  if (!paramKind || !paramRef) return [null];
  if (!src) throw new Error(`paramKind kind \`${paramKindString(paramKind)}\` not known`);
  const namespaced = src.registry.def.namespaced;
  let namespace = '';
  if (namespaced) {
    namespace = paramRef.namespace || requestNamespace;
    if (!namespace) {
      throw new Error('cannot use namespaced paramRef in policy binding that matches cluster-scoped resources');
    }
  }
  if (!(await waitForSync(src))) {
    throw new Error(`paramKind kind \`${paramKindString(paramKind)}\` not yet synced to use for admission`);
  }
  if (!namespaced && paramRef.namespace) {
    throw new Error('paramRef.namespace must not be provided for a cluster-scoped `paramKind`');
  }
  let params: KubeObject[];
  if (paramRef.name) {
    if (paramRef.selector) throw new Error('paramRef.name and paramRef.selector are mutually exclusive');
    const cached = src.informer.get(namespace, paramRef.name);
    params = cached ? [cached] : await readParam(src.registry, namespace, paramRef.name);
  } else if (paramRef.selector) {
    const selector = labelSelectorFromObject(paramRef.selector);
    params = [...src.informer.list()]
      .filter((o) => (!namespaced || o.metadata.namespace === namespace) && selector.matches(o.metadata.labels))
      .sort((a, b) => ((a.metadata.name ?? '') < (b.metadata.name ?? '') ? -1 : 1));
  } else {
    throw new Error('one of name or selector must be provided');
  }
  if (params.length === 0 && paramRef.parameterNotFoundAction === 'Deny') {
    throw new Error('no params found for policy binding with `Deny` parameterNotFoundAction');
  }
  return params;
}

async function readParam(registry: GenericRegistry, namespace: string, name: string): Promise<KubeObject[]> {
  try {
    return [await registry.get(namespace, name)];
  } catch (e) {
    if (isNotFound(e)) return [];
    throw e;
  }
}
