// The kubelet's debugging handlers as its configuration switches them (server.NewServer):
// enableDebuggingHandlers off answers 405 "Debug endpoints are disabled." on every path that runs or
// reads something in a container or on the node — exec, attach, portForward, run, containerLogs,
// runningpods, logs, pprof — and leaves configz and checkpoint uninstalled (404);
// enableSystemLogHandler, enableProfilingHandler and enableDebugFlagsHandler turn off /logs/,
// /debug/pprof/ and /debug/flags/v alone. The
// request has been authenticated and authorized first, as upstream's filter runs before any handler.

export interface DebuggingHandlers {
  /** enableDebuggingHandlers (--enable-debugging-handlers). */
  readonly enabled: boolean;
  /** enableSystemLogHandler: /logs/. */
  readonly systemLog: boolean;
  /** enableProfilingHandler: /debug/pprof/. */
  readonly profiling: boolean;
  /** enableDebugFlagsHandler: /debug/flags/v. */
  readonly debugFlags: boolean;
}

export const ALL_DEBUGGING_HANDLERS: DebuggingHandlers = {
  enabled: true,
  systemLog: true,
  profiling: true,
  debugFlags: true,
};

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
/** Installed only with the debugging handlers (InstallAuthRequiredHandlers, InstallDebugFlagsHandler). */
const NOT_INSTALLED = ['/configz', '/checkpoint/', '/debug/flags/v'];

/** A ServeMux subtree pattern ("/logs/") with the path it redirects from ("/logs"). */
const under = (path: string, pattern: string) =>
  path.startsWith(pattern) || (pattern.endsWith('/') && path === pattern.slice(0, -1));

/** What a switched-off handler answers for `path`, or undefined when it is served. */
export function disabledDebugHandler(
  path: string,
  h: DebuggingHandlers,
): { code: number; message: string } | undefined {
  if (!h.enabled) {
    if (DEBUG_PATHS.some((p) => under(path, p))) return { code: 405, message: 'Debug endpoints are disabled.' };
    if (NOT_INSTALLED.some((p) => under(path, p))) return { code: 404, message: '404 page not found' };
    return undefined;
  }
  if (!h.systemLog && under(path, '/logs/')) return { code: 405, message: 'logs endpoint is disabled.' };
  if (!h.profiling && under(path, '/debug/pprof/')) return { code: 405, message: 'profiling endpoint is disabled.' };
  if (!h.debugFlags && path === '/debug/flags/v') return { code: 405, message: 'flags endpoint is disabled.' };
  return undefined;
}
