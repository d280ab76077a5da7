// --request-timeout (1m0s) and a request's own `?timeout=` (what `kubectl --request-timeout` sends), as
// genericapiserver's WithRequestDeadline and WithTimeoutForNonLongRunningRequests: a request that is not
// long-running (a watch, proxy, exec, attach, log, port-forward) gets a deadline from its arrival — its
// own timeout if shorter than the server's, else the server's — and is answered 504 when it passes
// unanswered; whatever its handler sends after that is dropped, as Go's timeout writer drops it.
import { newBadRequest, StatusError } from '@mkube/shared/apierrors';
import { parseDuration } from '@mkube/shared/flags';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { isLongRunning } from '../audit/index.js';
import type { RequestInfo } from '../request/requestinfo.js';
import { sendStatus } from './errors.js';

const INVALID_TIMEOUT_IN_URL = 'invalid timeout specified in the request URL';

/** The request's deadline in ms from its arrival; a StatusError for a `timeout` Go cannot parse. */
export function requestDeadlineMs(url: string, maxMs: number): number | StatusError {
  const q = url.indexOf('?');
  const value = q < 0 ? null : new URLSearchParams(url.slice(q + 1)).get('timeout');
  if (!value) return maxMs;
  let asked: number;
  try {
    asked = parseDuration(value);
  } catch {
    // Go's two texts: a number without a unit, and anything else.
    const why = /^[-+]?(\d+\.?\d*|\.\d+)$/.test(value) ? 'missing unit in duration' : 'invalid duration';
    return newBadRequest(`${INVALID_TIMEOUT_IN_URL} - time: ${why} ${JSON.stringify(value)}`);
  }
  // 0 (or less) is no timeout on the client's part; more than the server's is the server's.
  return asked > 0 && asked < maxMs ? asked : maxMs;
}

/**
 * Arms the deadline for one authorized request; returns false when it has been answered (a bad
 * `timeout`). `maxMs` 0 turns the deadline off.
 */
export function armRequestDeadline(
  request: FastifyRequest,
  reply: FastifyReply,
  info: RequestInfo,
  maxMs: number,
): boolean {
  if (!(maxMs > 0) || isLongRunning(info)) return true;
  const ms = requestDeadlineMs(request.url, maxMs);
  if (ms instanceof StatusError) {
    sendStatus(reply, ms.toStatus());
    return false;
  }
  const timer = setTimeout(() => {
    if (reply.sent || reply.raw.headersSent) return;
    sendStatus(
      reply,
      new StatusError(
        'Timeout',
        'Timeout: request did not complete within requested timeout - context deadline exceeded',
        {},
      ).toStatus(),
    );
    // The handler is still running: what it sends now goes nowhere.
    reply.send = () => reply;
  }, ms);
  reply.raw.once('close', () => clearTimeout(timer));
  return true;
}
