// Go's transport gives a connection two deadlines (client-go: a 30 s dial, then 10 s for the TLS
// handshake counted from the moment TCP is up), so a slow accept queue does not eat into the
// handshake's time or the other way round. Both client stacks (the HTTP/2 connection and undici's
// HTTP/1.1 connector) watch their sockets with these.
import type { Socket } from 'node:net';
import { joinHostPort } from './hostport.js';

export const DIAL_TIMEOUT_MS = 30_000;
export const TLS_HANDSHAKE_TIMEOUT_MS = 10_000;

/**
 * A timer whose expiry is checked after the I/O that arrived before it: when the event loop comes
 * back from a stall it runs timers before polling sockets, and a handshake whose answer is already
 * in the socket must not fail for this process's own delay.
 */
export class Deadline {
  #cancelled = false;
  readonly #timer: NodeJS.Timeout;

  constructor(onExpiry: () => void, ms: number) {
    this.#timer = setTimeout(() => {
      // setImmediate runs after the loop's poll phase, where the socket's pending data is read.
      setImmediate(() => {
        if (!this.#cancelled) onExpiry();
      });
    }, ms);
    this.#timer.unref();
  }

  cancel(): void {
    this.#cancelled = true;
    clearTimeout(this.#timer);
  }
}

export interface DialDeadlines {
  readonly dialTimeoutMs?: number;
  readonly tlsHandshakeTimeoutMs?: number;
}

/**
 * Watches a TLS socket being connected: `onTimeout` gets Go's message (`dial tcp host:port: i/o
 * timeout`, then `net/http: TLS handshake timeout`). Ends by itself at `secureConnect` or `close`;
 * the returned function ends it sooner.
 */
export function watchDial(
  socket: Socket,
  host: string,
  port: number,
  o: DialDeadlines,
  onTimeout: (message: string) => void,
): () => void {
  let deadline = new Deadline(
    () => onTimeout(`dial tcp ${joinHostPort(host, port)}: i/o timeout`),
    o.dialTimeoutMs ?? DIAL_TIMEOUT_MS,
  );
  let done = false;
  const cancel = () => {
    done = true;
    deadline.cancel();
  };
  socket.once('connect', () => {
    deadline.cancel();
    if (done) return;
    deadline = new Deadline(
      () => onTimeout('net/http: TLS handshake timeout'),
      o.tlsHandshakeTimeoutMs ?? TLS_HANDSHAKE_TIMEOUT_MS,
    );
  });
  socket.once('secureConnect', cancel);
  socket.once('close', cancel);
  return cancel;
}
