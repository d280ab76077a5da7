// One line per request at -v=3 and above, as k8s.io/apiserver's httplog (WithHTTPLogging) writes
// "HTTP" verb=… URI=… latency=… userAgent=… audit-ID=… srcIP=… resp=… through klog.V(3). Off at the
// default verbosity, where it would be noise; /debug/flags/v turns it on in a running apiserver.
// Only what upstream logs: no header, so no credential, ever reaches the line.
import type { Verbosity } from '@mkube/shared/debugflags';
import type { Logger } from '@mkube/shared/log';
import type { FastifyInstance } from 'fastify';
import { tlsSocketOf } from './peer.js';

export const HTTP_LOG_VERBOSITY = 3;

/** Go's time.Duration text for a latency in ms ("1.234567ms", "2.5s", "870µs"). */
export function latencyText(ms: number): string {
  if (ms >= 1000) return `${Number((ms / 1000).toFixed(9))}s`;
  if (ms >= 1) return `${Number(ms.toFixed(6))}ms`;
  return `${Number((ms * 1000).toFixed(3))}µs`;
}

export function registerHttpLog(app: FastifyInstance, verbosity: Verbosity, log: Logger): void {
  const httpLog = log.child({ component: 'httplog' });
  // Read on arrival: an HTTP/2 stream has left its session by the time its response is done.
  const sources = new WeakMap<object, string>();
  app.addHook('onRequest', async (request) => {
    if (verbosity.value < HTTP_LOG_VERBOSITY) return;
    const socket = tlsSocketOf(request);
    if (socket?.remoteAddress) sources.set(request, `${socket.remoteAddress}:${socket.remotePort}`);
  });
  app.addHook('onResponse', async (request, reply) => {
    if (verbosity.value < HTTP_LOG_VERBOSITY) return;
    const auditId = reply.raw.getHeader('audit-id');
    httpLog.debug(
      {
        verb: request.method,
        URI: request.url,
        latency: latencyText(reply.elapsedTime),
        userAgent: request.headers['user-agent'] ?? '',
        'audit-ID': typeof auditId === 'string' ? auditId : '',
        srcIP: sources.get(request) ?? '',
        resp: reply.statusCode,
      },
      'HTTP',
    );
  });
}
