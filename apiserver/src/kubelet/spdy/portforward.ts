// kubectl port-forward over SPDY (`portforward.k8s.io`), as the kubelet serves it
// (cri/streaming/portforward/httpstream.go): for each forwarded connection the client opens an error
// stream and a data stream carrying `streamType`, `port` and `requestID`; once both are there the
// data stream is piped to the pod's port, and a failure is written as text on the error stream.
// Each pair becomes one WebSocket to the kubelet's /portForward (portforward.mkube.io).
import type { Duplex } from 'node:stream';
import type { Logger } from '@mkube/shared/log';
import { messageBytes, WebSocket, type WsSocket } from '../ws.js';
import { RST, SpdyServerConnection } from './connection.js';
import type { SpdyHeaders } from './headers.js';

export const PORT_FORWARD_PROTOCOLS = ['portforward.k8s.io'] as const;
export const KUBELET_PORT_FORWARD_PROTOCOL = 'portforward.mkube.io';

const STREAM_CREATION_TIMEOUT_MS = 30_000;
const HIGH_WATER = 1 << 20;
const DATA = 0;
const ERROR = 1;
const CLOSE = 255;

interface Pair {
  readonly requestId: string;
  port?: number;
  errorId?: number;
  dataId?: number;
  backend?: WsSocket;
  /** What the client sent before the kubelet's socket was open, in order (255 = its end). */
  readonly early: Buffer[];
  timer?: NodeJS.Timeout;
  done?: boolean;
}

export interface PortForwardTarget {
  readonly podName: string;
  /** Dials the kubelet's /portForward for one port (resolves once the WebSocket is open, paused). */
  dial(port: number): Promise<WsSocket>;
}

function one(h: SpdyHeaders, name: string): string {
  return h[name]?.[0] ?? '';
}

/** The kubelet's checks of a new stream (httpStreamReceived); undefined when it is acceptable. */
function streamProblem(h: SpdyHeaders): string | undefined {
  const port = one(h, 'port');
  if (!port) return '"port" header is required';
  if (!/^\d+$/.test(port) || Number(port) > 65535) return `unable to parse "${port}" as a port`;
  if (Number(port) < 1) return `port "${port}" must be > 0`;
  const type = one(h, 'streamtype');
  if (!type) return '"streamType" header is required';
  if (type !== 'error' && type !== 'data') return `invalid stream type "${type}"`;
  return undefined;
}

export function serveSpdyPortForward(
  socket: Duplex,
  head: Buffer | undefined,
  target: PortForwardTarget,
  log: Logger,
): void {
  const pairs = new Map<string, Pair>();
  const byStream = new Map<number, Pair>();

  const printError = (p: Pair, message: string) => {
    if (p.errorId !== undefined) conn.write(p.errorId, Buffer.from(message));
  };

  const finish = (p: Pair) => {
    if (p.done) return;
    p.done = true;
    clearTimeout(p.timer);
    pairs.delete(p.requestId);
    for (const id of [p.dataId, p.errorId]) {
      if (id === undefined) continue;
      byStream.delete(id);
      if (!conn.closed) conn.finish(id);
    }
    if (p.backend && p.backend.readyState === WebSocket.OPEN) p.backend.close(1000);
    else p.backend?.terminate();
  };

  const forward = async (p: Pair) => {
    clearTimeout(p.timer);
    let backend: WsSocket;
    try {
      backend = await target.dial(p.port!);
    } catch (e) {
      printError(p, `error forwarding port ${p.port} to pod ${target.podName}: ${(e as Error).message}`);
      finish(p);
      return;
    }
    if (p.done || conn.closed) {
      backend.terminate();
      return;
    }
    p.backend = backend;
    let draining = false;
    backend.on('message', (raw, isBinary) => {
      const data = messageBytes(raw);
      if (!isBinary || data.length === 0) return;
      if (data[0] === DATA && data.length > 1 && p.dataId !== undefined) {
        if (!conn.write(p.dataId, data.subarray(1)) && !draining) {
          draining = true;
          backend.pause();
          conn.onDrain(() => {
            draining = false;
            backend.resume();
          });
        }
      } else if (data[0] === ERROR) printError(p, data.subarray(1).toString('utf8'));
    });
    backend.on('close', () => finish(p));
    backend.on('error', () => finish(p));
    backend.resume();
    for (const frame of p.early.splice(0)) toBackend(p, frame[0]!, frame.subarray(1));
    conn.resume();
  };

  const toBackend = (p: Pair, channel: number, data: Buffer) => {
    const b = p.backend;
    if (!b) {
      // kubectl writes as soon as both streams exist; the kubelet's socket opens a round trip later.
      p.early.push(Buffer.concat([Buffer.of(channel), data]));
      if (p.early.reduce((n, f) => n + f.length, 0) >= HIGH_WATER) conn.pause();
      return;
    }
    if (b.readyState !== WebSocket.OPEN) return;
    b.send(Buffer.concat([Buffer.of(channel), data]), { binary: true }, () => {
      if (b.bufferedAmount < HIGH_WATER) conn.resume();
    });
    if (b.bufferedAmount >= HIGH_WATER) conn.pause();
  };

  const conn = new SpdyServerConnection(socket, {
    onStream(id, headers) {
      const problem = streamProblem(headers);
      if (problem) {
        log.debug({ problem }, 'port-forward stream refused');
        conn.reset(id, RST.PROTOCOL_ERROR);
        return;
      }
      conn.reply(id);
      const type = one(headers, 'streamtype') as 'error' | 'data';
      // Old clients send no requestID: the kubelet pairs consecutive streams (error n, data n + 2).
      const requestId = one(headers, 'requestid') || String(type === 'error' ? id : id - 2);
      let p = pairs.get(requestId);
      if (!p) {
        p = { requestId, early: [] };
        const created = p;
        pairs.set(requestId, p);
        p.timer = setTimeout(() => {
          printError(created, `(conn=${requestId}, request=${requestId}) timed out waiting for streams`);
          finish(created);
        }, STREAM_CREATION_TIMEOUT_MS);
        p.timer.unref();
      }
      const slot = type === 'error' ? 'errorId' : 'dataId';
      if (p[slot] !== undefined) {
        printError(p, `error processing stream for request ${requestId}: ${type} stream already assigned`);
        conn.reset(id, RST.PROTOCOL_ERROR);
        return;
      }
      p[slot] = id;
      p.port = Number(one(headers, 'port'));
      byStream.set(id, p);
      if (p.errorId !== undefined && p.dataId !== undefined) void forward(p);
    },
    onData(id, data) {
      const p = byStream.get(id);
      if (p && id === p.dataId) toBackend(p, DATA, data);
    },
    onEnd(id) {
      // The client's end of a data stream: the pod sees its write side shut, and may still answer.
      const p = byStream.get(id);
      if (p && id === p.dataId) toBackend(p, CLOSE, Buffer.alloc(0));
    },
    onClose(reason) {
      for (const p of [...pairs.values()]) finish(p);
      if (!conn.closed) conn.goAway();
      if (reason.startsWith('SPDY protocol error')) log.warn({ why: reason }, 'port-forward over SPDY ended');
    },
  });
  conn.start(head);
}
