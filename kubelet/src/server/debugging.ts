// The kubelet's debugging handlers as its configuration switches them (server.NewServer):
// enableDebuggingHandlers off answers 405 "Debug endpoints are disabled." on every path that runs or
// reads something in a container or on the node — exec, attach, portForward, run, containerLogs,
// runningpods, logs, pprof — and leaves configz and checkpoint uninstalled (404);
// enableSystemLogHandler, enableProfilingHandler and enableDebugFlagsHandler turn off /logs/,
// /debug/pprof/ and /debug/flags/v alone. mux.ts turns these switches into upstream's ServeMux
// patterns; the request is authenticated and authorized first, as upstream's filter runs first.

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
