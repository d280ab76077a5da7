// pods/exec (and attach) over WebSocket or SPDY: the kubelet's WebSocket is dialled before the
// client's upgrade is accepted, so a failed dial or a refused kubelet handshake is an ordinary error
// answer and never an open tunnel (CVE-2018-1002105); then WebSocket frames are relayed both ways
// unchanged, and SPDY streams are translated (spdy/remotecommand.ts).
import type { IncomingMessage } from 'node:http';
import { newBadRequest, type Status, StatusError } from '@mkube/shared/apierrors';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { RequestInfo } from '../request/requestinfo.js';
import { UpgradeRefused } from './client.js';
import type { KubeletProxyDeps } from './deps.js';
import { BackendError, dialErrorText, kubeletResponseError } from './errors.js';
import { SPDY_STREAM_PROTOCOLS, serveSpdyRemoteCommand } from './spdy/remotecommand.js';
import { containerEndpoint, type PodTarget } from './target.js';
import { acceptSpdy, isSpdyUpgrade, isWebSocketUpgrade, negotiateStreamProtocol, sendError } from './upgrade.js';
import { WebSocket, type WsSocket } from './ws.js';

export const STREAM_SUBRESOURCES = new Set(['exec', 'attach']);

/** Go's strconv.ParseBool truths. */
function parseBool(v: string | null): boolean {
  return v !== null && ['1', 't', 'T', 'true', 'TRUE', 'True'].includes(v);
}

/** The kubelet's query (streamParams), keys sorted as url.Values.Encode. */
export function streamQuery(subresource: string, query: URLSearchParams): string {
  const out: [string, string][] = [];
  if (subresource === 'exec') for (const c of query.getAll('command')) out.push(['command', c]);
  if (parseBool(query.get('stderr'))) out.push(['error', '1']);
  if (parseBool(query.get('stdin'))) out.push(['input', '1']);
  if (parseBool(query.get('stdout'))) out.push(['output', '1']);
  if (parseBool(query.get('tty'))) out.push(['tty', '1']);
  return new URLSearchParams(out).toString();
}

async function resolve(deps: KubeletProxyDeps, info: RequestInfo, query: URLSearchParams) {
  return containerEndpoint(
    deps.registries,
    deps.config.preferredAddressTypes,
    info,
    query.get('container') ?? '',
    info.subresource,
    streamQuery(info.subresource, query),
  );
}

function dialError(e: unknown, t: PodTarget): BackendError {
  return new BackendError(`error dialing backend: ${dialErrorText(e, t.location.host, t.location.port)}`);
}

/** A refused kubelet handshake: its Status when it sent one, else the generic response error. */
function refusedError(e: UpgradeRefused, info: RequestInfo): StatusError {
  try {
    const s = JSON.parse(e.body) as Partial<Status>;
    if (s.kind === 'Status') return StatusError.fromStatus(s, e.statusCode);
  } catch {
    // not JSON
  }
  return kubeletResponseError(e.statusCode, e.body, `pods/${info.subresource}`, info.name);
}

/** Kubelet sockets dialled for an upgrade not yet accepted, by the client's request. */
const pending = new WeakMap<IncomingMessage, WsSocket>();

function offeredProtocols(request: FastifyRequest): string[] {
  const h = request.headers['sec-websocket-protocol'];
  const list = (Array.isArray(h) ? h.join(',') : (h ?? ''))
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p);
  return list.length > 0 ? list : ['v5.channel.k8s.io'];
}

/**
 * preHandler of an upgrade request to pods/exec|attach: dials the kubelet; on failure answers with
 * the error (no upgrade). A SPDY upgrade (kubectl before 1.30, or its fallback) is taken over here;
 * a POST without one only probes the kubelet.
 */
export async function prepareStream(
  deps: KubeletProxyDeps,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<FastifyReply | undefined> {
  const info = request.mkube!.info;
  const query = new URLSearchParams(request.url.split('?')[1] ?? '');
  let resolved: Awaited<ReturnType<typeof resolve>>;
  try {
    resolved = await resolve(deps, info, query);
  } catch (e) {
    return sendError(reply, e);
  }
  const { target, path } = resolved;
  if (request.ws && request.method === 'POST' && isSpdyUpgrade(request)) {
    return upgradeSpdy(deps, request, reply, resolved, query);
  }
  if (request.method !== 'GET' || !isWebSocketUpgrade(request)) {
    try {
      await deps.client.probe(target.location);
    } catch (e) {
      return sendError(reply, dialError(e, target));
    }
    return sendError(reply, newBadRequest('Upgrade request required'));
  }
  try {
    const backend = await deps.client.dialWebSocket(target.location, path, offeredProtocols(request));
    pending.set(request.raw, backend);
    // The client's handshake may still fail (bad headers): the kubelet's socket must not outlive it.
    request.raw.socket.once('close', () => {
      if (pending.get(request.raw) === backend) {
        pending.delete(request.raw);
        backend.terminate();
      }
    });
    return undefined;
  } catch (e) {
    const err = e instanceof UpgradeRefused ? refusedError(e, info) : dialError(e, target);
    if (err.code >= 500) deps.log.warn({ err: err.message, path: info.path }, 'kubelet stream dial failed');
    return sendError(reply, err);
  }
}

/**
 * exec over SPDY: the kubelet's WebSocket is dialled first (a failure is an ordinary error answer),
 * then the client's connection is taken over, answered 101 and translated (spdy/remotecommand.ts).
 */
async function upgradeSpdy(
  deps: KubeletProxyDeps,
  request: FastifyRequest,
  reply: FastifyReply,
  { target, path }: { target: PodTarget; path: string },
  query: URLSearchParams,
): Promise<FastifyReply> {
  const protocol = negotiateStreamProtocol(request, SPDY_STREAM_PROTOCOLS);
  if (protocol instanceof StatusError) return sendError(reply, protocol);
  const opts = {
    protocol,
    stdin: parseBool(query.get('stdin')),
    stdout: parseBool(query.get('stdout')),
    stderr: parseBool(query.get('stderr')),
    tty: parseBool(query.get('tty')),
  };
  if (!opts.stdin && !opts.stdout && !opts.stderr) {
    return sendError(reply, newBadRequest('you must specify at least 1 of stdin, stdout, stderr'));
  }
  let backend: WsSocket;
  try {
    backend = await deps.client.dialWebSocket(target.location, path, ['v5.channel.k8s.io']);
  } catch (e) {
    const err = e instanceof UpgradeRefused ? refusedError(e, request.mkube!.info) : dialError(e, target);
    if (err.code >= 500)
      deps.log.warn({ err: err.message, path: request.mkube!.info.path }, 'kubelet stream dial failed');
    return sendError(reply, err);
  }
  const accepted = acceptSpdy(request, reply, protocol);
  if (!accepted) backend.terminate();
  else serveSpdyRemoteCommand(accepted.socket, accepted.head, backend, opts, deps.log);
  return reply;
}

/** WebSocket close codes a peer may send (ws rejects the reserved ones). */
function sendableCode(code: number): number | undefined {
  if (code >= 3000 && code <= 4999) return code;
  if (code >= 1000 && code <= 1014 && code !== 1004 && code !== 1005 && code !== 1006) return code;
  return undefined;
}

const HIGH_WATER = 1 << 20;

function relay(from: WsSocket, to: WsSocket): void {
  from.on('message', (data, isBinary) => {
    if (to.readyState !== WebSocket.OPEN) return;
    to.send(data as Buffer, { binary: isBinary }, () => {
      if (to.bufferedAmount < HIGH_WATER) from.resume();
    });
    if (to.bufferedAmount >= HIGH_WATER) from.pause();
  });
  from.on('close', (code, reason) => {
    if (to.readyState === WebSocket.OPEN) {
      const c = sendableCode(code);
      if (c === undefined) to.close();
      else to.close(c, reason);
    } else if (to.readyState === WebSocket.CONNECTING) {
      to.terminate();
    }
  });
  from.on('error', () => to.terminate());
}

/** The accepted client socket: relayed to the kubelet socket prepareStream dialled. */
export function serveStream(client: WsSocket, request: FastifyRequest): void {
  const backend = pending.get(request.raw);
  pending.delete(request.raw);
  if (!backend) {
    client.close(1011, 'no backend');
    return;
  }
  relay(client, backend);
  relay(backend, client);
  backend.resume();
}
