// pods/portforward: kubectl's SPDY upgrade (portforward.k8s.io), or from kubectl 1.31 the same SPDY
// carried in a WebSocket's binary messages (subprotocol `SPDY/3.1+portforward.k8s.io`, what
// kube-apiserver's tunneling handler accepts), is served here once the pod's kubelet answers a dial;
// each forwarded connection becomes a WebSocket to the kubelet's /portForward (spdy/portforward.ts).
// Anything else is refused before any upgrade.
import type { EventEmitter } from 'node:events';
import type { IncomingMessage } from 'node:http';
import { newBadRequest, StatusError } from '@mkube/shared/apierrors';
import type { Logger } from '@mkube/shared/log';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { KubeletProxyDeps } from './deps.js';
import { BackendError, dialErrorText } from './errors.js';
import {
  KUBELET_PORT_FORWARD_PROTOCOL,
  PORT_FORWARD_PROTOCOLS,
  type PortForwardTarget,
  serveSpdyPortForward,
} from './spdy/portforward.js';
import { podLocation } from './target.js';
import { acceptSpdy, isSpdyUpgrade, isWebSocketUpgrade, negotiateStreamProtocol, sendError } from './upgrade.js';
import { WebSocket, type WsSocket } from './ws.js';

export async function preparePortForward(
  deps: KubeletProxyDeps,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<FastifyReply | undefined> {
  const info = request.mkube!.info;
  let found: Awaited<ReturnType<typeof podLocation>>;
  try {
    found = await podLocation(deps.registries, deps.config.preferredAddressTypes, info.namespace, info.name);
  } catch (e) {
    return sendError(reply, e);
  }
  const { location } = found;
  try {
    await deps.client.probe(location);
  } catch (e) {
    return sendError(
      reply,
      new BackendError(`error dialing backend: ${dialErrorText(e, location.host, location.port)}`),
    );
  }
  const enc = encodeURIComponent;
  const base = `/portForward/${enc(info.namespace)}/${enc(info.name)}`;
  const target: PortForwardTarget = {
    podName: info.name,
    dial: (port) => deps.client.dialWebSocket(location, `${base}?port=${port}`, [KUBELET_PORT_FORWARD_PROTOCOL]),
  };
  if (request.ws && request.method === 'GET' && isWebSocketUpgrade(request)) {
    const offered = String(request.headers['sec-websocket-protocol'] ?? '')
      .split(',')
      .map((p) => p.trim());
    if (!offered.includes(TUNNEL_PROTOCOL)) {
      return sendError(
        reply,
        newBadRequest(`unable to upgrade: the WebSocket protocol must be ${TUNNEL_PROTOCOL} for port forwarding`),
      );
    }
    // "/" is no token character (RFC 7230), so ws refuses the header with a 400 where Go's
    // gorilla/websocket, which kube-apiserver uses, accepts it. The header is taken out before ws
    // reads it and the choice written into the 101 by the hook below.
    delete request.raw.headers['sec-websocket-protocol'];
    hookTunnelProtocol((request.server as unknown as { websocketServer: EventEmitter }).websocketServer);
    tunnels.set(request.raw, target);
    return undefined;
  }
  if (!(request.ws && request.method === 'POST' && isSpdyUpgrade(request))) {
    return sendError(reply, newBadRequest('Upgrade request required'));
  }
  const protocol = negotiateStreamProtocol(request, PORT_FORWARD_PROTOCOLS);
  if (protocol instanceof StatusError) return sendError(reply, protocol);
  const accepted = acceptSpdy(request, reply, protocol);
  if (!accepted) return reply;
  serveSpdyPortForward(accepted.socket, accepted.head, target, deps.log);
  return reply;
}

const TUNNEL_PROTOCOL = `SPDY/3.1+${PORT_FORWARD_PROTOCOLS[0]}`;
/** Targets of accepted tunnel upgrades, by the client's request, until the WebSocket opens. */
const tunnels = new WeakMap<IncomingMessage, PortForwardTarget>();

const hooked = new WeakSet<EventEmitter>();

function hookTunnelProtocol(wss: EventEmitter): void {
  if (hooked.has(wss)) return;
  hooked.add(wss);
  wss.on('headers', (headers: string[], req: IncomingMessage) => {
    if (tunnels.has(req)) headers.push(`Sec-WebSocket-Protocol: ${TUNNEL_PROTOCOL}`);
  });
}

/** The tunnel's WebSocket, open: its binary messages carry the SPDY connection both ways. */
export function servePortForwardTunnel(ws: WsSocket, request: FastifyRequest, log: Logger): void {
  const target = tunnels.get(request.raw);
  tunnels.delete(request.raw);
  if (!target) {
    ws.close(1011, 'no target');
    return;
  }
  serveSpdyPortForward(WebSocket.createWebSocketStream(ws), undefined, target, log);
}
