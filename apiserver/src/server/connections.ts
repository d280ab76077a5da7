// The server's open connections, for its shutdown. First, as Go's Server.Shutdown: a GOAWAY on every
// HTTP/2 connection (its client closes it once its streams are done) and idle HTTP/1.1 ones closed,
// so the close waits only for requests still running; last, when the drain runs out, every socket
// destroyed.
import type { Http2SecureServer, ServerHttp2Session, ServerHttp2Stream } from 'node:http2';
import type { TLSSocket } from 'node:tls';

export interface Connections {
  goAwayAll(): void;
  destroyAll(): void;
}

export function trackConnections(server: Http2SecureServer): Connections {
  // Each HTTP/2 session with its open streams, so a shutdown can end the idle ones.
  const sessions = new Map<ServerHttp2Session, number>();
  let goingAway = false;
  const endIfIdle = (s: ServerHttp2Session) => {
    if (goingAway && sessions.get(s) === 0 && !s.destroyed) s.destroy();
  };
  server.on('session', (s: ServerHttp2Session) => {
    sessions.set(s, 0);
    s.once('close', () => sessions.delete(s));
  });
  server.on('stream', (stream: ServerHttp2Stream) => {
    const s = stream.session as ServerHttp2Session | undefined;
    if (!s || !sessions.has(s)) return;
    sessions.set(s, (sessions.get(s) ?? 0) + 1);
    stream.once('close', () => {
      const n = sessions.get(s);
      if (n === undefined) return;
      sessions.set(s, n - 1);
      endIfIdle(s);
    });
  });
  const sockets = new Set<TLSSocket>();
  server.on('secureConnection', (s: TLSSocket) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  return {
    goAwayAll() {
      // goaway() and not close(): see goaway.ts.
      goingAway = true;
      for (const s of sessions.keys()) if (!s.closed && !s.destroyed) s.goaway();
      // Node would keep a session whose client has closed its end half open (CLOSE-WAIT) until
      // the drain timeout: one with no stream left ends now, the others when their last does.
      for (const s of [...sessions.keys()]) endIfIdle(s);
      (server as unknown as { closeIdleConnections?: () => void }).closeIdleConnections?.();
    },
    destroyAll() {
      for (const s of sockets) s.destroy();
    },
  };
}
