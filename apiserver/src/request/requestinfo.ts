// The attributes of a request, parsed once near the outside of the handler chain and then used
// by authorization, admission and the registry (k8s.io/apiserver endpoints/request RequestInfoFactory).
import { VERB_FOR_METHOD } from '@mkube/shared/auth';
import { parseFieldSelector } from '@mkube/shared/selectors';

export interface RequestInfo {
  readonly isResourceRequest: boolean;
  /** The URL path without the query. */
  readonly path: string;
  /** Kubernetes verb: get, list, watch, create, update, patch, delete, deletecollection; for non-resource paths the lower-cased HTTP method. */
  readonly verb: string;
  readonly apiPrefix: '' | 'api' | 'apis';
  readonly apiGroup: string;
  readonly apiVersion: string;
  readonly namespace: string;
  readonly resource: string;
  readonly subresource: string;
  readonly name: string;
  /** Path segments after `{resource}/{name}/{subresource}`, e.g. the rest of a proxy path. */
  readonly rest: readonly string[];
  /**
   * A list's, watch's or deletecollection's `fieldSelector` and `labelSelector`, as sent: what
   * authorizers see of them (AuthorizeWithSelectors). Not set for the deprecated /watch/ paths.
   */
  readonly fieldSelector?: string;
  readonly labelSelector?: string;
}

const SELECTOR_VERBS: ReadonlySet<string> = new Set(['list', 'watch', 'deletecollection']);

/** Subresources of a namespace object itself, not resources inside the namespace. */
const NAMESPACE_SUBRESOURCES = new Set(['status', 'finalize']);

function nonResource(path: string, method: string): RequestInfo {
  return {
    isResourceRequest: false,
    path,
    verb: method.toLowerCase(),
    apiPrefix: '',
    apiGroup: '',
    apiVersion: '',
    namespace: '',
    resource: '',
    subresource: '',
    name: '',
    rest: [],
  };
}

function decode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/**
 * Parses method + URL the way kube-apiserver does. `query` is consulted for `watch` and for a
 * `metadata.name=` field selector, which narrows a list or watch to one name for authorization.
 */
export function parseRequestInfo(method: string, path: string, query: URLSearchParams): RequestInfo {
  const segments = path.split('/').filter((s) => s !== '');
  const prefix = segments[0];
  if (prefix !== 'api' && prefix !== 'apis') return nonResource(path, method);
  let i = 1;
  let apiGroup = '';
  if (prefix === 'apis') {
    if (segments.length < 3) return nonResource(path, method);
    apiGroup = segments[i++]!;
  } else if (segments.length < 2) {
    return nonResource(path, method);
  }
  const apiVersion = segments[i++]!;
  let parts = segments.slice(i).map(decode);
  if (parts.length === 0) return nonResource(path, method);

  let verb = VERB_FOR_METHOD[method.toUpperCase()] ?? method.toLowerCase();
  // Deprecated but still served: /api/v1/watch/namespaces/x/pods
  const verbViaPath = parts[0] === 'watch' && (verb === 'get' || verb === 'list');
  if (verbViaPath) {
    verb = 'watch';
    parts = parts.slice(1);
  }

  let namespace = '';
  if (parts[0] === 'namespaces') {
    if (parts.length > 1) {
      namespace = parts[1]!;
      if (parts.length > 2 && !NAMESPACE_SUBRESOURCES.has(parts[2]!)) parts = parts.slice(2);
    }
  }
  const [resource = '', name = '', subresource = '', ...rest] = parts;

  let effectiveName = name;
  if (verb === 'get' && !name) {
    verb = isTrue(query.get('watch')) ? 'watch' : 'list';
    effectiveName = nameFromFieldSelector(query.get('fieldSelector'));
  }
  if (verb === 'delete' && !name) verb = 'deletecollection';

  const selectors = !verbViaPath && SELECTOR_VERBS.has(verb);
  const fieldSelector = selectors ? query.get('fieldSelector') : null;
  const labelSelector = selectors ? query.get('labelSelector') : null;
  return {
    isResourceRequest: true,
    path,
    verb,
    apiPrefix: prefix,
    apiGroup,
    apiVersion,
    namespace,
    resource,
    subresource,
    name: effectiveName,
    rest,
    ...(fieldSelector ? { fieldSelector } : {}),
    ...(labelSelector ? { labelSelector } : {}),
  };
}

function isTrue(v: string | null): boolean {
  return v === 'true' || v === '1';
}

/**
 * The name a `metadata.name=x` term (alone or among others) pins a list or watch to, when the
 * selector parses and the name could be a path segment (RequiresExactMatch, IsValidPathSegmentName).
 */
function nameFromFieldSelector(selector: string | null): string {
  if (!selector) return '';
  let name: string | undefined;
  try {
    name = parseFieldSelector(selector).requiresExactMatch('metadata.name');
  } catch {
    return '';
  }
  if (!name || name === '.' || name === '..' || /[/%]/.test(name)) return '';
  return name;
}
