// The kubelet API on 10250 (facts §9): every request is authenticated (client certificate, bearer
// token through TokenReview, anonymous only when enabled) and authorized with a
// SubjectAccessReview on this Node's subresource for its path, before any route runs.

import { promises as fsp } from 'node:fs';
import { join, normalize, relative } from 'node:path';
import { PassThrough } from 'node:stream';
import fastifyWebsocket from '@fastify/websocket';
import { metaTime } from '@mkube/shared/api';
import {
  AuthenticationError,
  type Authenticator,
  type Authorizer,
  peerCertificatesOf,
  peerLeafOf,
  type UserInfo,
} from '@mkube/shared/auth';
import { execPluginMetricsText } from '@mkube/shared/client';
import {
  ANY_METHOD,
  DEBUG_FLAG_V_PATH,
  MAX_FLAG_BODY_BYTES,
  serveDebugFlagV,
  type Verbosity,
} from '@mkube/shared/debugflags';
import type { Logger } from '@mkube/shared/log';
import { PPROF_PATH, processProfiler } from '@mkube/shared/pprof';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest, LogController } from 'fastify';
import { streamLog } from '../runtime/logs.js';
import { execProbe } from '../runtime/prober.js';
import type { ProcessRuntime } from '../runtime/runtime.js';
import { renderCadvisorMetrics } from '../stats/cadvisormetrics.js';
import { cpuAndMemoryStats, pidOf } from '../stats/provider.js';
import { renderResourceMetrics } from '../stats/resourcemetrics.js';
import { kubeletAttributes, subresourcesFor } from './auth.js';
import { registerCheckpoint } from './checkpoint.js';
import { ALL_DEBUGGING_HANDLERS, type DebuggingHandlers } from './debugging.js';
import { EXEC_PROTOCOLS, execParams, failureStatus, runAttach, runExec } from './exec.js';
import { closeWhenIdle, DEFAULT_STREAMING_IDLE_TIMEOUT_MS } from './idle.js';
import type { KubeletListener } from './listener.js';
import { type MetricsSource, renderMetrics } from './metrics.js';
import { allowedMethods, HEALTHZ_CHECKS, kubeletMuxEntries, muxOwner, muxRedirect, type RouteRecord } from './mux.js';
import { PORT_FORWARD_PROTOCOL, parsePort, runPortForward } from './portforward.js';
import type { ProbeMetrics } from './probemetrics.js';

declare module 'fastify' {
  interface FastifyRequest {
    kubeletUser: UserInfo | null;
  }
}

export interface KubeletAppDeps {
  readonly nodeName: string;
  readonly listener: KubeletListener;
  readonly authenticator: Authenticator;
  readonly authorizer: Authorizer;
  readonly runtime: ProcessRuntime;
  readonly rootDir: string;
  readonly configz: () => unknown;
  readonly metrics: MetricsSource;
  readonly startTime: Date;
  /** The prober's registry, served on /metrics/probes. */
  readonly probeMetrics?: ProbeMetrics;
  /** streamingConnectionIdleTimeout: exec, attach and port-forward streams idle this long are closed (0: never). */
  readonly streamingConnectionIdleTimeoutMs?: number;
  /** enableDebuggingHandlers and the handlers under it; all on when absent, as upstream's defaults. */
  readonly debugging?: DebuggingHandlers;
  /** ContainerCheckpoint: /checkpoint/ installed (with the debugging handlers). */
  readonly containerCheckpoint?: boolean;
  /** The kubelet's verbosity, which /debug/flags/v sets (enableDebugFlagsHandler). */
  readonly verbosity?: Verbosity;
  readonly log: Logger;
}

type Q = Record<string, string | string[] | undefined>;
const one = (q: Q, k: string) => (Array.isArray(q[k]) ? (q[k] as string[])[0] : (q[k] as string | undefined));
const truthy = (v: string | undefined) => v === 'true' || v === '1';

function intParam(q: Q, k: string): number | undefined {
  const v = one(q, k);
  if (v === undefined || v === '') return undefined;
  if (!/^-?\d+$/.test(v))
    throw Object.assign(new Error(`${k}: invalid value ${JSON.stringify(v)}`), { statusCode: 400 });
  return Number(v);
}

/** Go's http.NotFound, as ServeMux answers a path no pattern owns. */
/** http.Redirect with 301: an HTML link for GET, a content type for GET and HEAD, nothing else otherwise. */
function goRedirect(reply: FastifyReply, method: string, location: string): FastifyReply {
  reply.code(301).header('location', location);
  if (method !== 'GET' && method !== 'HEAD') return reply.send();
  reply.type('text/html; charset=utf-8');
  if (method === 'HEAD') return reply.send();
  const href = location.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&#34;');
  return reply.send(`<a href="${href}">Moved Permanently</a>.\n\n`);
}

/** What Go's server answers for a request URI it cannot parse. */
function goBadRequest(reply: FastifyReply): FastifyReply {
  return reply.code(400).type('text/plain; charset=utf-8').send('400 Bad Request');
}

function goNotFound(reply: FastifyReply): FastifyReply {
  return reply
    .code(404)
    .header('x-content-type-options', 'nosniff')
    .type('text/plain; charset=utf-8')
    .send('404 page not found\n');
}

export async function buildKubeletApp(d: KubeletAppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    serverFactory: (handler) => {
      d.listener.https.on('request', handler);
      return d.listener.https;
    },
    loggerInstance: d.log.child({ component: 'server' }),
    logController: new LogController({ disableRequestLogging: true }),
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 2000 },
    // A go-restful GET route does not answer HEAD (405); the plain handlers list HEAD themselves.
    exposeHeadRoutes: false,
    // A request-target that does not parse never reaches Go's handlers: its server answers 400.
    frameworkErrors: (error, _request, reply) => {
      if (error.code === 'FST_ERR_BAD_URL') return goBadRequest(reply);
      return reply.send(error as never);
    },
  }) as unknown as FastifyInstance;
  app.decorateRequest('kubeletUser', null);
  const debugging = d.debugging ?? ALL_DEBUGGING_HANDLERS;
  const mux = kubeletMuxEntries(debugging, d.containerCheckpoint === true);
  const routes: RouteRecord[] = [];
  app.addHook('onRoute', (r) => {
    routes.push({ methods: [r.method].flat(), url: r.url });
  });

  app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    const q = request.url.indexOf('?');
    const rawPath = q < 0 ? request.url : request.url.slice(0, q);
    // URL.Path, as ServeMux, the filter and the routes see it (Go refuses what does not decode: 400).
    let path: string;
    try {
      path = decodeURIComponent(rawPath);
    } catch {
      return goBadRequest(reply);
    }
    // ServeMux's redirects come before any handler: to the cleaned path, or /tree to /tree/.
    const redirect = muxRedirect(mux, request.method, path, q < 0 ? '' : request.url.slice(q + 1));
    if (redirect !== undefined) return goRedirect(reply, request.method, redirect);
    // A path no pattern owns never reaches the Container's filters: Go's NotFound, unauthenticated.
    const owner = muxOwner(mux, path);
    if (!owner) return goNotFound(reply);
    let user: UserInfo | null;
    try {
      user = await d.authenticator.authenticate({
        method: request.method,
        path,
        headers: request.headers,
        peerCertificates: peerLeafOf(request.raw),
        peerChain: () => peerCertificatesOf(request.raw),
      });
    } catch (e) {
      if (!(e instanceof AuthenticationError)) request.log.warn({ err: (e as Error).message }, 'authentication failed');
      user = null;
    }
    if (!user) return reply.code(401).type('text/plain; charset=utf-8').send('Unauthorized');
    let last = kubeletAttributes(user, request.method, path, d.nodeName, 'proxy');
    // Every subresource asked, for the Forbidden text (the attributes differ by subresource only).
    const tried: string[] = [];
    try {
      for (const sub of subresourcesFor(path)) {
        last = kubeletAttributes(user, request.method, path, d.nodeName, sub);
        tried.push(sub);
        const r = await d.authorizer.authorize(last);
        if (r.decision === 'Allow') {
          request.kubeletUser = user;
          // A switched-off debugging handler (http.Error: its text and a newline).
          if (typeof owner.kind === 'object')
            return reply.code(405).type('text/plain; charset=utf-8').send(`${owner.kind.disabled}\n`);
          return;
        }
      }
    } catch (e) {
      request.log.error({ err: (e as Error).message }, 'authorization error');
      return reply
        .code(500)
        .type('text/plain; charset=utf-8')
        .send(
          `Authorization error (user=${user.username}, verb=${last.verb}, resource=${last.resource}, subresource=${last.subresource})`,
        );
    }
    // 1.32+'s text: every subresource tried, as Go prints a []string, and a newline.
    return reply
      .code(403)
      .type('text/plain; charset=utf-8')
      .send(
        `Forbidden (user=${user.username}, verb=${last.verb}, resource=${last.resource}, subresource(s)=[${tried.join(' ')}])\n`,
      );
  });

  // Authorized, and no route: what go-restful's router or ServeMux answers for the path's owner.
  app.setNotFoundHandler(async (request, reply) => {
    // Decodes: the onRequest hook has answered 400 for what does not.
    const path = decodeURIComponent(request.url.split('?')[0] ?? '/');
    if (muxOwner(mux, path)?.kind !== 'webservice') return goNotFound(reply);
    const allow = allowedMethods(routes, path);
    if (allow.length === 0) return reply.code(404).type('text/plain; charset=utf-8').send('404: Page Not Found');
    return reply
      .code(405)
      .header('allow', allow.join(', '))
      .type('text/plain; charset=utf-8')
      .send('405: Method Not Allowed');
  });

  app.setErrorHandler((err: Error & { statusCode?: number }, _request, reply) => {
    reply
      .code(err.statusCode && err.statusCode < 500 ? err.statusCode : 500)
      .type('text/plain; charset=utf-8')
      .send(err.message);
  });

  await app.register(fastifyWebsocket, {
    options: {
      handleProtocols: (offered: Set<string>) =>
        [...EXEC_PROTOCOLS, PORT_FORWARD_PROTOCOL].find((p) => offered.has(p)) ?? false,
    },
  });

  // /run's legacy form body (curl -d "cmd=…"), as go-restful's FormValue reads it.
  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string', bodyLimit: 1 << 20 },
    (_req, body, done) => done(null, Object.fromEntries(new URLSearchParams(String(body)))),
  );

  // Plain http.Handlers on upstream's ServeMux answer every method, whatever the body; registered
  // together below, in a scope that leaves bodies unread.
  const plainHandlers: [string, (req: FastifyRequest, reply: FastifyReply) => Promise<unknown>][] = [];
  const plain = (url: string, handler: (req: FastifyRequest, reply: FastifyReply) => Promise<unknown>) =>
    plainHandlers.push([url, handler]);
  const ok = async (_req: FastifyRequest, reply: FastifyReply) => reply.type('text/plain; charset=utf-8').send('ok');
  plain('/healthz', ok);
  for (const check of HEALTHZ_CHECKS) plain(`/healthz/${check}`, ok);
  app.get('/pods', async () => ({ kind: 'PodList', apiVersion: 'v1', metadata: {}, items: d.runtime.pods() }));
  if (debugging.enabled) plain('/configz', async () => ({ kubeletconfig: d.configz() }));
  // The runtime's view: each pod with a running container, by name, namespace, uid and containers.
  app.get('/runningpods', async () => ({
    kind: 'PodList',
    apiVersion: 'v1',
    metadata: {},
    items: d.runtime
      .pods()
      .filter((p) => p.status?.containerStatuses?.some((c) => c.state?.running))
      .map((p) => ({
        metadata: {
          name: p.metadata?.name,
          namespace: p.metadata?.namespace,
          uid: p.metadata?.uid,
          creationTimestamp: null,
        },
        spec: {
          containers: (p.status?.containerStatuses ?? [])
            .filter((c) => c.state?.running)
            .map((c) => ({ name: c.name, image: c.image, resources: {} })),
        },
        status: {},
      })),
  }));
  // POST /run/{namespace}/{pod}[/{uid}]/{container}?cmd=…: a command in the container, its output
  // in the answer (the kubelet's legacy handleRun; nodes/proxy with verb create).
  const run = async (req: FastifyRequest, reply: FastifyReply) => {
    const { ns, pod, container } = req.params as { ns: string; pod: string; container: string };
    const form = (req.body ?? {}) as Q;
    const cmd = (one(req.query as Q, 'cmd') ?? one(form, 'cmd') ?? '').split(' ');
    const w = d.runtime.find(ns, pod);
    if (!w) return reply.code(404).type('text/plain; charset=utf-8').send('pod does not exist');
    if (!w.isRunning(container))
      return reply
        .code(500)
        .type('text/plain; charset=utf-8')
        .send(`container not found (${JSON.stringify(container)})`);
    d.log.info({ pod: `${ns}/${pod}`, container, user: req.kubeletUser?.username }, 'run');
    const o = await execProbe(cmd, w.execTarget(container)!, 24 * 3_600_000);

    if (o.exitCode === 0) return reply.type('application/json').send(o.output);
    return reply
      .code(500)
      .type('text/plain; charset=utf-8')
      .send(o.exitCode === undefined ? o.output : `command '${cmd.join(' ')}' exited with ${o.exitCode}: ${o.output}`);
  };
  app.post('/run/:ns/:pod/:container', run);
  app.post('/run/:ns/:pod/:uid/:container', run);
  plain('/metrics', async (_req, reply) =>
    reply
      .type('text/plain; version=0.0.4; charset=utf-8')
      .send(`${renderMetrics(d.nodeName, d.metrics)}${execPluginMetricsText()}`),
  );
  // The Summary API's CPU and memory part, and the same figures as resource metrics.
  const statsNow = () => cpuAndMemoryStats(d.runtime.pods());
  app.get('/stats/summary', async () => {
    const { node, pods } = statsNow();
    const metaOf = <T extends { time: Date }>(x: T | undefined) => (x ? { ...x, time: metaTime(x.time) } : undefined);
    return {
      node: {
        nodeName: d.nodeName,
        startTime: metaTime(d.startTime),
        cpu: metaOf(node.cpu),
        memory: metaOf(node.memory),
      },
      pods: pods.map((p) => ({
        ...p,
        containers: p.containers.map((c) => ({ ...c, cpu: metaOf(c.cpu), memory: metaOf(c.memory) })),
        cpu: metaOf(p.cpu),
        memory: metaOf(p.memory),
      })),
    };
  });
  plain('/metrics/resource', async (req, reply) => {
    let stats: ReturnType<typeof statsNow> | undefined;
    try {
      stats = statsNow();
    } catch (e) {
      req.log.error({ err: (e as Error).message }, 'Error getting summary for resourceMetric prometheus endpoint');
    }
    return reply.type('text/plain; version=0.0.4; charset=utf-8').send(renderResourceMetrics(stats));
  });

  plain('/metrics/probes', async (_req, reply) =>
    reply.type('text/plain; version=0.0.4; charset=utf-8').send(d.probeMetrics?.render() ?? ''),
  );

  plain('/metrics/cadvisor', async (_req, reply) => {
    const pods = d.runtime.pods();
    const running = new Map<string, { pid?: number; image: string }>();
    for (const p of pods)
      for (const c of p.status?.containerStatuses ?? [])
        if (c.state?.running)
          running.set(`${p.metadata?.uid}/${c.name}`, { pid: pidOf(c.containerID), image: c.image });
    const text = renderCadvisorMetrics(cpuAndMemoryStats(pods), (uid, name) => running.get(`${uid}/${name}`));
    return reply.type('text/plain; version=0.0.4; charset=utf-8').send(text);
  });

  // /logs/ serves the pod log tree read-only (upstream serves the host's /var/log).
  const logsRoot = join(d.rootDir, 'pods');
  const serveLogs = async (req: FastifyRequest, reply: FastifyReply) => {
    const rel = normalize((req.params as { '*'?: string })['*'] ?? '.').replace(/^(\.\.(\/|$))+/, '');
    const target = join(logsRoot, rel);
    if (relative(logsRoot, target).startsWith('..')) return reply.code(403).send('Forbidden');
    const st = await fsp.stat(target).catch(() => undefined);
    if (!st) return reply.code(404).type('text/plain; charset=utf-8').send('404 page not found');
    if (st.isDirectory()) {
      const names = await fsp.readdir(target, { withFileTypes: true });
      const items = names.map(
        (n) => `<a href="${n.name}${n.isDirectory() ? '/' : ''}">${n.name}${n.isDirectory() ? '/' : ''}</a>`,
      );
      return reply.type('text/html; charset=utf-8').send(`<pre>\n${items.join('\n')}\n</pre>\n`);
    }
    return reply.type('text/plain; charset=utf-8').send(await fsp.readFile(target));
  };
  app.get('/logs', serveLogs);
  app.get('/logs/*', serveLogs);

  // /debug/pprof/: the kubelet's profiles (enableProfilingHandler), as Go's net/http/pprof.
  if (debugging.enabled && debugging.profiling) {
    const profiler = processProfiler();
    void profiler.start();
    const pprof = async (req: FastifyRequest, reply: FastifyReply) => {
      const r = await profiler.serveRequest(req.url, req.raw);
      return reply.code(r.code).headers(r.headers).send(r.body);
    };
    app.get(PPROF_PATH, pprof);
    app.get(`${PPROF_PATH}/*`, pprof);
  }

  // /debug/flags/v (enableDebugFlagsHandler): the body is the value, whatever its content type says.
  const verbosity = d.verbosity;
  if (debugging.enabled && debugging.debugFlags && verbosity) {
    await app.register(async (flags) => {
      flags.removeAllContentTypeParsers();
      flags.addContentTypeParser('*', { parseAs: 'string', bodyLimit: MAX_FLAG_BODY_BYTES }, (_req, body, done) =>
        done(null, body),
      );
      flags.route({
        method: ANY_METHOD,
        url: DEBUG_FLAG_V_PATH,
        handler: async (req, reply) => {
          // HTTP/1.1 only here: a body without Content-Length or Transfer-Encoding is no body.
          const r = serveDebugFlagV(req.method, typeof req.body === 'string' ? req.body : '', verbosity);
          return reply.code(r.code).headers(r.headers).send(r.body);
        },
      });
    });
  }

  if (debugging.enabled && d.containerCheckpoint) registerCheckpoint(app, d.runtime);

  await app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', (_req, _payload, done) => done(null, undefined));
    for (const [url, handler] of plainHandlers) scope.route({ method: ANY_METHOD, url, handler });
  });

  app.get('/containerLogs/:ns/:pod/:container', async (req, reply) => {
    const { ns, pod, container } = req.params as { ns: string; pod: string; container: string };
    const q = req.query as Q;
    const w = d.runtime.find(ns, pod);
    if (!w) return reply.code(404).type('text/plain; charset=utf-8').send(`pod "${ns}/${pod}" not found`);
    if (!w.hasContainer(container))
      return reply
        .code(404)
        .type('text/plain; charset=utf-8')
        .send(`container "${container}" not found in pod "${ns}/${pod}"`);
    const previous = truthy(one(q, 'previous'));
    // validateContainerLogStatus: a container that has not run yet has no logs to give.
    const st = w.status();
    const cs = [...(st.containerStatuses ?? []), ...(st.initContainerStatuses ?? [])].find((c) => c.name === container);
    const waiting = cs?.state?.waiting;
    if (!previous && waiting && !cs?.lastState?.terminated)
      return reply
        .code(400)
        .type('text/plain; charset=utf-8')
        .send(`container "${container}" in pod "${pod}" is waiting to start: ${waiting.reason ?? ''}`);
    const file = w.logFile(container, previous);
    if (!file)
      return reply
        .code(400)
        .type('text/plain; charset=utf-8')
        .send(`previous terminated container "${container}" in pod "${pod}" not found`);
    const sinceSeconds = intParam(q, 'sinceSeconds');
    const sinceTimeText = one(q, 'sinceTime');
    const sinceTime =
      sinceSeconds !== undefined
        ? new Date(Date.now() - sinceSeconds * 1000)
        : sinceTimeText
          ? new Date(sinceTimeText)
          : undefined;
    if (sinceTime && Number.isNaN(sinceTime.getTime())) return reply.code(400).send('sinceTime: not an RFC 3339 time');
    const follow = truthy(one(q, 'follow')) && !previous;
    const tailLines = intParam(q, 'tailLines');
    const limitBytes = intParam(q, 'limitBytes');
    const body = new PassThrough();
    const ac = new AbortController();
    req.raw.once('close', () => ac.abort());
    reply.type('text/plain; charset=utf-8').send(body);
    void streamLog(
      file,
      body,
      {
        follow,
        ...(tailLines !== undefined ? { tailLines } : {}),
        ...(sinceTime ? { sinceTime } : {}),
        timestamps: truthy(one(q, 'timestamps')),
        ...(limitBytes !== undefined ? { limitBytes } : {}),
      },
      ac.signal,
      () => !w.isRunning(container) || w.logFile(container) !== file,
    ).finally(() => body.end());
    return reply;
  });

  const idleMs = d.streamingConnectionIdleTimeoutMs ?? DEFAULT_STREAMING_IDLE_TIMEOUT_MS;
  // exec and attach: a WebSocket only (v5); the pod must run here.
  for (const [verb, run] of [
    ['exec', runExec],
    ['attach', runAttach],
  ] as const) {
    app.route({
      method: 'GET',
      url: `/${verb}/:ns/:pod/:container`,
      handler: async (_req, reply) =>
        reply
          .code(400)
          .type('text/plain; charset=utf-8')
          .send(`Upgrade request required: ${verb} speaks WebSocket (v5.channel.k8s.io)`),
      wsHandler: (socket, req) => {
        const { ns, pod, container } = req.params as { ns: string; pod: string; container: string };
        const w = d.runtime.find(ns, pod);
        if (!w) {
          socket.send(
            Buffer.concat([
              Buffer.from([3]),
              Buffer.from(failureStatus(`pod "${ns}/${pod}" not found`, { reason: 'NotFound', code: 404 })),
            ]),
          );
          socket.close(1000);
          return;
        }
        d.log.info({ pod: `${ns}/${pod}`, container, user: req.kubeletUser?.username }, verb);
        run(closeWhenIdle(socket, idleMs), w, container, execParams(req.query as Q));
      },
    });
  }
  app.route({
    method: 'GET',
    url: '/portForward/:ns/:pod',
    handler: async (_req, reply) =>
      reply
        .code(400)
        .type('text/plain; charset=utf-8')
        .send(`Upgrade request required: port forwarding speaks WebSocket (${PORT_FORWARD_PROTOCOL})`),
    wsHandler: (socket, req) => {
      const { ns, pod } = req.params as { ns: string; pod: string };
      const port = parsePort((req.query as Q).port);
      const w = d.runtime.find(ns, pod);
      const refuse = (message: string) => {
        socket.send(Buffer.concat([Buffer.of(1), Buffer.from(message)]));
        socket.close(1000);
      };
      if (!w) return refuse(`pod "${ns}/${pod}" not found`);
      if (port === undefined) return refuse(`unable to parse "${String((req.query as Q).port)}" as a port`);
      d.log.info({ pod: `${ns}/${pod}`, port, user: req.kubeletUser?.username }, 'port-forward');
      runPortForward(closeWhenIdle(socket, idleMs), w.name, w.pod.metadata?.uid ?? '', port);
    },
  });
  app.post('/exec/:ns/:pod/:container', async (_req, reply) =>
    reply
      .code(400)
      .type('text/plain; charset=utf-8')
      .send('SPDY is not supported by the mkube kubelet: exec speaks WebSocket (v5.channel.k8s.io)'),
  );

  await app.ready();
  return app;
}
