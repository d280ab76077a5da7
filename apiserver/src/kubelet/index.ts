// The apiserver → kubelet path: pods/log, pods/exec (WebSocket), nodes/proxy.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { RequestInfo } from '../request/requestinfo.js';
import type { ResourceRequestContext } from '../server/context.js';
import { admitConnect } from './connect.js';
import type { KubeletProxyDeps } from './deps.js';
import { prepareStream, STREAM_SUBRESOURCES, serveStream } from './exec.js';
import { serveLogs } from './logs.js';
import { preparePortForward, servePortForwardTunnel } from './portforward.js';
import { serveNodeProxy } from './proxy.js';
import { sendError } from './upgrade.js';
import type { WsSocket } from './ws.js';

export { KubeletClient } from './client.js';
export type { KubeletProxyDeps } from './deps.js';

export interface KubeletProxy {
  /** Whether the request is one this module serves (pods/log, pods/exec|attach, nodes/proxy). */
  handles(info: RequestInfo): boolean;
  serveHTTP(c: ResourceRequestContext): Promise<void>;
  /** Route preHandler: dials the kubelet for stream upgrades (answers with the error when that fails). */
  preHandler(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined>;
  /** Whether an accepted WebSocket belongs to serveUpgrade. */
  handlesUpgrade(info: RequestInfo): boolean;
  serveUpgrade(socket: unknown, request: FastifyRequest): void;
}

function isCore(info: RequestInfo): boolean {
  return info.isResourceRequest && info.apiGroup === '' && info.apiVersion === 'v1';
}

function isStream(info: RequestInfo): boolean {
  return isCore(info) && info.resource === 'pods' && STREAM_SUBRESOURCES.has(info.subresource) && !!info.name;
}

function isPortForward(info: RequestInfo): boolean {
  return isCore(info) && info.resource === 'pods' && info.subresource === 'portforward' && !!info.name;
}

export function createKubeletProxy(deps: KubeletProxyDeps): KubeletProxy {
  const handles = (info: RequestInfo) =>
    isCore(info) &&
    !!info.name &&
    ((info.resource === 'pods' &&
      (info.subresource === 'log' ||
        info.subresource === 'portforward' ||
        STREAM_SUBRESOURCES.has(info.subresource))) ||
      (info.resource === 'nodes' && info.subresource === 'proxy'));
  return {
    handles,
    async serveHTTP(c) {
      if (c.info.subresource === 'log') return serveLogs(deps, c);
      try {
        await admitConnect(deps.admission, c.request, c.reply, c.info, c.user);
      } catch (e) {
        sendError(c.reply, e);
        return;
      }
      if (c.info.resource === 'nodes') return serveNodeProxy(deps, c);
      if (c.info.subresource === 'portforward') {
        await preparePortForward(deps, c.request, c.reply);
        return;
      }
      // A stream request that is no upgrade (plain GET/POST): the kubelet probe decides the answer.
      await prepareStream(deps, c.request, c.reply);
    },
    async preHandler(request, reply) {
      const info = request.mkube?.info;
      if (!info || !request.ws || !(isPortForward(info) || isStream(info))) return undefined;
      try {
        await admitConnect(deps.admission, request, reply, info, request.mkube!.user);
      } catch (e) {
        return sendError(reply, e);
      }
      if (isPortForward(info)) return preparePortForward(deps, request, reply);
      // The WebSocket GET dials; kubectl's SPDY POST is dialled and taken over here; any other
      // upgrade is answered here, before the WebSocket plugin would refuse it in its own words.
      return prepareStream(deps, request, reply);
    },
    handlesUpgrade: (info) => isStream(info) || isPortForward(info),
    serveUpgrade(socket, request) {
      if (request.mkube?.info && isPortForward(request.mkube.info)) {
        servePortForwardTunnel(socket as WsSocket, request, deps.log);
      } else serveStream(socket as WsSocket, request);
    },
  };
}
