// /portForward/{ns}/{pod}?port=N over WebSocket: one forwarded connection per socket, to the pod's
// localhost:N — what upstream's runtime dials inside the pod's network namespace, and for the
// process runtime's pods, which share the node's, the node's loopback. This leg is mkube's own
// (`portforward.mkube.io`): the apiserver speaks kubectl's protocols (SPDY portforward.k8s.io)
// and opens one of these per pair of streams. Binary frames, byte 0 the channel: 0 data both ways,
// 255 from the apiserver for the client's end of data (the TCP write side is shut), 1 from the
// kubelet with an error text; the kubelet closes the socket when the connection is over.
import { connect, type Socket } from 'node:net';
import type { ExecSocket } from './exec.js';

export const PORT_FORWARD_PROTOCOL = 'portforward.mkube.io';
const DATA = 0;
const ERROR = 1;
const CLOSE = 255;
const HIGH_WATER = 1 << 20;

interface PortForwardSocket extends ExecSocket {
  readonly bufferedAmount: number;
  pause(): void;
  resume(): void;
}

export function parsePort(raw: unknown): number | undefined {
  const s = Array.isArray(raw) ? raw[0] : raw;
  if (typeof s !== 'string' || !/^\d{1,5}$/.test(s)) return undefined;
  const n = Number(s);
  return n >= 1 && n <= 65535 ? n : undefined;
}

export function runPortForward(ws: PortForwardSocket, podName: string, uid: string, port: number): void {
  const send = (channel: number, data: Buffer) => {
    if (ws.readyState !== ws.OPEN) return;
    ws.send(Buffer.concat([Buffer.of(channel), data]));
  };
  let tcp: Socket | undefined;
  let failed = false;
  const conn = connect({ host: '127.0.0.1', port });
  conn.on('connect', () => {
    tcp = conn;
  });
  conn.on('data', (d: Buffer) => {
    send(DATA, d);
    if (ws.bufferedAmount >= HIGH_WATER) {
      conn.pause();
      const wait = setInterval(() => {
        if (ws.bufferedAmount < HIGH_WATER || ws.readyState !== ws.OPEN) {
          clearInterval(wait);
          conn.resume();
        }
      }, 10);
    }
  });
  conn.on('error', (e: NodeJS.ErrnoException) => {
    failed = true;
    // Upstream's words: forwarder error wrapped by the kubelet's stream handler.
    const why = tcp
      ? e.message
      : `failed to connect to localhost:${port} inside namespace "${podName}": dial tcp 127.0.0.1:${port}: connect: ${e.code === 'ECONNREFUSED' ? 'connection refused' : e.message}`;
    send(ERROR, Buffer.from(`error forwarding port ${port} to pod ${podName}, uid ${uid}: ${why}`));
    if (ws.readyState === ws.OPEN) ws.close(1000);
  });
  conn.on('close', () => {
    // A socket paused for a drain that will not come would not read the apiserver's close reply.
    ws.resume();
    if (!failed && ws.readyState === ws.OPEN) ws.close(1000);
  });
  ws.on('message', (raw: Buffer, isBinary: boolean) => {
    if (!isBinary || raw.length === 0) return;
    if (raw[0] === DATA) {
      // Bytes the client sent before the dial failed are dropped: write() on a destroyed socket
      // returns false, and waiting for its drain would stall the close.
      if (conn.destroyed) return;
      if (!conn.write(raw.subarray(1))) {
        ws.pause();
        conn.once('drain', () => ws.resume());
      }
    } else if (raw[0] === CLOSE) conn.end();
  });
  ws.on('close', () => conn.destroy());
}
