// What the streaming subresources (exec, attach, portforward) share about a client's upgrade
// request: recognising kubectl's SPDY upgrade, negotiating X-Stream-Protocol-Version as the
// kubelet's httpstream.Handshake does, answering 101 on the connection taken over, and errors as
// Status objects before any upgrade.

import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { newBadRequest, StatusError, toStatusError } from '@mkube/shared/apierrors';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { noteSwitchingProtocols } from '../audit/index.js';

export function sendError(reply: FastifyReply, e: unknown): FastifyReply {
  const err = toStatusError(e);
  return reply.code(err.code).header('content-type', 'application/json').send(JSON.stringify(err.toStatus()));
}

export function isWebSocketUpgrade(request: FastifyRequest): boolean {
  return String(request.headers.upgrade ?? '').toLowerCase() === 'websocket';
}

/** kubectl's SPDY upgrade (httpstream/spdy's ResponseUpgrader checks the same two headers). */
export function isSpdyUpgrade(request: FastifyRequest): boolean {
  const connection = String(request.headers.connection ?? '').toLowerCase();
  const upgrade = String(request.headers.upgrade ?? '').toLowerCase();
  return connection.includes('upgrade') && upgrade.includes('spdy/3.1');
}

/** httpstream.Handshake: the first protocol the client lists that the server speaks. */
export function negotiateStreamProtocol<P extends string>(
  request: FastifyRequest,
  supported: readonly P[],
): P | StatusError {
  const h = request.headers['x-stream-protocol-version'];
  const client = (Array.isArray(h) ? h.join(',') : (h ?? ''))
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p);
  if (client.length === 0) return newBadRequest('unable to upgrade: X-Stream-Protocol-Version is required');
  const chosen = client.find((p): p is P => (supported as readonly string[]).includes(p));
  if (chosen) return chosen;
  return new StatusError(
    'Forbidden',
    `unable to upgrade: unable to negotiate protocol: client supports [${client.join(' ')}], server accepts [${supported.join(' ')}]`,
  );
}

/** Bytes that arrived with the upgrade request, which @fastify/websocket keeps on the raw request. */
function upgradeHead(raw: IncomingMessage): Buffer | undefined {
  const key = Object.getOwnPropertySymbols(raw).find((s) => s.description === 'ws-head');
  const head = key ? (raw as unknown as Record<symbol, unknown>)[key] : undefined;
  return Buffer.isBuffer(head) ? head : undefined;
}

/**
 * Takes the client's connection over and answers 101 SPDY/3.1 with the negotiated protocol; the
 * connection and any bytes that came with the request, or undefined when the client has gone.
 */
export function acceptSpdy(
  request: FastifyRequest,
  reply: FastifyReply,
  protocol: string,
): { socket: Duplex; head: Buffer | undefined } | undefined {
  const socket = request.raw.socket;
  reply.hijack();
  if (socket.destroyed) return undefined;
  socket.setTimeout(0);
  noteSwitchingProtocols(request.raw);
  socket.write(
    'HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\n' +
      `X-Stream-Protocol-Version: ${protocol}\r\nDate: ${new Date().toUTCString()}\r\n\r\n`,
  );
  return { socket, head: upgradeHead(request.raw) };
}
