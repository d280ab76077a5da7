// The `ws` package (installed with @fastify/websocket, no type package): loaded through require and
// typed by the little of it this module uses.
import type { ClientRequest, IncomingMessage } from 'node:http';
import { createRequire } from 'node:module';
import type { Duplex } from 'node:stream';
import type { SecureContextOptions } from 'node:tls';

export interface WsSocket {
  readonly readyState: number;
  readonly protocol: string;
  readonly bufferedAmount: number;
  send(data: Buffer | ArrayBuffer | Buffer[] | string, opts?: { binary?: boolean }, cb?: (err?: Error) => void): void;
  close(code?: number, reason?: string | Buffer): void;
  terminate(): void;
  ping(data?: Buffer): void;
  pause(): void;
  resume(): void;
  on(event: 'open', l: () => void): this;
  on(event: 'error', l: (err: Error) => void): this;
  on(event: 'close', l: (code: number, reason: Buffer) => void): this;
  on(event: 'message', l: (data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean) => void): this;
  on(event: 'unexpected-response', l: (req: ClientRequest, res: IncomingMessage) => void): this;
  on(event: string, l: (...args: never[]) => void): this;
  once(event: 'open', l: () => void): this;
  once(event: 'error', l: (err: Error) => void): this;
  once(event: 'unexpected-response', l: (req: ClientRequest, res: IncomingMessage) => void): this;
  off(event: string, l: (...args: never[]) => void): this;
  removeAllListeners(event?: string): this;
}

export interface WsClientOptions extends SecureContextOptions {
  rejectUnauthorized?: boolean;
  handshakeTimeout?: number;
  perMessageDeflate?: boolean;
  followRedirects?: boolean;
  headers?: Record<string, string>;
}

export interface WsModule {
  new (url: string, protocols: string[], opts: WsClientOptions): WsSocket;
  readonly OPEN: number;
  readonly CONNECTING: number;
  /** A Duplex over a socket's binary messages (each write one message). */
  createWebSocketStream(ws: WsSocket): Duplex;
}

const require = createRequire(import.meta.url);
export const WebSocket = require('ws') as WsModule;

/** A message's bytes without a copy when ws hands out a Buffer (its default binaryType). */
export function messageBytes(raw: Buffer | ArrayBuffer | Buffer[]): Buffer {
  if (Buffer.isBuffer(raw)) return raw;
  return Array.isArray(raw) ? Buffer.concat(raw) : Buffer.from(raw);
}
