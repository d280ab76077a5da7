// The attributes of a request, parsed once near the outside of the handler chain and then used
// by authorization, admission and the registry (k8s.io/apiserver endpoints/request RequestInfoFactory).
import { VERB_FOR_METHOD } from '@mkube/shared/auth';

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
  /** A list's or watch's `fieldSelector`, as sent (authorizers may read it, as upstream's AuthorizeWithSelectors). */
  readonly fieldSelector?: string;
}

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
  if (parts[0] === 'watch' && (verb === 'get' || verb === 'list')) {
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

  if (verb === 'get' && !name) verb = 'list';
  if ((verb === 'list' || verb === 'get') && isTrue(query.get('watch'))) verb = 'watch';
  if (verb === 'delete' && !name) verb = 'deletecollection';

  let effectiveName = name;
  const fieldSelector = verb === 'list' || verb === 'watch' ? (query.get('fieldSelector') ?? '') : '';
  if (fieldSelector && !name) {
    const selected = nameFromFieldSelector(fieldSelector);
    if (selected) effectiveName = selected;
  }
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
  };
}

function isTrue(v: string | null): boolean {
  return v === 'true' || v === '1';
}

/** `metadata.name=x` (alone or among other requirements) names one object. */
function nameFromFieldSelector(selector: string | null): string {
  if (!selector) return '';
  for (const req of selector.split(',')) {
    const m = /^metadata\.name(==|=)(.+)$/.exec(req.trim());
    if (m) return m[2]!;
  }
  return '';
}
