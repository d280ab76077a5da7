// upstream's watch InitializationSignal (util/flowcontrol/watch_tracker.go): API Priority and Fairness
// holds an admitted watch's seat until the storage layer says the watch is initialized — its initial
// events sent and its store watch in place (cacheWatcher.process calls WatchInitialized). The signal
// travels with the request: the gate sets it on the raw request, the watch endpoint fires it.
const signals = new WeakMap<object, () => void>();

/** The gate: `signal` is called (once) when the watch made for `rawRequest` is initialized. */
export function setWatchInitializationSignal(rawRequest: object, signal: () => void): void {
  signals.set(rawRequest, signal);
}

/** The watch endpoint: its watch is initialized; a request the gate did not hold is a no-op. */
export function watchInitialized(rawRequest: object | undefined): void {
  if (!rawRequest) return;
  const signal = signals.get(rawRequest);
  if (!signal) return;
  signals.delete(rawRequest);
  signal();
}
