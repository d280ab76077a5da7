// streamingConnectionIdleTimeout (--streaming-connection-idle-timeout, 4 h by default; 0: none): an
// exec, attach or port-forward stream with no frame either way for that long is closed, as the CRI
// streaming server's connections reset their deadline on every read and write. The CIS benchmark
// asks for it not to be 0, so a forgotten session does not stay open into a node for ever.

/** Upstream's default: 4 h. */
export const DEFAULT_STREAMING_IDLE_TIMEOUT_MS = 4 * 3_600_000;

/** The part of a ws WebSocket the idle timer uses. */
export interface IdleSocket {
  // biome-ignore lint/suspicious/noExplicitAny: ws's send takes data and options of many shapes
  send(...args: any[]): void;
  close(code?: number): void;
  // biome-ignore lint/suspicious/noExplicitAny: one signature that ws's overloaded `on` satisfies
  on(event: string, listener: (...args: any[]) => void): unknown;
}

/** Closes `socket` after `ms` without a frame in or out; returns it (its `send` now counts as activity). */
export function closeWhenIdle<S extends IdleSocket>(socket: S, ms: number): S {
  if (!(ms > 0)) return socket;
  let timer = setTimeout(expire, ms);
  function expire() {
    socket.close(1000);
  }
  const touch = () => {
    clearTimeout(timer);
    timer = setTimeout(expire, ms);
  };
  const send = socket.send.bind(socket);
  socket.send = (...a: unknown[]) => {
    touch();
    send(...a);
  };
  socket.on('message', touch);
  socket.on('close', () => clearTimeout(timer));
  return socket;
}
