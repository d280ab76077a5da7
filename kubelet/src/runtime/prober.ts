// One run of a container probe, as the kubelet's prober (pkg/probe/{exec,http,tcp,grpc}): the result
// and the output that goes into the Unhealthy event. Network probes go to the pod IP (the process
// runtime's pods share the node's network); exec probes run in the container's directory and env.
import { spawn } from 'node:child_process';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { type ClientHttp2Session, connect as http2Connect } from 'node:http2';
import { request as httpsRequest } from 'node:https';
import { connect as netConnect } from 'node:net';
import type { Container, HTTPGetAction, Probe } from '@mkube/shared/api';
import { Backoff } from '@mkube/shared/client';
import { joinHostPort, unbracketHost } from '@mkube/shared/net';

/** What one run found: upstream's probe.Success, probe.Warning (a success worth an event), probe.Failure. */
export type ProbeResult = 'success' | 'warning' | 'failure';

export interface ProbeOutcome {
  readonly result: ProbeResult;
  readonly output: string;
  /** An exec's exit code, when it exited. */
  readonly exitCode?: number;
  /** An httpGet's final status code, when the server answered (no redirect loop). */
  readonly statusCode?: number;
}

export interface ProbeTarget {
  readonly container: Container;
  /** The pod IP: where network probes connect without a host of their own. */
  readonly podIP: string;
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
}

/** pkg/probe's maxReadLength: what is kept of a probe's output. */
const MAX_OUTPUT = 10 * 1024;
/** Go's http.Client stops after this many redirects. */
const MAX_REDIRECTS = 10;
export const PROBE_USER_AGENT = 'kube-probe/1.33';

/** Go's dial error text for a refused or timed-out connection, as the probe's output shows it. */
function dialError(e: NodeJS.ErrnoException, addr: string): string {
  const why =
    e.code === 'ECONNREFUSED'
      ? 'connect: connection refused'
      : e.code === 'ETIMEDOUT'
        ? 'i/o timeout'
        : e.code === 'EHOSTUNREACH'
          ? 'connect: no route to host'
          : e.code === 'ENOTFOUND'
            ? 'no such host'
            : e.message;
  return `dial tcp ${addr}: ${why}`;
}

/** A port given by name: the container's port of that name (upstream's findPortByName). */
export function resolvePort(port: number | string, container: Container): number {
  if (typeof port === 'number') return port;
  if (/^\d+$/.test(port)) return Number(port);
  const p = container.ports?.find((x) => x.name === port);
  if (!p) throw new Error(`couldn't find port: ${port} in ${container.name}`);
  return p.containerPort;
}

export async function runProbe(probe: Probe, t: ProbeTarget): Promise<ProbeOutcome> {
  const timeoutMs = Math.max(1, probe.timeoutSeconds ?? 1) * 1000;
  if (probe.exec) return execProbe(probe.exec.command ?? [], t, timeoutMs);
  if (probe.httpGet) {
    return httpProbe(httpGetUrl(probe.httpGet, t), probe.httpGet.httpHeaders ?? [], timeoutMs);
  }
  if (probe.tcpSocket)
    return tcpProbe(probe.tcpSocket.host || t.podIP, resolvePort(probe.tcpSocket.port, t.container), timeoutMs);
  if (probe.grpc) return grpcProbe(t.podIP, probe.grpc.port, probe.grpc.service ?? '', timeoutMs);
  throw new Error('missing probe handler');
}

/** Exit 0 is success; the combined output is the message; a timeout is a failure. */
export function execProbe(command: readonly string[], t: ProbeTarget, timeoutMs: number): Promise<ProbeOutcome> {
  return new Promise((resolve) => {
    if (command.length === 0) return resolve({ result: 'failure', output: 'exec probe has no command' });
    let out = Buffer.alloc(0);
    const keep = (d: Buffer) => {
      if (out.length < MAX_OUTPUT) out = Buffer.concat([out, d]).subarray(0, MAX_OUTPUT);
    };
    const child = spawn(command[0]!, command.slice(1), {
      cwd: t.cwd,
      env: t.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let done = false;
    const finish = (o: ProbeOutcome) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve(o);
    };
    const timer = setTimeout(() => {
      try {
        if (child.pid) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // gone already
      }
      finish({ result: 'failure', output: `command ${JSON.stringify(command.join(' '))} timed out` });
    }, timeoutMs);
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    // As a runtime's exec does: a command that cannot start fails the probe with the runtime's words.
    child.once('error', (e) =>
      finish({ result: 'failure', output: `exec: ${JSON.stringify(command[0])}: ${e.message}` }),
    );
    child.once('close', (code, signal) =>
      finish({
        result: code === 0 ? 'success' : 'failure',
        output: out.toString('utf8') || (code === null ? `command terminated by ${signal}` : ''),
        ...(code !== null ? { exitCode: code } : {}),
      }),
    );
  });
}

/** Where an httpGet action goes: the pod IP unless it names a host; a port by number or name. */
export function httpGetUrl(g: HTTPGetAction, t: ProbeTarget): URL {
  const path = g.path ? (g.path.startsWith('/') ? g.path : `/${g.path}`) : '/';
  const hostPort = joinHostPort(g.host || t.podIP, resolvePort(g.port, t.container));
  return new URL(`${(g.scheme ?? 'HTTP').toLowerCase()}://${hostPort}${path}`);
}

/**
 * 2xx is success, 3xx a warning (a redirect to another host is not followed), anything else a
 * failure; redirects to the same host are followed, as the prober's http.Client does.
 */
export async function httpProbe(url: URL, headers: readonly { name: string; value: string }[], timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  let current = url;
  for (let hops = 0; ; hops++) {
    let res: { status: number; location?: string; body: string };
    try {
      res = await httpGet(current, headers, Math.max(1, deadline - Date.now()));
    } catch (e) {
      return { result: 'failure', output: `Get "${current.href}": ${(e as Error).message}` } as ProbeOutcome;
    }
    if (res.status >= 300 && res.status < 400 && res.location) {
      const next = new URL(res.location, current);
      if (next.hostname === url.hostname && hops < MAX_REDIRECTS) {
        current = next;
        continue;
      }
      if (next.hostname === url.hostname)
        return {
          result: 'failure',
          output: `Get "${next.href}": stopped after ${MAX_REDIRECTS} redirects`,
        } as ProbeOutcome;
    }
    const statusCode = res.status;
    if (statusCode >= 200 && statusCode < 400)
      return (
        statusCode >= 300
          ? { result: 'warning', output: `Probe terminated redirects, Response body: ${res.body}`, statusCode }
          : { result: 'success', output: res.body, statusCode }
      ) as ProbeOutcome;
    return {
      result: 'failure',
      output: `HTTP probe failed with statuscode: ${statusCode}`,
      statusCode,
    } as ProbeOutcome;
  }
}

function httpGet(url: URL, headers: readonly { name: string; value: string }[], timeoutMs: number) {
  return new Promise<{ status: number; location?: string; body: string }>((resolve, reject) => {
    const h: Record<string, string> = { 'user-agent': PROBE_USER_AGENT, accept: '*/*' };
    let host: string | undefined;
    for (const { name, value } of headers) {
      if (name.toLowerCase() === 'host') host = value;
      else h[name.toLowerCase()] = value;
    }
    if (host !== undefined) h.host = host;
    const addr = joinHostPort(unbracketHost(url.hostname), Number(url.port || (url.protocol === 'https:' ? 443 : 80)));
    const req = (url.protocol === 'https:' ? httpsRequest : httpRequest)(url, {
      method: 'GET',
      headers: h,
      agent: false,
      // The prober does not verify the container's certificate (InsecureSkipVerify upstream).
      ...(url.protocol === 'https:' ? { rejectUnauthorized: false } : {}),
    });
    const timer = setTimeout(() => {
      req.destroy(
        Object.assign(new Error('context deadline exceeded (Client.Timeout exceeded while awaiting headers)'), {
          code: 'TIMEOUT',
        }),
      );
    }, timeoutMs);
    req.once('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(e.code === 'TIMEOUT' || !e.code ? e : new Error(dialError(e, addr)));
    });
    req.once('response', (res: IncomingMessage) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (d: Buffer) => {
        if (size < MAX_OUTPUT) chunks.push(d);
        size += d.length;
      });
      res.once('end', () => {
        clearTimeout(timer);
        resolve({
          status: res.statusCode ?? 0,
          ...(res.headers.location ? { location: res.headers.location } : {}),
          body: Buffer.concat(chunks).subarray(0, MAX_OUTPUT).toString('utf8'),
        });
      });
      res.once('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
    });
    req.end();
  });
}

/** A TCP connection made within the timeout is success. */
function tcpProbe(host: string, port: number, timeoutMs: number): Promise<ProbeOutcome> {
  const addr = joinHostPort(host, port);
  return new Promise((resolve) => {
    const socket = netConnect({ host, port });
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ result: 'failure', output: `dial tcp ${addr}: i/o timeout` });
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ result: 'success', output: '' });
    });
    socket.once('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      resolve({ result: 'failure', output: dialError(e, addr) });
    });
  });
}

/** grpc.health.v1.HealthCheckResponse.ServingStatus by number. */
const SERVING_STATUS = ['UNKNOWN', 'SERVING', 'NOT_SERVING', 'SERVICE_UNKNOWN'];
/** gRPC status codes by number, as grpc-go names them in `rpc error: code = …`. */
const GRPC_CODES = [
  'OK',
  'Canceled',
  'Unknown',
  'InvalidArgument',
  'DeadlineExceeded',
  'NotFound',
  'AlreadyExists',
  'PermissionDenied',
  'ResourceExhausted',
  'FailedPrecondition',
  'Aborted',
  'OutOfRange',
  'Unimplemented',
  'Internal',
  'Unavailable',
  'DataLoss',
  'Unauthenticated',
];

/** A protobuf string field 1 (HealthCheckRequest.service). */
function healthCheckRequest(service: string): Buffer {
  const s = Buffer.from(service, 'utf8');
  if (s.length === 0) return Buffer.alloc(0);
  const len: number[] = [];
  for (let n = s.length; ; n >>>= 7) {
    if (n < 0x80) {
      len.push(n);
      break;
    }
    len.push((n & 0x7f) | 0x80);
  }
  return Buffer.concat([Buffer.from([0x0a, ...len]), s]);
}

/** HealthCheckResponse.status (field 1, varint); absent is 0 (UNKNOWN). */
function servingStatus(msg: Buffer): number {
  let i = 0;
  while (i < msg.length) {
    const tag = msg[i++]!;
    let v = 0;
    let shift = 0;
    if ((tag & 7) === 0) {
      for (;;) {
        const b = msg[i++] ?? 0;
        v += (b & 0x7f) * 2 ** shift;
        shift += 7;
        if (b < 0x80 || i >= msg.length) break;
      }
      if (tag >> 3 === 1) return v;
    } else if ((tag & 7) === 2) {
      let n = 0;
      for (;;) {
        const b = msg[i++] ?? 0;
        n += (b & 0x7f) * 2 ** shift;
        shift += 7;
        if (b < 0x80 || i >= msg.length) break;
      }
      i += n;
    } else return 0;
  }
  return 0;
}

/**
 * grpc-go's connection back-off (backoff.DefaultConfig: 1 s, ×1.6 a retry, ±20 % jitter, 120 s at
 * most), in Backoff's terms, whose jitter only adds: 0.8 s plus up to half of it.
 */
const GRPC_BACKOFF = { initialMs: 800, factor: 1.6, jitter: 0.5, maxMs: 144_000 } as const;

/** grpc.health.v1.Health/Check over plaintext HTTP/2: SERVING is success (pkg/probe/grpc). */
function grpcProbe(host: string, port: number, service: string, timeoutMs: number): Promise<ProbeOutcome> {
  const addr = joinHostPort(host, port);
  return new Promise((resolve) => {
    let done = false;
    let session: ClientHttp2Session | undefined;
    let retry: NodeJS.Timeout | undefined;
    const backoff = new Backoff(GRPC_BACKOFF);
    const finish = (o: ProbeOutcome) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      clearTimeout(retry);
      session?.destroy();
      resolve(o);
    };
    let connected = false;
    const within = `${timeoutMs / 1000}s`;
    const timer = setTimeout(
      () =>
        finish({
          result: 'failure',
          output: connected
            ? `timeout: health rpc did not complete within ${within}`
            : `timeout: failed to connect service ${JSON.stringify(addr)} within ${within}: context deadline exceeded`,
        }),
      timeoutMs,
    );
    // The prober dials WithBlock: a refused or failed dial is tried again after grpc-go's back-off
    // until the probe's timeout, which then is the failure (a server still starting passes late).
    const dial = () => {
      const s = http2Connect(`http://${addr}`);
      session = s;
      s.once('connect', () => {
        connected = true;
        healthCheck(s, service, finish);
      });
      s.once('error', (e: Error) => {
        if (connected) {
          finish({
            result: 'failure',
            output: `error: health rpc probe failed: rpc error: code = Unavailable desc = ${e.message}`,
          });
          return;
        }
        s.destroy();
        if (done) return;
        retry = setTimeout(dial, backoff.next());
      });
    };
    dial();
  });
}

/** One Health/Check on a connected session; `finish` gets the verdict. */
function healthCheck(session: ClientHttp2Session, service: string, finish: (o: ProbeOutcome) => void): void {
  const req = session.request({
    ':method': 'POST',
    ':path': '/grpc.health.v1.Health/Check',
    'content-type': 'application/grpc',
    te: 'trailers',
    'user-agent': PROBE_USER_AGENT,
  });
  const msg = healthCheckRequest(service);
  const frame = Buffer.alloc(5 + msg.length);
  frame.writeUInt32BE(msg.length, 1);
  msg.copy(frame, 5);
  req.end(frame);
  const chunks: Buffer[] = [];
  let grpcStatus: string | undefined;
  let grpcMessage = '';
  const take = (h: Record<string, unknown>) => {
    if (h['grpc-status'] !== undefined) grpcStatus = String(h['grpc-status']);
    if (h['grpc-message'] !== undefined) grpcMessage = decodeURIComponent(String(h['grpc-message']));
  };
  req.once('response', take);
  req.once('trailers', take);
  req.on('data', (d: Buffer) => chunks.push(d));
  req.once('error', (e) => {
    finish({
      result: 'failure',
      output: `error: health rpc probe failed: rpc error: code = Unavailable desc = ${e.message}`,
    });
  });
  req.once('close', () => {
    if (grpcStatus !== undefined && grpcStatus !== '0') {
      const code = GRPC_CODES[Number(grpcStatus)] ?? `Code(${grpcStatus})`;
      return finish({
        result: 'failure',
        output:
          code === 'Unimplemented'
            ? `error: this server does not implement the grpc health protocol (grpc.health.v1.Health): ${grpcMessage}`
            : `error: health rpc probe failed: rpc error: code = ${code} desc = ${grpcMessage}`,
      });
    }
    const body = Buffer.concat(chunks);
    const status = body.length >= 5 ? servingStatus(body.subarray(5, 5 + body.readUInt32BE(1))) : 0;
    finish(
      status === 1
        ? { result: 'success', output: 'service healthy' }
        : {
            result: 'failure',
            output: `service unhealthy (responded with ${JSON.stringify(SERVING_STATUS[status] ?? String(status))})`,
          },
    );
  });
}
