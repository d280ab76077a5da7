// How upstream's kubelet server dispatches a path, so that mkube's answers the paths and methods it
// has no route for the way the kubelet does (server.NewServer on a go-restful Container):
// - the Container's ServeMux knows a fixed set of patterns; a path none of them owns gets Go's
//   http.NotFound ("404 page not found") before any filter — so before authentication;
// - a pattern is either a plain http.Handler (healthz, metrics, configz, debug/flags/v, and the
//   handlers standing in for switched-off debugging paths), which answers every method, or a
//   go-restful WebService: after the Container's filters (authentication and authorization) it
//   answers a method no route of the path has with 405 "405: Method Not Allowed" and an Allow
//   header, and a path none of its routes matches with 404 "404: Page Not Found" (the RouterJSR311
//   and CurlyRouter texts).
import type { DebuggingHandlers } from './debugging.js';

/** A plain handler, a WebService, or a handler that answers 405 with `disabled` for every request. */
export type MuxKind = 'handler' | 'webservice' | { readonly disabled: string };

export interface MuxEntry {
  /** A ServeMux pattern: exact, or a subtree when it ends in "/". */
  readonly pattern: string;
  readonly kind: MuxKind;
}

const DEBUGGING_DISABLED = 'Debug endpoints are disabled.';
/** What InstallDebuggingDisabledHandlers puts in the debugging handlers' place. */
const DEBUG_PATHS = [
  '/run/',
  '/exec/',
  '/attach/',
  '/portForward/',
  '/containerLogs/',
  '/runningpods/',
  '/debug/pprof/',
  '/logs/',
];

/** The patterns server.NewServer registers for this configuration. */
export function kubeletMuxEntries(h: DebuggingHandlers, containerCheckpoint: boolean): MuxEntry[] {
  const ws = (pattern: string): MuxEntry => ({ pattern, kind: 'webservice' });
  const handler = (pattern: string): MuxEntry => ({ pattern, kind: 'handler' });
  const off = (pattern: string, disabled: string): MuxEntry => ({ pattern, kind: { disabled } });
  // InstallAuthNotRequiredHandlers: healthz with its named checks, pods, stats, the metrics endpoints.
  const entries = [
    handler('/healthz'),
    ...HEALTHZ_CHECKS.map((n) => handler(`/healthz/${n}`)),
    ws('/pods'),
    ws('/stats/'),
    handler('/metrics'),
    handler('/metrics/cadvisor'),
    handler('/metrics/resource'),
    handler('/metrics/probes'),
  ];
  if (!h.enabled) return [...entries, ...DEBUG_PATHS.map((p) => off(p, DEBUGGING_DISABLED))];
  entries.push(
    h.systemLog ? ws('/logs/') : off('/logs/', 'logs endpoint is disabled.'),
    h.profiling ? ws('/debug/pprof/') : off('/debug/pprof/', 'profiling endpoint is disabled.'),
    h.debugFlags ? handler('/debug/flags/v') : off('/debug/flags/v', 'flags endpoint is disabled.'),
    ws('/run'),
    ws('/exec'),
    ws('/attach'),
    ws('/portForward'),
    ws('/containerLogs'),
    handler('/configz'),
    ws('/runningpods/'),
  );
  if (containerCheckpoint) entries.push(ws('/checkpoint'));
  return entries;
}

/** The kubelet's healthz checks, each also served alone at /healthz/<name>. */
export const HEALTHZ_CHECKS = ['ping', 'log', 'syncloop'] as const;

/**
 * The entry that owns `path`, as ServeMux picks it: the longest pattern that matches exactly or,
 * for a subtree pattern, as a prefix. A WebService's root "/x" is registered as "/x" and "/x/"; a
 * subtree "/x/" also owns "/x", which ServeMux redirects to it.
 */
export function muxOwner(entries: readonly MuxEntry[], path: string): MuxEntry | undefined {
  let best: MuxEntry | undefined;
  let bestLength = -1;
  for (const e of entries) {
    const subtree = e.pattern.endsWith('/') || e.kind === 'webservice';
    const root = e.pattern.endsWith('/') ? e.pattern.slice(0, -1) : e.pattern;
    const owns = path === root || (subtree && path.startsWith(`${root}/`));
    if (owns && root.length > bestLength) {
      best = e;
      bestLength = root.length;
    }
  }
  return best;
}

/** A route as the server registered it: its methods and its URL with `:param` and `*` segments. */
export interface RouteRecord {
  readonly methods: readonly string[];
  readonly url: string;
}

function routeMatches(url: string, path: string): boolean {
  const want = url.split('/');
  const got = path.length > 1 && path.endsWith('/') ? path.slice(0, -1).split('/') : path.split('/');
  for (let i = 0; i < want.length; i++) {
    const w = want[i]!;
    if (w === '*') return true;
    const g = got[i];
    if (g === undefined) return false;
    if (w.startsWith(':') ? g === '' : w !== g) return false;
  }
  return want.length === got.length;
}

/** Every method some route of `path` answers, in the order the routes were registered. */
export function allowedMethods(routes: readonly RouteRecord[], path: string): string[] {
  const out: string[] = [];
  for (const r of routes) {
    if (!routeMatches(r.url, path)) continue;
    for (const m of r.methods) if (!out.includes(m)) out.push(m);
  }
  return out;
}

/** net/http's cleanPath: path.Clean with a leading slash, keeping a trailing one. */
export function cleanPath(p: string): string {
  if (p === '') return '/';
  const rooted = p.startsWith('/') ? p : `/${p}`;
  const out: string[] = [];
  for (const seg of rooted.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') out.pop();
    else out.push(seg);
  }
  const clean = `/${out.join('/')}`;
  return rooted.endsWith('/') && clean !== '/' ? `${clean}/` : clean;
}

/** The patterns a ServeMux holds for these entries: a WebService's root "/x" is also "/x/". */
function registeredPatterns(entries: readonly MuxEntry[]): Set<string> {
  const out = new Set<string>();
  for (const e of entries) {
    out.add(e.pattern);
    if (e.kind === 'webservice' && !e.pattern.endsWith('/')) out.add(`${e.pattern}/`);
  }
  return out;
}

/** URL.EscapedPath for a clean path: what ServeMux puts in Location. */
const escapePath = (p: string): string => encodeURI(p).replace(/[?#]/g, encodeURIComponent);

/**
 * Where ServeMux sends a request with 301 before any handler (so before authentication), or
 * undefined: `/tree` to `/tree/` when only the subtree is registered, and any path that is not
 * clean (`//`, `.`, `..` segments, after percent-decoding) to its cleaned form; the query is kept.
 * CONNECT is left as sent. `decodedPath` is URL.Path (undefined when it does not decode).
 */
export function muxRedirect(
  entries: readonly MuxEntry[],
  method: string,
  decodedPath: string,
  rawQuery: string,
): string | undefined {
  if (method === 'CONNECT') return undefined;
  const clean = cleanPath(decodedPath);
  const query = rawQuery ? `?${rawQuery}` : '';
  const patterns = registeredPatterns(entries);
  if (!clean.endsWith('/') && !patterns.has(clean) && patterns.has(`${clean}/`))
    return `${escapePath(`${clean}/`)}${query}`;
  if (clean !== decodedPath) return `${escapePath(clean)}${query}`;
  return undefined;
}
