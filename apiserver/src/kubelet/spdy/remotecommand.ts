// kubectl's exec over SPDY (what kubectl 1.27–1.29 speak, and 1.30+ fall back to), translated to the
// kubelet's WebSocket v5 — the reverse of kube-apiserver's StreamTranslator, which takes v5 from
// kubectl and speaks SPDY to real kubelets. The stream rules are the kubelet's
// (cri/streaming/remotecommand/httpstream.go): the client opens an error stream, then stdin, stdout,
// stderr (not with a TTY) and, from v3 with a TTY, resize, each with a `streamType` header; the
// session starts once all the expected streams are there, or ends after 30 s.
import type { Duplex } from 'node:stream';
import type { Logger } from '@mkube/shared/log';
import { messageBytes, WebSocket, type WsSocket } from '../ws.js';
import { SpdyServerConnection } from './connection.js';

/** What the kubelet negotiates over SPDY, newest first (remotecommand.SupportedStreamingProtocols). */
export const SPDY_STREAM_PROTOCOLS = [
  'v4.channel.k8s.io',
  'v3.channel.k8s.io',
  'v2.channel.k8s.io',
  'channel.k8s.io',
] as const;
export type SpdyStreamProtocol = (typeof SPDY_STREAM_PROTOCOLS)[number];

export interface RemoteCommandOptions {
  readonly protocol: SpdyStreamProtocol;
  readonly stdin: boolean;
  readonly stdout: boolean;
  readonly stderr: boolean;
  readonly tty: boolean;
}

const STREAM_CREATION_TIMEOUT_MS = 30_000;
const HIGH_WATER = 1 << 20;
// WebSocket v5 channels (k8s.io/apimachinery/pkg/util/remotecommand).
const CH = { stdin: 0, stdout: 1, stderr: 2, error: 3, resize: 4, close: 255 } as const;
type StreamType = 'error' | 'stdin' | 'stdout' | 'stderr' | 'resize';

/** The streams the kubelet waits for: error, plus what was asked for (NewOptions drops stderr with a TTY). */
export function expectedStreams(o: RemoteCommandOptions): StreamType[] {
  const out: StreamType[] = ['error'];
  if (o.stdin) out.push('stdin');
  if (o.stdout) out.push('stdout');
  if (o.stderr && !o.tty) out.push('stderr');
  if (o.tty && (o.protocol === 'v4.channel.k8s.io' || o.protocol === 'v3.channel.k8s.io')) out.push('resize');
  return out;
}

/**
 * The status the kubelet sent on the error channel (a v1 Status, JSON), as the negotiated protocol
 * writes it: v4 passes the Status on; v1–v3 carry only the message of a failure (v1WriteStatusFunc).
 */
function statusFor(protocol: SpdyStreamProtocol, json: Buffer): Buffer | undefined {
  if (protocol === 'v4.channel.k8s.io') return json;
  try {
    const s = JSON.parse(json.toString('utf8')) as { status?: string; message?: string };
    if (s.status === 'Success') return undefined;
    return Buffer.from(s.message ?? 'error executing command');
  } catch {
    return json;
  }
}

/** Runs one exec session: `client` speaks SPDY (already upgraded), `backend` the kubelet's v5 (paused). */
export function serveSpdyRemoteCommand(
  socket: Duplex,
  head: Buffer | undefined,
  backend: WsSocket,
  opts: RemoteCommandOptions,
  log: Logger,
): void {
  const expected = expectedStreams(opts);
  const ids = new Map<StreamType, number>();
  const writable = new Set<number>();
  let started = false;
  let resizeText = '';
  let timer: NodeJS.Timeout | undefined;
  let draining = false;

  const toBackend = (channel: number, data: Buffer): void => {
    if (backend.readyState !== WebSocket.OPEN) return;
    backend.send(Buffer.concat([Buffer.of(channel), data]), { binary: true }, () => {
      if (backend.bufferedAmount < HIGH_WATER) conn.resume();
    });
    if (backend.bufferedAmount >= HIGH_WATER) conn.pause();
  };

  const finishAll = (): void => {
    for (const id of writable) conn.finish(id);
    writable.clear();
  };

  let ended = false;
  const end = (why: string): void => {
    if (ended) return;
    ended = true;
    clearTimeout(timer);
    if (backend.readyState === WebSocket.OPEN) backend.close(1000);
    else backend.terminate();
    if (!conn.closed) {
      finishAll();
      conn.goAway();
    }
    if (why.startsWith('SPDY protocol error')) log.warn({ why }, 'exec over SPDY ended');
    else log.debug({ why }, 'exec over SPDY ended');
  };

  const conn = new SpdyServerConnection(socket, {
    onStream(id, headers, fin) {
      conn.reply(id);
      const type = headers.streamtype?.[0] as StreamType | undefined;
      if (!type || !expected.includes(type) || ids.has(type)) {
        log.debug({ streamType: type ?? '' }, 'unexpected SPDY stream type');
        return;
      }
      ids.set(type, id);
      if (type === 'stdout' || type === 'stderr' || type === 'error') writable.add(id);
      if (type === 'stdin' && fin) toBackend(CH.close, Buffer.of(CH.stdin));
      if (ids.size === expected.length && !started) {
        started = true;
        clearTimeout(timer);
        backend.resume();
      }
    },
    onData(id, data) {
      if (id === ids.get('stdin')) toBackend(CH.stdin, data);
      else if (id === ids.get('resize')) {
        // A stream of JSON TerminalSize objects, one per line (Go's json.Encoder).
        resizeText += data.toString('utf8');
        if (resizeText.length > 64 * 1024) resizeText = '';
        let nl = resizeText.indexOf('\n');
        while (nl >= 0) {
          const line = resizeText.slice(0, nl).trim();
          resizeText = resizeText.slice(nl + 1);
          if (line) toBackend(CH.resize, Buffer.from(line));
          nl = resizeText.indexOf('\n');
        }
      }
    },
    onEnd(id) {
      // kubectl closes its side of stdin at EOF: v5 says so with a CLOSE frame for channel 0.
      if (id === ids.get('stdin')) toBackend(CH.close, Buffer.of(CH.stdin));
    },
    onClose(reason) {
      end(reason);
    },
  });

  const streamFor = (channel: number): number | undefined =>
    channel === CH.stdout
      ? ids.get('stdout')
      : channel === CH.stderr
        ? ids.get('stderr')
        : channel === CH.error
          ? ids.get('error')
          : undefined;

  backend.on('message', (raw, isBinary) => {
    const data = messageBytes(raw);
    if (!isBinary || data.length === 0) return;
    const channel = data[0]!;
    const payload = data.subarray(1);
    if (channel === CH.close) {
      const id = payload.length > 0 ? streamFor(payload[0]!) : undefined;
      if (id !== undefined && writable.delete(id)) conn.finish(id);
      return;
    }
    if (channel !== CH.stdout && channel !== CH.stderr && channel !== CH.error) return;
    const id = streamFor(channel);
    // The kubelet's first, empty message only says it is ready.
    if (id === undefined || payload.length === 0 || !writable.has(id)) return;
    const out = channel === CH.error ? statusFor(opts.protocol, payload) : payload;
    if (out && !conn.write(id, out) && !draining) {
      // ws may still hand out a message or two it had read: one drain wait is enough for them all.
      draining = true;
      backend.pause();
      conn.onDrain(() => {
        draining = false;
        backend.resume();
      });
    }
  });
  backend.on('close', () => end('the kubelet closed the stream'));
  backend.on('error', (e) => end(`kubelet stream error: ${e.message}`));
  timer = setTimeout(() => end('timed out waiting for client to create streams'), STREAM_CREATION_TIMEOUT_MS);
  timer.unref();
  conn.start(head);
}
