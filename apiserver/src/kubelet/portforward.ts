// pods/portforward: kubectl's SPDY upgrade (portforward.k8s.io) is taken over here once the pod's
// kubelet answers a dial, and each forwarded connection becomes a WebSocket to the kubelet's
// /portForward (spdy/portforward.ts). Anything else is refused before any upgrade, so kubectl 1.31+
// falls back from its WebSocket tunnel to SPDY as it does against a server without the tunnel.
import { newBadRequest, StatusError } from '@mkube/shared/apierrors';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { KubeletProxyDeps } from './deps.js';
import { BackendError, dialErrorText } from './errors.js';
import { KUBELET_PORT_FORWARD_PROTOCOL, PORT_FORWARD_PROTOCOLS, serveSpdyPortForward } from './spdy/portforward.js';
import { podLocation } from './target.js';
import { acceptSpdy, isSpdyUpgrade, negotiateStreamProtocol, sendError } from './upgrade.js';

export async function preparePortForward(
  deps: KubeletProxyDeps,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<FastifyReply> {
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
  if (!(request.ws && request.method === 'POST' && isSpdyUpgrade(request))) {
    return sendError(reply, newBadRequest('Upgrade request required'));
  }
  const protocol = negotiateStreamProtocol(request, PORT_FORWARD_PROTOCOLS);
  if (protocol instanceof StatusError) return sendError(reply, protocol);
  const accepted = acceptSpdy(request, reply, protocol);
  if (!accepted) return reply;
  const enc = encodeURIComponent;
  const base = `/portForward/${enc(info.namespace)}/${enc(info.name)}`;
  deps.log.debug({ pod: `${info.namespace}/${info.name}` }, 'port-forward over SPDY');
  serveSpdyPortForward(
    accepted.socket,
    accepted.head,
    {
      podName: info.name,
      dial: (port) => deps.client.dialWebSocket(location, `${base}?port=${port}`, [KUBELET_PORT_FORWARD_PROTOCOL]),
    },
    deps.log,
  );
  return reply;
}
